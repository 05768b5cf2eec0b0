//! Running the `owums` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Path of the `owums` binary, built once per test run.
pub(crate) fn owums_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let status = Command::new(cargo)
            .args(["build", "--quiet", "-p", "owums-server", "--bin", "owums"])
            .current_dir(&root)
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building owums failed");
        let target =
            std::env::var("CARGO_TARGET_DIR").map_or_else(|_| root.join("target"), PathBuf::from);
        target.join("debug").join("owums")
    })
}

/// The result of one `owums` run.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// `owums ARGS` in `dir` against `database_url`, with `stdin` fed in.
pub(crate) fn owums(dir: &Path, database_url: &str, args: &[&str], stdin: &str) -> Run {
    owums_env(dir, database_url, args, stdin, &[])
}

/// [`owums`] with extra environment variables.
pub(crate) fn owums_env(
    dir: &Path,
    database_url: &str,
    args: &[&str],
    stdin: &str,
    envs: &[(&str, &str)],
) -> Run {
    use std::io::Write;
    let mut child = Command::new(owums_bin())
        .envs(envs.iter().copied())
        .args(args)
        .current_dir(dir)
        .env("OWUMS_DATABASE__URL", database_url)
        .env_remove("RUST_LOG")
        .env_remove(owums_core::test_support::POSTGRES_URL_VAR)
        .env_remove(owums_core::test_support::MYSQL_URL_VAR)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("owums starts");
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin.as_bytes());
    }
    child.wait_with_output().expect("owums ends").into()
}

/// Runs `owums ARGS` and insists it succeeds.
pub(crate) fn owums_ok(dir: &Path, database_url: &str, args: &[&str]) -> String {
    let r = owums(dir, database_url, args, "");
    assert_eq!(r.code, 0, "owums {args:?} failed: {}", r.stderr);
    r.stdout
}
