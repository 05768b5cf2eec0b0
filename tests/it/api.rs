//! The JSON API through poem's test client on a real database.

mod contract;

use owums_core::config::DatabaseConfig;
use owums_core::{AccountingEvent, AccountingSink, AcctStatus, Config, SqlAccountingSink, Store};
use poem::endpoint::BoxEndpoint;
use poem::http::{Method, StatusCode, header};
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::{Value, json};

use crate::support::{TestDb, db_test, new_user, subscribers};

/// The configuration of the API tests: the pages tests' `phone` method enabled (needs a
/// mobile number, asks for a call to [`crate::pages::CALL_NUMBER`]).
fn config() -> Config {
    crate::pages::config(&["phone"])
}

/// An API client on `store`.
struct Client(TestClient<BoxEndpoint<'static, Response>>);

/// An answer: status, headers, JSON body (`Null` when empty).
struct Answer {
    status: StatusCode,
    headers: poem::http::HeaderMap,
    body: Value,
}

impl Answer {
    fn error(&self) -> (&str, &str) {
        let e = &self.body["error"];
        (
            e["kind"]
                .as_str()
                .unwrap_or_else(|| panic!("no error in {}", self.body)),
            e["message"].as_str().unwrap(),
        )
    }
    fn expect(&self, status: StatusCode, kind: &str) -> &str {
        assert_eq!(self.status, status, "{}", self.body);
        let (k, m) = self.error();
        assert_eq!(k, kind, "{}", self.body);
        m
    }
}

impl Client {
    fn new(store: Store, config: &Config) -> Client {
        let registry = crate::pages::registry();
        let state = owums_server::AppState::with_store(config, store, &registry).unwrap();
        Client(TestClient::new(
            owums_server::app(state).map_to_response().boxed(),
        ))
    }

    async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut req = self.0.request(method, path);
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.content_type("application/json").body(b);
        }
        let resp = req.send().await.0;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.into_body().into_string().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Answer {
        self.raw(
            method,
            path,
            token,
            &[],
            body.map(|b| b.to_string().into_bytes()),
        )
        .await
    }
}

fn registration(name: &str) -> Value {
    json!({
        "username": name, "password": "Tulip-Harbor-93", "verification_method": "phone",
        "mobile": "+39 334 1234567", "email": format!("{name}@example.org"),
        "given_name": "Anna", "surname": "Bianchi", "birth_date": "1990-05-17",
        "address": "Via Roma 1", "city": "Roma", "zip": "00100", "country": "Italia",
        "eula_accepted": true, "privacy_accepted": true
    })
}

db_test!(api_register_login_profile_logout, |db| {
    let api = Client::new(db.store.clone(), &config());
    let post = async |body: Value| {
        api.call(Method::POST, "/api/v1/account", None, Some(body))
            .await
    };
    // Bad input: a clear error, and nothing stored.
    let mut missing = registration("anna");
    missing.as_object_mut().unwrap().remove("password");
    post(missing)
        .await
        .expect(StatusCode::BAD_REQUEST, "bad_request");
    let mut no_mobile = registration("anna");
    no_mobile["mobile"] = Value::Null;
    let a = post(no_mobile.clone()).await;
    a.expect(StatusCode::BAD_REQUEST, "bad_request");
    assert_eq!(
        a.body["error"]["field"], "mobile",
        "null is refused, not read as absent"
    );
    no_mobile.as_object_mut().unwrap().remove("mobile");
    let a = post(no_mobile).await;
    a.expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(a.body["error"]["field"], "mobile");
    let mut unknown = registration("anna");
    unknown["verification_method"] = json!("desk");
    post(unknown)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let mut no_eula = registration("anna");
    no_eula["eula_accepted"] = json!(false);
    post(no_eula)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    let mut bad_email = registration("anna");
    bad_email["email"] = json!("not-an-address");
    let it = api
        .call(
            Method::POST,
            "/api/v1/account?locale=it",
            None,
            Some(bad_email),
        )
        .await;
    assert_eq!(
        it.expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        "Questo non è un indirizzo e-mail valido."
    );
    let mut weak = registration("anna");
    weak["password"] = json!("abcdefgh");
    let es = api
        .raw(
            Method::POST,
            "/api/v1/account",
            None,
            &[("accept-language", "es-ES,es;q=0.9")],
            Some(weak.to_string().into_bytes()),
        )
        .await;
    assert_eq!(
        es.expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        "Esta contraseña es demasiado fácil de adivinar: las secuencias como abc o 6543 son fáciles de adivinar."
    );
    assert_eq!(db.store.count_users().await.unwrap(), 0, "nothing stored");

    let created = post(registration("Anna")).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let token = created.body["token"].as_str().unwrap().to_owned();
    assert_eq!(created.body["user"]["username"], "anna");
    assert_eq!(created.body["user"]["status"], "unverified");
    let dup = post(registration("anna")).await;
    dup.expect(StatusCode::CONFLICT, "conflict");
    assert_eq!(db.store.count_users().await.unwrap(), 1);

    let me = api
        .call(Method::GET, "/api/v1/account", Some(&token), None)
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["mobile"], "+393341234567");

    let login = async |user: &str, pass: &str, q: &str| {
        let body = json!({"username": user, "password": pass});
        api.call(
            Method::POST,
            &format!("/api/v1/account/token{q}"),
            None,
            Some(body),
        )
        .await
    };
    let wrong = login("anna", "wrong-pass1", "?locale=it").await;
    assert_eq!(
        wrong.expect(StatusCode::UNAUTHORIZED, "unauthorized"),
        "Nome utente o password errati."
    );
    let ok = login("ANNA", "Tulip-Harbor-93", "").await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let second = ok.body["token"].as_str().unwrap().to_owned();
    assert!(ok.headers.get(header::SET_COOKIE).is_none());
    let with_cookie = login("anna", "Tulip-Harbor-93", "?cookie=true").await;
    let cookie = with_cookie
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.starts_with("owums_session=")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let value = cookie.split(';').next().unwrap().to_owned();
    // The cookie works for reads, not for writes.
    let read = api
        .raw(
            Method::GET,
            "/api/v1/account",
            None,
            &[("cookie", &value)],
            None,
        )
        .await;
    assert_eq!(read.status, StatusCode::OK);
    let write = api
        .raw(
            Method::PATCH,
            "/api/v1/account",
            None,
            &[("cookie", &value)],
            Some(b"{\"city\":\"Roma\"}".to_vec()),
        )
        .await;
    write.expect(StatusCode::UNAUTHORIZED, "unauthorized");
    // An API token is not a cookie.
    let cross = api
        .raw(
            Method::GET,
            "/api/v1/account",
            None,
            &[("cookie", &format!("owums_session={second}"))],
            None,
        )
        .await;
    cross.expect(StatusCode::UNAUTHORIZED, "unauthorized");

    let out = api
        .call(Method::DELETE, "/api/v1/account/token", Some(&second), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let gone = api
        .call(Method::GET, "/api/v1/account", Some(&second), None)
        .await;
    assert_eq!(
        gone.expect(StatusCode::UNAUTHORIZED, "unauthorized"),
        "The token is not valid or has expired. Log in again."
    );
    api.call(Method::GET, "/api/v1/account", Some("forged"), None)
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");

    // An operator switches the account off: its token stops working, login is refused.
    let user = db
        .store
        .find_user_by_username(&"anna".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    subscribers(&db).deactivate(user.id).await.unwrap();
    let off = api
        .call(Method::GET, "/api/v1/account?locale=it", Some(&token), None)
        .await;
    assert_eq!(
        off.expect(StatusCode::FORBIDDEN, "inactive"),
        "Questo account è disattivato."
    );
    login("anna", "Tulip-Harbor-93", "")
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");
});

db_test!(api_profile_update, |db| {
    let api = Client::new(db.store.clone(), &config());
    let s = subscribers(&db);
    s.register(new_user("bobby")).await.unwrap();
    let token = api
        .call(
            Method::POST,
            "/api/v1/account",
            None,
            Some(registration("carla")),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let patch = async |body: Value, t: &str| {
        api.call(
            Method::PATCH,
            "/api/v1/account?locale=it",
            Some(t),
            Some(body),
        )
        .await
    };
    let ok = patch(
        json!({"email": "carla@example.net", "city": "Roma", "zip": "00100"}),
        &token,
    )
    .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(
        (ok.body["email"].as_str(), ok.body["city"].as_str()),
        (Some("carla@example.net"), Some("Roma"))
    );
    let before = db
        .store
        .find_user_by_username(&"carla".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let taken = patch(
        json!({"email": "bobby@example.org", "city": "Milano"}),
        &token,
    )
    .await;
    taken.expect(StatusCode::CONFLICT, "conflict");
    let wrong = patch(
        json!({"city": "Milano", "current_password": "nope-nope1", "new_password": "Brisk-Otter-264"}),
        &token,
    )
    .await;
    assert_eq!(
        wrong.expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
        "La password attuale è errata."
    );
    patch(json!({"new_password": "Brisk-Otter-264"}), &token)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    patch(json!({"zip": "1".repeat(30)}), &token)
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    patch(json!({"given_name": "Carlotta"}), &token)
        .await
        .expect(StatusCode::BAD_REQUEST, "bad_request");
    let after = db
        .store
        .find_user_by_username(&"carla".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before, "nothing changed by refused updates");

    let other = api
        .call(
            Method::POST,
            "/api/v1/account/token",
            None,
            Some(json!({"username": "carla", "password": "Tulip-Harbor-93"})),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let changed = patch(
        json!({"current_password": "Tulip-Harbor-93", "new_password": "Brisk-Otter-264"}),
        &token,
    )
    .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    api.call(Method::GET, "/api/v1/account", Some(&other), None)
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(
        api.call(Method::GET, "/api/v1/account", Some(&token), None)
            .await
            .status,
        StatusCode::OK,
        "this session stays"
    );
    assert!(s.authenticate("carla", "Brisk-Otter-264").await.is_ok());
});

db_test!(api_sessions_usage_and_verification, |db| {
    let api = Client::new(db.store.clone(), &config());
    let token = api
        .call(
            Method::POST,
            "/api/v1/account",
            None,
            Some(registration("dario")),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let sink = SqlAccountingSink::new(db.store.clone());
    let now = chrono::Utc::now();
    for (i, up) in [(1_i64, 300_u64), (2, 100), (3, 200)] {
        let id = format!("s{i}");
        let mut e = AccountingEvent::new(AcctStatus::Start, &id, &id, "dario", "10.0.0.1");
        e.event_time = now - chrono::Duration::minutes(10 * i);
        sink.record(&e).await.unwrap();
        e.status = AcctStatus::Stop;
        e.event_time += chrono::Duration::minutes(1);
        e.session_time = Some(60);
        e.input_octets = up;
        e.output_octets = up * 2;
        sink.record(&e).await.unwrap();
    }
    let get = async |path: &str| api.call(Method::GET, path, Some(&token), None).await;
    let page = get("/api/v1/account/sessions?per_page=2").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(
        (page.body["total"].as_u64(), page.body["pages"].as_u64()),
        (Some(3), Some(2))
    );
    let ups: Vec<_> = page.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["upload_octets"].as_i64().unwrap())
        .collect();
    assert_eq!(ups, [300, 100], "newest first");
    let sorted = get("/api/v1/account/sessions?sort=upload&order=asc").await;
    let ups: Vec<_> = sorted.body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["upload_octets"].as_i64().unwrap())
        .collect();
    assert_eq!(ups, [100, 200, 300]);
    assert_eq!(sorted.body["sessions"][0]["seconds"], 60);
    get("/api/v1/account/sessions?sort=bytes")
        .await
        .expect(StatusCode::BAD_REQUEST, "bad_request");
    get("/api/v1/account/sessions?page=0")
        .await
        .expect(StatusCode::BAD_REQUEST, "bad_request");

    let usage = get("/api/v1/account/usage").await;
    assert_eq!(usage.status, StatusCode::OK, "{}", usage.body);
    assert_eq!(usage.body["days"].as_array().unwrap().len(), 14);
    assert_eq!(usage.body["today"], usage.body["days"][13]);
    let total: u64 = usage.body["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["upload_octets"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 600);

    let status = get("/api/v1/account/verification").await;
    assert_eq!(status.body["is_verified"], false, "{}", status.body);
    assert_eq!(status.body["is_expired"], false);
    let left = status.body["remaining_time"].as_str().unwrap();
    assert!(left.starts_with("04:") || left == "05:00", "{left}");
    assert_eq!(status.body["challenge"]["kind"], "call_number");
    assert_eq!(status.body["challenge"]["numbers"][0], "+390212345678");
    let user = db
        .store
        .find_user_by_username(&"dario".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    subscribers(&db).verify(user.id).await.unwrap();
    let done = get("/api/v1/account/verification").await;
    assert_eq!(
        (
            done.body["is_verified"].as_bool(),
            done.body["remaining_time"].as_i64()
        ),
        (Some(true), Some(0))
    );
    db.exec("UPDATE owums_users SET verified = false, verified_at = NULL, created_at = '2000-01-01 00:00:00'").await.unwrap();
    let late = get("/api/v1/account/verification").await;
    assert_eq!(
        (
            late.body["is_expired"].as_bool(),
            late.body["remaining_time"].as_i64()
        ),
        (Some(true), Some(0))
    );
});

db_test!(api_password_reset, |db| {
    let api = Client::new(db.store.clone(), &config());
    let login = api
        .call(
            Method::POST,
            "/api/v1/account",
            None,
            Some(registration("elena")),
        )
        .await;
    let token = login.body["token"].as_str().unwrap().to_owned();
    let ask = async |who: &str| {
        api.call(
            Method::POST,
            "/api/v1/account/password/reset?locale=it",
            None,
            Some(json!({"username_or_email": who})),
        )
        .await
    };
    let unknown = ask("nobody@example.org").await;
    let known = ask("ELENA@example.org").await;
    assert_eq!(
        (unknown.status, known.status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(unknown.body, known.body, "the same answer either way");
    let mails = crate::support::eventually("the reset mail", async || {
        let mails = db.store.outbox(10).await.unwrap();
        (!mails.is_empty()).then_some(mails)
    })
    .await;
    assert_eq!(mails.len(), 1);
    let body = &mails[0].body;
    let at = body.find("/account/reset/").unwrap() + "/account/reset/".len();
    let link: String = body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    assert_eq!(link.len(), 64);
    let confirm = async |t: &str, p: &str| {
        api.call(
            Method::POST,
            "/api/v1/account/password/reset/confirm?locale=it",
            None,
            Some(json!({"token": t, "new_password": p})),
        )
        .await
    };
    confirm(&link, "short")
        .await
        .expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    confirm(&"0".repeat(64), "Brisk-Otter-264")
        .await
        .expect(StatusCode::FORBIDDEN, "reset_link_invalid");
    let done = confirm(&link, "Brisk-Otter-264").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let again = confirm(&link, "Hazel-Drift-330").await;
    assert_eq!(
        again.expect(StatusCode::FORBIDDEN, "reset_link_used"),
        "Questo link per reimpostare la password è già stato usato. Richiedine uno nuovo."
    );
    api.call(Method::GET, "/api/v1/account", Some(&token), None)
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(
        subscribers(&db)
            .authenticate("elena", "Brisk-Otter-264")
            .await
            .is_ok()
    );
    // An expired link.
    ask("elena").await;
    let newest = crate::support::eventually("a second reset mail", async || {
        let mails = db.store.outbox(10).await.unwrap();
        mails.into_iter().find(|m| m.body != *body)
    })
    .await;
    let at = newest.body.find("/account/reset/").unwrap() + "/account/reset/".len();
    let link: String = newest.body[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    db.exec("UPDATE owums_password_resets SET expires_at = '2000-01-01 00:00:00'")
        .await
        .unwrap();
    confirm(&link, "Hazel-Drift-330")
        .await
        .expect(StatusCode::FORBIDDEN, "reset_link_expired");
    assert!(
        subscribers(&db)
            .authenticate("elena", "Brisk-Otter-264")
            .await
            .is_ok(),
        "unchanged"
    );
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_malformed_requests_get_clear_errors() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    let api = Client::new(db.store.clone(), &config());
    let path = "/api/v1/account?locale=it";
    let bad_json = api
        .raw(
            Method::POST,
            path,
            None,
            &[],
            Some(b"{\"username\": ".to_vec()),
        )
        .await;
    assert!(
        bad_json
            .expect(StatusCode::BAD_REQUEST, "bad_request")
            .starts_with("La richiesta non è JSON valido")
    );
    let mut utf8 = registration("fabio").to_string().into_bytes();
    let i = utf8.windows(5).position(|w| w == b"fabio").unwrap();
    utf8[i] = 0xff;
    api.raw(Method::POST, path, None, &[], Some(utf8))
        .await
        .expect(StatusCode::BAD_REQUEST, "bad_request");
    let huge = vec![b' '; 70 * 1024];
    let large = api.raw(Method::POST, path, None, &[], Some(huge)).await;
    assert!(
        large
            .expect(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            .contains("65536")
    );
    let form = api
        .raw(
            Method::POST,
            path,
            None,
            &[("content-type", "application/x-www-form-urlencoded")],
            None,
        )
        .await;
    form.expect(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
    let anon = api.call(Method::GET, "/api/v1/account", None, None).await;
    assert_eq!(
        anon.expect(StatusCode::UNAUTHORIZED, "unauthorized"),
        "Log in first: send a bearer token or the session cookie."
    );
    api.call(Method::GET, "/api/v1/nothing-here", None, None)
        .await
        .expect(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(db.store.count_users().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_login_is_rate_limited() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    let mut config = config();
    config.web.rate_limits.login_per_account = 2;
    let api = Client::new(db.store.clone(), &config);
    let body = json!({"username": "ghost", "password": "wrong-pass1"});
    for _ in 0..2 {
        api.call(
            Method::POST,
            "/api/v1/account/token",
            None,
            Some(body.clone()),
        )
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let limited = api
        .call(
            Method::POST,
            "/api/v1/account/token?locale=it",
            None,
            Some(body),
        )
        .await;
    let message = limited
        .expect(StatusCode::TOO_MANY_REQUESTS, "rate_limited")
        .to_owned();
    let wait: u64 = limited
        .headers
        .get(header::RETRY_AFTER)
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= 900);
    assert_eq!(message, format!("Troppi tentativi. Riprova tra {wait} s."));
}

db_test!(api_sessions_are_shared_by_two_servers, |db| {
    let second = Store::connect(&DatabaseConfig {
        url: db.url.clone(),
        ..DatabaseConfig::default()
    })
    .await
    .unwrap();
    let a = Client::new(db.store.clone(), &config());
    let b = Client::new(second, &config());
    let token = a
        .call(
            Method::POST,
            "/api/v1/account",
            None,
            Some(registration("gina")),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        b.call(Method::GET, "/api/v1/account", Some(&token), None)
            .await
            .body["username"],
        "gina"
    );
    assert_eq!(
        b.call(Method::DELETE, "/api/v1/account/token", Some(&token), None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    a.call(Method::GET, "/api/v1/account", Some(&token), None)
        .await
        .expect(StatusCode::UNAUTHORIZED, "unauthorized");
});

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_committed_and_served() {
    let generated = owums_server::api::openapi_document();
    let committed = include_str!("../../docs/openapi.json");
    assert!(
        generated.trim_end() == committed.trim_end(),
        "docs/openapi.json is out of date: regenerate it with `cargo run -p owums-server -- openapi > docs/openapi.json`"
    );
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    let api = Client::new(db.store.clone(), &config());
    let served = api
        .call(Method::GET, "/api/v1/openapi.json", None, None)
        .await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(
        served.body,
        serde_json::from_str::<Value>(committed).unwrap()
    );
    let docs = api.0.get("/api/v1/docs").send().await;
    docs.assert_status_is_ok();
    let html = docs.0.into_body().into_string().await.unwrap();
    assert!(
        html.contains("SwaggerUIBundle") && html.contains("owums API"),
        "a browsable page"
    );
    assert!(
        !html.contains("<script src=\"http"),
        "no script from elsewhere"
    );
}

#[test]
fn owums_openapi_prints_the_committed_document() {
    // No configuration and no database are needed to print the document.
    let dir = tempfile::tempdir().unwrap();
    let out = crate::support::cli::owums(
        dir.path(),
        "sqlite:///nonexistent/dir/owums.db",
        &["openapi"],
        "",
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout.trim_end(),
        include_str!("../../docs/openapi.json").trim_end()
    );
}
