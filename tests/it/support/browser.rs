//! Headless Chromium driven through WebDriver (the W3C protocol spoken by `chromedriver`).
//!
//! [`Browser::start`] launches a private `chromedriver` on a loopback port it picks in its own
//! process group, opens one session of headless Chromium with a throw-away profile, emulating
//! a phone-sized screen, and kills the whole group (driver and browser) on drop. The client is
//! a thin layer over reqwest: only the commands the tests use.
//!
//! Needs the Debian packages `chromium` and `chromium-driver` (`scripts/install-peers`).
//! `OWUMS_TEST_CHROMIUM` / `OWUMS_TEST_CHROMEDRIVER` override the binaries' paths.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

/// Phone-sized viewport of the screenshots, in CSS pixels.
pub(crate) const PHONE: (u32, u32) = (360, 740);
/// Desktop window of [`Browser::start_desktop`], in CSS pixels.
pub(crate) const DESKTOP: (u32, u32) = (1280, 900);
/// The longest a wait gives a page to reach the expected state before the test fails.
pub(crate) const WAIT: Duration = Duration::from_secs(30);
/// The key WebDriver names element references with.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// A WebDriver error or an unexpected answer.
#[derive(Debug)]
pub(crate) struct WebDriverError(pub(crate) String);

impl std::fmt::Display for WebDriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

type Result<T> = std::result::Result<T, WebDriverError>;

/// One headless Chromium session; driver and browser die with it.
#[derive(Debug)]
pub(crate) struct Browser {
    driver: Child,
    http: reqwest::Client,
    session: String,
    _profile: tempfile::TempDir,
}

/// An element of the current page.
#[derive(Debug, Clone)]
pub(crate) struct Element<'b> {
    browser: &'b Browser,
    id: String,
}

fn binary(var: &str, default: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| default.to_owned())
}

/// Whether Chromium and its driver are installed; outside CI a missing one skips the test.
fn installed(driver: &str, chromium: &str) -> bool {
    if Path::new(driver).exists() && Path::new(chromium).exists() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{driver} or {chromium} missing, and CI requires the browser tests (bash scripts/install-peers)"
    );
    eprintln!("skipped: {driver} or {chromium} missing (bash scripts/install-peers)");
    false
}

/// The port chromedriver started with `--port=0` says it took ("ChromeDriver was started
/// successfully on port 41234."), read from its output; the rest of the output is drained so
/// it never blocks on a full pipe.
fn driver_port(stdout: std::process::ChildStdout) -> std::sync::mpsc::Receiver<u16> {
    use std::io::BufRead as _;
    let (send, port) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(std::result::Result::ok)
        {
            let said = line
                .strip_prefix("ChromeDriver was started successfully on port ")
                .and_then(|rest| rest.trim_end_matches('.').parse::<u16>().ok());
            if let Some(p) = said {
                let _ = send.send(p);
            }
        }
    });
    port
}

impl Browser {
    /// Starts chromedriver and a headless Chromium with a [`PHONE`]-sized window, or `None`
    /// when they are not installed (outside CI).
    pub(crate) async fn start() -> Option<Browser> {
        Self::start_as(true).await
    }

    /// Starts chromedriver and a headless Chromium with a [`DESKTOP`]-sized window and no
    /// phone emulation, or `None` when they are not installed (outside CI).
    pub(crate) async fn start_desktop() -> Option<Browser> {
        Self::start_as(false).await
    }

    /// Like [`Browser::start`] / [`Browser::start_desktop`], accepting any TLS certificate:
    /// for pages of simulated devices (an access controller) whose test CA the browser
    /// does not know.
    pub(crate) async fn start_accepting_any_certificate(phone: bool) -> Option<Browser> {
        Self::start_with(phone, true).await
    }

    async fn start_as(phone: bool) -> Option<Browser> {
        Self::start_with(phone, false).await
    }

    async fn start_with(phone: bool, any_certificate: bool) -> Option<Browser> {
        let driver_bin = binary("OWUMS_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
        let chromium = binary("OWUMS_TEST_CHROMIUM", "/usr/bin/chromium");
        if !installed(&driver_bin, &chromium) {
            return None;
        }
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(&driver_bin, &chromium, phone, any_certificate).await {
                Ok(b) => return Some(b),
                Err(e) => last = e.0,
            }
        }
        panic!("headless Chromium did not start: {last}");
    }

    async fn try_start(
        driver_bin: &str,
        chromium: &str,
        phone: bool,
        any_certificate: bool,
    ) -> Result<Browser> {
        use std::os::unix::process::CommandExt as _;
        let mut driver = Command::new(driver_bin)
            .arg("--port=0")
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .map_err(|e| WebDriverError(format!("cannot run {driver_bin}: {e}")))?;
        let said = driver_port(driver.stdout.take().expect("piped stdout"));
        let profile = tempfile::tempdir().expect("temp dir");
        let mut browser = Browser {
            driver,
            http: reqwest::Client::new(),
            session: String::new(),
            _profile: profile,
        };
        let port = tokio::task::spawn_blocking(move || said.recv_timeout(WAIT))
            .await
            .expect("waiting for chromedriver")
            .map_err(|_| WebDriverError("chromedriver never said its port".to_owned()))?;
        let base = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + WAIT;
        loop {
            let ready = browser.http.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready
                && let Ok(v) = r.json_value().await
                && v["value"]["ready"] == json!(true)
            {
                break;
            }
            if Instant::now() > deadline {
                return Err(WebDriverError("chromedriver never became ready".to_owned()));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let mut options = json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--hide-scrollbars", "--disable-breakpad",
                "--disable-crash-reporter",
                if phone { "--window-size=800,1000".to_owned() }
                else { format!("--window-size={},{}", DESKTOP.0, DESKTOP.1) },
                format!("--user-data-dir={}", browser._profile.path().display()),
            ],
        });
        if phone {
            // A phone: its viewport, touch, and `<meta name="viewport">` honoured.
            options["mobileEmulation"] = json!({"deviceMetrics": {
                "width": PHONE.0, "height": PHONE.1, "pixelRatio": 1.0, "touch": true, "mobile": true,
            }});
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "acceptInsecureCerts": any_certificate,
            "goog:chromeOptions": options,
        }}});
        let v = browser
            .call_at(&base, reqwest::Method::POST, "/session", Some(caps))
            .await?;
        browser.session = v["sessionId"]
            .as_str()
            .ok_or_else(|| WebDriverError(format!("no session id in {v}")))?
            .to_owned();
        browser.session = format!("{base}/session/{}", browser.session);
        Ok(browser)
    }

    async fn call_at(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        let mut req = self.http.request(method, format!("{base}{path}"));
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let resp = req
            .send()
            .await
            .map_err(|e| WebDriverError(format!("{path}: {e}")))?;
        let status = resp.status();
        let v = resp.json_value().await?;
        if !status.is_success() {
            let err = &v["value"];
            return Err(WebDriverError(format!(
                "{path}: {} ({})",
                err["error"].as_str().unwrap_or("error"),
                err["message"].as_str().unwrap_or_default()
            )));
        }
        Ok(v["value"].clone())
    }

    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value> {
        self.call_at(&self.session, method, path, body).await
    }

    /// Opens `url` and waits for it to load.
    pub(crate) async fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })))
            .await
            .unwrap_or_else(|e| panic!("opening {url}: {e}"));
    }

    /// The address of the current page.
    pub(crate) async fn url(&self) -> String {
        let v = self
            .call(reqwest::Method::GET, "/url", None)
            .await
            .expect("current url");
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The path (and query) of the current page.
    pub(crate) async fn path(&self) -> String {
        let url = self.url().await;
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, r)| r);
        after_scheme
            .find('/')
            .map_or("/".to_owned(), |i| after_scheme[i..].to_owned())
    }

    /// The page's HTML as the browser has it now.
    pub(crate) async fn source(&self) -> String {
        let v = self
            .call(reqwest::Method::GET, "/source", None)
            .await
            .expect("page source");
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The first element matching `css`, if any.
    pub(crate) async fn try_find(&self, css: &str) -> Option<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        let v = self
            .call(reqwest::Method::POST, "/element", Some(body))
            .await
            .ok()?;
        self.element(&v)
    }

    /// The first element matching `css`; panics naming the page when there is none.
    pub(crate) async fn find(&self, css: &str) -> Element<'_> {
        match self.try_find(css).await {
            Some(e) => e,
            None => panic!(
                "no `{css}` on {}:\n{}",
                self.url().await,
                self.source().await
            ),
        }
    }

    /// Every element matching `css`.
    pub(crate) async fn find_all(&self, css: &str) -> Vec<Element<'_>> {
        let body = json!({"using": "css selector", "value": css});
        let v = self
            .call(reqwest::Method::POST, "/elements", Some(body))
            .await
            .unwrap_or_else(|e| panic!("finding `{css}`: {e}"));
        v.as_array()
            .map(|a| a.iter().filter_map(|e| self.element(e)).collect())
            .unwrap_or_default()
    }

    fn element(&self, v: &Value) -> Option<Element<'_>> {
        Some(Element {
            browser: self,
            id: v[ELEMENT_KEY].as_str()?.to_owned(),
        })
    }

    /// Runs `script` (a function body; `arguments` holds `args`) and returns its result.
    pub(crate) async fn exec(&self, script: &str, args: Value) -> Value {
        let body = json!({"script": script, "args": args});
        self.call(reqwest::Method::POST, "/execute/sync", Some(body))
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// Types `text` into the field named `name` (after clearing it).
    pub(crate) async fn fill(&self, name: &str, text: &str) {
        let field = self.find(&format!("[name=\"{name}\"]")).await;
        field.clear().await;
        field.send_keys(text).await;
    }

    /// Waits until the current path starts with `prefix`; panics with the page otherwise.
    pub(crate) async fn wait_for_path(&self, prefix: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.path().await.starts_with(prefix) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "still on {} instead of {prefix}:\n{}",
                    self.url().await,
                    self.source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until `script` (a function body) returns `true` in the page.
    pub(crate) async fn wait_for_script(&self, what: &str, script: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            if self.exec(script, json!([])).await == json!(true) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{what} never happened on {}:\n{}",
                    self.url().await,
                    self.source().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The emulated screen's size in CSS pixels.
    pub(crate) async fn screen(&self) -> (u64, u64) {
        let v = self
            .exec("return [screen.width, screen.height];", json!([]))
            .await;
        (v[0].as_u64().unwrap_or(0), v[1].as_u64().unwrap_or(0))
    }

    /// The width the page is laid out at: the screen's width only when the page asks for
    /// `<meta name="viewport" content="width=device-width">` (980 otherwise, as on a phone).
    pub(crate) async fn layout_width(&self) -> u64 {
        let v = self.exec("return window.innerWidth;", json!([])).await;
        v.as_u64().unwrap_or(0)
    }

    /// Whether the page is wider than the screen (a phone user would scroll sideways).
    pub(crate) async fn scrolls_sideways(&self) -> bool {
        let v = self
            .exec(
                "return document.documentElement.scrollWidth > window.innerWidth;",
                json!([]),
            )
            .await;
        v == json!(true)
    }

    /// Saves a PNG of the viewport as `target/screenshots/<name>.png`, and one of the whole
    /// page as `<name>-full.png`; returns the viewport picture's path.
    pub(crate) async fn screenshot(&self, name: &str) -> std::path::PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let shot = self
            .call(reqwest::Method::GET, "/screenshot", None)
            .await
            .expect("screenshot");
        let path = dir.join(format!("{name}.png"));
        write_png(&path, &shot);
        let cdp = json!({"cmd": "Page.captureScreenshot",
                         "params": {"format": "png", "captureBeyondViewport": true}});
        if let Ok(full) = self
            .call(reqwest::Method::POST, "/goog/cdp/execute", Some(cdp))
            .await
        {
            write_png(&dir.join(format!("{name}-full.png")), &full["data"]);
        }
        path
    }
}

impl Browser {
    /// Ends the session (Chromium quits); the driver is stopped on drop.
    pub(crate) async fn close(mut self) {
        let _ = self.call(reqwest::Method::DELETE, "", None).await;
        self.session.clear();
    }
}

/// `target/screenshots` of the workspace (or of `CARGO_TARGET_DIR`).
pub(crate) fn screenshot_dir() -> std::path::PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    std::env::var("CARGO_TARGET_DIR")
        .map_or_else(|_| root.join("target"), std::path::PathBuf::from)
        .join("screenshots")
}

fn write_png(path: &Path, data: &Value) {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data.as_str().unwrap_or_default())
        .expect("screenshot is base64");
    assert!(bytes.starts_with(b"\x89PNG"), "screenshot is not a PNG");
    std::fs::write(path, bytes).expect("screenshot written");
}

impl Element<'_> {
    /// The element as an argument of [`Browser::exec`].
    pub(crate) fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }

    async fn call(&self, method: reqwest::Method, what: &str, body: Option<Value>) -> Value {
        let path = format!("/element/{}/{what}", self.id);
        self.browser
            .call(method, &path, body)
            .await
            .unwrap_or_else(|e| panic!("element {what}: {e}"))
    }

    /// Clicks it.
    pub(crate) async fn click(&self) {
        self.call(reqwest::Method::POST, "click", Some(json!({})))
            .await;
    }

    /// Empties a text field.
    pub(crate) async fn clear(&self) {
        self.call(reqwest::Method::POST, "clear", Some(json!({})))
            .await;
    }

    /// Types `text` into it.
    pub(crate) async fn send_keys(&self, text: &str) {
        self.call(
            reqwest::Method::POST,
            "value",
            Some(json!({ "text": text })),
        )
        .await;
    }

    /// Its rendered text.
    pub(crate) async fn text(&self) -> String {
        let v = self.call(reqwest::Method::GET, "text", None).await;
        v.as_str().unwrap_or_default().to_owned()
    }

    /// The DOM property `name` (e.g. `value`, `checked`).
    pub(crate) async fn property(&self, name: &str) -> Value {
        self.call(reqwest::Method::GET, &format!("property/{name}"), None)
            .await
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver and the Chromium it started share the process group we gave it.
        let pgid = self.driver.id().to_string();
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pgid}")])
            .status();
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Reads a response body as JSON.
trait JsonBody {
    async fn json_value(self) -> Result<Value>;
}

impl JsonBody for reqwest::Response {
    async fn json_value(self) -> Result<Value> {
        let bytes = self
            .bytes()
            .await
            .map_err(|e| WebDriverError(format!("reading the answer: {e}")))?;
        serde_json::from_slice(&bytes)
            .map_err(|e| WebDriverError(format!("answer is not JSON: {e}")))
    }
}
