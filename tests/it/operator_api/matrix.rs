//! The operator API's permission matrix: every operation, called with a token that lacks
//! one permission it needs — because the token was made without it, or because its
//! operator no longer holds it — answers 403 naming the permission and changes nothing;
//! without a token it answers 401 and changes nothing; with the permissions it succeeds and
//! (a change) grows the audit log.
//!
//! The fixture and the snapshot are the console matrix's (tests/it/console/matrix.rs): the
//! same placeholders, the same "changes nothing". Add a row for every new operation, in the
//! order they run (a row that deletes something comes after every row that needs it).

use owums_core::operator::{Operators, Permission, Permissions};
use poem::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::{OpApi, token_of};
use crate::console::matrix::{Fixture, audit_len, snapshot};
use crate::console::pages::PASSWORD;
use crate::support::db_test;

use Permission as P;

/// One operation and what it needs.
struct Row {
    method: Method,
    /// The path under `/api/v1`, with the fixture's `{placeholders}`.
    path: &'static str,
    /// The permissions it needs: taking away any one of them gives 403.
    needs: &'static [Permission],
    /// Any one of `needs` opens it (only taking all of them away gives 403).
    any: bool,
    /// The JSON body, with the fixture's placeholders in its strings.
    body: Option<Value>,
    /// The status with the permissions.
    ok: StatusCode,
}

fn get(path: &'static str, needs: &'static [Permission]) -> Row {
    Row {
        method: Method::GET,
        path,
        needs,
        any: false,
        body: None,
        ok: StatusCode::OK,
    }
}

fn change(
    method: Method,
    path: &'static str,
    needs: &'static [Permission],
    body: Option<Value>,
    ok: StatusCode,
) -> Row {
    Row {
        method,
        path,
        needs,
        any: false,
        body,
        ok,
    }
}

fn rows() -> Vec<Row> {
    const OK: StatusCode = StatusCode::OK;
    const MADE: StatusCode = StatusCode::CREATED;
    const GONE: StatusCode = StatusCode::NO_CONTENT;
    const OM: &[Permission] = &[P::OperatorsManager];
    const B: &[Permission] = &[P::UsersBrowser];
    const M: &[Permission] = &[P::UsersManager];
    const NEW: &[Permission] = &[P::UsersRegistrant, P::RegistrantByNothing];
    const GV: &[Permission] = &[P::RadiusGroupsViewer];
    let item = |a: &str, op: &str, v: &str| Some(json!({"attribute": a, "op": op, "value": v}));
    vec![
        get("/operator/operators", OM),
        get("/operator/operators/{operator}", OM),
        change(
            Method::POST,
            "/operator/operators",
            OM,
            Some(json!({"username": "api-made", "preset": "operator"})),
            MADE,
        ),
        change(
            Method::PATCH,
            "/operator/operators/{operator}",
            OM,
            Some(json!({"notes": "from the API"})),
            OK,
        ),
        change(
            Method::POST,
            "/operator/operators/{operator}/password",
            OM,
            None,
            OK,
        ),
        get("/operator/users", B),
        Row {
            any: true,
            ..get(
                "/operator/users/find?q=matrix-user",
                &[P::UsersFinder, P::UsersBrowser],
            )
        },
        Row {
            any: true,
            ..get("/operator/users/{user}", &[P::UsersBrowser, P::UsersFinder])
        },
        change(
            Method::POST,
            "/operator/users",
            NEW,
            Some(json!({"username": "api-new-user", "given_name": "Api"})),
            MADE,
        ),
        change(
            Method::PATCH,
            "/operator/users/{user}",
            M,
            Some(json!({"city": "Roma"})),
            OK,
        ),
        change(Method::POST, "/operator/users/{user}/verify", M, None, OK),
        change(Method::POST, "/operator/users/{user}/disable", M, None, OK),
        change(Method::POST, "/operator/users/{user}/enable", M, None, OK),
        change(
            Method::DELETE,
            "/operator/users/{doomed}",
            &[P::UsersDestroyer],
            None,
            GONE,
        ),
        get(
            "/operator/users/{user}/checks",
            &[P::UsersBrowser, P::RadiusChecksViewer],
        ),
        get(
            "/operator/users/{user}/replies",
            &[P::UsersBrowser, P::RadiusRepliesViewer],
        ),
        change(
            Method::POST,
            "/operator/users/{user}/checks",
            &[P::UsersBrowser, P::RadiusChecksCreator],
            item("Max-Monthly-Session", ":=", "36000"),
            MADE,
        ),
        change(
            Method::PUT,
            "/operator/users/{user}/checks/{user_check}",
            &[P::UsersBrowser, P::RadiusChecksManager],
            item("Simultaneous-Use", ":=", "2"),
            OK,
        ),
        change(
            Method::DELETE,
            "/operator/users/{user}/checks/{user_check}",
            &[P::UsersBrowser, P::RadiusChecksDestroyer],
            None,
            GONE,
        ),
        change(
            Method::POST,
            "/operator/users/{user}/replies",
            &[P::UsersBrowser, P::RadiusRepliesCreator],
            item("Idle-Timeout", "=", "300"),
            MADE,
        ),
        change(
            Method::PUT,
            "/operator/users/{user}/replies/{user_reply}",
            &[P::UsersBrowser, P::RadiusRepliesManager],
            item("Session-Timeout", "=", "900"),
            OK,
        ),
        change(
            Method::DELETE,
            "/operator/users/{user}/replies/{user_reply}",
            &[P::UsersBrowser, P::RadiusRepliesDestroyer],
            None,
            GONE,
        ),
        get("/operator/groups", GV),
        change(
            Method::POST,
            "/operator/groups",
            &[P::RadiusGroupsCreator],
            Some(json!({"name": "api-group", "priority": 3})),
            MADE,
        ),
        get("/operator/groups/{group}", GV),
        change(
            Method::PATCH,
            "/operator/groups/{group}",
            &[P::RadiusGroupsManager],
            Some(json!({"notes": "via the API"})),
            OK,
        ),
        get(
            "/operator/groups/{group}/checks",
            &[P::RadiusGroupsViewer, P::RadiusChecksViewer],
        ),
        get(
            "/operator/groups/{group}/replies",
            &[P::RadiusGroupsViewer, P::RadiusRepliesViewer],
        ),
        change(
            Method::POST,
            "/operator/groups/{group}/checks",
            &[P::RadiusGroupsViewer, P::RadiusChecksCreator],
            item("Max-Daily-Session", ":=", "3600"),
            MADE,
        ),
        change(
            Method::PUT,
            "/operator/groups/{group}/checks/{group_check}",
            &[P::RadiusGroupsViewer, P::RadiusChecksManager],
            item("Simultaneous-Use", ":=", "3"),
            OK,
        ),
        change(
            Method::DELETE,
            "/operator/groups/{group}/checks/{group_check}",
            &[P::RadiusGroupsViewer, P::RadiusChecksDestroyer],
            None,
            GONE,
        ),
        change(
            Method::POST,
            "/operator/groups/{group}/replies",
            &[P::RadiusGroupsViewer, P::RadiusRepliesCreator],
            item("Idle-Timeout", "=", "600"),
            MADE,
        ),
        change(
            Method::PUT,
            "/operator/groups/{group}/replies/{group_reply}",
            &[P::RadiusGroupsViewer, P::RadiusRepliesManager],
            item("Session-Timeout", "=", "1800"),
            OK,
        ),
        change(
            Method::DELETE,
            "/operator/groups/{group}/replies/{group_reply}",
            &[P::RadiusGroupsViewer, P::RadiusRepliesDestroyer],
            None,
            GONE,
        ),
        change(
            Method::DELETE,
            "/operator/groups/api-group",
            &[P::RadiusGroupsDestroyer],
            None,
            GONE,
        ),
    ]
}

/// `value` with the fixture's placeholders filled in its strings.
fn fill(fx: &Fixture, value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(fx.fill(s)),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), fill(fx, v))).collect())
        }
        other => other.clone(),
    }
}

db_test!(every_operator_api_operation_needs_its_permissions, |db| {
    let api = OpApi::new(&db);
    let fx = Fixture::build(&db).await;
    let ops = Operators::new(db.store.clone());
    let (probe, _) = ops
        .create("api-probe", PASSWORD, Permissions::all())
        .await
        .unwrap();
    let full = token_of(&db, &probe, Permissions::all(), api.now()).await;
    let rows = rows();
    assert_eq!(rows.len(), 35, "a row per operation (but /operator/me)");
    for row in rows {
        let path = fx.fill(row.path);
        let body = row.body.as_ref().map(|b| fill(&fx, b));
        let what = format!("{} {}", row.method, row.path);
        let send = |token: Option<String>| {
            let (method, path, body) = (row.method.clone(), path.clone(), body.clone());
            let api = &api;
            async move {
                api.send(method, &path, token.as_deref(), body.as_ref(), &[])
                    .await
            }
        };
        let before = snapshot(&db).await;
        let a = send(None).await;
        a.expect(StatusCode::UNAUTHORIZED, "unauthorized");
        assert!(
            a.headers.contains_key("www-authenticate"),
            "{what}: a challenge"
        );
        assert_eq!(snapshot(&db).await, before, "{what} without a token");
        let taken: Vec<&[Permission]> = if row.any {
            vec![row.needs]
        } else {
            row.needs.iter().map(std::slice::from_ref).collect()
        };
        for missing in taken {
            let mut held = Permissions::all();
            for p in missing {
                held.remove(*p);
            }
            // the token lacks it
            let narrow = token_of(&db, &probe, held.clone(), api.now()).await;
            let before = snapshot(&db).await;
            let message = send(Some(narrow))
                .await
                .expect(StatusCode::FORBIDDEN, "forbidden");
            assert!(message.contains(missing[0].as_str()), "{what}: {message}");
            assert_eq!(
                snapshot(&db).await,
                before,
                "{what}: token without {missing:?}"
            );
            // its operator lost it: the full token is worth no more than the operator
            ops.set_permissions(probe.id, held).await.unwrap();
            let before = snapshot(&db).await;
            send(Some(full.clone()))
                .await
                .expect(StatusCode::FORBIDDEN, "forbidden");
            assert_eq!(
                snapshot(&db).await,
                before,
                "{what}: operator without {missing:?}"
            );
            ops.set_permissions(probe.id, Permissions::all())
                .await
                .unwrap();
        }
        let before = audit_len(&db).await;
        let a = send(Some(full.clone())).await;
        a.ok(row.ok);
        let grew = audit_len(&db).await > before;
        assert_eq!(
            grew,
            row.method != Method::GET,
            "{what}: written to the audit log"
        );
    }
});
