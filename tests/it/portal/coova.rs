//! A CoovaChilli-style hotspot: redirect with `md` → owums' login page → the browser logs
//! on at the controller with the PAP password owums encoded → FreeRADIUS (REST mode) asks
//! owums → accounting → status page, RFC 8908 API, logoff; and every refusal.

use super::{Client, Hotspot, Mode, PASSWORD, coova_sim};

#[tokio::test]
async fn a_subscriber_goes_online_through_a_coovachilli_hotspot_by_pap_in_rest_mode() {
    goes_online_and_off_again(Mode::Rest).await;
}

#[tokio::test]
async fn a_subscriber_goes_online_through_a_coovachilli_hotspot_by_chap_in_sql_mode() {
    goes_online_and_off_again(Mode::SqlChap).await;
}

async fn goes_online_and_off_again(mode: Mode) {
    let spot = Hotspot::start_in(mode).await;
    spot.subscriber("alice").await;
    let browser = Client::new();

    // any page through the hotspot: the controller sends the browser to owums, signed
    let intercepted = browser.get(&spot.coova.intercept_url()).await;
    assert_eq!(intercepted.status, 302);
    let redirect = intercepted.location.expect("a redirect to the portal");
    assert!(redirect.contains("&md="), "{redirect}");
    let login = browser.get(&redirect).await;
    assert_eq!(login.status, 200, "{}", login.body);
    assert!(
        login.body.contains("<MessageType>100</MessageType>"),
        "WISPr for smart clients"
    );
    assert!(login.body.contains("/portal/lobby/wispr</LoginURL>"));
    // the form's redirect to the controller is allowed by the page's own policy
    let controller = format!(
        "form-action 'self' http://127.0.0.1:{}",
        spot.coova.server.addr.port()
    );
    assert!(login.csp.contains(&controller), "{}", login.csp);

    // a wrong password: owums says so and the controller is not bothered
    let wrong = browser
        .post(
            &spot.site.url("/portal/lobby/login"),
            &[
                ("csrf_token", &login.csrf()),
                ("username", "alice"),
                ("password", "nope-nope-1"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Wrong username or password."));
    assert!(spot.coova.state.lock().unwrap().answers.is_empty());

    // the right one: owums sends the browser to the controller's /logon with the password
    // encoded under the challenge and uamsecret (neither in clear)
    let logon = browser
        .post(
            &spot.site.url("/portal/lobby/login"),
            &[
                ("csrf_token", &wrong.csrf()),
                ("username", "Alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(logon.status, 303, "{}", logon.body);
    let to_controller = logon.location.expect("to the controller");
    let controller = format!("http://127.0.0.1:{}/logon?", spot.coova.server.addr.port());
    assert!(to_controller.starts_with(&controller), "{to_controller}");
    let secret_field = if mode == Mode::Rest {
        "password"
    } else {
        "response"
    };
    assert!(
        to_controller.contains(&format!("username=alice&{secret_field}=")),
        "{to_controller}"
    );
    assert!(!to_controller.contains(PASSWORD) && !to_controller.contains(super::UAMSECRET));
    assert!(logon.csp.contains(&format!(
        "form-action 'self' http://127.0.0.1:{}",
        spot.coova.server.addr.port()
    )));

    // the controller asks RADIUS (FreeRADIUS → owums), starts accounting, sends success
    let back = browser.get(&to_controller).await;
    let answers = spot.coova.state.lock().unwrap().answers.clone();
    assert!(
        answers[0].accepted,
        "FreeRADIUS accepted alice: {answers:?}\n{}",
        spot.radius.log_tail(40)
    );
    let success = back.location.expect("back to the portal");
    assert!(success.contains("res=success"), "{success}");
    let arrived = browser.get(&success).await;
    assert_eq!(arrived.location.as_deref(), Some("/portal/lobby/status"));
    let status = browser.get(&spot.site.url("/portal/lobby/status")).await;
    assert_eq!(status.status, 200, "{}", status.body);
    for shown in [
        "You are online",
        "alice",
        coova_sim::CLIENT_MAC,
        "0:01:05",
        "Disconnect",
    ] {
        assert!(status.body.contains(shown), "{shown} in {}", status.body);
    }

    // the session FreeRADIUS recorded shows on alice's account page
    let account = browser.get(&spot.site.url("/account")).await;
    assert_eq!(account.status, 200, "{}", account.body);
    let sessions = &account.body[account
        .body
        .find("<table id=\"sessions\">")
        .expect("the sessions table")..];
    assert!(
        sessions.contains(coova_sim::CLIENT_IP) && sessions.contains("<tbody>\n<tr>"),
        "the open session on the account page: {sessions}"
    );

    // RFC 8908: the device at 127.0.0.1 has an open session
    let api = browser.get(&spot.site.url("/portal/lobby/api")).await;
    assert_eq!(api.content_type, "application/captive+json");
    let doc: serde_json::Value = serde_json::from_str(&api.body).expect("JSON");
    assert_eq!(doc["captive"], false, "{doc}");
    assert_eq!(doc["user-portal-url"], spot.site.url("/portal/lobby/login"));

    // logoff: through the controller, which stops accounting and says logoff
    let out = browser
        .post(
            &spot.site.url("/portal/lobby/logout"),
            &[("csrf_token", &status.csrf())],
        )
        .await;
    let to_logoff = out.location.expect("to the controller's logoff");
    assert!(to_logoff.ends_with("/logoff"), "{to_logoff}");
    let back = browser.get(&to_logoff).await;
    let page = browser.get(&back.location.expect("back")).await;
    assert!(
        page.body.contains("You are disconnected from the Wi-Fi."),
        "{}",
        page.body
    );
    let api = browser.get(&spot.site.url("/portal/lobby/api")).await;
    let doc: serde_json::Value = serde_json::from_str(&api.body).expect("JSON");
    assert_eq!(doc["captive"], true, "{doc}");
}

#[tokio::test]
async fn a_rejected_subscriber_sees_why_and_a_tampered_or_broken_redirect_is_refused() {
    let spot = Hotspot::start().await;
    let bob = spot.subscriber("bobby").await;
    crate::support::subscribers(&spot.site.db)
        .disable(bob.id)
        .await
        .expect("disabled");
    let browser = Client::new();
    let redirect = spot.coova.redirect("notyet", "http://example.com/");

    // tampered: the device's address changed on the way
    let tampered = browser
        .get(&redirect.replace("ip=127.0.0.1", "ip=127.0.0.2"))
        .await;
    assert_eq!(tampered.status, 400);
    assert!(
        tampered.body.contains("changed on the way"),
        "{}",
        tampered.body
    );
    // nothing kept: a logon has no controller to go to
    let form = browser.get(&spot.site.url("/account/login")).await;
    let refused = browser
        .post(
            &spot.site.url("/portal/lobby/login"),
            &[
                ("csrf_token", &form.csrf()),
                ("username", "bobby"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("Open any web page"),
        "{}",
        refused.body
    );

    // missing, malformed and oversized parameters
    let url = spot.site.url("/portal/lobby/login");
    for query in [
        "res=notyet&uamport=3990".to_owned(),
        "res=bogus&uamip=1.2.3.4&uamport=3990".to_owned(),
        format!(
            "res=notyet&uamip=1.2.3.4&uamport=3990&userurl={}",
            "a".repeat(5000)
        ),
    ] {
        let page = browser.get(&format!("{url}?{query}")).await;
        assert_eq!(page.status, 400, "{query}");
        assert!(
            page.body.contains("incomplete or invalid") || page.body.contains("changed on the way"),
            "{}",
            page.body
        );
    }
    let unknown = browser
        .get(&spot.site.url("/portal/nowhere/login?res=notyet"))
        .await;
    assert_eq!(unknown.status, 404);
    assert!(unknown.body.contains("This hotspot is not known here."));

    // a disabled subscriber: owums knows the password, RADIUS refuses, the page says so
    let login = browser.get(&redirect).await;
    assert_eq!(login.status, 200, "{}", login.body);
    let logon = browser
        .post(
            &url,
            &[
                ("csrf_token", &login.csrf()),
                ("username", "bobby"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let back = browser
        .get(&logon.location.expect("to the controller"))
        .await;
    let failed = back.location.expect("back to the portal");
    assert!(failed.contains("res=failed&reason=reject"), "{failed}");
    let page = browser.get(&failed).await;
    assert!(
        page.body.contains("Connecting failed.") || page.body.contains("Wrong username"),
        "{}",
        page.body
    );
    assert!(spot.coova.state.lock().unwrap().session().is_none());
}

#[tokio::test]
async fn a_new_subscriber_is_online_right_after_verification_without_typing_the_password_again() {
    let spot = Hotspot::start().await;
    owums_core::Settings::new(spot.site.db.store.clone())
        .set("captcha_enabled", "false")
        .await
        .expect("captcha off");
    let browser = Client::new();
    let login = browser
        .get(&spot.coova.redirect("notyet", "http://example.com/"))
        .await;
    assert_eq!(login.status, 200, "{}", login.body);

    // sign up from the portal's page
    let form = browser.get(&spot.site.url("/account/signup")).await;
    let mut fields = vec![
        ("csrf_token", form.csrf()),
        ("verification_method", crate::support::site::DESK.to_owned()),
        ("username", "frida".to_owned()),
        ("password", PASSWORD.to_owned()),
        ("password_confirmation", PASSWORD.to_owned()),
        ("email", "frida@example.org".to_owned()),
        ("given_name", "Frida".to_owned()),
        ("surname", "Neri".to_owned()),
        ("eula_acceptance", "1".to_owned()),
        ("privacy_acceptance", "1".to_owned()),
    ];
    for (name, value) in [
        ("address", "Via Roma 1"),
        ("city", "Roma"),
        ("zip", "00100"),
        ("country", "Italy"),
        ("birth_date", "1990-04-12"),
    ] {
        if form.body.contains(&format!("name=\"{name}\"")) {
            fields.push((name, value.to_owned()));
        }
    }
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let signed_up = browser
        .post(&spot.site.url("/account/signup"), &pairs)
        .await;
    assert_eq!(
        signed_up.location.as_deref(),
        Some("/account/verification"),
        "{}",
        signed_up.body
    );
    // the password is sealed in the session, its key only in the browser's cookie: the
    // database file (and its write-ahead log) never holds it in clear
    let file = spot.site.db.url.trim_start_matches("sqlite://").to_owned();
    for part in [file.clone(), format!("{file}-wal")] {
        let bytes = std::fs::read(&part).unwrap_or_default();
        assert!(
            !bytes
                .windows(PASSWORD.len())
                .any(|w| w == PASSWORD.as_bytes()),
            "{part} holds the password"
        );
    }
    assert!(browser.has_cookie("owums_portal"));

    // not verified yet: nothing happens at the controller
    let early = browser.get(&spot.site.url("/portal/lobby/online")).await;
    assert_eq!(early.location.as_deref(), Some("/account/verification"));
    assert!(spot.coova.state.lock().unwrap().answers.is_empty());

    // verified (the desk method: the operator's side); the verification page moves on to
    // the account, which first takes the device online, without the password typed again
    let frida = spot
        .site
        .subscribers()
        .find("frida")
        .await
        .expect("registered");
    spot.site
        .subscribers()
        .verify(frida.id)
        .await
        .expect("verified");
    let account = browser.get(&spot.site.url("/account")).await;
    assert_eq!(
        account.location.as_deref(),
        Some("/portal/lobby/online"),
        "{}",
        account.body
    );
    let online = browser.get(&spot.site.url("/portal/lobby/online")).await;
    let to_controller = online.location.expect("to the controller's logon");
    assert!(
        to_controller.contains("/logon?username=frida&password="),
        "{to_controller}"
    );
    let back = browser.get(&to_controller).await;
    let success = back.location.expect("back to the portal");
    assert!(
        success.contains("res=success"),
        "{success}\n{}",
        spot.radius.log_tail(30)
    );
    let status = browser.get(&spot.site.url("/portal/lobby/status")).await;
    assert!(
        status.body.contains("You are online") && status.body.contains("frida"),
        "{}",
        status.body
    );

    // used once: the account page is the account page again
    let account = browser.get(&spot.site.url("/account")).await;
    assert_eq!(account.status, 200);
}
