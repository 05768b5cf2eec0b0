//! Pages every visitor sees: home, languages, documents, assets, headers.

use owums_core::Settings;
use poem::http::StatusCode;

use super::{Browser, config};
use crate::support::db_test;

db_test!(
    language_comes_from_query_then_session_then_browser_then_default,
    |db| {
        let mut cfg = config(&["phone"]);
        cfg.web.default_locale = "it".to_owned();
        let mut b = Browser::new(&db, &cfg).await;
        b.accept_language = "fr, de".to_owned();
        let p = b.get("/").await;
        assert_eq!(p.lang(), "it", "configured default");
        p.has("Benvenuto").has(r#"href="?locale=es""#);
        assert!(b.cookie.is_none(), "no session for a plain visit");
        b.accept_language = "es-ES,es;q=0.9,en;q=0.5".to_owned();
        let p = b.get("/").await;
        assert_eq!(p.lang(), "es", "Accept-Language");
        p.has("Bienvenido");
        let p = b.get("/account/login?locale=en").await;
        assert_eq!(p.lang(), "en", "?locale= wins");
        assert!(b.cookie.is_none(), "no session for a language");
        assert_eq!(
            b.jar["owums_locale"], "en",
            "the choice is remembered in a cookie"
        );
        let p = b.get("/").await;
        assert_eq!(p.lang(), "en", "stored choice beats Accept-Language");
        let p = b.get("/?locale=").await;
        assert_eq!(p.lang(), "en", "an empty ?locale= is ignored");
        let p = b.get("/?locale=xx").await;
        assert_eq!(p.lang(), "en", "an unknown ?locale= is ignored");
        let p = b.get("/account/signup?locale=it").await;
        assert_eq!(p.lang(), "it");
        p.has("Registrazione")
            .has(r#"aria-current="true">Italiano"#);
        assert_eq!(b.get("/").await.lang(), "it");
    }
);

db_test!(home_shows_the_instructions_of_the_language, |db| {
    let settings = Settings::new(db.store.clone());
    settings
        .set(
            "custom_account_instructions_en",
            "Ask **at the bar**, or [call us](tel:+39800123456).\n\n<script>alert(1)</script>",
        )
        .await
        .unwrap();
    settings
        .set("custom_account_instructions_es", "Pregunta en el bar")
        .await
        .unwrap();
    let mut b = Browser::new(&db, &config(&["phone"])).await;
    // Markdown rendered; the operator's HTML shown as text, never run.
    let page = b.get("/").await;
    page.has(r#"Ask <strong>at the bar</strong>, or <a href="tel:+39800123456">call us</a>."#)
        .has("&lt;script&gt;alert(1)&lt;/script&gt;")
        .lacks("<script>alert");
    b.accept_language = "es".to_owned();
    b.get("/").await.has("Pregunta en el bar");
    b.accept_language = "it".to_owned();
    b.get("/").await.has("Ask <strong>at the bar</strong>"); // no Italian text: the English one
});

db_test!(documents_assets_and_headers, |db| {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("it-eula.html"),
        "<h2>Condizioni del bar</h2>",
    )
    .unwrap();
    let mut cfg = config(&["phone"]);
    cfg.web.documents_dir = dir.path().display().to_string();
    let mut b = Browser::new(&db, &cfg).await;
    b.get("/documents/eula")
        .await
        .has("The Wi-Fi service is offered for lawful use only.");
    b.accept_language = "it".to_owned();
    b.get("/documents/eula")
        .await
        .has("<h2>Condizioni del bar</h2>");
    b.get("/documents/privacy")
        .await
        .has("Informativa sulla privacy")
        .has("Non vendiamo");
    let p = b.get("/documents/secret").await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    p.has("Pagina non trovata.");
    let css = b.get("/assets/style.css").await;
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert!(css.body.contains("main{"));
    let js = b.get("/assets/status.js").await;
    assert!(js.body.contains("/account/status.json") || js.body.contains("data-status-url"));
    assert_eq!(
        b.get("/assets/../Cargo.toml").await.status,
        StatusCode::NOT_FOUND
    );
    let home = b.get("/").await;
    assert!(
        home.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(home.headers["x-content-type-options"], "nosniff");
    assert!(
        !home.body.contains("http://") && !home.body.contains("https://"),
        "nothing external"
    );
    // Status without an account: expired, as OWUMS answered.
    let s: serde_json::Value =
        serde_json::from_str(&b.get("/account/status.json").await.body).unwrap();
    assert_eq!(
        s,
        serde_json::json!({"is_verified": false, "is_expired": true, "remaining_time": 0})
    );
    let p = b.get("/account/verification?expired=1").await;
    assert_eq!(p.status, StatusCode::GONE);
    p.has("Il tempo per la verifica è scaduto");
});

db_test!(cookies_are_secure_behind_an_https_proxy, |db| {
    let mut cfg = config(&["phone"]);
    cfg.web.trust_proxy_headers = true;
    let app = crate::pages::app(&db, &cfg).await;
    let client = poem::test::TestClient::new(app);
    let r = client
        .get("/account/login")
        .header("x-forwarded-proto", "https")
        .send()
        .await;
    let c = r.0.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(c.contains("; Secure") && c.contains("HttpOnly"), "{c}");
    let r = client.get("/account/login").send().await;
    let c = r.0.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(!c.contains("Secure"), "{c}");
    // Without trusting the proxy the header is ignored; secure_cookies forces it.
    let mut cfg = config(&["phone"]);
    cfg.web.secure_cookies = true;
    let client = poem::test::TestClient::new(crate::pages::app(&db, &cfg).await);
    let r = client.get("/account/login").send().await;
    assert!(
        r.0.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("; Secure")
    );
});

db_test!(pages_offer_sign_up_only_when_a_method_completes_it, |db| {
    // none enabled, or only a method an operator completes: no sign-up on offer
    for methods in [&[][..], &["desk"][..]] {
        let mut b = Browser::new(&db, &config(methods)).await;
        b.get("/")
            .await
            .lacks("/account/signup")
            .has("ask the staff")
            .has(r#"<a class="button" href="/account/login">"#);
        b.get("/account/login").await.lacks("/account/signup");
        b.get("/account/signup")
            .await
            .has("Sign-up is not available at the moment");
    }
    let mut b = Browser::new(&db, &config(&["phone", "desk"])).await;
    b.get("/")
        .await
        .has(r#"<a class="button" href="/account/signup">"#)
        .has(r#"<li><a href="/account/signup">"#)
        .lacks("ask the staff");
    b.get("/account/login")
        .await
        .has(r#"<a href="/account/signup">"#);
});
