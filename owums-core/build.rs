//! Rebuilds the crate when a migration is added (`embed_migrations!` reads the folders at
//! compile time, and cargo does not otherwise notice a new one), and records the exact
//! compiler for the shared-library plugin gate (`plugin::PluginDeclaration`): a plugin and
//! the server it is loaded into must come from the same `rustc`, because trait objects
//! and `String`s have no stable layout across compilers.
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=RUSTC");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_owned());
    let out = Command::new(&rustc)
        .arg("-vV")
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{rustc} -vV` to record the compiler: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name))
            .map(str::trim)
            .unwrap_or("unknown")
            .to_owned()
    };
    let release = field("release:");
    let commit = field("commit-hash:");
    assert!(
        release != "unknown",
        "`{rustc} -vV` did not say its release:\n{text}"
    );
    println!("cargo:rustc-env=OWUMS_RUSTC_VERSION=rustc {release} ({commit})");
}
