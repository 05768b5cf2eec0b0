//! Time of one password hash: what each login (argon2id verify) and each registration or
//! password change (argon2id hash plus the RADIUS value) costs in CPU.
//!
//! Also the password strength check (zxcvbn) every new password goes through, on a typical
//! password and on the slowest input found (the estimate reads at most 64 characters).
//!
//! `cargo bench -p owums-core --bench password_hash` (plain timed loop, no harness).
//! `ROUNDS=50` sets how many hashes each figure is the median of.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use owums_core::PasswordFormat;
use owums_core::subscriber::{PersonalData, hash_password, validate_password, verify_password};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn time(rounds: usize, mut f: impl FnMut()) -> (Duration, Duration) {
    f(); // warm-up
    let samples: Vec<Duration> = (0..rounds)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    let min = samples.iter().copied().min().unwrap_or_default();
    (median(samples), min)
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(30);
    let password = "correct-horse-7";
    let hash = hash_password(password).unwrap();
    // The PHC string names the algorithm and its parameters: $argon2id$v=19$m=…,t=…,p=…$salt$hash
    let params = hash.split('$').take(4).collect::<Vec<_>>().join("$");
    println!("argon2 parameters (PHC prefix): {params}");
    println!("{:<36} {:>10} {:>10}", "operation", "median", "min");
    let personal = PersonalData::new(["mario.rossi", "mario.rossi@example.org", "Mario", "Rossi"]);
    // The slowest pattern found for the estimate: mixed l33t words, dates and keyboard rows.
    let worst = "p4$$w0rd!1985-12-31qwertyASDF".repeat(3);
    let rows: Vec<(&str, (Duration, Duration))> = vec![
        (
            "argon2id hash (registration)",
            time(rounds, || {
                hash_password(password).unwrap();
            }),
        ),
        (
            "argon2id verify (login)",
            time(rounds, || {
                assert!(verify_password(password, &hash));
            }),
        ),
        (
            "SHA-512 crypt (radcheck value)",
            time(rounds, || {
                PasswordFormat::Crypt.encode(password).unwrap();
            }),
        ),
        (
            "strength check (zxcvbn, typical)",
            time(rounds, || {
                validate_password(password, &personal).unwrap();
            }),
        ),
        (
            "strength check (64 chars, worst)",
            time(rounds, || {
                let _ = validate_password(&worst, &personal);
            }),
        ),
        (
            "NT hash (radcheck value)",
            time(rounds, || {
                PasswordFormat::Nt.encode(password).unwrap();
            }),
        ),
    ];
    for (name, (med, min)) in rows {
        println!("{name:<36} {:>8.3}ms {:>8.3}ms", ms(med), ms(min));
    }
    println!("({rounds} rounds each, one thread)");
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
