//! Security headers on every answer, whoever produced it (issue: HTTP hygiene).

use poem::http::StatusCode;
use poem::test::TestClient;

use crate::pages::{app, config};
use crate::support::{Backend, TestDb};

#[tokio::test]
async fn every_answer_carries_the_security_headers() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let mut cfg = config(&["phone"]);
    cfg.freeradius.token = "a-token-of-32-characters-or-more-xx".to_owned();
    cfg.web.trust_proxy_headers = true;
    let client = TestClient::new(app(&db, &cfg).await);
    let paths = [
        ("/", StatusCode::OK),
        ("/no/such/page", StatusCode::NOT_FOUND),
        ("/api/v1/openapi.json", StatusCode::OK),
        ("/api/v1/docs", StatusCode::OK),
        ("/api/v1/account", StatusCode::UNAUTHORIZED),
        ("/api/nothing", StatusCode::NOT_FOUND),
        ("/healthz", StatusCode::OK),
        ("/assets/style.css", StatusCode::OK),
    ];
    for (path, status) in paths {
        let resp = client.get(path).send().await;
        resp.assert_status(status);
        let h = resp.0.headers();
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "{path}: plain HTTP"
        );
        if path.starts_with("/api/") {
            assert_eq!(h["cache-control"], "no-store", "{path}");
        }
    }
    // the FreeRADIUS endpoints, whatever they answer (here: no token)
    let resp = client
        .post("/api/v1/freeradius/authorize/")
        .body("username=alice&password=x")
        .send()
        .await;
    let h = resp.0.headers();
    assert!(h.contains_key("content-security-policy"));
    assert_eq!(h["x-content-type-options"], "nosniff");
    // behind a proxy that terminated HTTPS, browsers are told to stay on HTTPS
    for path in ["/", "/api/v1/openapi.json", "/no/such/page"] {
        let resp = client
            .get(path)
            .header("x-forwarded-proto", "https")
            .send()
            .await;
        let hsts = resp.0.headers()["strict-transport-security"]
            .to_str()
            .unwrap();
        assert!(hsts.starts_with("max-age="), "{path}: {hsts}");
    }
}
