//! A WILI-S access controller's extended UAM: `pplogon.user`, `pplogoff.user` and
//! `ppstatus.user` over HTTPS (a certificate from the test CA), the shared secret, the
//! `Host: %nasip:%wanport` check, and the seed's XML replies. A logon asks a real
//! FreeRADIUS (PAP) and sends accounting Start and an Interim-Update; a logoff stops it. Portal version 2: the
//! browser posts the logon itself and is sent back to `resulturl` with the result.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::http::{Handler, SimRequest, SimResponse, SimServer, TestPki, serve, test_pki};
use super::radius::{self, Device, Password};
use crate::support::freeradius::FreeRadius;

/// The controller's LAN address as its redirect names it (`%nasip`) and the port of its
/// HTTPS logon (`%wanport`): behind a NAT router, owums connects elsewhere and the `Host`
/// header must still say this.
pub(crate) const NAS_IP: &str = "192.0.2.2";
pub(crate) const WAN_PORT: u16 = 8443;
pub(crate) const NAS_ID: &str = "campus-ac";
pub(crate) const SECRET: &str = "wili-shared-secret";
pub(crate) const TLS_NAME: &str = "wilibox.test";

/// How the controller misbehaves, for the bad-input tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Behaviour {
    #[default]
    Normal,
    /// Answers HTML instead of XML.
    Garbage,
    /// Answers after 3 s.
    Slow,
    /// Answers a code the seed does not list.
    UnknownCode,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) behaviour: Behaviour,
    /// The logged-on user, IP and session id.
    pub(crate) session: Option<(String, String, String)>,
    sessions: u32,
    /// Requests seen: path and the Host header.
    pub(crate) seen: Vec<(String, String)>,
}

pub(crate) struct Wili {
    pub(crate) server: SimServer,
    pub(crate) state: Arc<Mutex<State>>,
    pub(crate) pki: TestPki,
}

/// The FreeRADIUS the controller asks, set once it runs (it needs owums' address first).
pub(crate) type RadiusSlot = Arc<std::sync::OnceLock<Arc<FreeRadius>>>;

struct Inner {
    state: Arc<Mutex<State>>,
    radius: RadiusSlot,
}

impl Wili {
    pub(crate) async fn start(radius: RadiusSlot) -> Wili {
        let pki = test_pki(&[TLS_NAME]);
        let state = Arc::new(Mutex::new(State::default()));
        let inner = Arc::new(Inner {
            state: state.clone(),
            radius,
        });
        let handler: Handler = Arc::new(move |req| {
            let inner = inner.clone();
            Box::pin(async move { inner.handle(req).await })
        });
        let server = serve(handler, Some(pki.server.clone())).await;
        Wili { server, state, pki }
    }

    pub(crate) fn set(&self, behaviour: Behaviour) {
        self.state.lock().expect("state").behaviour = behaviour;
    }

    /// The redirect a new device gets, from the login URL template owums printed.
    pub(crate) fn redirect(&self, template: &str, client_ip: &str, client_mac: &str) -> String {
        let enc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
        template
            .replace("%nasid", NAS_ID)
            .replace("%nasip", NAS_IP)
            .replace("%wanip", "203.0.113.9")
            .replace("%wanport", &WAN_PORT.to_string())
            .replace("%nasifc", "wlan0")
            .replace("%clientip", client_ip)
            .replace("%clientmac", client_mac)
            .replace("%clienturl", &enc("http://example.com/news?a=1&b=2"))
            .replace("%clientlang", "it")
    }
}

fn xml(root: &str, status: &str, error: u32, description: &str, extra: &str) -> SimResponse {
    // spaces inside tags and text, as the seed's own samples have them
    SimResponse::ok(
        "text/xml",
        format!(
            "<{root}>\n   <status>{status}</status>\n   <error>{error}</error>\n   <description>{description}</description>\n{extra} </{root}>\n"
        ),
    )
}

/// Portal version 2: the browser sent back to owums' `url` with the reply as parameters.
fn back(
    url: &str,
    status: &str,
    error: u32,
    description: &str,
    messages: &[String],
) -> SimResponse {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("status", status);
    q.append_pair("error", &error.to_string());
    q.append_pair("description", description);
    for m in messages {
        q.append_pair("replymessage", m);
    }
    SimResponse::redirect(&format!("{url}?{}", q.finish()))
}

impl Inner {
    async fn handle(&self, req: SimRequest) -> SimResponse {
        let host = req.headers.get("host").cloned().unwrap_or_default();
        let behaviour = {
            let mut state = self.state.lock().expect("state");
            state.seen.push((req.path.clone(), host.clone()));
            state.behaviour
        };
        if req.method != "POST" {
            return SimResponse {
                status: 405,
                headers: Vec::new(),
                body: String::new(),
            };
        }
        let browser = req.get("resulturl").is_some();
        if !browser && host != format!("{NAS_IP}:{WAN_PORT}") {
            // the controller refuses a request not addressed to it (the seed's NAT note)
            return SimResponse {
                status: 400,
                headers: Vec::new(),
                body: "bad host".into(),
            };
        }
        match behaviour {
            Behaviour::Garbage => {
                return SimResponse::ok("text/html", "<html><body>Internal error".into());
            }
            Behaviour::Slow => tokio::time::sleep(Duration::from_secs(3)).await,
            Behaviour::UnknownCode => {
                return xml("logon", "Quota", 177, "Something new.", "");
            }
            Behaviour::Normal => {}
        }
        let root = match req.path.as_str() {
            "/pplogon.user" => "logon",
            "/pplogoff.user" => "logoff",
            "/ppstatus.user" => "ppstatus",
            _ => {
                return SimResponse {
                    status: 404,
                    headers: Vec::new(),
                    body: String::new(),
                };
            }
        };
        if !browser && req.get("secret") != Some(SECRET) {
            return xml(root, "Bad secret", 104, "Bad shared secret supplied.", "");
        }
        let Some(ip) = req.get("ip").map(str::to_owned) else {
            return xml(root, "No IP", 101, "No user IP address supplied.", "");
        };
        match root {
            "logon" => self.logon(&req, &ip).await,
            "logoff" => {
                let (status, error, description) = self.logoff(&ip).await;
                match req.get("resulturl") {
                    Some(url) => back(url, status, error, description, &[]),
                    None => xml("logoff", status, error, description, ""),
                }
            }
            _ => self.status(&ip),
        }
    }

    async fn logon(&self, req: &SimRequest, ip: &str) -> SimResponse {
        let result = |status: &str, error: u32, description: &str, messages: &[String]| match req
            .get("resulturl")
        {
            Some(url) => back(url, status, error, description, messages),
            None => {
                let extra: String = messages
                    .iter()
                    .map(|m| format!("   <replymessage>{m}</replymessage>\n"))
                    .collect();
                xml("logon", status, error, description, &extra)
            }
        };
        let Some(username) = req.get("username").map(str::to_owned) else {
            return result("No username", 102, "No username supplied.", &[]);
        };
        let Some(password) = req.get("password").map(str::to_owned) else {
            return result("No password", 105, "No user password supplied.", &[]);
        };
        if self.state.lock().expect("state").session.is_some() {
            return result("Ok", 110, "User already logged on.", &[]);
        }
        let device = Device {
            nas_id: NAS_ID.into(),
            client_ip: ip.parse().unwrap_or(std::net::Ipv4Addr::LOCALHOST),
            client_mac: req.get("mac").unwrap_or_default().to_owned(),
            called: "00-11-22-33-44-66".into(),
        };
        let radius = self.radius.get().expect("FreeRADIUS is running");
        let (port, secret) = (radius.auth_port(), radius.secret().to_owned());
        let answer =
            radius::access_request(port, &secret, &username, &Password::Pap(password), &device)
                .await;
        let Ok(answer) = answer else {
            return result("Network failed", 113, "Network connection failed.", &[]);
        };
        if !answer.accepted {
            return result(
                "Bad password",
                112,
                "Bad username or/and password.",
                &answer.reply_messages,
            );
        }
        let id = {
            let mut state = self.state.lock().expect("state");
            state.sessions += 1;
            let id = format!("3E64C7967A{:02X}", state.sessions);
            state.session = Some((username.clone(), ip.to_owned(), id.clone()));
            id
        };
        self.accounting("Start", &username, ip, &id).await;
        self.accounting("Interim-Update", &username, ip, &id).await;
        result("Ok", 0, "User logged on.", &answer.reply_messages)
    }

    /// Logs the device at `ip` off: the reply's status, error and description.
    async fn logoff(&self, ip: &str) -> (&'static str, u32, &'static str) {
        let session = self.state.lock().expect("state").session.take();
        match session {
            Some((user, at, id)) if at == ip => {
                self.accounting("Stop", &user, ip, &id).await;
                ("Ok", 0, "User logged off.")
            }
            _ => (
                "No user by IP",
                122,
                "User with supplied IP address and username not found.",
            ),
        }
    }

    fn status(&self, ip: &str) -> SimResponse {
        let state = self.state.lock().expect("state");
        match &state.session {
            Some((user, at, id)) if at == ip => {
                let entries = [
                    user.as_str(),
                    at,
                    "200347C92B63",
                    "00:00:05",
                    id,
                    "00:00:03",
                    "1048576   bytes",
                    "65536   bytes",
                    "testlab",
                    "unlimited",
                    "unlimited",
                    "unlimited",
                    "32   Mbps",
                    "32   Mbps",
                    "04:59:55",
                    "unlimited",
                ];
                let extra: String = entries
                    .iter()
                    .enumerate()
                    .map(|(i, e)| format!("   <entry   id=\"{}\">{e}</entry>\n", i + 1))
                    .collect();
                xml("ppstatus", "Ok", 0, "Got user   status.", &extra)
            }
            _ => xml(
                "ppstatus",
                "No user by IP",
                122,
                "User with supplied IP address not found.",
                "",
            ),
        }
    }

    async fn accounting(&self, status: &str, user: &str, ip: &str, id: &str) {
        let attrs = vec![
            ("Acct-Status-Type", status.to_owned()),
            ("Acct-Session-Id", id.to_owned()),
            ("User-Name", user.to_owned()),
            ("NAS-Identifier", NAS_ID.to_owned()),
            ("Called-Station-Id", "00-11-22-33-44-66".to_owned()),
            ("Calling-Station-Id", "20-03-47-C9-2B-63".to_owned()),
            ("Framed-IP-Address", ip.to_owned()),
            (
                "Acct-Session-Time",
                if status == "Start" { "0" } else { "5" }.to_owned(),
            ),
        ];
        let radius = self.radius.get().expect("FreeRADIUS is running").clone();
        radius::accounting(radius, attrs).await;
    }
}
