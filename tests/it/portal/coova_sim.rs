//! A CoovaChilli-style access controller, as far as a portal sees it: any page redirects
//! to the portal with a signed (`md`) redirect; `/logon` takes a CHAP response or a PAP
//! password encoded with the challenge and `uamsecret`, asks a real FreeRADIUS, starts
//! accounting, and sends the browser back with `res=success` or `res=failed`; `/logoff`
//! stops accounting; `/json/status` answers as chilli does (JSONP with `callback`). As chilli
//! does, it keeps a challenge and a session per device, known by its address (the benchmark
//! sends each of its devices from its own 127.0.0.0/8 address).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};

use owums_core::portal::coova;

use super::http::{Handler, SimRequest, SimResponse, SimServer, serve};
use super::radius::{self, Device, Password};
use crate::support::freeradius::FreeRadius;

/// The device behind the controller: the test's own address.
pub(crate) const CLIENT_IP: &str = "127.0.0.1";
pub(crate) const CLIENT_MAC: &str = "AA-BB-CC-00-00-01";
pub(crate) const NAS_ID: &str = "lobby-ap";

/// What the controller knows of one device.
#[derive(Debug, Default)]
struct Client {
    /// The challenge of the last redirect.
    challenge: [u8; 16],
    /// The logged-on user and session id.
    session: Option<(String, String)>,
}

#[derive(Debug, Default)]
pub(crate) struct State {
    clients: HashMap<IpAddr, Client>,
    sessions: u32,
    redirects: u32,
    /// Every RADIUS answer, for assertions (unless `forget_answers`).
    pub(crate) answers: Vec<radius::Answer>,
    /// Off in the benchmark, whose answers would pile up.
    pub(crate) forget_answers: bool,
    /// No Interim-Update right after the Start. A controller sends one every
    /// Acct-Interim-Interval (minutes); the tests want one at once to see its figures, the
    /// benchmark's sessions end long before one would be due.
    pub(crate) no_interim: bool,
}

impl State {
    /// The session of the test's own device ([`CLIENT_IP`]): user and session id.
    pub(crate) fn session(&self) -> Option<&(String, String)> {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        self.clients.get(&ip).and_then(|c| c.session.as_ref())
    }

    /// The devices logged on now.
    pub(crate) fn online(&self) -> usize {
        self.clients
            .values()
            .filter(|c| c.session.is_some())
            .count()
    }
}

/// The MAC address the simulator gives the device at `ip` (`AA-BB-CC-` and the address'
/// last three octets: [`CLIENT_MAC`] for [`CLIENT_IP`]).
pub(crate) fn mac_of(ip: IpAddr) -> String {
    let o = match ip {
        IpAddr::V4(v4) => v4.octets(),
        IpAddr::V6(_) => [0, 0, 0, 0],
    };
    format!("AA-BB-CC-{:02X}-{:02X}-{:02X}", o[1], o[2], o[3])
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

    /// The redirect the test's own device gets (`res`), signed with the `uamsecret`.
    pub(crate) fn redirect(&self, res: &str, userurl: &str) -> String {
        let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let challenge = next_challenge(&mut self.state.lock().expect("state"), ip);
        redirect_url(
            &self.uamserver,
            &self.secret,
            self.server.addr.port(),
            ip,
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
fn next_challenge(state: &mut State, ip: IpAddr) -> [u8; 16] {
    state.redirects += 1;
    let seed = state.redirects;
    let challenge = std::array::from_fn(|i| (i as u32 * 37 + seed * 101) as u8);
    state.clients.entry(ip).or_default().challenge = challenge;
    challenge
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn redirect_url(
    uamserver: &str,
    secret: &str,
    port: u16,
    ip: IpAddr,
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
    query.append_pair("mac", &mac_of(ip));
    query.append_pair("ip", &ip.to_string());
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

    fn back(&self, ip: IpAddr, res: &str, userurl: &str) -> SimResponse {
        let challenge = next_challenge(&mut self.state.lock().expect("state"), ip);
        SimResponse::redirect(&redirect_url(
            &self.uamserver,
            &self.secret,
            self.port(),
            ip,
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
        let ip = req.peer;
        match req.path.trim_start_matches("/json") {
            "/logon" | "/login" => self.logon(&req, &userurl).await,
            "/logoff" | "/logout" => {
                let ended = self.client(ip, |c| c.session.take());
                if let Some((user, id)) = ended {
                    self.accounting(ip, "Stop", &user, &id).await;
                }
                self.back(ip, "logoff", &userurl)
            }
            "/status" => self.status(&req),
            _ => {
                let online = self.client(ip, |c| c.session.is_some());
                self.back(ip, if online { "already" } else { "notyet" }, &userurl)
            }
        }
    }

    /// `f` over the state of the device at `ip`.
    fn client<T>(&self, ip: IpAddr, f: impl FnOnce(&mut Client) -> T) -> T {
        f(self
            .state
            .lock()
            .expect("state")
            .clients
            .entry(ip)
            .or_default())
    }

    async fn logon(&self, req: &SimRequest, userurl: &str) -> SimResponse {
        let ip = req.peer;
        let (Some(username), challenge) = (req.get("username"), self.client(ip, |c| c.challenge))
        else {
            return self.back(ip, "failed", userurl);
        };
        let key = coova::logon_key(&challenge, &self.secret);
        let password = if let Some(response) = req.get("response").and_then(unhex) {
            let Ok(response) = <[u8; 16]>::try_from(response) else {
                return self.back(ip, "failed", userurl);
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
            return self.back(ip, "failed", userurl);
        };
        let device = Device {
            nas_id: NAS_ID.into(),
            client_ip: match ip {
                IpAddr::V4(v4) => v4,
                IpAddr::V6(_) => Ipv4Addr::LOCALHOST,
            },
            client_mac: mac_of(ip),
            called: "00-11-22-33-44-55".into(),
        };
        let port = self.radius.auth_port();
        let secret = self.radius.secret().to_owned();
        let answer = radius::access_request(port, &secret, username, &password, &device).await;
        let Ok(answer) = answer else {
            return self.back(ip, "failed&reason=timeout", userurl);
        };
        let accepted = answer.accepted;
        let reply = answer.reply_messages.first().cloned();
        {
            let mut state = self.state.lock().expect("state");
            if !state.forget_answers {
                state.answers.push(answer);
            }
        }
        if !accepted {
            let mut res = "failed&reason=reject".to_owned();
            if let Some(reply) = reply {
                res.push_str("&reply=");
                res.push_str(
                    &form_urlencoded::byte_serialize(reply.as_bytes()).collect::<String>(),
                );
            }
            return self.back(ip, &res, userurl);
        }
        let id = {
            let mut state = self.state.lock().expect("state");
            state.sessions += 1;
            let id = format!("chilli-{:08x}", state.sessions);
            state.clients.entry(ip).or_default().session = Some((username.to_owned(), id.clone()));
            id
        };
        self.accounting(ip, "Start", username, &id).await;
        if !self.state.lock().expect("state").no_interim {
            self.accounting(ip, "Interim-Update", username, &id).await;
        }
        self.back(ip, "success", userurl)
    }

    async fn accounting(&self, ip: IpAddr, status: &str, user: &str, id: &str) {
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
            ("Calling-Station-Id", mac_of(ip)),
            ("Framed-IP-Address", ip.to_string()),
            ("Acct-Input-Octets", in_octets.to_string()),
            ("Acct-Output-Octets", out_octets.to_string()),
            ("Acct-Session-Time", time.to_string()),
        ];
        radius::accounting(self.radius.clone(), attrs).await;
    }

    fn status(&self, req: &SimRequest) -> SimResponse {
        let mut state = self.state.lock().expect("state");
        let client = state.clients.entry(req.peer).or_default();
        let body = match &client.session {
            Some((user, id)) => format!(
                r#"{{"version":"1.0","clientState":1,"nasid":"{NAS_ID}","session":{{"sessionId":"{id}","userName":"{user}","startTime":1700000000,"sessionTimeout":0,"idleTimeout":0}},"accounting":{{"sessionTime":65,"idleTime":0,"inputOctets":120000,"outputOctets":4500000,"inputGigawords":0,"outputGigawords":0,"viewPoint":"client"}}}}"#
            ),
            None => format!(
                r#"{{"version":"1.0","clientState":0,"nasid":"{NAS_ID}","challenge":"{}"}}"#,
                hex(&client.challenge)
            ),
        };
        match req.get("callback") {
            Some(cb) => SimResponse::ok("text/javascript", format!("{cb}({body})")),
            None => SimResponse::ok("application/json", body),
        }
    }
}
