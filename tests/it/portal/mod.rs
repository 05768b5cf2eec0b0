//! Captive portals end to end: owums as the portal of a CoovaChilli-style and a WILI-S
//! access controller (simulators speaking their protocols for real, including RADIUS to a
//! real FreeRADIUS in REST mode pointed at owums).

mod bench;
mod browser;
mod coova;
mod coova_sim;
mod http;
mod radius;
mod wili;
mod wili_sim;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use owums_core::Config;
use owums_core::portal::{
    CoovaConfig, CoovaLogon, LoginFormat, PortalConfig, PortalsConfig, WiliConfig,
};

use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, RestBackend};
use crate::support::site::Site;
use crate::support::{Backend, new_user};

pub(crate) const TOKEN: &str = "portal-e2e-token";
pub(crate) const PASSWORD: &str = "Tulip-Harbor-93";
pub(crate) const UAMSECRET: &str = "testsecret";

/// A browser without JavaScript: keeps cookies, follows nothing by itself.
pub(crate) struct Client {
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// One answer.
#[derive(Debug)]
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) location: Option<String>,
    pub(crate) content_type: String,
    pub(crate) csp: String,
    pub(crate) body: String,
}

impl Page {
    /// The page's CSRF token.
    pub(crate) fn csrf(&self) -> String {
        let at = self
            .body
            .find("name=\"csrf_token\" value=\"")
            .unwrap_or_else(|| panic!("a form with a CSRF token in {}", self.body));
        let rest = &self.body[at + 25..];
        rest[..rest.find('"').expect("end of value")].to_owned()
    }
}

impl Client {
    pub(crate) fn new() -> Client {
        Self::from_address(std::net::Ipv4Addr::LOCALHOST.into())
    }

    /// A device whose connections come from `address` (one of 127.0.0.0/8): controllers
    /// tell devices apart by it.
    pub(crate) fn from_address(address: std::net::IpAddr) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .local_address(address)
                .build()
                .expect("client"),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Page {
        let cookie: String = self
            .cookies
            .lock()
            .expect("cookies")
            .iter()
            .map(|(k, v)| format!("{k}={v}; "))
            .collect();
        let response = request
            .header("cookie", cookie)
            .header("accept-language", "en")
            .send()
            .await
            .expect("an answer");
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or_default();
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies
                    .lock()
                    .expect("cookies")
                    .insert(k.trim().to_owned(), v.to_owned());
            }
        }
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        let (location, content_type, csp) = (
            Some(header("location")).filter(|l| !l.is_empty()),
            header("content-type"),
            header("content-security-policy"),
        );
        Page {
            status: response.status().as_u16(),
            location,
            content_type,
            csp,
            // minijinja escapes `/` in text and attributes; the tests read what a person sees
            body: response
                .text()
                .await
                .unwrap_or_default()
                .replace("&#x2f;", "/"),
        }
    }

    pub(crate) fn has_cookie(&self, name: &str) -> bool {
        self.cookies
            .lock()
            .expect("cookies")
            .get(name)
            .is_some_and(|v| !v.is_empty())
    }

    pub(crate) async fn get(&self, url: &str) -> Page {
        self.send(self.http.get(url)).await
    }

    pub(crate) async fn post(&self, url: &str, fields: &[(&str, &str)]) -> Page {
        self.send(self.http.post(url).form(fields)).await
    }
}

/// owums with its portals, the controllers, and FreeRADIUS (REST mode) between them.
pub(crate) struct Hotspot {
    pub(crate) site: Site,
    pub(crate) radius: Arc<FreeRadius>,
    pub(crate) coova: coova_sim::Coova,
    pub(crate) wili: wili_sim::Wili,
    _ca: tempfile::NamedTempFile,
}

/// How FreeRADIUS answers the controllers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// rlm_rest asks owums; CoovaChilli logs on with PAP.
    Rest,
    /// rlm_sql reads owums' database (passwords in cleartext); CoovaChilli logs on with CHAP.
    SqlChap,
}

impl Hotspot {
    pub(crate) async fn start() -> Hotspot {
        Self::start_in(Mode::Rest).await
    }

    pub(crate) async fn start_in(mode: Mode) -> Hotspot {
        Self::start_with(mode, None, false).await
    }

    /// [`Hotspot::start_in`] with FreeRADIUS running as in production (its threads, no debug
    /// log): what the benchmark measures through.
    pub(crate) async fn start_for_load(mode: Mode, backend: Backend) -> Hotspot {
        Self::start_on(backend, mode, None, true).await
    }

    /// [`Hotspot::start`] with the SIP phone verifier listening on `127.0.0.1:sip_port`:
    /// subscribers call [`CALL_NUMBER`] from their mobile to be verified.
    pub(crate) async fn start_with_phone(sip_port: u16) -> Hotspot {
        Self::start_with(Mode::Rest, Some(sip_port), false).await
    }

    async fn start_with(mode: Mode, sip_port: Option<u16>, threaded: bool) -> Hotspot {
        Self::start_on(Backend::Sqlite, mode, sip_port, threaded).await
    }

    async fn start_on(
        backend: Backend,
        mode: Mode,
        sip_port: Option<u16>,
        threaded: bool,
    ) -> Hotspot {
        let slot: wili_sim::RadiusSlot = Arc::new(OnceLock::new());
        let wili = wili_sim::Wili::start(slot.clone()).await;
        let ca = tempfile::NamedTempFile::new().expect("a CA file");
        std::fs::write(ca.path(), &wili.pki.ca_pem).expect("CA written");
        let pin: String = {
            use sha2::Digest;
            sha2::Sha256::digest(&wili.pki.server_der)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let ca_file = ca.path().display().to_string();
        let wili_addr = wili.server.addr;
        let site = Site::start_on(backend, |addr| {
            let mut config = config(addr, wili_addr, &ca_file, &pin, mode);
            if let Some(port) = sip_port {
                config.plugins.0.insert("sip".into(), phone(port));
            }
            config
        })
        .await;
        let radius = Arc::new(match mode {
            Mode::Rest => {
                let rest = RestBackend {
                    url: format!("http://{}", site.addr),
                    token: TOKEN.into(),
                };
                tokio::task::spawn_blocking(move || {
                    let opts = FreeRadiusOptions {
                        local_client: true,
                        threaded,
                    };
                    FreeRadius::start_rest(&rest, opts)
                })
                .await
                .expect("the start task")
                .expect("FreeRADIUS starts in REST mode")
            }
            Mode::SqlChap => crate::radius_e2e::start_as(&site.db, true, threaded).await,
        });
        slot.set(radius.clone()).expect("set once");
        let uamserver = format!("http://{}/portal/lobby/login", site.addr);
        let coova = coova_sim::Coova::start(&uamserver, UAMSECRET, radius.clone()).await;
        Hotspot {
            site,
            radius,
            coova,
            wili,
            _ca: ca,
        }
    }

    /// A verified subscriber `name` with [`PASSWORD`].
    pub(crate) async fn subscriber(&self, name: &str) -> owums_core::UserRecord {
        // the application's own services: its password format (cleartext for CHAP)
        let s = self.site.subscribers();
        let user = s
            .register(owums_core::NewUser {
                locale: "en".into(),
                ..new_user(name)
            })
            .await
            .expect("registered");
        s.verify(user.id).await.expect("verified")
    }
}

/// The number subscribers call to be verified.
pub(crate) const CALL_NUMBER: &str = "+39 06 1234567";

/// The SIP verifier's settings: a gateway on 127.0.0.1 forwards calls to `port`.
fn phone(port: u16) -> owums_core::config::PluginTable {
    let settings = serde_json::json!({
        "listen": format!("127.0.0.1:{port}"),
        "allowed_peers": ["127.0.0.1"],
        "numbers": [CALL_NUMBER],
        "ring_seconds": 1,
        "default_country_code": "39",
    });
    owums_core::config::PluginTable {
        enabled: true,
        required: true,
        library: None,
        settings: settings.as_object().cloned().unwrap_or_default(),
    }
}

fn config(addr: SocketAddr, wili: SocketAddr, ca_file: &str, pin: &str, mode: Mode) -> Config {
    let mut config = Site::config();
    if mode == Mode::SqlChap {
        config.radius.password_format = owums_core::PasswordFormat::Cleartext;
    }
    config.web.public_url = format!("http://{addr}");
    config.freeradius.token = TOKEN.into();
    let wili_v1 = |secret: &str| WiliConfig {
        secret: secret.into(),
        version: 1,
        connect: wili.to_string(),
        ca_file: ca_file.into(),
        tls_name: wili_sim::TLS_NAME.into(),
        timeout_seconds: 2,
        ..WiliConfig::default()
    };
    let mut portals = BTreeMap::new();
    portals.insert(
        "lobby".to_owned(),
        PortalConfig::Coovachilli(CoovaConfig {
            uamsecret: UAMSECRET.into(),
            logon: if mode == Mode::SqlChap {
                CoovaLogon::Chap
            } else {
                CoovaLogon::Pap
            },
            nas_ids: vec![coova_sim::NAS_ID.into()],
            ..CoovaConfig::default()
        }),
    );
    portals.insert(
        "campus".to_owned(),
        PortalConfig::Wili(wili_v1(wili_sim::SECRET)),
    );
    portals.insert(
        "stranger".to_owned(),
        PortalConfig::Wili(wili_v1("not-the-secret")),
    );
    portals.insert(
        "pinned".to_owned(),
        PortalConfig::Wili(WiliConfig {
            ca_file: String::new(),
            tls_name: String::new(),
            certificate_sha256: pin.into(),
            login_format: LoginFormat::Username,
            ..wili_v1(wili_sim::SECRET)
        }),
    );
    portals.insert(
        "mispinned".to_owned(),
        PortalConfig::Wili(WiliConfig {
            ca_file: String::new(),
            tls_name: String::new(),
            certificate_sha256: "00".repeat(32),
            ..wili_v1(wili_sim::SECRET)
        }),
    );
    portals.insert(
        "remote".to_owned(),
        PortalConfig::Wili(WiliConfig {
            version: 2,
            ..wili_v1(wili_sim::SECRET)
        }),
    );
    config.portals = PortalsConfig(portals);
    config
}
