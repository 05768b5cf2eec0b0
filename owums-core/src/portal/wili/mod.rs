//! WILI-S extended UAM (the seed's "Universal Access Method").
//!
//! The controller redirects a new device to a login URL the operator built with
//! placeholders the controller fills in ([`login_url_template`] prints the one owums reads).
//! In **portal version 1** owums calls the controller over HTTPS —
//! `https://%nasip:%wanport/pplogon.user`, `pplogoff.user`, `ppstatus.user`, a form with
//! `secret`, `ip`, `mac`, `username`, `password`, `nasifc` — and reads its XML answer
//! ([`xml`]); the certificate is checked against a configured CA or a pinned fingerprint,
//! and the `Host` header is `%nasip:%wanport` even when owums connects through a NAT router.
//! In **portal version 2** the controller is unreachable from owums: the subscriber's
//! browser posts the same form (without the secret) to the controller, which logs them on
//! and sends the browser back to owums' result page with the `<logon>` fields as query
//! parameters (`status`, `error`, `description`, `replymessage`).

mod client;
pub mod xml;

use async_trait::async_trait;

use client::WiliClient;
use xml::ReplyKind;

use super::{
    Arrival, ArrivalState, BrowserMethod, BrowserRequest, Credentials, LoginFormat, PortalAdapter,
    PortalError, Redirect, Step, WiliConfig, controller_address, normalise_mac, param, query_pairs,
    web_url,
};

/// The placeholders a WILI-S controller fills in, with the parameter owums reads each
/// from: current names first, then the legacy aliases the seed keeps for compatibility.
pub const PLACEHOLDERS: &[(&str, &[&str])] = &[
    ("%nasid", &["nasid"]),
    ("%nasip", &["nasip", "lanip"]),
    ("%wanip", &["wanip"]),
    ("%wanport", &["wanport", "sslport"]),
    ("%nasifc", &["nasifc"]),
    ("%clientip", &["clientip"]),
    ("%clientmac", &["clientmac", "mac"]),
    ("%clienturl", &["clienturl", "ourl"]),
    ("%clientlang", &["clientlang", "lang"]),
];

/// The login URL to configure on the controller for the portal page at `login_page`.
pub fn login_url_template(login_page: &str) -> String {
    let separator = if login_page.contains('?') { '&' } else { '?' };
    format!(
        "{login_page}{separator}nasid=%nasid&nasip=%nasip&wanip=%wanip&wanport=%wanport&nasifc=%nasifc&clientip=%clientip&clientmac=%clientmac&clienturl=%clienturl&clientlang=%clientlang"
    )
}

/// The first parameter the controller filled in among `names`; a placeholder left as is
/// (the controller did not know the value) counts as missing.
fn filled<'a>(pairs: &'a [(String, String)], names: &[&str]) -> Option<&'a str> {
    names
        .iter()
        .find_map(|n| param(pairs, n))
        .filter(|v| !v.starts_with('%'))
}

/// A short printable value (ids, interface names, languages) of the first parameter among
/// `names` the controller filled in.
fn short(
    pairs: &[(String, String)],
    names: &[&str],
    key: &'static str,
) -> Result<Option<String>, PortalError> {
    match filled(pairs, names) {
        Some(v) if v.len() > 128 || v.chars().any(char::is_control) => {
            Err(PortalError::BadParameter(key))
        }
        other => Ok(other.map(str::to_owned)),
    }
}

/// A WILI-S controller.
#[derive(Debug)]
pub struct WiliAdapter {
    name: String,
    config: WiliConfig,
    client: Option<WiliClient>,
    result_url: String,
}

impl WiliAdapter {
    /// The adapter for `[portals.<name>]`; `result_url` is owums' page the controller sends
    /// the browser back to in portal version 2. Fails when the CA file cannot be read.
    pub fn new(name: &str, config: WiliConfig, result_url: String) -> Result<Self, String> {
        let client = if config.version == 1 {
            Some(WiliClient::new(&config).map_err(|e| format!("portals.{name}: {e}"))?)
        } else {
            None
        };
        Ok(Self {
            name: name.to_owned(),
            config,
            client,
            result_url,
        })
    }

    fn form(
        &self,
        arrival: &Arrival,
        username: &str,
        password: Option<&str>,
    ) -> Vec<(String, String)> {
        let mut form = Vec::new();
        if let Some(ip) = arrival.client_ip {
            form.push(("ip".to_owned(), ip.to_string()));
        }
        if let Some(mac) = &arrival.client_mac {
            form.push(("mac".to_owned(), mac.replace('-', "")));
        }
        if !username.is_empty() {
            form.push(("username".to_owned(), username.to_owned()));
        }
        if let Some(password) = password {
            form.push(("password".to_owned(), password.to_owned()));
        }
        if let Some(ifc) = &arrival.interface {
            form.push(("nasifc".to_owned(), ifc.clone()));
        }
        form
    }

    async fn call(
        &self,
        arrival: &Arrival,
        kind: ReplyKind,
        form: Vec<(String, String)>,
    ) -> Result<Step, PortalError> {
        let Some(client) = &self.client else {
            return Err(PortalError::Unreachable(
                "portal version 2: the controller is reached by the browser only".into(),
            ));
        };
        let host = arrival
            .controller
            .as_deref()
            .ok_or(PortalError::MissingParameter("nasip"))?;
        let body = client.call(host, kind, &self.config.secret, form).await?;
        let reply = xml::parse(kind, &body)?;
        Ok(Step::Done(xml::answer(kind, &reply)))
    }
}

#[async_trait]
impl PortalAdapter for WiliAdapter {
    fn name(&self) -> &str {
        &self.name
    }

    fn arrival(&self, redirect: &Redirect<'_>) -> Result<Arrival, PortalError> {
        let pairs = query_pairs(redirect.query)?;
        let nasip =
            filled(&pairs, &["nasip", "lanip"]).ok_or(PortalError::MissingParameter("nasip"))?;
        let wanport = filled(&pairs, &["wanport", "sslport"]).unwrap_or("443");
        let controller =
            controller_address(nasip, wanport).ok_or(PortalError::BadParameter("nasip"))?;
        let client_ip = filled(&pairs, &["clientip"])
            .map(|v| v.parse().map_err(|_| PortalError::BadParameter("clientip")))
            .transpose()?;
        let client_mac = match filled(&pairs, &["clientmac", "mac"]) {
            Some(m) => Some(normalise_mac(m).ok_or(PortalError::BadParameter("clientmac"))?),
            None => None,
        };
        Ok(Arrival {
            portal: self.name.clone(),
            state: ArrivalState::NotYet,
            client_ip: client_ip.or(redirect.peer),
            client_mac,
            nas_id: short(&pairs, &["nasid"], "nasid")?,
            controller: Some(controller),
            interface: short(&pairs, &["nasifc"], "nasifc")?,
            original_url: filled(&pairs, &["clienturl", "ourl"]).and_then(web_url),
            lang: short(&pairs, &["clientlang", "lang"], "clientlang")?,
            challenge: None,
            session_id: None,
            reply: None,
        })
    }

    async fn logon(
        &self,
        arrival: &Arrival,
        credentials: &Credentials,
    ) -> Result<Step, PortalError> {
        let form = self.form(arrival, &credentials.username, Some(&credentials.password));
        if self.config.version == 2 {
            let mut fields = form;
            fields.push(("resulturl".to_owned(), self.result_url.clone()));
            return browser_step(arrival, BrowserMethod::Post, "pplogon.user", fields);
        }
        self.call(arrival, ReplyKind::Logon, form).await
    }

    async fn logoff(&self, arrival: &Arrival, username: &str) -> Result<Step, PortalError> {
        let form = self.form(arrival, username, None);
        if self.config.version == 2 {
            let mut fields = form;
            fields.push((
                "resulturl".to_owned(),
                format!("{}/logoff", self.result_url),
            ));
            return browser_step(arrival, BrowserMethod::Post, "pplogoff.user", fields);
        }
        self.call(arrival, ReplyKind::Logoff, form).await
    }

    async fn status(&self, arrival: &Arrival, username: &str) -> Result<Step, PortalError> {
        let form = self.form(arrival, username, None);
        if self.config.version == 2 {
            return browser_step(arrival, BrowserMethod::Get, "ppstatus.user", Vec::new());
        }
        self.call(arrival, ReplyKind::Status, form).await
    }

    fn login_name(&self, username: &str) -> String {
        login_name(self.config.login_format, &self.config.domain, username)
    }
}

/// Portal version 2: the browser's request to the controller's `path`.
fn browser_step(
    arrival: &Arrival,
    method: BrowserMethod,
    path: &str,
    fields: Vec<(String, String)>,
) -> Result<Step, PortalError> {
    let host = arrival
        .controller
        .as_deref()
        .ok_or(PortalError::MissingParameter("nasip"))?;
    Ok(Step::Browser(BrowserRequest {
        method,
        url: format!("https://{host}/{path}"),
        fields,
    }))
}

/// The username in the controller's login format. A username that already carries a
/// domain (`user@x`, `x/user`) is left as typed.
pub fn login_name(format: LoginFormat, domain: &str, username: &str) -> String {
    if username.contains('@') || username.contains('/') || domain.is_empty() {
        return username.to_owned();
    }
    match format {
        LoginFormat::Username => username.to_owned(),
        LoginFormat::UserAtDomain => format!("{username}@{domain}"),
        LoginFormat::DomainSlashUser => format!("{domain}/{username}"),
    }
}

/// Reads the `<logon>` result the controller sent the browser back with (portal version 2):
/// the query parameters `error`, `status`, `description`, repeated `replymessage`.
pub fn browser_result(query: &str) -> Result<super::Answer, PortalError> {
    browser_reply(query, ReplyKind::Logon)
}

/// Reads the `<logoff>` result the controller sent the browser back with (portal version
/// 2, to the `resulturl` of the logoff: owums' result page followed by `/logoff`), with
/// the same parameters as [`browser_result`].
pub fn browser_logoff_result(query: &str) -> Result<super::Answer, PortalError> {
    browser_reply(query, ReplyKind::Logoff)
}

fn browser_reply(query: &str, kind: ReplyKind) -> Result<super::Answer, PortalError> {
    let pairs = query_pairs(query)?;
    let error = param(&pairs, "error")
        .ok_or(PortalError::MissingParameter("error"))?
        .parse()
        .map_err(|_| PortalError::BadParameter("error"))?;
    let clean = |v: &str| -> String { v.chars().filter(|c| !c.is_control()).take(253).collect() };
    let reply = xml::Reply {
        status: param(&pairs, "status").map(clean).unwrap_or_default(),
        error,
        description: param(&pairs, "description").map(clean).unwrap_or_default(),
        reply_messages: pairs
            .iter()
            .filter(|(k, _)| k == "replymessage")
            .take(32)
            .map(|(_, v)| clean(v))
            .collect(),
        entries: Vec::new(),
    };
    Ok(xml::answer(kind, &reply))
}
