//! SIP requests as the busy machine needs them: [`parse`] (the one entry point for
//! untrusted bytes; it never panics) over rsip, with compact header forms understood.

use std::fmt;

/// Largest datagram read; anything bigger is dropped unread.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The request methods the busy machine tells apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Method {
    /// A call.
    Invite,
    /// Acknowledges a final response.
    Ack,
    /// Abandons a ringing call.
    Cancel,
    /// Keep-alive / capability query.
    Options,
    /// Anything else (BYE, REGISTER, ...), upper case.
    Other(String),
}

impl Method {
    fn from_name(name: &str) -> Method {
        match name {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "CANCEL" => Method::Cancel,
            "OPTIONS" => Method::Options,
            other => Method::Other(other.to_owned()),
        }
    }

    /// The name on the wire.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Cancel => "CANCEL",
            Method::Options => "OPTIONS",
            Method::Other(name) => name,
        }
    }
}

/// Why a datagram was not a usable request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// Bigger than [`MAX_MESSAGE_BYTES`].
    TooLarge(usize),
    /// Not a SIP request (a response, garbage, truncated): why, in our words, with the
    /// datagram's length and an escaped beginning of it, never its raw bytes (they would
    /// reach the log as they are).
    Malformed(String),
    /// A header every request needs is missing.
    Missing(&'static str),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TooLarge(n) => write!(f, "{n} bytes is too large"),
            ParseError::Malformed(why) => write!(f, "not a SIP request: {why}"),
            ParseError::Missing(h) => write!(f, "missing {h} header"),
        }
    }
}

impl std::error::Error for ParseError {}

/// A SIP request: the request line and the headers a server transaction needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipRequest {
    /// The method.
    pub method: Method,
    /// The Request-URI.
    pub uri: String,
    /// Via values, topmost first.
    pub vias: Vec<String>,
    /// Record-Route values, in order.
    pub record_routes: Vec<String>,
    /// From value.
    pub from: String,
    /// To value.
    pub to: String,
    /// Call-ID.
    pub call_id: String,
    /// CSeq number.
    pub cseq: u32,
    /// CSeq method.
    pub cseq_method: String,
    /// P-Asserted-Identity value (the first), when the network asserted the caller.
    pub asserted_identity: Option<String>,
}

/// Long name of a header given in long or compact form (RFC 3261 §7.3.3), lowercase.
fn canonical(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    match lower.as_str() {
        "f" => "from".to_owned(),
        "t" => "to".to_owned(),
        "i" => "call-id".to_owned(),
        "v" => "via".to_owned(),
        "m" => "contact".to_owned(),
        "l" => "content-length".to_owned(),
        _ => lower,
    }
}

/// Parses one datagram. Never panics, whatever the bytes.
pub fn parse(bytes: &[u8]) -> Result<SipRequest, ParseError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(ParseError::TooLarge(bytes.len()));
    }
    // rsip's error quotes the input: keep our own words and an escaped excerpt
    let request = rsip::Request::try_from(bytes).map_err(|_| {
        ParseError::Malformed(format!("{} bytes starting {}", bytes.len(), excerpt(bytes)))
    })?;
    let mut vias = Vec::new();
    let mut record_routes = Vec::new();
    let (mut from, mut to, mut call_id, mut cseq, mut pai) = (None, None, None, None, None);
    for header in request.headers.iter() {
        let line = header.to_string();
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_owned();
        match canonical(name).as_str() {
            "via" => vias.push(value),
            "record-route" => record_routes.push(value),
            "from" => from = from.or(Some(value)),
            "to" => to = to.or(Some(value)),
            "call-id" => call_id = call_id.or(Some(value)),
            "cseq" => cseq = cseq.or(Some(value)),
            "p-asserted-identity" => pai = pai.or(Some(value)),
            _ => {}
        }
    }
    if vias.is_empty() {
        return Err(ParseError::Missing("Via"));
    }
    let from = from.ok_or(ParseError::Missing("From"))?;
    let to = to.ok_or(ParseError::Missing("To"))?;
    let call_id = call_id
        .filter(|c| !c.is_empty())
        .ok_or(ParseError::Missing("Call-ID"))?;
    let cseq_value = cseq.ok_or(ParseError::Missing("CSeq"))?;
    let mut parts = cseq_value.split_whitespace();
    let cseq = parts
        .next()
        .and_then(|n| n.parse::<u32>().ok())
        .ok_or_else(|| {
            ParseError::Malformed(format!("bad CSeq {}", excerpt(cseq_value.as_bytes())))
        })?;
    let cseq_method = parts
        .next()
        .ok_or_else(|| ParseError::Malformed(format!("bad CSeq `{cseq_value}`")))?
        .to_owned();
    Ok(SipRequest {
        method: Method::from_name(&request.method.to_string()),
        uri: request.uri.to_string(),
        vias,
        record_routes,
        from,
        to,
        call_id,
        cseq,
        cseq_method,
        asserted_identity: pai,
    })
}

/// The first bytes of untrusted input as the log may show them: at most 32, quoted, with
/// line breaks and other control characters escaped.
pub(crate) fn excerpt(bytes: &[u8]) -> String {
    const SHOWN: usize = 32;
    let shown = String::from_utf8_lossy(&bytes[..bytes.len().min(SHOWN)]).into_owned();
    let more = if bytes.len() > SHOWN { "…" } else { "" };
    format!("{shown:?}{more}")
}

impl SipRequest {
    /// The `branch` of the topmost Via (empty for RFC 2543 peers without one).
    pub fn branch(&self) -> &str {
        self.vias
            .first()
            .and_then(|v| param(v, "branch"))
            .unwrap_or_default()
    }

    /// The tag of the To header, if any.
    pub fn to_tag(&self) -> Option<&str> {
        header_params(&self.to).and_then(|p| param(p, "tag"))
    }
}

/// The value of `;name=value` in `params` (case-insensitive name).
fn param<'a>(params: &'a str, name: &str) -> Option<&'a str> {
    params.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().split(',').next().unwrap_or_default().trim())
    })
}

/// Splits a name-addr or addr-spec header value into its URI and its header parameters.
fn split_address(value: &str) -> (&str, &str) {
    let mut rest = value.trim();
    // A quoted display name may hold `<`, `>` and `;`.
    if rest.starts_with('"') {
        let mut escaped = false;
        let end = rest[1..].char_indices().find_map(|(i, c)| match c {
            _ if escaped => {
                escaped = false;
                None
            }
            '\\' => {
                escaped = true;
                None
            }
            '"' => Some(i + 2),
            _ => None,
        });
        rest = end.map_or("", |e| &rest[e..]);
    }
    if let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        return match after.find('>') {
            Some(close) => (&after[..close], &after[close + 1..]),
            None => (after, ""),
        };
    }
    // addr-spec: parameters after the URI belong to the header.
    match rest.find(';') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    }
}

fn header_params(value: &str) -> Option<&str> {
    let (_, params) = split_address(value);
    (!params.is_empty()).then_some(params)
}

/// The user part of the URI in a From/To/P-Asserted-Identity value or a Request-URI:
/// `sip:USER@host`, `sips:USER@host`, `tel:USER`. Parameters are cut off.
pub fn uri_user(value: &str) -> Option<&str> {
    let (uri, _) = split_address(value);
    let uri = uri.trim();
    let (scheme, rest) = uri.split_once(':')?;
    let user = if scheme.eq_ignore_ascii_case("tel") {
        rest
    } else if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        rest.split_once('@')?.0
    } else {
        return None;
    };
    let user = user.split(';').next().unwrap_or_default();
    // `sip:user:password@host`
    let user = user.split(':').next().unwrap_or_default();
    (!user.is_empty()).then_some(user)
}
