//! Runtime settings through the console: listed with type, default and description;
//! changed with the type's checks (a refused value changes nothing), previewed safely,
//! put back to the default, audited, and in effect on the subscriber pages at once.

use owums_core::Settings;
use owums_core::operator::{AuditFilter, AuditLog, Operators, Preset};
use poem::http::StatusCode;

use super::pages::{PASSWORD, browser, log_in};
use crate::support::db_test;

db_test!(
    settings_are_changed_from_the_console_with_their_checks,
    |db| {
        let (mut b, _) = browser(&db);
        Operators::new(db.store.clone())
            .create("anna", PASSWORD, Preset::Admin.permissions())
            .await
            .unwrap();
        log_in(&mut b, "anna", PASSWORD).await;
        let list = b.get("/operator/settings").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        list.has(r#"href="/operator/settings/captcha_enabled""#)
            .has("markdown")
            .has("bool");
        let page = b.get("/operator/settings/captcha_enabled").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csrf = page.csrf();

        // a bool that is not `true` or `false`: refused with the reason, nothing stored
        let bad = b
            .post(
                "/operator/settings/captcha_enabled",
                &[("csrf_token", &csrf), ("action", "save"), ("value", "yes")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        bad.has(r#"class="alert""#);
        let settings = Settings::new(db.store.clone());
        assert_eq!(settings.text("captcha_enabled").await.unwrap(), "true");
        let bad = b
            .post(
                "/operator/settings/no_such_setting",
                &[("csrf_token", &csrf), ("action", "save"), ("value", "1")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::NOT_FOUND);

        // Markdown: stored as written (line breaks as the browser sends them become `\n`),
        // previewed with HTML shown as text, and on the subscribers' home page at once
        let text = "Ask **Maria** at the bar.\r\n\r\n<script>alert(1)</script>";
        let key = "/operator/settings/custom_account_instructions_en";
        let p = b
            .post(
                key,
                &[("csrf_token", &csrf), ("action", "save"), ("value", text)],
            )
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        let saved = b.get(p.location.as_deref().unwrap()).await;
        saved
            .has(r#"class="notice""#)
            .has("Ask <strong>Maria</strong> at the bar.")
            .has("&lt;script&gt;")
            .lacks("<script>alert");
        assert_eq!(
            settings
                .text("custom_account_instructions_en")
                .await
                .unwrap(),
            text.replace("\r\n", "\n")
        );
        b.clear_cookies();
        b.get("/?locale=en")
            .await
            .has("Ask <strong>Maria</strong> at the bar.");
        log_in(&mut b, "anna", PASSWORD).await;
        let csrf = b.get(key).await.csrf();
        let p = b
            .post(key, &[("csrf_token", &csrf), ("action", "reset")])
            .await;
        assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
        assert_eq!(
            settings
                .text("custom_account_instructions_en")
                .await
                .unwrap(),
            ""
        );

        let rows = AuditLog::new(db.store.clone())
            .query(&AuditFilter::default(), 1, 10)
            .await
            .unwrap()
            .rows;
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, ["setting.reset", "setting.update"]);
        let change = rows[1].changes.iter().next().unwrap();
        assert_eq!(change.before.as_deref(), Some(""));
        assert!(
            change
                .after
                .as_deref()
                .unwrap()
                .starts_with("Ask **Maria**")
        );
        assert_eq!(
            rows[1].target.as_ref().map(|t| t.id.as_str()),
            Some("custom_account_instructions_en")
        );
    }
);
