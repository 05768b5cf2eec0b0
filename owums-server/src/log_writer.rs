//! Where `owums serve` writes its log: one line per event, whatever the event holds.
//!
//! A value a client chose (a RADIUS `User-Name`, a SIP header, a form field in an error)
//! may contain line breaks; written as they are, they would start a new line that reads like
//! an event of its own, and a log reader or alerting rule would believe it. The formatter
//! hands each event over in one write ending in its newline; this writer escapes every other
//! line break in it (`\n`, `\r`), and, when colours are off, the other control characters
//! too (a terminal escape sequence smuggled into a log file).

use std::io::{self, Write};

/// A writer that keeps each event on one line; see the module documentation.
#[derive(Debug)]
pub(crate) struct OneLine<W> {
    inner: W,
    /// Colours are on: the formatter's own escape sequences must pass.
    ansi: bool,
}

impl<W: Write> OneLine<W> {
    /// Writes to `inner`; `ansi` when the log is coloured (a terminal).
    pub(crate) fn new(inner: W, ansi: bool) -> Self {
        OneLine { inner, ansi }
    }

    /// Whether `byte` is written escaped.
    fn escapes(&self, byte: u8) -> bool {
        match byte {
            b'\n' | b'\r' => true,
            b'\t' => false,
            0x1b => !self.ansi,
            _ => byte < 0x20 || byte == 0x7f,
        }
    }
}

impl<W: Write> Write for OneLine<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let (body, end) = match buf.strip_suffix(b"\n") {
            Some(body) => (body, &b"\n"[..]),
            None => (buf, &b""[..]),
        };
        if !body.iter().any(|b| self.escapes(*b)) {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        for &b in body {
            match b {
                b'\n' => out.extend_from_slice(b"\\n"),
                b'\r' => out.extend_from_slice(b"\\r"),
                // as Rust's escape_debug writes it: `\u{1b}`
                _ if self.escapes(b) => out.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes()),
                _ => out.push(b),
            }
        }
        out.extend_from_slice(end);
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(ansi: bool, event: &str) -> String {
        let mut w = OneLine::new(Vec::new(), ansi);
        w.write_all(event.as_bytes()).unwrap();
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn an_event_stays_one_line() {
        assert_eq!(
            through(false, "INFO closed username=bob\n2026 INFO fake line\n"),
            "INFO closed username=bob\\n2026 INFO fake line\n"
        );
        assert_eq!(
            through(false, "a\r\nb\tc\x1b[31md\n"),
            "a\\r\\nb\tc\\u{1b}[31md\n"
        );
        // a terminal gets the formatter's colours
        assert_eq!(
            through(true, "\x1b[32mINFO\x1b[0m x\ny\n"),
            "\x1b[32mINFO\x1b[0m x\\ny\n"
        );
        assert_eq!(through(false, "plain line\n"), "plain line\n");
        assert_eq!(through(false, "no newline"), "no newline");
    }
}
