//! `owums user import FILE.csv`: the batch import of owums-core
//! ([`UserAdmin::import`](owums_core::subscriber::UserAdmin)) with a progress bar on a
//! terminal, the report of refused rows (line, column, reason) and the generated passwords
//! written to `--passwords-out` (never printed).
//!
//! Exit status: 0 when every row was imported (or would be, with `--dry-run`), 2 when some
//! rows were refused (the others are stored all the same), 1 when the whole file was
//! refused or the database failed (nothing stored).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use owums_core::operator::Permissions;
use owums_core::subscriber::{ImportOptions, MAX_IMPORT_BYTES, Subscribers, UserAdmin};

/// What `owums user import` was asked.
pub(crate) struct ImportArgs {
    pub(crate) file: PathBuf,
    pub(crate) passwords_out: Option<PathBuf>,
    pub(crate) options: ImportOptions,
    pub(crate) country_code: Option<String>,
}

pub(crate) async fn run(subscribers: Subscribers, args: ImportArgs) -> anyhow::Result<()> {
    let size = std::fs::metadata(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?
        .len();
    anyhow::ensure!(
        usize::try_from(size).is_ok_and(|s| s <= MAX_IMPORT_BYTES),
        "{} is larger than {MAX_IMPORT_BYTES} bytes",
        args.file.display()
    );
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    // refuse early, before any hashing, a passwords file that cannot be created
    let mut out = match &args.passwords_out {
        Some(path) if !args.options.dry_run => Some(
            create_private(path).with_context(|| format!("cannot create {}", path.display()))?,
        ),
        _ => None,
    };
    let admin = UserAdmin::new(subscribers, args.country_code);
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    if let Ok(style) =
        ProgressStyle::with_template("hashing passwords {bar:40} {pos}/{len} ({eta})")
    {
        bar.set_style(style);
    }
    let b = bar.clone();
    let progress = move |done: u64, total: u64| {
        b.set_length(total);
        b.set_position(done);
    };
    let report = admin
        .import_with_progress(&Permissions::all(), &bytes, args.options, &progress)
        .await;
    bar.finish_and_clear();
    let report = report?;
    for r in &report.rejected {
        println!(
            "line {}: {}: {}",
            r.line,
            r.field,
            owums_core::subscriber::escape_for_terminal(&r.reason)
        );
    }
    let refused = report.rejected_lines().len();
    if report.dry_run {
        println!(
            "dry run: {} rows, {} would be imported, {refused} refused; nothing stored",
            report.rows, report.valid
        );
    } else {
        println!(
            "{} rows: {} imported, {refused} refused",
            report.rows, report.imported
        );
    }
    if let (Some(file), Some(path)) = (out.as_mut(), &args.passwords_out) {
        file.write_all(report.passwords_csv().as_bytes())
            .and_then(|()| file.flush())
            .with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "{} generated passwords written to {}",
            report.generated.len(),
            path.display()
        );
    } else if !report.generated.is_empty() {
        println!(
            "{} passwords were generated and not shown (use --passwords-out FILE next time)",
            report.generated.len()
        );
    }
    if refused > 0 {
        std::io::stdout().flush().ok();
        std::process::exit(2);
    }
    Ok(())
}

/// A new file only its owner can read (it will hold passwords).
fn create_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}
