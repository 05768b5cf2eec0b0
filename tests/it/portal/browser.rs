//! The hotspot in headless Chromium, at desktop and phone size: a CoovaChilli redirect →
//! owums' login page → logged on at the controller → status page → disconnect; sign-up on
//! the portal → a phone call from the new subscriber's mobile (SIPp to the real SIP
//! verifier) → online without typing the password again; and a WILI-S portal version 2
//! logon through the browser. Screenshots of each page are kept.

use serde_json::json;

use super::{CALL_NUMBER, Hotspot, PASSWORD};
use crate::sip::harness::sipp_call;
use crate::support::browser::Browser;

/// A UDP port free on 127.0.0.1 a moment ago, for the SIP verifier to bind.
fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a UDP port")
}

async fn submit(browser: &Browser) {
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await;
}

async fn main_text(browser: &Browser) -> String {
    browser.find("main").await.text().await
}

async fn fits(browser: &Browser, what: &str) {
    assert!(!browser.scrolls_sideways().await, "{what} scrolls sideways");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hotspot_in_chromium_at_desktop_and_phone_size() {
    for phone in [false, true] {
        let size = if phone { "phone" } else { "desktop" };
        let Some(browser) = Browser::start_accepting_any_certificate(phone).await else {
            return;
        };
        let sip_port = free_udp_port();
        let spot = Hotspot::start_with_phone(sip_port).await;
        spot.subscriber("gina").await;

        // any page through the hotspot lands on owums' login page
        browser.goto(&spot.coova.intercept_url()).await;
        browser.wait_for_path("/portal/lobby/login").await;
        fits(&browser, "the login page").await;
        browser.screenshot(&format!("portal-{size}-login")).await;
        browser.fill("username", "gina").await;
        browser.fill("password", PASSWORD).await;
        submit(&browser).await;
        // owums → the controller's /logon → FreeRADIUS → back with success → status
        browser.wait_for_path("/portal/lobby/status").await;
        let text = main_text(&browser).await;
        for shown in [
            "You are connected to the Wi-Fi.",
            "gina",
            "Session time",
            "Uploaded",
        ] {
            assert!(text.contains(shown), "{shown} on the status page: {text}");
        }
        fits(&browser, "the status page").await;
        browser.screenshot(&format!("portal-{size}-status")).await;
        // refresh, then disconnect through the controller
        browser.find("main a.button").await.click().await;
        browser.wait_for_path("/portal/lobby/status").await;
        browser
            .find("main form[action$=\"/logout\"] button")
            .await
            .click()
            .await;
        browser
            .wait_for_script(
                "the disconnected notice",
                "return document.body.innerText.includes('You are disconnected from the Wi-Fi.');",
            )
            .await;
        browser
            .screenshot(&format!("portal-{size}-logged-off"))
            .await;
        assert!(spot.coova.state.lock().unwrap().session().is_none());

        // a WILI-S controller, portal version 2: the browser carries the logon there
        let template = spot
            .site
            .state
            .portals
            .controller_login_url("remote")
            .expect("a WILI-S portal");
        let port = spot.wili.server.addr.port().to_string();
        let redirect = template
            .replace("%nasid", "campus-ac")
            .replace("%nasip", "127.0.0.1")
            .replace("%wanip", "127.0.0.1")
            .replace("%wanport", &port)
            .replace("%nasifc", "wlan0")
            .replace("%clientip", "127.0.0.1")
            .replace("%clientmac", "200347C92B63")
            .replace("%clienturl", "http%3A%2F%2Fexample.com%2F")
            .replace("%clientlang", "en");
        browser.goto(&redirect).await;
        browser.wait_for_path("/portal/remote/login").await;
        browser.fill("username", "gina").await;
        browser.fill("password", PASSWORD).await;
        submit(&browser).await;
        browser.wait_for_path("/portal/remote/status").await;
        assert!(
            spot.wili.state.lock().unwrap().session.is_some(),
            "logged on at the controller"
        );
        browser
            .screenshot(&format!("portal-{size}-wili-status"))
            .await;
        // disconnect: the browser carries the logoff to the controller and comes back
        browser
            .find("main form[action$=\"/logout\"] button")
            .await
            .click()
            .await;
        browser.wait_for_path("/portal/remote/result/logoff").await;
        assert!(
            main_text(&browser)
                .await
                .contains("You are disconnected from the Wi-Fi."),
            "the disconnected notice"
        );
        assert!(spot.wili.state.lock().unwrap().session.is_none());
        browser.close().await;

        // sign-up on the portal, verification, online without the password again
        let Some(browser) = Browser::start_accepting_any_certificate(phone).await else {
            return;
        };
        owums_core::Settings::new(spot.site.db.store.clone())
            .set("captcha_enabled", "false")
            .await
            .expect("captcha off");
        browser.goto(&spot.coova.intercept_url()).await;
        browser.wait_for_path("/portal/lobby/login").await;
        browser
            .find("main a[href=\"/account/signup\"]")
            .await
            .click()
            .await;
        browser.wait_for_path("/account/signup").await;
        let name = format!("hugo{size}");
        let mobile = if phone { "3341234501" } else { "3341234502" };
        for (field, value) in [
            ("mobile", mobile),
            ("given_name", "Hugo"),
            ("surname", "Verdi"),
            ("email", &format!("{name}@example.org")[..]),
            ("username", &name[..]),
            ("password", PASSWORD),
            ("password_confirmation", PASSWORD),
            ("address", "Via Roma 1"),
            ("city", "Roma"),
            ("zip", "00100"),
            ("country", "Italy"),
        ] {
            if browser
                .try_find(&format!("[name=\"{field}\"]"))
                .await
                .is_some()
            {
                browser.fill(field, value).await;
            }
        }
        if let Some(birth) = browser.try_find("[name=\"birth_date\"]").await {
            browser
                .exec(
                    "arguments[0].value = '1990-04-12';",
                    json!([birth.as_arg()]),
                )
                .await;
        }
        // the phone call, among the methods offered
        browser
            .find("input[name=\"verification_method\"][value=\"sip\"]")
            .await
            .click()
            .await;
        browser.find("#eula_acceptance").await.click().await;
        browser.find("#privacy_acceptance").await.click().await;
        submit(&browser).await;
        browser.wait_for_path("/account/verification").await;
        let text = main_text(&browser).await;
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let number: String = CALL_NUMBER.chars().filter(char::is_ascii_digit).collect();
        assert!(
            digits.contains(&number) && digits.contains(&format!("39{mobile}")),
            "the page says which number to call, and from which: {text}"
        );
        browser
            .screenshot(&format!("portal-{size}-verification"))
            .await;
        // the subscriber calls from their mobile; the gateway sends the call to owums
        let call = sipp_call(
            sip_port,
            "busy.xml",
            "127.0.0.1",
            &format!("+39{mobile}"),
            "061234567",
            &[],
        )
        .await;
        assert!(
            call.ok,
            "the call ends busy as the verifier answers it: {}",
            call.output
        );
        // the page follows verification by itself and ends online
        browser.wait_for_path("/portal/lobby/status").await;
        let text = main_text(&browser).await;
        assert!(text.contains(&name), "online as {name}: {text}");
        browser
            .screenshot(&format!("portal-{size}-online-after-verification"))
            .await;
        browser.close().await;
    }
}
