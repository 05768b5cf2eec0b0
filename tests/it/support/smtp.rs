//! A real SMTP server on loopback (aiosmtpd, `tests/fixtures/smtp_sink.py`) that keeps what it
//! receives as JSON files.

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpListener};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use owums_core::config::MailConfig;

/// A port on 127.0.0.1 held by a socket that is bound but does not listen: connections to it
/// are refused, as when nothing is there, and no other process can take it meanwhile.
#[derive(Debug)]
pub(crate) struct ClosedPort {
    socket: tokio::net::TcpSocket,
    pub(crate) port: u16,
}

impl ClosedPort {
    /// A port nothing answers on.
    pub(crate) fn new() -> ClosedPort {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("a loopback port");
        let port = socket.local_addr().expect("bound").port();
        ClosedPort { socket, port }
    }

    /// An SMTP server starts answering on the port (inside a tokio runtime).
    pub(crate) fn start_smtp(self) -> SmtpSink {
        let listener = self
            .socket
            .listen(128)
            .and_then(tokio::net::TcpListener::into_std)
            .expect("listening on the held port");
        SmtpSink::start_with(listener)
    }
}

/// `[mail]` for an SMTP server on 127.0.0.1:`port`, plain SMTP, delivery on.
pub(crate) fn mail_config(port: u16) -> MailConfig {
    MailConfig {
        enabled: true,
        host: "127.0.0.1".to_owned(),
        port,
        from: "WiFi <wifi@example.net>".to_owned(),
        timeout_seconds: 5,
        ..MailConfig::default()
    }
}

/// What the server received: the envelope and the decoded message.
#[derive(Debug, Clone, serde::Deserialize)]
pub(crate) struct Received {
    pub(crate) mail_from: String,
    pub(crate) rcpt_tos: Vec<String>,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) message_id: String,
    pub(crate) content_type: String,
    pub(crate) body: String,
}

/// The running server; stopped when dropped.
#[derive(Debug)]
pub(crate) struct SmtpSink {
    pub(crate) port: u16,
    child: Child,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts a server on a free port (bound here, handed over as its standard input).
    pub(crate) fn start() -> SmtpSink {
        SmtpSink::start_with(TcpListener::bind("127.0.0.1:0").expect("a loopback port"))
    }

    /// Starts a server on `listener` and waits until it accepts connections.
    fn start_with(listener: TcpListener) -> SmtpSink {
        let port = listener.local_addr().expect("bound").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/smtp_sink.py");
        let mut child = Command::new("python3")
            .arg(&script)
            .arg("-")
            .arg(dir.path())
            .stdin(Stdio::from(OwnedFd::from(listener)))
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 runs (install aiosmtpd: scripts/install-peers)");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("reading the SMTP server's output");
        if line.trim() != "ready" {
            let _ = child.kill();
            let _ = child.wait();
            panic!("the SMTP server did not start on port {port}");
        }
        SmtpSink { port, child, dir }
    }

    /// Everything received so far, in order.
    pub(crate) fn received(&self) -> Vec<Received> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(self.dir.path())
            .expect("sink dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        files
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("message file"))
                    .expect("message JSON")
            })
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
