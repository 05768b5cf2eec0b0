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

#[test]
fn configured_portals_are_found_by_name_and_controller() {
    let mut config = crate::Config::default();
    config.server.listen = "127.0.0.1:8080".into();
    assert!(
        Portals::from_config(&config)
            .expect("none configured")
            .is_empty()
    );
    config.portals.0.insert(
        "lobby".into(),
        PortalConfig::Coovachilli(CoovaConfig {
            uamsecret: "testsecret".into(),
            nas_ids: vec!["lobby-ap".into()],
            ..CoovaConfig::default()
        }),
    );
    // a controller already configured with another uamserver keeps it
    config.portals.0.insert(
        "hall".into(),
        PortalConfig::Coovachilli(CoovaConfig {
            uamsecret: "testsecret".into(),
            uamserver: "https://hotspot.example.org/login".into(),
            nas_ids: vec!["hall-ap".into()],
            addresses: vec!["192.0.2.7".into()],
            ..CoovaConfig::default()
        }),
    );
    let portals = Portals::from_config(&config).expect("valid");
    assert!(!portals.is_empty());
    assert_eq!(
        portals.controller_login_url("hall").as_deref(),
        Some("https://hotspot.example.org/login")
    );
    // without [web] public_url, the pages are at the listen address
    assert_eq!(portals.base_url(), "http://127.0.0.1:8080");
    assert_eq!(
        portals.controller_login_url("lobby").as_deref(),
        Some("http://127.0.0.1:8080/portal/lobby/login")
    );
    assert_eq!(
        portals.config("lobby").map(PortalConfig::kind),
        Some(PortalKind::CoovaChilli)
    );
    let by_nas = portals.for_controller(Some("lobby-ap"), None);
    assert_eq!(
        by_nas.map(|a| a.name().to_owned()).as_deref(),
        Some("lobby")
    );
    assert!(portals.for_controller(Some("other-ap"), None).is_none());
    // NAS id and address both, when both are set; an address alone is not a network
    let hall = |ip: &str| portals.for_controller(Some("hall-ap"), Some(ip.parse().expect("ip")));
    assert_eq!(
        hall("192.0.2.7").map(|a| a.name().to_owned()).as_deref(),
        Some("hall")
    );
    assert!(hall("192.0.2.8").is_none());
}
