//! `owums serve` with the SIP verifier from `plugins.toml`: the listener started, a bad
//! setting refused, a taken port fatal unless the plugin is optional; `check-config` naming
//! each bad setting.

use std::time::Duration;

use super::{OUR_NUMBER, options};
use crate::support::cli::{Serving, log_field, serve_command};

/// `owums serve` in `dir` (HTTP on a port it picks), its log read by the test.
fn spawn_serve(dir: &std::path::Path) -> Serving {
    Serving::spawn(&mut serve_command(dir))
}

fn plugins_toml(port: u16, peers: &str) -> String {
    format!(
        "[plugins.sip]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\nallowed_peers = {peers}\n\
         numbers = [\"{OUR_NUMBER}\"]\nring_seconds = 1\ndefault_country_code = \"39\"\n"
    )
}

/// A GET of `path` on `addr`: the status code.
fn http_status(addr: std::net::SocketAddr, path: &str) -> Option<u16> {
    crate::support::cli::http_get(&addr.to_string(), path).map(|(code, _)| code)
}

#[test]
fn owums_serve_starts_the_sip_listener_from_plugins_toml() {
    let dir = tempfile::tempdir().unwrap();
    // port 0: the listener takes a free port and its log line says which
    std::fs::write(
        dir.path().join("plugins.toml"),
        plugins_toml(0, "[\"127.0.0.1\"]"),
    )
    .unwrap();
    let mut server = spawn_serve(dir.path());
    let line = server.wait_line("SIP busy machine listening");
    let sip: std::net::SocketAddr = line
        .as_deref()
        .and_then(|l| log_field(l, "listen"))
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no SIP listener in the log:\n{}", server.log()));
    assert_ne!(sip.port(), 0, "the bound port is logged");
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    client.send_to(options("serve").as_bytes(), sip).unwrap();
    let mut buf = [0u8; 4096];
    let (n, _) = client.recv_from(&mut buf).expect("an answer to OPTIONS");
    let reply = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(reply.starts_with("SIP/2.0 200 OK\r\n"), "{reply}");
    assert!(
        reply.contains("Allow: INVITE, ACK, CANCEL, OPTIONS"),
        "{reply}"
    );
    assert!(server.terminate().success());
}

#[test]
fn owums_serve_refuses_a_bad_sip_setting_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("plugins.toml"),
        plugins_toml(0, "[\"10.0.0.0/33\"]"),
    )
    .unwrap();
    let (status, stderr) = spawn_serve(dir.path()).wait_exit();
    assert!(!status.success());
    assert!(
        stderr.contains("allowed_peers") && stderr.contains("10.0.0.0/33"),
        "{stderr}"
    );
}

#[test]
fn owums_serve_stops_when_the_sip_port_is_taken_unless_optional() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    std::fs::write(
        dir.path().join("plugins.toml"),
        plugins_toml(port, "[\"127.0.0.1\"]"),
    )
    .unwrap();
    let (status, stderr) = spawn_serve(dir.path()).wait_exit();
    assert_eq!(status.code(), Some(1), "{stderr}");
    let bind = format!("cannot bind 127.0.0.1:{port}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("error: ") && l.contains("sip-listener") && l.contains(&bind)),
        "{stderr}"
    );

    // An optional plugin's listener that cannot bind is logged; HTTP serves on.
    std::fs::write(
        dir.path().join("plugins.toml"),
        plugins_toml(port, "[\"127.0.0.1\"]")
            .replace("enabled = true", "enabled = true\nrequired = false"),
    )
    .unwrap();
    let mut server = spawn_serve(dir.path());
    let failed = server.wait_line("background task failed");
    assert!(
        failed.is_some_and(|l| l.contains(&bind)),
        "the bind failure is logged:\n{}",
        server.log()
    );
    // after the failure, the server still answers
    let http = server.http_addr();
    assert_eq!(http_status(http, "/healthz"), Some(200), "{}", server.log());
    assert!(
        server.running(),
        "an optional plugin's failure does not stop owums serve"
    );
    assert!(server.terminate().success());
    drop(taken);
}

#[test]
fn owums_check_config_names_each_bad_sip_setting() {
    let dir = tempfile::tempdir().unwrap();
    // check-config binds nothing: any port will do
    let port = 5060;
    let good = plugins_toml(port, "[\"127.0.0.1\"]");
    let check = |toml: &str| {
        std::fs::write(dir.path().join("plugins.toml"), toml).unwrap();
        crate::support::cli::owums(dir.path(), "sqlite://owums.db", &["check-config"], "")
    };
    let r = check(&good);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("[plugins.sip]"), "{}", r.stdout);
    let listen = format!("listen = \"127.0.0.1:{port}\"");
    let numbers = format!("numbers = [\"{OUR_NUMBER}\"]");
    for (from, to, names) in [
        (listen.as_str(), "listen = \"5060\"", ["listen", "`5060`"]),
        (
            "allowed_peers = [\"127.0.0.1\"]",
            "allowed_peers = [\"127.0.0.1\", \"10.0.0.0/33\"]",
            ["allowed_peers", "10.0.0.0/33"],
        ),
        (
            numbers.as_str(),
            "numbers = []",
            ["numbers", "at least one"],
        ),
        (
            numbers.as_str(),
            "numbers = [\"call me\"]",
            ["numbers", "call me"],
        ),
        (
            "ring_seconds = 1",
            "ring_seconds = 0",
            ["ring_seconds", "between 1 and 60"],
        ),
    ] {
        let r = check(&good.replace(from, to));
        assert_eq!(r.code, 1, "{to}: {}", r.stderr);
        // the plugin checked its own settings; the key is named as the operator writes it
        let key = format!("plugins.sip.{}:", names[0]);
        assert!(
            names.iter().all(|n| r.stderr.contains(n))
                && r.stderr.contains("plugin `sip`")
                && r.stderr.contains(&key),
            "{to}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{to}: {}", r.stdout);
        assert_eq!(r.stderr.trim().lines().count(), 1, "{}", r.stderr);
    }
    // An optional plugin with a bad setting is skipped by `owums serve`: a warning here.
    let optional = good
        .replace("ring_seconds = 1", "ring_seconds = 0")
        .replace("enabled = true", "enabled = true\nrequired = false");
    let r = check(&optional);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("plugins.sip.ring_seconds:"),
        "{}",
        r.stderr
    );
}
