//! The three XML replies of a WILI-S controller: `<logon>`, `<logoff>`, `<ppstatus>`.
//!
//! Read with quick-xml, tolerant of what the seed's own samples show (spaces inside tags
//! and runs of spaces inside text), never panicking: anything else is
//! [`PortalError::Garbage`].

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::portal::{Answer, ControllerFault, Figure, Outcome, PortalError, SessionStatus};

/// Which reply is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyKind {
    /// `<logon>`, the answer to `pplogon.user`.
    Logon,
    /// `<logoff>`, the answer to `pplogoff.user`.
    Logoff,
    /// `<ppstatus>`, the answer to `ppstatus.user`.
    Status,
}

impl ReplyKind {
    fn root(self) -> &'static str {
        match self {
            Self::Logon => "logon",
            Self::Logoff => "logoff",
            Self::Status => "ppstatus",
        }
    }
}

/// A reply as the controller wrote it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reply {
    /// `<status>`, e.g. `Ok`, `Bad password`.
    pub status: String,
    /// `<error>`, the numeric code.
    pub error: u32,
    /// `<description>`.
    pub description: String,
    /// Every `<replymessage>`, in order (RADIUS Reply-Messages).
    pub reply_messages: Vec<String>,
    /// `<entry id="N">` values, by id 1–16 (index 0 is entry 1).
    pub entries: Vec<Option<String>>,
}

/// The `<logon>` codes of the seed's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogonCode {
    /// 0 "User logged on."
    Ok,
    /// 100 "Logon information not checked."
    NotChecked,
    /// 101 "No user IP address supplied."
    NoIp,
    /// 102 "No username supplied."
    NoUsername,
    /// 103 "Remote authentication is disabled."
    Disabled,
    /// 104 "Bad shared secret supplied."
    BadSecret,
    /// 105 "No user password supplied."
    NoPassword,
    /// 106 "No user IP and/or MAC address supplied."
    NoIpMac,
    /// 110 "User already logged on."
    AlreadyLoggedOn,
    /// 111 "Failed to authorize user."
    FailedToAuthorize,
    /// 112 "Bad username or/and password."
    BadPassword,
    /// 113 "Network connection failed."
    NetworkFailed,
    /// 114 "Accounting error."
    AccountingError,
    /// 115 "Too many users connected"
    TooManyUsers,
    /// 120 "Unknown authorization error"
    UnknownAuthorizationError,
    /// A code the seed does not list.
    Unknown(u32),
}

impl LogonCode {
    /// The code's meaning.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::Ok,
            100 => Self::NotChecked,
            101 => Self::NoIp,
            102 => Self::NoUsername,
            103 => Self::Disabled,
            104 => Self::BadSecret,
            105 => Self::NoPassword,
            106 => Self::NoIpMac,
            110 => Self::AlreadyLoggedOn,
            111 => Self::FailedToAuthorize,
            112 => Self::BadPassword,
            113 => Self::NetworkFailed,
            114 => Self::AccountingError,
            115 => Self::TooManyUsers,
            120 => Self::UnknownAuthorizationError,
            other => Self::Unknown(other),
        }
    }

    /// What it means for the subscriber.
    pub fn outcome(self) -> Outcome {
        use ControllerFault as F;
        match self {
            Self::Ok => Outcome::LoggedOn { already: false },
            Self::AlreadyLoggedOn => Outcome::LoggedOn { already: true },
            Self::NotChecked => Outcome::ControllerFailed(F::NotChecked),
            Self::NoIp | Self::NoUsername | Self::NoPassword | Self::NoIpMac => {
                Outcome::ControllerFailed(F::MissingParameter)
            }
            Self::Disabled => Outcome::ControllerFailed(F::Disabled),
            Self::BadSecret => Outcome::ControllerFailed(F::BadSecret),
            Self::FailedToAuthorize => Outcome::Refused,
            Self::BadPassword => Outcome::WrongCredentials,
            Self::NetworkFailed => Outcome::ControllerFailed(F::Network),
            Self::AccountingError => Outcome::ControllerFailed(F::Accounting),
            Self::TooManyUsers => Outcome::TooManyUsers,
            Self::UnknownAuthorizationError => Outcome::ControllerFailed(F::Other),
            Self::Unknown(code) => Outcome::Unknown(code),
        }
    }
}

/// The `<logoff>` codes of the seed's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogoffCode {
    /// 0 "User logged off."
    Ok,
    /// 100 "Logoff information not checked."
    NotChecked,
    /// 102 "No username supplied"
    NoUsername,
    /// 103 "Remote authentication is disabled."
    Disabled,
    /// 104 "Bad shared secret supplied."
    BadSecret,
    /// 106 "No user IP and/or MAC address supplied."
    NoIpMac,
    /// 121 "User with supplied MAC not found."
    NoUserByMac,
    /// 122 "User with supplied IP address and username not found."
    NoUserByIp,
    /// 123 "User with supplied IP, MAC addresses and username not found."
    NoUserByIpAndMac,
    /// 131 "Failed to logoff user."
    FailedToLogoff,
    /// 132 "Cannot resolve user IP"
    CannotResolveIp,
    /// 140 "Unknown logoff error"
    UnknownLogoffError,
    /// A code the seed does not list.
    Unknown(u32),
}

impl LogoffCode {
    /// The code's meaning.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::Ok,
            100 => Self::NotChecked,
            102 => Self::NoUsername,
            103 => Self::Disabled,
            104 => Self::BadSecret,
            106 => Self::NoIpMac,
            121 => Self::NoUserByMac,
            122 => Self::NoUserByIp,
            123 => Self::NoUserByIpAndMac,
            131 => Self::FailedToLogoff,
            132 => Self::CannotResolveIp,
            140 => Self::UnknownLogoffError,
            other => Self::Unknown(other),
        }
    }

    /// What it means for the subscriber.
    pub fn outcome(self) -> Outcome {
        use ControllerFault as F;
        match self {
            Self::Ok => Outcome::LoggedOff,
            Self::NotChecked => Outcome::ControllerFailed(F::NotChecked),
            Self::NoUsername | Self::NoIpMac => Outcome::ControllerFailed(F::MissingParameter),
            Self::Disabled => Outcome::ControllerFailed(F::Disabled),
            Self::BadSecret => Outcome::ControllerFailed(F::BadSecret),
            Self::NoUserByMac | Self::NoUserByIp | Self::NoUserByIpAndMac => Outcome::NotLoggedOn,
            Self::FailedToLogoff => Outcome::ControllerFailed(F::LogoffFailed),
            Self::CannotResolveIp => Outcome::ControllerFailed(F::Network),
            Self::UnknownLogoffError => Outcome::ControllerFailed(F::Other),
            Self::Unknown(code) => Outcome::Unknown(code),
        }
    }
}

/// The `<ppstatus>` codes of the seed's table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCode {
    /// 0 "Got user status."
    Ok,
    /// 100 "Status information not checked."
    NotChecked,
    /// 101 "No user IP address supplied."
    NoIp,
    /// 102 "No username supplied."
    NoUsername,
    /// 103 "Remote authentication is disabled."
    Disabled,
    /// 104 "Bad shared secret supplied."
    BadSecret,
    /// 106 "No user IP and/or MAC address supplied."
    NoIpMac,
    /// 121 "User with supplied MAC not found."
    NoUserByMac,
    /// 122 "User with supplied IP address not found."
    NoUserByIp,
    /// 123 "User with supplied IP and MAC addresses not found."
    NoUserByIpAndMac,
    /// 141 "User with supplied IP address and username not found."
    NoUserByIpAndUsername,
    /// A code the seed does not list.
    Unknown(u32),
}

impl StatusCode {
    /// The code's meaning.
    pub fn from_code(code: u32) -> Self {
        match code {
            0 => Self::Ok,
            100 => Self::NotChecked,
            101 => Self::NoIp,
            102 => Self::NoUsername,
            103 => Self::Disabled,
            104 => Self::BadSecret,
            106 => Self::NoIpMac,
            121 => Self::NoUserByMac,
            122 => Self::NoUserByIp,
            123 => Self::NoUserByIpAndMac,
            141 => Self::NoUserByIpAndUsername,
            other => Self::Unknown(other),
        }
    }

    /// What it means for the subscriber (`Ok` without figures: [`answer`] adds them).
    pub fn outcome(self) -> Outcome {
        use ControllerFault as F;
        match self {
            Self::Ok => Outcome::Status(Box::default()),
            Self::NotChecked => Outcome::ControllerFailed(F::NotChecked),
            Self::NoIp | Self::NoUsername | Self::NoIpMac => {
                Outcome::ControllerFailed(F::MissingParameter)
            }
            Self::Disabled => Outcome::ControllerFailed(F::Disabled),
            Self::BadSecret => Outcome::ControllerFailed(F::BadSecret),
            Self::NoUserByMac
            | Self::NoUserByIp
            | Self::NoUserByIpAndMac
            | Self::NoUserByIpAndUsername => Outcome::NotLoggedOn,
            Self::Unknown(code) => Outcome::Unknown(code),
        }
    }
}

/// The largest reply read (a real one is well under 2 KiB).
pub const MAX_REPLY: usize = 64 * 1024;

/// Reads a reply of the expected kind.
pub fn parse(kind: ReplyKind, body: &[u8]) -> Result<Reply, PortalError> {
    if body.len() > MAX_REPLY {
        return Err(PortalError::Garbage("reply over 64 KiB".into()));
    }
    let mut reader = Reader::from_reader(body);
    let mut reply = Reply {
        entries: vec![None; 16],
        ..Reply::default()
    };
    let mut path: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut entry: Option<usize> = None;
    let mut error: Option<u32> = None;
    let mut saw_root = false;
    let garbage = |what: &str| PortalError::Garbage(what.to_owned());
    loop {
        let event = reader.read_event().map_err(|e| {
            PortalError::Garbage(format!("not XML ({})", printable(&e.to_string())))
        })?;
        match event {
            Event::Start(tag) => {
                let name = tag.local_name().as_ref().to_ascii_lowercase();
                if path.is_empty() {
                    if saw_root || name != kind.root() {
                        return Err(garbage("not the expected reply element"));
                    }
                    saw_root = true;
                } else if path.len() > 1 {
                    return Err(garbage("nested elements"));
                } else if name == "entry" {
                    let id = tag
                        .attributes()
                        .flatten()
                        .find(|a| a.key.local_name().as_ref() == "id")
                        .and_then(|a| a.value.trim().parse().ok())
                        .filter(|id: &usize| (1..=16).contains(id));
                    entry = Some(id.ok_or_else(|| garbage("an entry without an id 1–16"))?);
                }
                text.clear();
                path.push(name);
            }
            Event::Empty(tag) => {
                if path.is_empty() {
                    return Err(garbage("an empty reply"));
                }
                let _ = tag;
            }
            Event::Text(t) => {
                text.push_str(&t);
            }
            Event::GeneralRef(r) => {
                let ch = match &*r {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    _ => match r.resolve_char_ref() {
                        Ok(Some(c)) => c,
                        _ => return Err(garbage("an unknown entity")),
                    },
                };
                text.push(ch);
            }
            Event::CData(c) => {
                text.push_str(&c.into_inner());
            }
            Event::End(_) => {
                let Some(name) = path.pop() else {
                    return Err(garbage("an unbalanced end tag"));
                };
                if path.is_empty() {
                    continue;
                }
                let value = collapse(&text);
                text.clear();
                match name.as_str() {
                    "status" => reply.status = value,
                    "error" => {
                        error = Some(value.parse().map_err(|_| garbage("a non-numeric error"))?);
                    }
                    "description" => reply.description = value,
                    "replymessage" if reply.reply_messages.len() < 32 => {
                        reply.reply_messages.push(value);
                    }
                    "entry" => {
                        if let Some(id) = entry.take() {
                            reply.entries[id - 1] = Some(value);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !path.is_empty() || !saw_root {
        return Err(garbage("an unfinished reply"));
    }
    reply.error = error.ok_or_else(|| garbage("a reply without <error>"))?;
    Ok(reply)
}

/// The typed [`Answer`] of a reply.
pub fn answer(kind: ReplyKind, reply: &Reply) -> Answer {
    let outcome = match kind {
        ReplyKind::Logon => LogonCode::from_code(reply.error).outcome(),
        ReplyKind::Logoff => LogoffCode::from_code(reply.error).outcome(),
        ReplyKind::Status => match StatusCode::from_code(reply.error).outcome() {
            Outcome::Status(_) => Outcome::Status(Box::new(status(&reply.entries))),
            other => other,
        },
    };
    Answer {
        outcome,
        messages: reply.reply_messages.clone(),
        detail: printable(&format!(
            "{} {} {}",
            reply.error, reply.status, reply.description
        )),
    }
}

/// The 16 entries as a [`SessionStatus`].
fn status(entries: &[Option<String>]) -> SessionStatus {
    let text = |i: usize| {
        entries
            .get(i - 1)
            .cloned()
            .flatten()
            .filter(|v| !v.is_empty())
    };
    let figure = |i: usize, remaining: bool| match text(i) {
        None => Figure::Unknown,
        Some(v) => figure(&v, remaining),
    };
    SessionStatus {
        username: text(1),
        ip: text(2),
        mac: text(3),
        session_time: figure(4, false),
        session_id: text(5),
        idle_time: figure(6, false),
        output_bytes: figure(7, false),
        input_bytes: figure(8, false),
        domain: text(9),
        remaining_bytes: figure(10, true),
        remaining_output_bytes: figure(11, true),
        remaining_input_bytes: figure(12, true),
        bandwidth_up: figure(13, false),
        bandwidth_down: figure(14, false),
        remaining_time: figure(15, false),
        remaining_total_bytes: figure(16, true),
    }
}

/// Reads one figure: `HH:MM:SS`, `N bytes`, `N Mbps` (`bps`, `kbps`, `Gbps`), `unlimited`.
/// A remaining byte count of zero means no bound is active (the seed says so).
pub fn figure(value: &str, remaining: bool) -> Figure {
    let value = collapse(value);
    if value.eq_ignore_ascii_case("unlimited") {
        return Figure::Unlimited;
    }
    if let Some(seconds) = clock(&value) {
        return Figure::Seconds(seconds);
    }
    let mut words = value.split(' ');
    let (Some(number), unit, None) = (words.next(), words.next(), words.next()) else {
        return Figure::Text(value);
    };
    let Ok(number) = number.parse::<u64>() else {
        return Figure::Text(value);
    };
    let scaled = |factor: u64| number.checked_mul(factor);
    let read = match unit.map(str::to_ascii_lowercase).as_deref() {
        None | Some("bytes" | "byte" | "b") if remaining && number == 0 => Some(Figure::Unlimited),
        None | Some("bytes" | "byte" | "b") => Some(Figure::Bytes(number)),
        Some("bps") => scaled(1).map(Figure::BitsPerSecond),
        Some("kbps") => scaled(1_000).map(Figure::BitsPerSecond),
        Some("mbps") => scaled(1_000_000).map(Figure::BitsPerSecond),
        Some("gbps") => scaled(1_000_000_000).map(Figure::BitsPerSecond),
        _ => None,
    };
    read.unwrap_or(Figure::Text(value))
}

/// `H+:MM:SS` as seconds.
fn clock(value: &str) -> Option<u64> {
    let mut parts = value.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || m.len() != 2 || s.len() != 2 || h.is_empty() || h.len() > 6 {
        return None;
    }
    let digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    if !(digits(h) && digits(m) && digits(s)) {
        return None;
    }
    let (h, m, s): (u64, u64, u64) = (h.parse().ok()?, m.parse().ok()?, s.parse().ok()?);
    (m < 60 && s < 60).then(|| h * 3600 + m * 60 + s)
}

/// Trims and folds runs of whitespace into one space (the seed's samples carry them).
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most 200 characters, without control characters, for logs.
fn printable(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).take(200).collect()
}
