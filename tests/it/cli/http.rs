//! `owums serve` and slow or hostile clients: a request head that does not complete within
//! `[web] header_read_timeout_seconds` loses its connection, SIGTERM ends the process within
//! the grace period whatever clients are still trickling, and a RADIUS `User-Name` with a
//! line break stays on its log line.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::support::cli::{Serving, http_get, serve_command};

/// How long a test lets the server take to close a connection before it fails (generous:
/// the timeouts under test are 1 s).
const CLOSE_WAIT: Duration = Duration::from_secs(30);

/// Whether the server closed `conn` without answering: the read ends (or is reset) before
/// [`CLOSE_WAIT`]; an answer or a read that times out is a failure.
fn closed_unanswered(conn: &mut TcpStream) -> Result<(), String> {
    conn.set_read_timeout(Some(CLOSE_WAIT)).unwrap();
    let mut got = Vec::new();
    match conn.read_to_end(&mut got) {
        Ok(_) if got.is_empty() => Ok(()),
        Ok(_) => Err(format!("answered: {}", String::from_utf8_lossy(&got))),
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted
            ) =>
        {
            Ok(())
        }
        Err(e) => Err(format!("still open after {CLOSE_WAIT:?}: {e}")),
    }
}

/// Writes `first`, then `piece` every 100 ms on a connection to `addr` until the server
/// closes it (returns `true`), `stop` is set or a minute passed (`false`).
fn trickle(
    addr: SocketAddr,
    first: &'static [u8],
    piece: &'static [u8],
    stop: Arc<AtomicBool>,
) -> JoinHandle<bool> {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.write_all(first).unwrap();
    std::thread::spawn(move || {
        for _ in 0..600 {
            if stop.load(Ordering::Relaxed) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
            if conn.write_all(piece).is_err() {
                return true;
            }
        }
        false
    })
}

#[test]
fn a_request_head_that_does_not_complete_in_time_loses_its_connection() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serving::spawn(
        serve_command(dir.path()).env("OWUMS_WEB__HEADER_READ_TIMEOUT_SECONDS", "1"),
    );
    let addr = server.http_addr();
    // half a head, then nothing
    let mut half = TcpStream::connect(addr).unwrap();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: owums\r\nX-Slow: ")
        .unwrap();
    // a head trickled a header line at a time, never ending (slowloris)
    let stop = Arc::new(AtomicBool::new(false));
    let slowloris = trickle(
        addr,
        b"GET / HTTP/1.1\r\nHost: owums\r\n",
        b"X-More: 1\r\n",
        stop.clone(),
    );
    // meanwhile whole requests on other connections are answered
    for _ in 0..3 {
        let (code, body) = http_get(&addr.to_string(), "/healthz").expect("answered");
        assert_eq!(code, 200, "{body}");
    }
    closed_unanswered(&mut half).unwrap();
    let closed = slowloris.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    assert!(closed, "the trickled head kept its connection for a minute");
    // a keep-alive connection gets the same deadline for its next request: the first is
    // answered, the second, half sent, is not, and the connection ends
    let mut kept = TcpStream::connect(addr).unwrap();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: owums\r\n\r\nGET /healthz HTTP/1.1\r\n")
        .unwrap();
    kept.set_read_timeout(Some(CLOSE_WAIT)).unwrap();
    let mut answers = Vec::new();
    let ended = kept.read_to_end(&mut answers);
    assert!(
        ended.is_ok()
            || ended
                .as_ref()
                .is_err_and(|e| e.kind() == std::io::ErrorKind::ConnectionReset),
        "still open: {ended:?}"
    );
    let answers = String::from_utf8_lossy(&answers);
    assert_eq!(answers.matches("HTTP/1.1 ").count(), 1, "{answers}");
    assert!(answers.starts_with("HTTP/1.1 200"), "{answers}");
    assert!(server.terminate().success());
}

#[test]
fn sigterm_ends_serve_within_the_grace_period_whatever_clients_still_trickle() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serving::spawn(
        serve_command(dir.path())
            .env("OWUMS_SERVER__SHUTDOWN_GRACE_SECONDS", "1")
            // the head deadline must not be what ends the trickling head below
            .env("OWUMS_WEB__HEADER_READ_TIMEOUT_SECONDS", "3600"),
    );
    let addr = server.http_addr();
    let stop = Arc::new(AtomicBool::new(false));
    // a request whose head is complete and whose body trickles a byte at a time
    let body = trickle(
        addr,
        b"POST /account/login HTTP/1.1\r\nHost: owums\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100000\r\n\r\nu",
        b"u",
        stop.clone(),
    );
    let head = trickle(
        addr,
        b"GET / HTTP/1.1\r\nHost: owums\r\n",
        b"X-More: 1\r\n",
        stop.clone(),
    );
    let (code, _) = http_get(&addr.to_string(), "/healthz").expect("answered");
    assert_eq!(code, 200);
    // bounded by the harness: a process still running a minute after SIGTERM fails here
    let status = server.terminate();
    assert!(status.success(), "{status}");
    stop.store(true, Ordering::Relaxed);
    let _ = (body.join(), head.join());
}

/// `POST path` with a JSON body and `Authorization: Bearer token`: the status code.
fn post_json(addr: SocketAddr, path: &str, token: &str, body: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(CLOSE_WAIT)).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: owums\r\nConnection: close\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer}"))
}

#[test]
fn a_user_name_with_a_line_break_stays_on_its_log_line() {
    const FORGED: &str = "mallory\n2026-01-01T00:00:00.000000Z  INFO owums: fake line";
    let dir = tempfile::tempdir().unwrap();
    let mut server = Serving::spawn(
        serve_command(dir.path()).env("OWUMS_FREERADIUS__TOKEN", "forge-test-token"),
    );
    let addr = server.http_addr();
    // a control character in a NAS text field is refused at the door (400), nothing written
    for uid in ["forged-1", "forged-2"] {
        let body = crate::freeradius_rest::acct_body("Start", uid, FORGED).to_string();
        let code = post_json(
            addr,
            "/api/v1/freeradius/accounting/",
            "forge-test-token",
            &body,
        );
        assert_eq!(code, 400, "accounting answered {code}");
    }
    let log = server.log().to_owned();
    assert!(
        !log.lines()
            .any(|l| l.starts_with("2026-01-01T00:00:00.000000Z")),
        "a forged line:\n{log}"
    );
    assert!(server.terminate().success());
}
