//! Plugins loaded from shared libraries: `owums serve` loads a cdylib named in plugins.toml
//! and requests reach it; libraries built for another plugin API, or whose `register`
//! panics, are refused with one line (the server exits, or stays up for an optional
//! plugin); a method that panics at run time answers an error and the server keeps serving.
//!
//! The libraries are the crates in tests/plugins/, built here with `cargo build` into the
//! same target directory as this test (nothing is downloaded: they use the workspace's
//! locked dependencies).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::support::cli::{Serving, http_get, owums, serve_command};

/// Builds workspace package `package` (a cdylib: the test plugins, or the e-mail-link
/// example with its `cdylib-export` feature) and answers the path of its library.
pub(crate) fn library(package: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    let exe = std::env::current_exe().expect("the test executable's path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test runs from target/<profile>/deps");
    BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut cmd = Command::new(cargo);
        cmd.args([
            "build",
            "--quiet",
            // their dependencies are a subset of this test's, already fetched
            "--offline",
            "-p",
            "owums-test-plugin-probe",
            "-p",
            "owums-test-plugin-stale",
            "-p",
            "owums-plugin-email-link",
            "--features",
            "owums-plugin-email-link/cdylib-export",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .env(
            "CARGO_TARGET_DIR",
            profile_dir.parent().expect("target/<profile>"),
        );
        if profile_dir.ends_with("release") {
            cmd.arg("--release");
        }
        let status = cmd.status().expect("cargo runs");
        assert!(
            status.success(),
            "building the test plugin libraries failed"
        );
    });
    let file = format!(
        "{}{}{}",
        std::env::consts::DLL_PREFIX,
        package.replace('-', "_"),
        std::env::consts::DLL_SUFFIX
    );
    let path = profile_dir.join(file);
    assert!(path.is_file(), "{} was not built", path.display());
    path
}

/// A temporary directory whose plugins.toml holds `tables`.
fn site(tables: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plugins.toml"), tables).unwrap();
    dir
}

fn probe_table(required: bool) -> String {
    let library = library("owums-test-plugin-probe");
    format!(
        "[plugins.probe]\nenabled = true\nrequired = {required}\nlibrary = {:?}\ngreeting = \"Hello\"\n",
        library.display().to_string()
    )
}

fn stale_table(required: bool) -> String {
    let library = library("owums-test-plugin-stale");
    format!(
        "[plugins.stale]\nenabled = true\nrequired = {required}\nlibrary = {:?}\n",
        library.display().to_string()
    )
}

/// The lines of `log` that say `error:` (what `owums` prints when it gives up).
fn error_lines(log: &str) -> Vec<&str> {
    log.lines().filter(|l| l.starts_with("error:")).collect()
}

/// Registers `username` for the probe method through the API; answers its bearer token.
async fn register(client: &reqwest::Client, base: &str, username: &str) -> String {
    let body = serde_json::json!({
        "username": username,
        "password": "Tulip-Harbor-93",
        "verification_method": "probe",
        "eula_accepted": true,
        "privacy_accepted": true,
        "given_name": "Ada",
        "surname": "Lovelace",
        "address": "Via Roma 1",
        "city": "Roma",
        "zip": "00100",
        "country": "Italy",
        "birth_date": "1990-01-01",
        "email": format!("{username}@example.com"),
    });
    let answer = client
        .post(format!("{base}/api/v1/account"))
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = answer.status();
    let text = answer.text().await.unwrap();
    assert_eq!(status, 201, "{text}");
    let created: serde_json::Value = serde_json::from_str(&text).unwrap();
    created["token"].as_str().unwrap().to_owned()
}

/// What `GET /api/v1/account/verification` says the method asks of the holder of `token`.
async fn challenge(client: &reqwest::Client, base: &str, token: &str) -> serde_json::Value {
    let answer = client
        .get(format!("{base}/api/v1/account/verification"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let status: serde_json::Value = serde_json::from_str(&answer.text().await.unwrap()).unwrap();
    status["challenge"].clone()
}

/// The verification page of `username`, logged in with the browser session cookie.
async fn verification_page(client: &reqwest::Client, base: &str, username: &str) -> (u16, String) {
    let login = client
        .post(format!("{base}/api/v1/account/token?cookie=true"))
        .header("content-type", "application/json")
        .body(
            serde_json::json!({ "username": username, "password": "Tulip-Harbor-93" }).to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let cookie = login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("owums_session="))
        .and_then(|v| v.split(';').next())
        .expect("a session cookie")
        .to_owned();
    let page = client
        .get(format!("{base}/account/verification"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    (page.status().as_u16(), page.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_loads_a_plugin_library_and_survives_its_panics() {
    let dir = site(&probe_table(true));
    let mut server = Serving::spawn(&mut serve_command(dir.path()));
    let base = format!("http://{}", server.http_addr());
    let log = server.log().to_owned();
    assert!(log.contains("plugin library loaded plugin=probe"), "{log}");
    // The library's own `tracing` reaches the server's log.
    assert!(
        log.contains("owums_test_plugin_probe: probe plugin built greeting=Hello"),
        "{log}"
    );

    let client = reqwest::Client::new();
    let token = register(&client, &base, "alice").await;
    assert_eq!(
        challenge(&client, &base, &token).await,
        serde_json::json!({ "kind": "message", "text": "Hello alice" }),
        "the library's start() answered"
    );

    // start() panics for this one: the account exists, the method did not start, and the
    // page answers an error instead of the server going down.
    let token = register(&client, &base, "panicky").await;
    assert_eq!(
        challenge(&client, &base, &token).await,
        serde_json::Value::Null
    );
    let (status, page) = verification_page(&client, &base, "panicky").await;
    assert_eq!(status, 503, "{page}");
    assert!(page.contains("could not be started"), "{page}");
    let log = server.log().to_owned();
    assert!(
        log.lines().any(|l| l.contains("ERROR")
            && l.contains("plugin library panicked")
            && l.contains("panic=the probe was told to panic for panicky")),
        "the panic is one line of the server's log:\n{log}"
    );
    assert!(
        log.contains("error=plugin `probe`: panicked in start: the probe was told to panic"),
        "{log}"
    );
    assert!(
        !log.contains("stack backtrace"),
        "no multi-line panic report: {log}"
    );

    // Still serving, and the plugin still works for the next subscriber.
    assert!(server.running());
    let token = register(&client, &base, "carol").await;
    assert_eq!(
        challenge(&client, &base, &token).await["text"],
        "Hello carol"
    );

    // The library's background task ran, and stops on the server's shutdown signal.
    assert!(server.wait_line("probe task running").is_some());
    let kill = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let (status, log) = server.wait_exit();
    assert!(status.success(), "{log}");
    assert!(log.contains("probe task stopped"), "{log}");
}

#[test]
fn library_built_for_another_plugin_api_is_refused_in_one_line() {
    let stale = library("owums-test-plugin-stale");
    let expected = format!(
        "error: plugin `stale`: library {} was built for plugin API {}, this owums speaks {}",
        stale.display(),
        owums_core::PLUGIN_API_VERSION - 1,
        owums_core::PLUGIN_API_VERSION
    );

    // Required (the default): serve exits non-zero with one line.
    let dir = site(&stale_table(true));
    let (status, log) = Serving::spawn(&mut serve_command(dir.path())).wait_exit();
    assert_eq!(status.code(), Some(1), "{log}");
    assert_eq!(error_lines(&log), [expected.as_str()], "{log}");
    assert!(!log.contains("owums serving"), "{log}");

    // check-config goes through the same gate.
    let run = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        error_lines(&run.stderr),
        [expected.as_str()],
        "{}",
        run.stderr
    );

    // Optional: serve stays up, warns, and serves without it.
    let dir = site(&stale_table(false));
    let mut server = Serving::spawn(&mut serve_command(dir.path()));
    let addr = server.http_addr().to_string();
    let log = server.log().to_owned();
    let warning = expected.trim_start_matches("error: ");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains(warning)),
        "{log}"
    );
    assert_eq!(http_get(&addr, "/healthz").unwrap().0, 200);
    assert!(server.terminate().success());
}

#[test]
fn library_whose_register_panics_is_refused_in_one_line() {
    let probe = library("owums-test-plugin-probe");
    let expected = format!(
        "error: plugin `probe`: library {} panicked in register: the probe was told to panic in register",
        probe.display()
    );
    let dir = site(&probe_table(true));
    let (status, log) =
        Serving::spawn(serve_command(dir.path()).env("PROBE_PANIC_IN_REGISTER", "1")).wait_exit();
    assert_eq!(status.code(), Some(1), "{log}");
    assert_eq!(error_lines(&log), [expected.as_str()], "{log}");

    let dir = site(&probe_table(false));
    let mut server = Serving::spawn(serve_command(dir.path()).env("PROBE_PANIC_IN_REGISTER", "1"));
    let addr = server.http_addr().to_string();
    let log = server.log().to_owned();
    let warning = expected.trim_start_matches("error: ");
    assert!(
        log.lines()
            .any(|l| l.contains("WARN") && l.contains(warning)),
        "{log}"
    );
    // The method is off: the sign-up page does not offer it.
    let (code, signup) = http_get(&addr, "/account/signup").unwrap();
    assert_eq!(code, 200);
    assert!(signup.contains("Sign-up is not available"), "{signup}");
    assert!(server.terminate().success());
}

#[test]
fn missing_library_or_one_that_is_no_plugin_is_a_one_line_error() {
    let dir = site("[plugins.ghost]\nenabled = true\nlibrary = \"/nonexistent/libghost.so\"\n");
    let run = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        error_lines(&run.stderr),
        ["error: plugin `ghost`: library /nonexistent/libghost.so does not exist"],
        "{}",
        run.stderr
    );

    // A real shared library that is not an owums plugin (the C library).
    let libc = ["/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/libc.so.6"]
        .into_iter()
        .find(|p| Path::new(p).is_file());
    let Some(libc) = libc else {
        return;
    };
    let dir = site(&format!(
        "[plugins.ghost]\nenabled = true\nlibrary = \"{libc}\"\n"
    ));
    let run = owums(dir.path(), "sqlite://owums.db", &["check-config"], "");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        error_lines(&run.stderr),
        [format!(
            "error: plugin `ghost`: library {libc} is not an owums plugin: it exports no \
             `OWUMS_PLUGIN` (plugin crates end with `owums_core::export_plugin!(register);`)"
        )
        .as_str()],
        "{}",
        run.stderr
    );
}
