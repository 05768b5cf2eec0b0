//! The API does what its OpenAPI document says, read from the document itself: the
//! behaviours `bash scripts/schemathesis` found wrong once, asserted directly (405 names the
//! allowed methods, parameters out of their documented range are a 400 naming them, 415 is
//! documented exactly where a body is taken, bodies refuse what their schema does not
//! declare, unset fields are absent rather than `null`, dates are `format: date`).

use super::*;

/// The document as the code generates it (and serves it).
fn document() -> Value {
    serde_json::from_str(&owums_server::api::openapi_document()).unwrap()
}

/// `(path, method, operation)` of every operation of the document.
fn operations(doc: &Value) -> Vec<(String, Method, Value)> {
    let mut out = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            out.push((path.clone(), method, op.clone()));
        }
    }
    out
}

/// The component schema a `$ref` names.
fn component<'a>(doc: &'a Value, reference: &str) -> &'a Value {
    let name = reference.trim_start_matches("#/components/schemas/");
    &doc["components"]["schemas"][name]
}

/// Fails when `value` holds a `null` anywhere, naming where.
fn assert_no_null(value: &Value, at: &str) {
    match value {
        Value::Null => panic!("{at} is null: absent fields are left out"),
        Value::Object(map) => map
            .iter()
            .for_each(|(k, v)| assert_no_null(v, &format!("{at}.{k}"))),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .for_each(|(i, v)| assert_no_null(v, &format!("{at}[{i}]"))),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_405_names_the_methods_the_document_gives_the_path() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    let api = Client::new(db.store.clone(), &config());
    let doc = document();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let mut allowed: Vec<String> = ops
            .as_object()
            .unwrap()
            .keys()
            .map(|m| m.to_uppercase())
            .collect();
        if allowed.iter().any(|m| m == "GET") {
            allowed.push("HEAD".to_owned());
        }
        allowed.sort();
        let allow = allowed.join(", ");
        for method in ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"] {
            if allowed.iter().any(|m| m == method) {
                continue;
            }
            let method = Method::from_bytes(method.as_bytes()).unwrap();
            let url = format!("/api/v1{path}");
            let a = api.call(method.clone(), &url, None, None).await;
            a.expect(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
            assert_eq!(
                a.headers.get(header::ALLOW).map(|v| v.to_str().unwrap()),
                Some(allow.as_str()),
                "{method} {url}"
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "every path and method: {checked}");
    // The document and its page answer GET only.
    for path in ["/api/v1/openapi.json", "/api/v1/docs"] {
        let a = api.call(Method::POST, path, None, None).await;
        a.expect(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
        assert_eq!(a.headers[header::ALLOW], "GET, HEAD", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn page_and_per_page_outside_their_documented_range_are_a_400_naming_them() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    let api = Client::new(db.store.clone(), &config());
    let doc = document();
    let params = doc["paths"]["/account/sessions"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let range = |name: &str| {
        let p = params.iter().find(|p| p["name"] == name).unwrap();
        (
            p["schema"]["minimum"].as_f64(),
            p["schema"]["maximum"].as_f64(),
        )
    };
    assert_eq!(range("page"), (Some(1.0), Some(f64::from(u32::MAX))));
    assert_eq!(range("per_page"), (Some(1.0), Some(100.0)));

    let token = api
        .call(
            Method::POST,
            "/api/v1/account",
            None,
            Some(registration("paola")),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (query, field) in [
        ("page=0", "page"),
        ("page=-1", "page"),
        ("page=4294967296", "page"),
        ("per_page=0", "per_page"),
        ("per_page=-5", "per_page"),
        ("per_page=101", "per_page"),
    ] {
        let url = format!("/api/v1/account/sessions?{query}&locale=it");
        let a = api.call(Method::GET, &url, Some(&token), None).await;
        let message = a.expect(StatusCode::BAD_REQUEST, "bad_request");
        assert!(
            message.starts_with(&format!("Il parametro {field} ")),
            "{query}: {message}"
        );
        assert_eq!(a.body["error"]["field"], field, "{query}");
    }
    for query in ["page=1&per_page=1", "page=4294967295&per_page=100"] {
        let url = format!("/api/v1/account/sessions?{query}");
        let a = api.call(Method::GET, &url, Some(&token), None).await;
        assert_eq!(a.status, StatusCode::OK, "{query}: {}", a.body);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_that_is_not_json_is_a_415_documented_where_a_body_is_taken() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    let api = Client::new(db.store.clone(), &config());
    let doc = document();
    let mut with_body = 0;
    for (path, method, op) in operations(&doc) {
        let documented = op["responses"].get("415").is_some();
        if op.get("requestBody").is_none() {
            assert!(!documented, "{method} {path} takes no body: no 415");
            continue;
        }
        with_body += 1;
        assert!(documented, "{method} {path} documents its 415");
        let path = path
            .replace("{kind}", "checks")
            .replace("{item}", "1")
            .replace("{name}", "Users")
            .replace("{id}", "0b3f4a52-7a1e-4c1e-9d43-3f1f2c9a8b10");
        let resp = api
            .0
            .request(method.clone(), format!("/api/v1{path}"))
            .header(header::AUTHORIZATION, "Bearer not-a-token")
            .content_type("text/plain")
            .body("username=anna")
            .send()
            .await
            .0;
        assert_eq!(
            resp.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{method} {path}"
        );
        let body: Value =
            serde_json::from_str(&resp.into_body().into_string().await.unwrap()).unwrap();
        assert_eq!(body["error"]["kind"], "unsupported_media_type");
    }
    assert_eq!(
        with_body, 15,
        "register, log in, profile change, reset, confirm; the operator API's user create and \
         change, group create and change, item add and change (groups, users), operator create \
         and change"
    );
    assert_eq!(db.store.count_users().await.unwrap(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_refuse_what_their_schema_does_not_declare() {
    let db = TestDb::new(crate::support::Backend::Sqlite).await.unwrap();
    let api = Client::new(db.store.clone(), &config());
    let doc = document();
    let token = api
        .call(
            Method::POST,
            "/api/v1/account",
            None,
            Some(registration("rita")),
        )
        .await
        .body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    for (path, method, op) in operations(&doc) {
        let Some(reference) = op
            .pointer("/requestBody/content")
            .and_then(Value::as_object)
            .and_then(|c| c.values().next())
            .and_then(|m| m["schema"]["$ref"].as_str())
        else {
            continue;
        };
        let schema = component(&doc, reference);
        assert_eq!(
            schema["additionalProperties"],
            Value::Bool(false),
            "{method} {path}: {schema}"
        );
        let a = api
            .call(
                method.clone(),
                &format!("/api/v1{path}"),
                Some(&token),
                Some(json!({"nickname": "rita"})),
            )
            .await;
        a.expect(StatusCode::BAD_REQUEST, "bad_request");
    }
    // A required text as false or null: 400 naming the field, never accepted.
    for value in [json!(false), Value::Null, json!(12345)] {
        let a = api
            .call(
                Method::POST,
                "/api/v1/account/password/reset",
                None,
                Some(json!({ "username_or_email": value })),
            )
            .await;
        a.expect(StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(a.body["error"]["field"], "username_or_email", "{value}");
    }
    // A text longer than its maxLength is refused, also where it would go unused.
    let long = "x".repeat(129);
    let a = api
        .call(
            Method::PATCH,
            "/api/v1/account",
            Some(&token),
            Some(json!({"current_password": long, "city": "Milano"})),
        )
        .await;
    a.expect(StatusCode::UNPROCESSABLE_ENTITY, "invalid");
    assert_eq!(a.body["error"]["field"], "current_password");
    let me = api
        .call(Method::GET, "/api/v1/account", Some(&token), None)
        .await;
    assert_eq!(me.body["city"], "Roma", "registered so, unchanged");
    let reset = api
        .call(
            Method::POST,
            "/api/v1/account/password/reset",
            None,
            Some(json!({"username_or_email": "x".repeat(255)})),
        )
        .await;
    assert!(reset.status.is_client_error(), "{}", reset.body);
    // The browsable page shows this document, not the generator's.
    let page = api.0.get("/api/v1/docs").send().await.0;
    let html = page.into_body().into_string().await.unwrap();
    assert!(html.contains("\"additionalProperties\": false"));
}

db_test!(unset_fields_are_absent_from_answers_never_null, |db| {
    let api = Client::new(db.store.clone(), &config());
    let doc = document();
    // No e-mail, mobile or birth date, not verified, and a method not enabled here.
    let mut olga = new_user("olga");
    olga.email = None;
    subscribers(&db).create(olga, false, &[]).await.unwrap();
    let login = api
        .call(
            Method::POST,
            "/api/v1/account/token",
            None,
            Some(json!({"username": "olga", "password": "Tulip-Harbor-93"})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK, "{}", login.body);
    assert_no_null(&login.body, "login");
    let token = login.body["token"].as_str().unwrap().to_owned();
    let sink = SqlAccountingSink::new(db.store.clone());
    let open = AccountingEvent::new(AcctStatus::Start, "o1", "o1", "olga", "10.0.0.9");
    sink.record(&open).await.unwrap();
    for path in [
        "/api/v1/account",
        "/api/v1/account/sessions",
        "/api/v1/account/usage",
        "/api/v1/account/verification",
    ] {
        let a = api.call(Method::GET, path, Some(&token), None).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        assert_no_null(&a.body, path);
    }
    let me = api
        .call(Method::GET, "/api/v1/account", Some(&token), None)
        .await
        .body;
    for absent in ["email", "mobile", "birth_date", "verified_at"] {
        assert!(me.get(absent).is_none(), "{absent}: {me}");
    }
    let sessions = api
        .call(Method::GET, "/api/v1/account/sessions", Some(&token), None)
        .await
        .body;
    assert_eq!(sessions["sessions"][0]["online"], true, "{sessions}");
    assert!(sessions["sessions"][0].get("stop").is_none(), "{sessions}");

    // Given, they are there, dates as the document's `format: date`.
    let full = api
        .call(
            Method::POST,
            "/api/v1/account",
            None,
            Some(registration("umberto")),
        )
        .await;
    assert_eq!(full.status, StatusCode::CREATED, "{}", full.body);
    assert_eq!(full.body["user"]["birth_date"], "1990-05-17");
    assert_eq!(full.body["user"]["mobile"], "+393341234567");
    let profile = component(&doc, "Profile");
    assert_eq!(profile["properties"]["birth_date"]["format"], "date");
    assert_eq!(
        component(&doc, "Day")["properties"]["date"]["format"],
        "date"
    );
    let required: Vec<&str> = profile["required"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for optional in ["email", "mobile", "birth_date", "verified_at"] {
        assert!(!required.contains(&optional), "{optional} is optional");
    }
});
