//! A controller family owums does not ship, added by the application: a MikroTik-style
//! hotspot whose login page takes a form POST of `username` and `password`.

use std::sync::Arc;

use async_trait::async_trait;

use super::*;

/// What a MikroTik hotspot needs: its `link-login-only` URL from the redirect, and a
/// form POST of the credentials there.
#[derive(Debug)]
struct Mikrotik;

#[async_trait]
impl PortalAdapter for Mikrotik {
    fn name(&self) -> &str {
        "cafe"
    }

    fn arrival(&self, redirect: &Redirect<'_>) -> Result<Arrival, PortalError> {
        let pairs = query_pairs(redirect.query)?;
        let link = param(&pairs, "link-login-only")
            .ok_or(PortalError::MissingParameter("link-login-only"))?;
        Ok(Arrival {
            portal: "cafe".into(),
            state: ArrivalState::NotYet,
            client_ip: redirect.peer,
            client_mac: param(&pairs, "mac").and_then(normalise_mac),
            nas_id: None,
            controller: Some(link.to_owned()),
            interface: None,
            original_url: None,
            lang: None,
            challenge: None,
            session_id: None,
            reply: None,
        })
    }

    async fn logon(&self, arrival: &Arrival, creds: &Credentials) -> Result<Step, PortalError> {
        Ok(Step::Browser(BrowserRequest {
            method: BrowserMethod::Post,
            url: arrival.controller.clone().unwrap_or_default(),
            fields: vec![
                ("username".into(), creds.username.clone()),
                ("password".into(), creds.password.clone()),
            ],
        }))
    }

    async fn logoff(&self, arrival: &Arrival, _username: &str) -> Result<Step, PortalError> {
        let login = arrival.controller.clone().unwrap_or_default();
        Ok(Step::Browser(BrowserRequest {
            method: BrowserMethod::Get,
            url: login.replace("/login", "/logout"),
            fields: Vec::new(),
        }))
    }

    async fn status(&self, _arrival: &Arrival, _username: &str) -> Result<Step, PortalError> {
        Err(PortalError::Unreachable(
            "a hotspot's status page is its own".into(),
        ))
    }
}

#[tokio::test]
async fn an_adapter_of_another_family_is_added_without_configuration() {
    let portals = Portals::new(&PortalsConfig::default(), "https://wifi.example.org/")
        .expect("no portals")
        .with_adapter(Arc::new(Mikrotik), Vec::new(), vec!["10.5.0.0/16".into()])
        .expect("added");
    assert_eq!(portals.names().collect::<Vec<_>>(), ["cafe"]);
    assert!(portals.config("cafe").is_none(), "no [portals.cafe] table");
    assert_eq!(
        portals.controller_login_url("cafe").as_deref(),
        Some("https://wifi.example.org/portal/cafe/login")
    );
    // chosen for its controllers' addresses, not for others
    let inside = portals.for_controller(None, Some("10.5.1.1".parse().expect("ip")));
    assert_eq!(inside.map(|a| a.name().to_owned()).as_deref(), Some("cafe"));
    assert!(
        portals
            .for_controller(None, Some("192.0.2.1".parse().expect("ip")))
            .is_none()
    );
    // the pages use it through the trait, like a shipped family
    let adapter = portals.get("cafe").expect("by name");
    let arrival = adapter
        .arrival(&Redirect {
            query: "link-login-only=http%3A%2F%2F10.5.50.1%2Flogin&mac=00%3A11%3A22%3A33%3A44%3A55",
            peer: None,
        })
        .expect("a redirect");
    assert_eq!(arrival.client_mac.as_deref(), Some("00-11-22-33-44-55"));
    let creds = Credentials {
        username: "alice".into(),
        password: "secretpass".into(),
    };
    let Step::Browser(go) = adapter.logon(&arrival, &creds).await.expect("logon") else {
        panic!("the browser posts the form");
    };
    assert_eq!(
        (go.method, go.url.as_str()),
        (BrowserMethod::Post, "http://10.5.50.1/login")
    );

    // a second portal of the same name, a bad name or a bad address: refused
    let again = portals
        .clone()
        .with_adapter(Arc::new(Mikrotik), Vec::new(), Vec::new());
    assert!(again.is_err_and(|e| e.contains("exists")));
    let bad =
        Portals::default().with_adapter(Arc::new(Mikrotik), Vec::new(), vec!["10.5/x".into()]);
    assert!(bad.is_err_and(|e| e.contains("portals.cafe.addresses")));
}
