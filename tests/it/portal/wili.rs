//! A WILI-S hotspot, portal version 1: owums calls the controller over HTTPS (the test CA,
//! or a pinned certificate; `Host: %nasip:%wanport` through a "NAT"), the controller asks
//! FreeRADIUS, the status page shows the `<ppstatus>` entries, logoff; version 2 through
//! the browser; and a wrong secret, a wrong certificate, garbage, slowness, an unknown code.

use owums_core::portal::Portals;

use super::wili_sim::{Behaviour, NAS_IP, WAN_PORT};
use super::{Client, Hotspot, PASSWORD, Page};
use crate::support::logs::LogCapture;

/// The redirect the controller makes with the login URL template owums prints.
fn redirect(spot: &Hotspot, portal: &str) -> String {
    let portals: &Portals = &spot.site.state.portals;
    let template = portals
        .controller_login_url(portal)
        .expect("a WILI-S portal");
    assert!(template.contains("clientmac=%clientmac") && template.contains("wanport=%wanport"));
    spot.wili
        .redirect(&template, "127.0.0.1", "20:03:47:c9:2b:63")
}

async fn log_on(spot: &Hotspot, browser: &Client, portal: &str, user: &str) -> super::Page {
    let login = browser.get(&redirect(spot, portal)).await;
    assert_eq!(login.status, 200, "{}", login.body);
    browser
        .post(
            &spot.site.url(&format!("/portal/{portal}/login")),
            &[
                ("csrf_token", &login.csrf()),
                ("username", user),
                ("password", PASSWORD),
            ],
        )
        .await
}

#[tokio::test]
async fn a_subscriber_goes_online_through_a_wili_controller_called_by_owums() {
    let spot = Hotspot::start().await;
    spot.subscriber("carla").await;
    let browser = Client::new();
    let logon = log_on(&spot, &browser, "campus", "carla").await;
    assert_eq!(
        logon.location.as_deref(),
        Some("/portal/campus/status"),
        "{}",
        logon.body
    );
    {
        let state = spot.wili.state.lock().unwrap();
        assert!(state.session.is_some(), "the controller logged carla on");
        // owums connected to the "NAT" address and still named the controller in Host
        assert!(
            state
                .seen
                .iter()
                .all(|(_, host)| host == &format!("{NAS_IP}:{WAN_PORT}"))
        );
    }
    let status = browser.get(&spot.site.url("/portal/campus/status")).await;
    assert_eq!(status.status, 200, "{}", status.body);
    for shown in [
        "carla",
        "127.0.0.1",
        "Session time",
        "0:00:05",
        "Remaining time",
        "4:59:55",
        "Download bandwidth",
        "32 Mbit/s",
        "Remaining traffic",
        "unlimited",
        "testlab",
    ] {
        assert!(status.body.contains(shown), "{shown} in {}", status.body);
    }
    // the session FreeRADIUS recorded is carla's
    let sessions = spot
        .site
        .db
        .store
        .radacct_for_user("carla")
        .await
        .expect("radacct");
    assert_eq!(sessions.len(), 1);
    assert!(sessions[0].acctstoptime.is_none());
    assert_eq!(
        sessions[0].acctsessiontime,
        Some(5),
        "the controller's Interim-Update was recorded"
    );

    // RFC 8908: online, with the time the controller says is left
    let api = browser.get(&spot.site.url("/portal/campus/api")).await;
    let doc: serde_json::Value = serde_json::from_str(&api.body).expect("JSON");
    assert_eq!(doc["captive"], false, "{doc}");
    assert_eq!(doc["seconds-remaining"], 4 * 3600 + 59 * 60 + 55, "{doc}");
    assert!(doc.get("bytes-remaining").is_none(), "unlimited: left out");

    let out = browser
        .post(
            &spot.site.url("/portal/campus/logout"),
            &[("csrf_token", &status.csrf())],
        )
        .await;
    assert_eq!(out.status, 200, "{}", out.body);
    assert!(out.body.contains("You are disconnected from the Wi-Fi."));
    assert!(spot.wili.state.lock().unwrap().session.is_none());
    let sessions = spot
        .site
        .db
        .store
        .radacct_for_user("carla")
        .await
        .expect("radacct");
    assert!(sessions[0].acctstoptime.is_some(), "accounting stopped");

    // the pinned certificate works as the CA does
    let again = log_on(&spot, &Client::new(), "pinned", "carla").await;
    assert_eq!(
        again.location.as_deref(),
        Some("/portal/pinned/status"),
        "{}",
        again.body
    );
}

#[tokio::test]
async fn a_wili_controller_that_refuses_or_misbehaves_gets_a_clear_page_and_a_log_line() {
    let spot = Hotspot::start().await;
    spot.subscriber("dario").await;
    let logs = LogCapture::default();
    let _guard = logs.install(tracing::Level::WARN);

    // wrong password at the controller's RADIUS: owums checked it first, so this is owums'
    // own refusal; a wrong shared secret is the controller's (104)
    let page = log_on(&spot, &Client::new(), "stranger", "dario").await;
    assert_eq!(page.status, 502, "{}", page.body);
    assert!(
        page.body.contains("could not connect you right now"),
        "{}",
        page.body
    );
    assert!(logs.text().contains("104 Bad secret"), "{}", logs.text());

    let page = log_on(&spot, &Client::new(), "mispinned", "dario").await;
    assert_eq!(page.status, 502);
    assert!(logs.text().contains("certificate"), "{}", logs.text());

    for (behaviour, logged) in [
        (Behaviour::Garbage, "unreadable"),
        (Behaviour::Slow, "no answer in time"),
        (Behaviour::UnknownCode, "Unknown(177)"),
    ] {
        spot.wili.set(behaviour);
        let page = log_on(&spot, &Client::new(), "campus", "dario").await;
        assert_eq!(page.status, 502, "{behaviour:?}: {}", page.body);
        assert!(
            page.body.contains("could not connect you right now"),
            "{behaviour:?}"
        );
        assert!(logs.text().contains(logged), "{logged} in {}", logs.text());
    }
    spot.wili.set(Behaviour::Normal);
    assert!(
        spot.wili.state.lock().unwrap().session.is_none(),
        "nobody logged on"
    );
    assert!(
        spot.site
            .db
            .store
            .radacct_for_user("dario")
            .await
            .expect("radacct")
            .is_empty()
    );
}

#[tokio::test]
async fn portal_version_2_sends_the_browser_to_the_controller_and_reads_the_result() {
    let spot = Hotspot::start().await;
    spot.subscriber("elena").await;
    let browser = Client::new();
    let page = log_on(&spot, &browser, "remote", "elena").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let action = format!("action=\"https://{NAS_IP}:{WAN_PORT}/pplogon.user\"");
    assert!(page.body.contains(&action), "{}", page.body);
    assert!(
        !page.body.contains("wili-shared-secret"),
        "the secret stays with owums"
    );
    assert!(page.csp.contains(&format!(
        "form-action 'self' http://{NAS_IP}:{WAN_PORT} https://{NAS_IP}:{WAN_PORT}"
    )));
    // the browser posts the form to the controller (here: to the simulator's real address)
    let controller = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .add_root_certificate(
            reqwest::Certificate::from_pem(spot.wili.pki.ca_pem.as_bytes()).unwrap(),
        )
        .resolve(super::wili_sim::TLS_NAME, spot.wili.server.addr)
        .build()
        .unwrap();
    let submit = |page: &Page, path: &str| {
        let request = controller
            .post(format!(
                "https://{}:{}/{path}",
                super::wili_sim::TLS_NAME,
                spot.wili.server.addr.port()
            ))
            .form(&hidden_fields(&page.body));
        async move {
            let answer = request.send().await.expect("the controller answers");
            answer.headers()["location"].to_str().unwrap().to_owned()
        }
    };
    let result = submit(&page, "pplogon.user").await;
    assert!(
        result.starts_with(&spot.site.url("/portal/remote/result?")),
        "{result}"
    );
    let shown = browser.get(&result).await;
    assert_eq!(
        shown.location.as_deref(),
        Some("/portal/remote/status"),
        "{}",
        shown.body
    );
    assert!(spot.wili.state.lock().unwrap().session.is_some());

    // logoff: the browser carries it to the controller too, and comes back with the result
    let status = browser.get(&spot.site.url("/portal/remote/status")).await;
    let out = browser
        .post(
            &spot.site.url("/portal/remote/logout"),
            &[("csrf_token", &status.csrf())],
        )
        .await;
    let action = format!("action=\"https://{NAS_IP}:{WAN_PORT}/pplogoff.user\"");
    assert!(out.body.contains(&action), "{}", out.body);
    let result = submit(&out, "pplogoff.user").await;
    assert!(
        result.starts_with(&spot.site.url("/portal/remote/result/logoff?")),
        "{result}"
    );
    assert!(spot.wili.state.lock().unwrap().session.is_none());
    let shown = browser.get(&result).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    assert!(shown.body.contains("You are disconnected from the Wi-Fi."));
    // a result that is not the controller's: a clear page, nothing else
    let forged = browser
        .get(&spot.site.url("/portal/remote/result/logoff?error=soon"))
        .await;
    assert_eq!(forged.status, 400, "{}", forged.body);
}

/// The hidden fields of a page's self-submitting form.
fn hidden_fields(body: &str) -> Vec<(String, String)> {
    body.match_indices("<input type=\"hidden\" name=\"")
        .map(|(at, _)| {
            let rest = &body[at + 27..];
            let name = &rest[..rest.find('"').unwrap()];
            let v = &rest[rest.find("value=\"").unwrap() + 7..];
            (
                name.to_owned(),
                v[..v.find('"').unwrap()].replace("&amp;", "&"),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_wispr_smart_client_logs_on_from_the_login_page_and_polls_the_result() {
    let spot = Hotspot::start().await;
    spot.subscriber("ivo_wispr").await;
    // a phone's hotspot login: reads the Redirect in the login page, posts the credentials
    // to its LoginURL, reads the AuthenticationReply, polls LoginResultsURL
    let phone = Client::new();
    let login = phone.get(&redirect(&spot, "campus")).await;
    let login_url = between(&login.body, "<LoginURL>", "</LoginURL>");
    assert_eq!(login_url, spot.site.url("/portal/campus/wispr"));
    let wrong = phone
        .post(
            &login_url,
            &[
                ("UserName", "ivo_wispr"),
                ("Password", "wrong-wrong-1"),
                ("FNAME", "0"),
            ],
        )
        .await;
    assert!(
        wrong.body.contains("<MessageType>120</MessageType>"),
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("<ResponseCode>100</ResponseCode>"),
        "{}",
        wrong.body
    );
    let reply = phone
        .post(
            &login_url,
            &[
                ("UserName", "ivo_wispr"),
                ("Password", PASSWORD),
                ("FNAME", "0"),
            ],
        )
        .await;
    assert!(
        reply.body.contains("<ResponseCode>50</ResponseCode>"),
        "{}",
        reply.body
    );
    assert!(
        spot.wili.state.lock().unwrap().session.is_some(),
        "logged on at the controller"
    );
    let poll_url = between(&reply.body, "<LoginResultsURL>", "</LoginResultsURL>");
    let poll = phone.get(&poll_url).await;
    assert!(
        poll.body.contains("<MessageType>140</MessageType>"),
        "{}",
        poll.body
    );
    assert!(
        poll.body.contains("<ResponseCode>50</ResponseCode>"),
        "{}",
        poll.body
    );
    assert!(poll.body.contains("<LogoffURL>"), "{}", poll.body);

    // CoovaChilli: the smart client is sent on to the controller's logon (201, pending)
    let other = Client::new();
    other
        .get(&spot.coova.redirect("notyet", "http://example.com/"))
        .await;
    let pending = other
        .post(
            &spot.site.url("/portal/lobby/wispr"),
            &[("UserName", "ivo_wispr"), ("Password", PASSWORD)],
        )
        .await;
    assert!(
        pending.body.contains("<ResponseCode>201</ResponseCode>"),
        "{}",
        pending.body
    );
    let results =
        between(&pending.body, "<LoginResultsURL>", "</LoginResultsURL>").replace("&amp;", "&");
    assert!(
        results.contains("/logon?username=ivo_wispr&password="),
        "{results}"
    );
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {text}"))
        + start.len();
    let to = text[from..].find(end).expect("the end tag") + from;
    text[from..to].to_owned()
}
