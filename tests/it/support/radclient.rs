//! `radclient` (Debian's `freeradius-utils`): one request, and its answer parsed.

use std::io::Write;
use std::process::{Command, Stdio};

use super::freeradius::ctx;

/// What `radclient` received.
#[derive(Debug, Clone, Default)]
pub(crate) struct RadiusReply {
    /// Reply code ("Access-Accept", "Access-Reject", "Accounting-Response",
    /// ...), `None` when no (valid) reply arrived.
    pub(crate) code: Option<String>,
    /// Reply attributes in order, values without surrounding quotes.
    pub(crate) attributes: Vec<(String, String)>,
    /// radclient's stdout and stderr, for assertion messages.
    pub(crate) raw: String,
}

impl RadiusReply {
    /// The value of the first reply attribute called `name`.
    pub(crate) fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of the reply attributes called `name`.
    pub(crate) fn attrs(&self, name: &str) -> Vec<&str> {
        self.attributes
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// True for an Access-Accept.
    pub(crate) fn is_accept(&self) -> bool {
        self.code.as_deref() == Some("Access-Accept")
    }

    /// True for an Access-Reject.
    pub(crate) fn is_reject(&self) -> bool {
        self.code.as_deref() == Some("Access-Reject")
    }
}

/// Runs `radclient -x` (one try, 3 s timeout) and parses what it printed.
pub(crate) fn radclient(server: &str, kind: &str, secret: &str, input: &str) -> RadiusReply {
    let run = || -> Result<RadiusReply, String> {
        let mut child = Command::new("radclient")
            .args(["-x", "-r", "1", "-t", "3", server, kind, secret])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(ctx("spawning radclient"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(input.as_bytes())
                .map_err(ctx("writing to radclient"))?;
        }
        let out = child.wait_with_output().map_err(ctx("running radclient"))?;
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        Ok(parse_reply(&text(&out.stdout), &text(&out.stderr)))
    };
    run().unwrap_or_else(|raw| RadiusReply {
        raw,
        ..Default::default()
    })
}

/// Parses `radclient -x` output: the "Received <Code> Id ..." line and the
/// tab-indented attribute lines after it.
fn parse_reply(stdout: &str, stderr: &str) -> RadiusReply {
    let mut reply = RadiusReply {
        raw: format!("{stdout}{stderr}"),
        ..Default::default()
    };
    let mut in_reply = false;
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("Received ") {
            reply.code = rest.split_whitespace().next().map(str::to_owned);
            reply.attributes.clear();
            in_reply = true;
        } else if !line.starts_with(char::is_whitespace) {
            in_reply = false;
        } else if in_reply && let Some((name, value)) = line.trim().split_once(" = ") {
            reply.attributes.push((name.to_owned(), unquote(value)));
        }
    }
    reply
}

/// Escapes a value for a double-quoted radclient / FreeRADIUS string.
pub(crate) fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out
}

/// Removes surrounding double quotes and undoes [`escape`].
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}
