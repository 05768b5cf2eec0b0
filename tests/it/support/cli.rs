//! Running the `owums` binary.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

/// Path of the `owums` binary that cargo built next to this test executable
/// (`target/<profile>/owums`; the test runs from `target/<profile>/deps/`).
///
/// Cargo sets `CARGO_BIN_EXE_owums` only for the tests of the package that owns the binary
/// (owums-server), not for owums-tests, so the binary is found beside the test executable.
/// `scripts/test` builds it first; by hand: `cargo build -p owums-server --bin owums`.
pub(crate) fn owums_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable's path");
        let profile_dir = exe
            .parent()
            .filter(|d| d.ends_with("deps"))
            .and_then(Path::parent)
            .unwrap_or_else(|| {
                panic!(
                    "{} is not in a cargo target/<profile>/deps directory",
                    exe.display()
                )
            });
        let bin = profile_dir.join(format!("owums{}", std::env::consts::EXE_SUFFIX));
        assert!(
            bin.is_file(),
            "the owums binary is not at {}: build it before running these tests \
             (`cargo build -p owums-server --bin owums`, with the same --release/--target \
             as the tests; `bash scripts/test` does it)",
            bin.display()
        );
        bin
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
