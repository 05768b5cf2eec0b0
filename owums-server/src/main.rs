//! The `owums` command.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    owums_server::memory::limit_malloc_arenas();
    let cli = owums_server::cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(owums_server::memory::BLOCKING_THREADS)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(owums_server::cli::run(cli));
    // `serve` has had its grace period: work still on the blocking pool (a database call
    // that hangs) must not keep the process alive past it
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::from(1)
        }
    }
}
