//! A CoovaChilli-style access controller, as far as a portal sees it: any page redirects
//! to the portal with a signed (`md`) redirect; `/logon` takes a CHAP response or a PAP
//! password encoded with the challenge and `uamsecret`, asks a real FreeRADIUS, starts
//! accounting, and sends the browser back with `res=success` or `res=failed`; `/logoff`
//! stops accounting; `/json/status` answers as chilli does (JSONP with `callback`).

use std::sync::{Arc, Mutex};

use owums_core::portal::coova;

use super::http::{Handler, SimRequest, SimResponse, SimServer, serve};
use super::radius::{self, Device, Password};
use crate::support::freeradius::FreeRadius;

/// The device behind the controller: the test's own address.
pub(crate) const CLIENT_IP: &str = "127.0.0.1";
pub(crate) const CLIENT_MAC: &str = "AA-BB-CC-DD-EE-01";
pub(crate) const NAS_ID: &str = "lobby-ap";

#[derive(Debug, Default)]
pub(crate) struct State {
    /// The challenge of the last redirect.
    challenge: [u8; 16],
    /// The logged-on user and session id.
    pub(crate) session: Option<(String, String)>,
    sessions: u32,
    redirects: u32,
    /// Every RADIUS answer, for assertions.
    pub(crate) answers: Vec<radius::Answer>,
}

/// A running simulator.
pub(crate) struct Coova {
    pub(crate) server: SimServer,
    pub(crate) state: Arc<Mutex<State>>,
    uamserver: String,
    secret: String,
}

struct Inner {
    state: Arc<Mutex<State>>,
    uamserver: String,
    secret: String,
    port: std::sync::OnceLock<u16>,
    radius: Arc<FreeRadius>,
}

impl Coova {
    /// Starts the controller; its `uamserver` is `uamserver`, logons go to `radius`.
    pub(crate) async fn start(uamserver: &str, secret: &str, radius: Arc<FreeRadius>) -> Coova {
        let state = Arc::new(Mutex::new(State::default()));
        let inner = Arc::new(Inner {
            state: state.clone(),
            uamserver: uamserver.to_owned(),
            secret: secret.to_owned(),
            port: std::sync::OnceLock::new(),
            radius,
        });
        let for_handler = inner.clone();
        let handler: Handler = Arc::new(move |req| {
            let inner = for_handler.clone();
            Box::pin(async move { inner.handle(req).await })
        });
        let server = serve(handler, None).await;
        inner.port.set(server.addr.port()).expect("port set once");
        Coova {
            server,
            state,
            uamserver: uamserver.to_owned(),
            secret: secret.to_owned(),
        }
    }

    /// The redirect a new device gets (`res`), signed with the `uamsecret`.
    pub(crate) fn redirect(&self, res: &str, userurl: &str) -> String {
        let challenge = next_challenge(&mut self.state.lock().expect("state"));
        redirect_url(
            &self.uamserver,
            &self.secret,
            self.server.addr.port(),
            res,
            &challenge,
            userurl,
        )
    }

    /// Where a browser asks for any page through the hotspot.
    pub(crate) fn intercept_url(&self) -> String {
        format!("http://{}/", self.server.addr)
    }
}

/// A fresh challenge for each redirect (as chilli makes one per client and logon attempt).
fn next_challenge(state: &mut State) -> [u8; 16] {
    state.redirects += 1;
    let seed = state.redirects;
    state.challenge = std::array::from_fn(|i| (i as u32 * 37 + seed * 101) as u8);
    state.challenge
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn redirect_url(
    uamserver: &str,
    secret: &str,
    port: u16,
    res: &str,
    challenge: &[u8; 16],
    userurl: &str,
) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    // `res` may carry its companions (`failed&reason=reject&reply=…`), already encoded
    let (res, companions) = res.split_once('&').unwrap_or((res, ""));
    query.append_pair("res", res);
    for (k, v) in form_urlencoded::parse(companions.as_bytes()) {
        query.append_pair(&k, &v);
    }
    query.append_pair("uamip", "127.0.0.1");
    query.append_pair("uamport", &port.to_string());
    if res == "notyet" {
        query.append_pair("challenge", &hex(challenge));
    }
    query.append_pair("called", "00-11-22-33-44-55");
    query.append_pair("mac", CLIENT_MAC);
    query.append_pair("ip", CLIENT_IP);
    query.append_pair("nasid", NAS_ID);
    query.append_pair("sessionid", "5f3a1b2c00000001");
    query.append_pair("userurl", userurl);
    let url = format!("{uamserver}?{}", query.finish());
    let md = coova::md_checksum(&url, secret);
    format!("{url}&md={md}")
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

impl Inner {
    fn port(&self) -> u16 {
        *self.port.get().expect("started")
    }

    fn back(&self, res: &str, userurl: &str) -> SimResponse {
        let challenge = next_challenge(&mut self.state.lock().expect("state"));
        SimResponse::redirect(&redirect_url(
            &self.uamserver,
            &self.secret,
            self.port(),
            res,
            &challenge,
            userurl,
        ))
    }

    async fn handle(&self, req: SimRequest) -> SimResponse {
        let userurl = req
            .get("userurl")
            .unwrap_or("http://example.com/")
            .to_owned();
        match req.path.trim_start_matches("/json") {
            "/logon" | "/login" => self.logon(&req, &userurl).await,
            "/logoff" | "/logout" => {
                let ended = self.state.lock().expect("state").session.take();
                if let Some((user, id)) = ended {
                    self.accounting("Stop", &user, &id).await;
                }
                self.back("logoff", &userurl)
            }
            "/status" => self.status(&req),
            _ => {
                let online = self.state.lock().expect("state").session.is_some();
                self.back(if online { "already" } else { "notyet" }, &userurl)
            }
        }
    }

    async fn logon(&self, req: &SimRequest, userurl: &str) -> SimResponse {
        let (Some(username), challenge) = (
            req.get("username"),
            self.state.lock().expect("state").challenge,
        ) else {
            return self.back("failed", userurl);
        };
        let key = coova::logon_key(&challenge, &self.secret);
        let password = if let Some(response) = req.get("response").and_then(unhex) {
            let Ok(response) = <[u8; 16]>::try_from(response) else {
                return self.back("failed", userurl);
            };
            Password::Chap {
                ident: 0,
                response,
                challenge: key,
            }
        } else if let Some(encoded) = req.get("password").and_then(unhex) {
            // chilli decodes the PAP password with the same key, cycled
            let plain: Vec<u8> = encoded
                .iter()
                .enumerate()
                .map(|(i, b)| b ^ key[i % 16])
                .collect();
            Password::Pap(
                String::from_utf8_lossy(&plain)
                    .trim_end_matches('\0')
                    .to_owned(),
            )
        } else {
            return self.back("failed", userurl);
        };
        let device = Device {
            nas_id: NAS_ID.into(),
            client_ip: CLIENT_IP.parse().expect("ip"),
            client_mac: CLIENT_MAC.into(),
            called: "00-11-22-33-44-55".into(),
        };
        let port = self.radius.auth_port();
        let secret = self.radius.secret().to_owned();
        let user = username.to_owned();
        let answer = tokio::task::spawn_blocking(move || {
            radius::access_request(port, &secret, &user, &password, &device)
        })
        .await
        .expect("the RADIUS task");
        let Ok(answer) = answer else {
            return self.back("failed&reason=timeout", userurl);
        };
        let accepted = answer.accepted;
        let reply = answer.reply_messages.first().cloned();
        self.state.lock().expect("state").answers.push(answer);
        if !accepted {
            let mut res = "failed&reason=reject".to_owned();
            if let Some(reply) = reply {
                res.push_str("&reply=");
                res.push_str(
                    &form_urlencoded::byte_serialize(reply.as_bytes()).collect::<String>(),
                );
            }
            return self.back(&res, userurl);
        }
        let id = {
            let mut state = self.state.lock().expect("state");
            state.sessions += 1;
            let id = format!("chilli-{:08x}", state.sessions);
            state.session = Some((username.to_owned(), id.clone()));
            id
        };
        self.accounting("Start", username, &id).await;
        self.accounting("Interim-Update", username, &id).await;
        self.back("success", userurl)
    }

    async fn accounting(&self, status: &str, user: &str, id: &str) {
        let (in_octets, out_octets, time) = match status {
            "Start" => (0, 0, 0),
            _ => (120_000, 4_500_000, 65),
        };
        let attrs = vec![
            ("Acct-Status-Type", status.to_owned()),
            ("Acct-Session-Id", id.to_owned()),
            ("User-Name", user.to_owned()),
            ("NAS-Identifier", NAS_ID.to_owned()),
            ("NAS-Port-Type", "Wireless-802.11".to_owned()),
            ("Called-Station-Id", "00-11-22-33-44-55".to_owned()),
            ("Calling-Station-Id", CLIENT_MAC.to_owned()),
            ("Framed-IP-Address", CLIENT_IP.to_owned()),
            ("Acct-Input-Octets", in_octets.to_string()),
            ("Acct-Output-Octets", out_octets.to_string()),
            ("Acct-Session-Time", time.to_string()),
        ];
        radius::accounting(self.radius.clone(), attrs).await;
    }

    fn status(&self, req: &SimRequest) -> SimResponse {
        let state = self.state.lock().expect("state");
        let body = match &state.session {
            Some((user, id)) => format!(
                r#"{{"version":"1.0","clientState":1,"nasid":"{NAS_ID}","session":{{"sessionId":"{id}","userName":"{user}","startTime":1700000000,"sessionTimeout":0,"idleTimeout":0}},"accounting":{{"sessionTime":65,"idleTime":0,"inputOctets":120000,"outputOctets":4500000,"inputGigawords":0,"outputGigawords":0,"viewPoint":"client"}}}}"#
            ),
            None => format!(
                r#"{{"version":"1.0","clientState":0,"nasid":"{NAS_ID}","challenge":"{}"}}"#,
                hex(&state.challenge)
            ),
        };
        match req.get("callback") {
            Some(cb) => SimResponse::ok("text/javascript", format!("{cb}({body})")),
            None => SimResponse::ok("application/json", body),
        }
    }
}
