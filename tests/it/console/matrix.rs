//! The permission matrix: every permission-guarded console route, tried by an operator
//! holding every permission but one it needs, answers the styled 403 and changes nothing;
//! a form posted without the session's CSRF token is refused the same way; and the same
//! request from an operator holding the permission succeeds.
//!
//! ## Adding a route
//!
//! Each console area lists its routes in [`routes`] as [`Check`] rows, in the order they
//! run: one fixture serves the whole table, so a row that deletes something comes after
//! every row that needs it. Paths may use the fixture's placeholders (`{user}`, `{group}`,
//! `{operator}`, … — see [`Fixture`]), and an area whose routes need more than the fixture
//! has adds it in [`Fixture::build`].
//!
//! "Changes nothing" is checked on [`snapshot`]: the audit log's length and what the
//! console manages (operators, users, groups with their items, settings, voucher batches).
//! Every change the console makes is audited, so a POST that succeeds must grow the log
//! unless its row says `audited: false`.

use std::collections::BTreeMap;

use owums_core::AttributeKind;
use owums_core::operator::{AuditFilter, AuditLog, Operators, Permission, Permissions};
use owums_core::radius::{RadiusAdmin, Vouchers};
use owums_core::storage::{AttributeOwner, NewGroup};
use owums_core::subscriber::{UserAdmin, UserQuery, WebSessions};
use owums_core::{PasswordFormat, Settings};
use poem::http::StatusCode;

use super::pages::{PASSWORD, browser};
use crate::pages::Browser;
use crate::radius_admin::{check, group, reply};
use crate::support::{TestDb, db_test, new_user, subscribers};

/// GET or POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// One console route and what it needs.
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) method: Method,
    /// The path, with the fixture's `{placeholders}`.
    pub(crate) path: &'static str,
    /// The permissions the route needs: taking away any one of them gives 403.
    pub(crate) needs: &'static [Permission],
    /// A POST's fields (the CSRF token is added), with the fixture's placeholders.
    pub(crate) form: &'static [(&'static str, &'static str)],
    /// The status of a request by an operator holding `needs`.
    pub(crate) ok: StatusCode,
    /// Whether the request, done, adds to the audit log (POSTs only).
    pub(crate) audited: bool,
    /// Any one of `needs` opens the route (OWUMS' `users_finder` or `users_browser`): only
    /// taking all of them away gives 403.
    pub(crate) any: bool,
}

impl Check {
    /// A GET answered with 200.
    pub(crate) const fn get(path: &'static str, needs: &'static [Permission]) -> Check {
        Check {
            method: Method::Get,
            path,
            needs,
            form: &[],
            ok: StatusCode::OK,
            audited: false,
            any: false,
        }
    }

    /// A GET answered with 200 that any one of `needs` opens.
    pub(crate) const fn get_any(path: &'static str, needs: &'static [Permission]) -> Check {
        Check {
            any: true,
            ..Check::get(path, needs)
        }
    }

    /// A POST of `form` answered with `ok` and written to the audit log.
    pub(crate) const fn post(
        path: &'static str,
        needs: &'static [Permission],
        form: &'static [(&'static str, &'static str)],
        ok: StatusCode,
    ) -> Check {
        Check {
            method: Method::Post,
            path,
            needs,
            form,
            ok,
            audited: true,
            any: false,
        }
    }
}

use Permission as P;

/// Every permission-guarded console route, area by area, in the order they run.
fn routes() -> Vec<Check> {
    let mut all = Vec::new();
    all.extend(operators());
    all.extend(audit());
    all.extend(users());
    all.extend(groups());
    all.extend(user_items());
    all.extend(settings());
    all.extend(users_new());
    all.extend(vouchers());
    all.extend(import());
    all
}

/// `/operator/settings` (configurations_manager).
fn settings() -> Vec<Check> {
    const M: &[Permission] = &[P::ConfigurationsManager];
    const KEY: &str = "/operator/settings/custom_account_instructions_en";
    vec![
        Check::get("/operator/settings", M),
        Check::get(KEY, M),
        Check::post(
            KEY,
            M,
            &[("action", "save"), ("value", "Ask **Maria**.")],
            StatusCode::SEE_OTHER,
        ),
        Check::post(KEY, M, &[("action", "reset")], StatusCode::SEE_OTHER),
    ]
}

/// `/operator/users`: browse (users_browser), find (users_finder or users_browser), show,
/// photos, edit, disable/enable (users_manager), delete (users_destroyer).
fn users() -> Vec<Check> {
    const B: &[Permission] = &[P::UsersBrowser];
    const M: &[Permission] = &[P::UsersManager];
    const D: &[Permission] = &[P::UsersDestroyer];
    const FIND: &[Permission] = &[P::UsersFinder, P::UsersBrowser];
    vec![
        Check::get("/operator/users", B),
        Check::get("/operator/users?q=matrix&sort=username&dir=asc", B),
        Check::get_any("/operator/users/find", FIND),
        Check::get_any("/operator/users/{user}", FIND),
        Check::get("/operator/users/{card}/attachments/document", B),
        Check::get("/operator/users/{card}/attachments/thumbnail", B),
        Check::get("/operator/users/{user}/edit", M),
        Check::post(
            "/operator/users/{user}/edit",
            M,
            &[
                ("username", "matrix-user"),
                ("email", "matrix-user@example.org"),
                ("given_name", "Alice"),
                ("surname", "Rossi"),
                ("locale", "it"),
                ("notes", "seen at the desk"),
                ("active", "1"),
            ],
            StatusCode::SEE_OTHER,
        ),
        Check::post(
            "/operator/users/{user}/disable",
            M,
            &[],
            StatusCode::SEE_OTHER,
        ),
        Check::post(
            "/operator/users/{user}/enable",
            M,
            &[],
            StatusCode::SEE_OTHER,
        ),
        Check::get("/operator/users/{doomed}/delete", D),
        Check::post("/operator/users/{doomed}/delete", D, &[], StatusCode::OK),
    ]
}

/// `/operator/operators` (operators_manager).
fn operators() -> Vec<Check> {
    const M: &[Permission] = &[P::OperatorsManager];
    vec![
        Check::get("/operator/operators", M),
        Check::post(
            "/operator/operators",
            M,
            &[("username", "matrix-new"), ("preset", "operator")],
            StatusCode::OK,
        ),
        Check::get("/operator/operators/{operator}", M),
        Check::post(
            "/operator/operators/{operator}/notes",
            M,
            &[("notes", "night shift")],
            StatusCode::SEE_OTHER,
        ),
        Check::post(
            "/operator/operators/{operator}/permissions",
            M,
            &[("perm_users_browser", "1"), ("perm_stats_viewer", "1")],
            StatusCode::SEE_OTHER,
        ),
        Check::post(
            "/operator/operators/{operator}/password",
            M,
            &[],
            StatusCode::OK,
        ),
        Check::post(
            "/operator/operators/{operator}/active",
            M,
            &[],
            StatusCode::SEE_OTHER,
        ),
    ]
}

/// `/operator/audit` (operators_manager).
fn audit() -> Vec<Check> {
    const M: &[Permission] = &[P::OperatorsManager];
    vec![
        Check::get("/operator/audit", M),
        Check::get("/operator/audit.csv", M),
    ]
}

/// `/operator/groups` and their items (radius_groups_*, radius_checks_*, radius_replies_*).
fn groups() -> Vec<Check> {
    const VIEW: &[Permission] = &[P::RadiusGroupsViewer];
    const SEE: StatusCode = StatusCode::SEE_OTHER;
    vec![
        Check::get("/operator/groups", VIEW),
        Check::post(
            "/operator/groups",
            &[P::RadiusGroupsCreator],
            &[("name", "matrix-new-group"), ("priority", "3")],
            SEE,
        ),
        Check::get("/operator/groups/{group}", VIEW),
        Check::post(
            "/operator/groups/{group}/items/check",
            &[P::RadiusGroupsViewer, P::RadiusChecksCreator],
            &[
                ("attribute", "Max-Daily-Session"),
                ("op", ":="),
                ("value", "3600"),
            ],
            SEE,
        ),
        Check::post(
            "/operator/groups/{group}/items/check/{group_check}/change",
            &[P::RadiusGroupsViewer, P::RadiusChecksManager],
            &[
                ("attribute", "Simultaneous-Use"),
                ("op", ":="),
                ("value", "3"),
            ],
            SEE,
        ),
        Check::post(
            "/operator/groups/{group}/items/check/{group_check}/remove",
            &[P::RadiusGroupsViewer, P::RadiusChecksDestroyer],
            &[],
            SEE,
        ),
        Check::post(
            "/operator/groups/{group}/items/reply",
            &[P::RadiusGroupsViewer, P::RadiusRepliesCreator],
            &[("attribute", "Idle-Timeout"), ("op", "="), ("value", "600")],
            SEE,
        ),
        Check::post(
            "/operator/groups/{group}/items/reply/{group_reply}/change",
            &[P::RadiusGroupsViewer, P::RadiusRepliesManager],
            &[
                ("attribute", "Session-Timeout"),
                ("op", "="),
                ("value", "7200"),
            ],
            SEE,
        ),
        Check::post(
            "/operator/groups/{group}/items/reply/{group_reply}/remove",
            &[P::RadiusGroupsViewer, P::RadiusRepliesDestroyer],
            &[],
            SEE,
        ),
        Check::post(
            "/operator/groups/{group}/edit",
            &[P::RadiusGroupsManager],
            &[("name", "{group}"), ("priority", "7"), ("notes", "night")],
            SEE,
        ),
        Check::get(
            "/operator/groups/{group}/delete",
            &[P::RadiusGroupsDestroyer],
        ),
        Check::post(
            "/operator/groups/{group}/delete",
            &[P::RadiusGroupsDestroyer],
            &[],
            SEE,
        ),
    ]
}

/// A subscriber's own items: `/operator/users/:id/radius` (users_browser, then the
/// radius_checks_* / radius_replies_* permission of the change).
fn user_items() -> Vec<Check> {
    const SEE: StatusCode = StatusCode::SEE_OTHER;
    vec![
        Check::get("/operator/users/{user}/radius", &[P::UsersBrowser]),
        Check::post(
            "/operator/users/{user}/radius/check",
            &[P::UsersBrowser, P::RadiusChecksCreator],
            &[
                ("attribute", "Max-Monthly-Session"),
                ("op", ":="),
                ("value", "36000"),
            ],
            SEE,
        ),
        Check::post(
            "/operator/users/{user}/radius/check/{user_check}/change",
            &[P::UsersBrowser, P::RadiusChecksManager],
            &[
                ("attribute", "Simultaneous-Use"),
                ("op", ":="),
                ("value", "2"),
            ],
            SEE,
        ),
        Check::post(
            "/operator/users/{user}/radius/check/{user_check}/remove",
            &[P::UsersBrowser, P::RadiusChecksDestroyer],
            &[],
            SEE,
        ),
        Check::post(
            "/operator/users/{user}/radius/reply",
            &[P::UsersBrowser, P::RadiusRepliesCreator],
            &[("attribute", "Idle-Timeout"), ("op", "="), ("value", "300")],
            SEE,
        ),
        Check::post(
            "/operator/users/{user}/radius/reply/{user_reply}/change",
            &[P::UsersBrowser, P::RadiusRepliesManager],
            &[
                ("attribute", "Session-Timeout"),
                ("op", "="),
                ("value", "900"),
            ],
            SEE,
        ),
        Check::post(
            "/operator/users/{user}/radius/reply/{user_reply}/remove",
            &[P::UsersBrowser, P::RadiusRepliesDestroyer],
            &[],
            SEE,
        ),
    ]
}

/// `/operator/users/new` and the ticket's PDF (users_registrant; creating needs the
/// method's `registrant_by_*` too: this server offers `none` only).
fn users_new() -> Vec<Check> {
    const NEW: &[Permission] = &[P::UsersRegistrant, P::RegistrantByNothing];
    vec![
        Check::get("/operator/users/new", NEW),
        Check::post(
            "/operator/users/new",
            NEW,
            &[("method", "none"), ("username", "matrix-new-user")],
            StatusCode::OK,
        ),
        Check {
            audited: false,
            ..Check::post(
                "/operator/users/{user}/ticket.pdf",
                &[P::UsersRegistrant],
                &[("password", "abcdefgh23")],
                StatusCode::OK,
            )
        },
    ]
}

/// `/operator/vouchers`: the list and a batch (users_browser); generating (users_registrant
/// and registrant_by_nothing) answers with the printable sheet.
fn vouchers() -> Vec<Check> {
    const B: &[Permission] = &[P::UsersBrowser];
    vec![
        Check::get("/operator/vouchers", B),
        Check::post(
            "/operator/vouchers",
            &[P::UsersRegistrant, P::RegistrantByNothing],
            &[
                ("batch", "matrix-batch"),
                ("count", "2"),
                ("prefix", "mx"),
                ("length", "8"),
                ("group", "Users"),
                ("validity", "days"),
                ("days", "1"),
                ("output", "page"),
            ],
            StatusCode::OK,
        ),
        Check::get("/operator/vouchers/matrix-batch", B),
    ]
}

/// `/operator/users/import` (users_registrant and registrant_by_nothing): the form and an
/// upload (a field named `@file` is sent as a file).
fn import() -> Vec<Check> {
    const NEW: &[Permission] = &[P::UsersRegistrant, P::RegistrantByNothing];
    vec![
        Check::get("/operator/users/import", NEW),
        Check::post(
            "/operator/users/import",
            NEW,
            &[("@file", "username,email\nmatrix-imported,mi@example.org\n")],
            StatusCode::OK,
        ),
    ]
}

/// What the routes act on, by placeholder name.
pub(crate) struct Fixture {
    values: BTreeMap<&'static str, String>,
}

impl Fixture {
    /// Makes what the routes need on `db`:
    /// - `{operator}`: the id of operator `matrix-target` (preset operator);
    /// - `{user}`: the id of subscriber `matrix-user`;
    /// - `{group}`: RADIUS group `matrix-group`, with one check (`{group_check}`, its row
    ///   id) and one reply (`{group_reply}`);
    /// - `{user_check}`, `{user_reply}`: an item of the subscriber's own;
    /// - `{card}`: the id of `matrix-card`, verified by ID card with a document photo;
    /// - `{doomed}`: the id of `matrix-doomed`, whom the users' rows delete.
    pub(crate) async fn build(db: &TestDb) -> Fixture {
        let mut values = BTreeMap::new();
        let ops = Operators::new(db.store.clone());
        let (target, _) = ops
            .create(
                "matrix-target",
                PASSWORD,
                owums_core::operator::Preset::Operator.permissions(),
            )
            .await
            .unwrap();
        values.insert("operator", target.id.to_string());
        let user = subscribers(db)
            .register(new_user("matrix-user"))
            .await
            .unwrap();
        values.insert("user", user.id.to_string());
        values.insert("group", "matrix-group".to_owned());
        {
            use crate::plugins::id_card::{card_user, input, photo_jpeg, services};
            let card = subscribers(db)
                .register(card_user("matrix-card"))
                .await
                .unwrap();
            services(db)
                .0
                .verify_with("desk", card.id, input("YA1234567", photo_jpeg()))
                .await
                .unwrap();
            values.insert("card", card.id.to_string());
            let doomed = subscribers(db)
                .register(new_user("matrix-doomed"))
                .await
                .unwrap();
            values.insert("doomed", doomed.id.to_string());
        }
        RadiusAdmin::new(db.store.clone())
            .create_group(NewGroup {
                name: group("matrix-group"),
                priority: 5,
                notes: None,
                checks: vec![check("Simultaneous-Use:=2")],
                replies: vec![reply("Session-Timeout=3600")],
            })
            .await
            .unwrap();
        let admin = RadiusAdmin::new(db.store.clone());
        let details = admin.group(&group("matrix-group")).await.unwrap();
        values.insert("group_check", details.checks[0].id.to_string());
        values.insert("group_reply", details.replies[0].id.to_string());
        let own = AttributeOwner::User(user.id);
        admin
            .add_item(&own, AttributeKind::Check, check("Simultaneous-Use:=1"))
            .await
            .unwrap();
        admin
            .add_item(&own, AttributeKind::Reply, reply("Session-Timeout=600"))
            .await
            .unwrap();
        let checks = admin.items(&own, AttributeKind::Check).await.unwrap();
        let replies = admin.items(&own, AttributeKind::Reply).await.unwrap();
        values.insert("user_check", checks[0].id.to_string());
        values.insert("user_reply", replies[0].id.to_string());
        Fixture { values }
    }

    /// `text` with every `{placeholder}` replaced.
    pub(crate) fn fill(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for (k, v) in &self.values {
            out = out.replace(&format!("{{{k}}}"), v);
        }
        assert!(!out.contains('{'), "unknown placeholder in {text}");
        out
    }
}

/// What the console manages, written out: two equal snapshots mean nothing changed.
pub(crate) async fn snapshot(db: &TestDb) -> String {
    let audit = AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 1)
        .await
        .unwrap()
        .total;
    let operators = Operators::new(db.store.clone()).list().await.unwrap();
    let operators: Vec<_> = operators
        .iter()
        .map(|o| (&o.username, o.active, o.permissions.to_string(), &o.notes))
        .collect();
    let query = UserQuery {
        per_page: Some(100),
        ..UserQuery::default()
    };
    let users = UserAdmin::new(subscribers(db), None)
        .browse(&query)
        .await
        .unwrap();
    let groups = RadiusAdmin::new(db.store.clone())
        .list_groups()
        .await
        .unwrap();
    let admin = RadiusAdmin::new(db.store.clone());
    let mut user_items = Vec::new();
    for u in &users.users {
        let own = AttributeOwner::User(u.id);
        for kind in [AttributeKind::Check, AttributeKind::Reply] {
            user_items.push(admin.items(&own, kind).await.unwrap());
        }
    }
    let settings = Settings::new(db.store.clone()).list().await.unwrap();
    let settings: Vec<_> = settings.iter().map(|(d, v)| (d.name, v)).collect();
    let batches = Vouchers::new(db.store.clone(), PasswordFormat::Crypt)
        .list()
        .await
        .unwrap();
    format!(
        "audit {audit}\noperators {operators:?}\nusers {users:?} {user_items:?}\n\
         groups {groups:?}\n\
         settings {settings:?}\nvouchers {batches:?}"
    )
}

/// The audit log's length.
pub(crate) async fn audit_len(db: &TestDb) -> i64 {
    AuditLog::new(db.store.clone())
        .query(&AuditFilter::default(), 1, 1)
        .await
        .unwrap()
        .total
}

/// Sends `check` as the browser's operator, with `csrf` in a POST.
async fn send(b: &mut Browser, fx: &Fixture, check: &Check, csrf: &str) -> crate::pages::Page {
    let path = fx.fill(check.path);
    match check.method {
        Method::Get => b.get(&path).await,
        Method::Post => {
            let filled: Vec<(String, String)> = check
                .form
                .iter()
                .map(|(k, v)| ((*k).to_owned(), fx.fill(v)))
                .collect();
            let mut fields: Vec<(&str, &str)> = vec![("csrf_token", csrf)];
            fields.extend(filled.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            // a field named `@name` is a file upload: the form goes as multipart
            let (files, texts): (Vec<_>, Vec<_>) =
                fields.into_iter().partition(|(k, _)| k.starts_with('@'));
            if files.is_empty() {
                return b.post(&path, &texts).await;
            }
            let files: Vec<(&str, &str, &[u8])> = files
                .iter()
                .map(|(k, v)| (&k[1..], "text/csv", v.as_bytes()))
                .collect();
            let (content_type, body) = super::users_new::multipart(&texts, &files);
            b.post_typed(&path, &content_type, body, &[]).await
        }
    }
}

db_test!(
    every_console_route_needs_its_permission_and_its_csrf_token,
    |db| {
        let (mut b, _clock) = browser(&db);
        let fx = Fixture::build(&db).await;
        let ops = Operators::new(db.store.clone());
        let (probe, _) = ops
            .create("matrix-probe", PASSWORD, Permissions::none())
            .await
            .unwrap();
        let (token, session) = WebSessions::new(db.store.clone())
            .log_in_operator(
                probe.id,
                &serde_json::json!({"ip": "198.51.100.10", "stage": "ready"}),
            )
            .await
            .unwrap();
        b.jar
            .insert("owums_operator".to_owned(), token.as_str().to_owned());
        let csrf = session.csrf_token.clone();
        for check in routes() {
            let what = format!("{:?} {}", check.method, check.path);
            let taken: Vec<&[Permission]> = if check.any {
                vec![check.needs]
            } else {
                check.needs.iter().map(std::slice::from_ref).collect()
            };
            for missing in taken {
                let mut held = Permissions::all();
                for p in missing {
                    held.remove(*p);
                }
                ops.set_permissions(probe.id, held).await.unwrap();
                let before = snapshot(&db).await;
                let page = send(&mut b, &fx, &check, &csrf).await;
                assert_eq!(
                    page.status,
                    StatusCode::FORBIDDEN,
                    "{what} without {missing:?}: {}",
                    page.body
                );
                page.has("does not have the permission this page needs");
                assert_eq!(snapshot(&db).await, before, "{what} without {missing:?}");
            }
            ops.set_permissions(probe.id, Permissions::all())
                .await
                .unwrap();
            if check.method == Method::Post {
                let before = snapshot(&db).await;
                let page = send(&mut b, &fx, &check, "not-the-token").await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{what} without CSRF");
                assert_eq!(snapshot(&db).await, before, "{what} without CSRF");
            }
            let before = audit_len(&db).await;
            let page = send(&mut b, &fx, &check, &csrf).await;
            assert_eq!(
                page.status, check.ok,
                "{what} with permission: {}",
                page.body
            );
            let grew = audit_len(&db).await > before;
            assert_eq!(grew, check.audited, "{what}: written to the audit log");
        }
    }
);
