//! The operator console's user list on a large subscriber base: p50 and p99 of the core
//! queries behind the Users pages ([`UserAdmin::browse`] and [`UserAdmin::find`]).
//!
//! Run by `bench/console-users.sh`, which explains the figures. Three steps, each its own
//! invocation (`cargo bench -p owums-core --bench console_users -- STEP`):
//!
//! - `seed URL N`: migrates the database at `URL` and inserts `N` subscribers with bulk
//!   SQL (one `INSERT … SELECT` over a generated series, not the API: no password hashes);
//! - `measure URL N`: times each query `ROUNDS` times (default 200, after 20 warm-up
//!   rounds) on subscribers spread over the base, and prints p50 and p99 in milliseconds;
//! - `explain URL N`: prints the database's plan of the search and page queries (SQLite
//!   `EXPLAIN QUERY PLAN`; PostgreSQL plans come from `psql` in the script).
//!
//! The subscribers are `user1`…`userN`: e-mail `userK@mailM.example.org`, mobile
//! `+39 33…` (`3300000000 + K`), names made of syllables (every given name shared by
//! about 30 subscribers, surnames mostly unique), registered one second apart.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::time::{Duration, Instant};

use diesel::Connection;
use owums_core::subscriber::{Found, UserAdmin, UserQuery, UserSort};
use owums_core::{PasswordFormat, Store, Subscribers};

/// Two-letter syllables the names are made of (32 of them).
const SYLLABLES: &str = "bacadafagalamanaparasatavazabecedefegelemenepereseteve zebicidifi";

fn syl(k: i64) -> String {
    let s = SYLLABLES.replace(' ', "");
    let i = usize::try_from(k.rem_euclid(32)).unwrap() * 2;
    s[i..i + 2].to_owned()
}

fn cap(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// The surname of subscriber `n`, as the seed writes it.
fn surname(n: i64) -> String {
    let h = (n * 2_654_435_761).rem_euclid(1_048_576);
    cap(&format!(
        "{}{}{}{}",
        syl(h),
        syl(h / 32),
        syl(h / 1024),
        syl(h / 32768)
    ))
}

/// The SQL expression of a syllable of `k` (an integer expression) for the seed.
fn syl_sql(k: &str) -> String {
    format!(
        "substr('{}', CAST((({k}) % 32) * 2 + 1 AS INTEGER), 2)",
        SYLLABLES.replace(' ', "")
    )
}

fn seed_sql(backend: &str, n: i64) -> String {
    let h = "((n * 2654435761) % 1048576)";
    let given = format!(
        "{}||{}||{}",
        syl_sql("n"),
        syl_sql("n / 32"),
        syl_sql("n / 1024")
    );
    let sur = format!(
        "{}||{}||{}||{}",
        syl_sql(h),
        syl_sql(&format!("{h} / 32")),
        syl_sql(&format!("{h} / 1024")),
        syl_sql(&format!("{h} / 32768"))
    );
    let cap = |e: &str| format!("upper(substr({e}, 1, 1)) || substr({e}, 2)");
    let city = format!("{}||{}", syl_sql("n / 3"), syl_sql("n / 97"));
    let (id, series, created) = match backend {
        "sqlite" => (
            "printf('%08x-0000-4000-8000-%012x', n, n)".to_owned(),
            format!(
                "(WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < {n}) SELECT n FROM c) s"
            ),
            "datetime('2026-11-01 00:00:00', '-' || n || ' seconds')".to_owned(),
        ),
        _ => (
            "lpad(to_hex(n), 8, '0') || '-0000-4000-8000-' || lpad(to_hex(n), 12, '0')".to_owned(),
            format!("generate_series(1::bigint, {n}::bigint) AS s(n)"),
            "TIMESTAMP '2026-11-01 00:00:00' - n * INTERVAL '1 second'".to_owned(),
        ),
    };
    format!(
        "INSERT INTO owums_users (id, username, email, mobile, given_name, surname, address, city, zip, \
         country, verification_method, verified, verified_at, active, eula_accepted, privacy_accepted, \
         locale, password_hash, created_at, updated_at) \
         SELECT {id}, 'user' || n, 'user' || n || '@mail' || (n % 97) || '.example.org', \
         '+39' || (3300000000 + n), {g}, {s}, 'Via Roma 1', {c}, '00100', 'Italy', \
         CASE WHEN n % 20 = 0 THEN 'id_card' ELSE 'sip' END, n % 10 <> 0, {created}, n % 50 <> 0, \
         TRUE, TRUE, 'it', 'x', {created}, {created} FROM {series}",
        g = cap(&given),
        s = cap(&sur),
        c = cap(&city),
    )
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

async fn store(url: &str) -> Store {
    let config = owums_core::config::DatabaseConfig {
        url: url.to_owned(),
        ..Default::default()
    };
    Store::connect_migrated(&config).await.unwrap()
}

async fn seed(url: &str, n: i64) {
    let config = owums_core::config::DatabaseConfig {
        url: url.to_owned(),
        ..Default::default()
    };
    let store = Store::connect(&config).await.unwrap();
    store.migrate().await.unwrap();
    let start = Instant::now();
    let backend = store.backend().as_str();
    let sql = seed_sql(backend, n);
    match backend {
        "sqlite" => {
            let path = url.trim_start_matches("sqlite://");
            use diesel::RunQueryDsl;
            let mut c = diesel::SqliteConnection::establish(path).unwrap();
            diesel::sql_query("PRAGMA journal_mode = WAL")
                .execute(&mut c)
                .unwrap();
            c.transaction(|c| diesel::sql_query(&sql).execute(c))
                .unwrap();
            diesel::sql_query("ANALYZE").execute(&mut c).unwrap();
        }
        _ => {
            use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
            let mut c = AsyncPgConnection::establish(url).await.unwrap();
            diesel::sql_query(&sql).execute(&mut c).await.unwrap();
            diesel::sql_query("ANALYZE owums_users")
                .execute(&mut c)
                .await
                .unwrap();
        }
    }
    println!(
        "seeded {n} subscribers in {:.1} s",
        start.elapsed().as_secs_f64()
    );
}

async fn measure(url: &str, n: i64) {
    let store = store(url).await;
    let admin = UserAdmin::new(
        Subscribers::new(store, PasswordFormat::Crypt),
        Some("39".into()),
    );
    let rounds: i64 = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(200);
    let pick = move |r: i64| (r * 7919 + 12_345).rem_euclid(n) + 1;
    let search = |text: String| UserQuery {
        text,
        ..UserQuery::default()
    };
    type Case = (&'static str, Box<dyn Fn(i64) -> UserQuery>);
    let cases: Vec<Case> = vec![
        ("page 1 (newest first)", Box::new(|_| UserQuery::default())),
        (
            "page 50 (the deepest, offset 980)",
            Box::new(|_| UserQuery {
                page: 50,
                ..UserQuery::default()
            }),
        ),
        (
            "page 1 by surname",
            Box::new(|_| UserQuery {
                sort: UserSort::Surname,
                descending: false,
                ..UserQuery::default()
            }),
        ),
        (
            "page 1, unverified only",
            Box::new(|_| UserQuery {
                verified: Some(false),
                ..UserQuery::default()
            }),
        ),
        (
            "search username (user123457)",
            Box::new(move |r| search(format!("user{}", pick(r)))),
        ),
        (
            "search e-mail",
            Box::new(move |r| {
                let k = pick(r);
                search(format!("user{k}@mail{}.example.org", k % 97))
            }),
        ),
        (
            "search mobile, national (330 012 3457)",
            Box::new(move |r| {
                let m = (3_300_000_000 + pick(r)).to_string();
                search(format!("{} {} {}", &m[..3], &m[3..6], &m[6..]))
            }),
        ),
        (
            "search mobile, +39 international",
            Box::new(move |r| search(format!("+39 {}", 3_300_000_000 + pick(r)))),
        ),
        (
            "search name fragment (5 letters)",
            Box::new(move |r| search(surname(pick(r))[2..7].to_owned())),
        ),
        (
            "search \"surname given\"",
            Box::new(move |r| {
                let k = pick(r);
                search(format!(
                    "{} {}",
                    surname(k),
                    cap(&format!("{}{}{}", syl(k), syl(k / 32), syl(k / 1024)))
                ))
            }),
        ),
        (
            "search 3 letters (many matches)",
            Box::new(move |r| search(syl(r) + &syl(r / 3)[..1])),
        ),
    ];
    println!(
        "{:<44} {:>9} {:>9} {:>8}",
        "query", "p50 ms", "p99 ms", "found"
    );
    for (name, case) in &cases {
        for r in 0..20 {
            admin.browse(&case(r)).await.unwrap();
        }
        let mut times = Vec::new();
        let mut found = 0;
        for r in 0..rounds {
            let q = case(r);
            let start = Instant::now();
            let page = admin.browse(&q).await.unwrap();
            times.push(start.elapsed());
            found = page.total;
        }
        times.sort_unstable();
        println!(
            "{name:<44} {:>9.2} {:>9.2} {:>8}",
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            found
        );
    }
    let mut times = Vec::new();
    for r in 0..rounds {
        let text = format!("+39 {}", 3_300_000_000 + pick(r));
        let start = Instant::now();
        let found = admin.find(&text).await.unwrap();
        times.push(start.elapsed());
        assert!(matches!(found, Found::One(_)), "{text}");
    }
    times.sort_unstable();
    println!(
        "{:<44} {:>9.2} {:>9.2} {:>8}",
        "find by mobile (exact)",
        percentile(&times, 0.5),
        percentile(&times, 0.99),
        1
    );
}

#[derive(diesel::QueryableByName)]
struct PlanRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    detail: String,
}

fn explain(url: &str) {
    use diesel::RunQueryDsl;
    let path = url.trim_start_matches("sqlite://");
    let mut c = diesel::SqliteConnection::establish(path).unwrap();
    let queries = [
        (
            "page 1",
            "SELECT id FROM owums_users ORDER BY created_at DESC, id DESC LIMIT 20 OFFSET 0",
        ),
        (
            "by surname",
            "SELECT id FROM owums_users ORDER BY surname ASC, id ASC LIMIT 20",
        ),
        (
            "search from the trigram index (a selective text)",
            "SELECT id FROM owums_users WHERE owums_users.id IN (SELECT s.user_id FROM owums_users_search_ids s \
             WHERE s.id IN (SELECT rowid FROM owums_users_search WHERE owums_users_search MATCH '\"user123457\"')) \
             ORDER BY created_at DESC, id DESC LIMIT 20",
        ),
        (
            "search down the sort index (a common text)",
            "SELECT id FROM owums_users WHERE (owums_users.search_key LIKE '%bac%' ESCAPE '\\') \
             ORDER BY created_at DESC, id DESC LIMIT 20",
        ),
        (
            "the probe deciding between the two",
            "SELECT count(*) AS n FROM (SELECT rowid FROM owums_users_search \
             WHERE owums_users_search MATCH '\"bac\"' LIMIT 5001)",
        ),
    ];
    for (name, q) in queries {
        println!("-- {name}: {q}");
        let rows: Vec<PlanRow> = diesel::sql_query(format!("EXPLAIN QUERY PLAN {q}"))
            .load(&mut c)
            .unwrap();
        for r in rows {
            println!("   {}", r.detail);
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let [step, url, n] = args.as_slice() else {
        eprintln!("usage: console_users seed|measure|explain URL N");
        std::process::exit(2);
    };
    let n: i64 = n.parse().unwrap();
    match step.as_str() {
        "seed" => seed(url, n).await,
        "measure" => measure(url, n).await,
        "explain" => explain(url),
        _ => {
            eprintln!("unknown step {step}");
            std::process::exit(2);
        }
    }
}
