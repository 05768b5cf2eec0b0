//! `owums radacct cleanup-stale | delete-older-than` and `owums postauth delete-older-than`,
//! on every backend: the rows they change and the counts they print.

use chrono::{Duration, Utc};
use owums_core::storage::{STALE_INVALID, STALE_RECALCULATED};
use owums_core::{AccountingEvent, AccountingSink, AcctStatus, SqlAccountingSink};

use crate::support::cli::{owums, owums_ok};
use crate::support::{Backend, TestDb, db_test};

fn event(
    status: AcctStatus,
    id: &str,
    at: chrono::DateTime<Utc>,
    session_time: Option<u64>,
) -> AccountingEvent {
    let mut e = AccountingEvent::new(status, id, id, "mario", "10.0.0.1");
    e.event_time = at;
    e.session_time = session_time;
    e
}

db_test!(maintenance_commands_close_and_delete_the_right_rows, |db| {
    let sink = SqlAccountingSink::new(db.store.clone());
    let now = Utc::now();
    let days = |d: i64| now - Duration::days(d);
    let hours = |h: i64| now - Duration::hours(h);
    // s1: open 5 days, with a session time; s2: open 4 days, no session time.
    sink.record(&event(AcctStatus::Start, "s1", days(5), None))
        .await
        .unwrap();
    sink.record(&event(
        AcctStatus::InterimUpdate,
        "s1",
        days(5) + Duration::seconds(600),
        Some(600),
    ))
    .await
    .unwrap();
    sink.record(&event(AcctStatus::Start, "s2", days(4), None))
        .await
        .unwrap();
    // s3: open 1 day, updated an hour ago; s6: open 10 h, last updated 8 h ago.
    sink.record(&event(AcctStatus::Start, "s3", days(1), None))
        .await
        .unwrap();
    sink.record(&event(
        AcctStatus::InterimUpdate,
        "s3",
        hours(1),
        Some(82_800),
    ))
    .await
    .unwrap();
    sink.record(&event(AcctStatus::Start, "s6", hours(10), None))
        .await
        .unwrap();
    sink.record(&event(
        AcctStatus::InterimUpdate,
        "s6",
        hours(8),
        Some(7_200),
    ))
    .await
    .unwrap();
    // s4 ended 40 days ago, s5 10 days ago.
    sink.record(&event(AcctStatus::Start, "s4", days(41), None))
        .await
        .unwrap();
    sink.record(&event(AcctStatus::Stop, "s4", days(40), Some(86_400)))
        .await
        .unwrap();
    sink.record(&event(AcctStatus::Start, "s5", days(11), None))
        .await
        .unwrap();
    sink.record(&event(AcctStatus::Stop, "s5", days(10), Some(86_400)))
        .await
        .unwrap();
    for (d, reply) in [
        (40, "Access-Reject"),
        (10, "Access-Reject"),
        (0, "Access-Accept"),
    ] {
        db.store
            .record_postauth("mario", "x", reply, days(d).timestamp())
            .await
            .unwrap();
    }

    let dir = tempfile::tempdir().unwrap();
    let (url, d) = (db.url.clone(), dir.path().to_owned());
    let (refused, outputs) = tokio::task::spawn_blocking(move || {
        // Deleting needs --yes without a terminal to ask on; --dry-run only counts.
        let refused = [
            owums(&d, &url, &["radacct", "delete-older-than", "1"], ""),
            owums(&d, &url, &["postauth", "delete-older-than", "1"], ""),
        ];
        let outputs = [
            owums_ok(&d, &url, &["radacct", "cleanup-stale"]),
            owums_ok(
                &d,
                &url,
                &["radacct", "cleanup-stale", "--older-than-hours", "6"],
            ),
            owums_ok(
                &d,
                &url,
                &["radacct", "delete-older-than", "30", "--dry-run"],
            ),
            owums_ok(
                &d,
                &url,
                &["postauth", "delete-older-than", "30", "--dry-run"],
            ),
            owums_ok(&d, &url, &["radacct", "delete-older-than", "30", "--yes"]),
            owums_ok(&d, &url, &["postauth", "delete-older-than", "30", "-y"]),
            owums_ok(&d, &url, &["radacct", "cleanup-stale"]),
        ];
        (refused, outputs)
    })
    .await
    .unwrap();
    for (r, what) in refused.iter().zip(["2 radacct rows", "2 radpostauth rows"]) {
        assert_eq!(r.code, 1, "{}", r.stderr);
        assert!(
            r.stderr.starts_with(&format!("error: not deleting {what}"))
                && r.stderr.contains("without --yes")
                && r.stderr.trim().lines().count() == 1,
            "{}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{}", r.stdout);
    }
    assert_eq!(
        outputs[0],
        format!("{STALE_RECALCULATED} 1\n{STALE_INVALID} 1\n")
    );
    assert_eq!(outputs[1], "Session-Timeout 1\n");
    assert!(
        outputs[2].starts_with("would delete 1 radacct rows (sessions that ended before "),
        "{}",
        outputs[2]
    );
    assert!(
        outputs[3].starts_with("would delete 1 radpostauth rows (logged before "),
        "{}",
        outputs[3]
    );
    assert_eq!(outputs[4], "deleted 1 radacct rows\n");
    assert_eq!(outputs[5], "deleted 1 radpostauth rows\n");
    assert_eq!(
        outputs[6],
        format!("{STALE_RECALCULATED} 0\n{STALE_INVALID} 0\n"),
        "nothing left to clean"
    );

    let get = |id: &'static str| {
        let store = db.store.clone();
        async move { store.radacct_by_unique_id(id).await.unwrap() }
    };
    let s1 = get("s1").await.unwrap();
    assert_eq!(s1.acctstoptime, Some(days(5).timestamp() + 600));
    assert_eq!(s1.acctterminatecause, STALE_RECALCULATED);
    let s2 = get("s2").await.unwrap();
    assert_eq!(s2.acctstoptime, s2.acctstarttime);
    assert_eq!(s2.acctterminatecause, STALE_INVALID);
    assert_eq!(
        get("s3").await.unwrap().acctstoptime,
        None,
        "recently updated: still open"
    );
    let s6 = get("s6").await.unwrap();
    assert_eq!(s6.acctterminatecause, "Session-Timeout");
    let stop = s6.acctstoptime.unwrap();
    assert!((stop - now.timestamp()).abs() < 60, "closed now: {stop}");
    assert!(get("s4").await.is_none(), "ended 40 days ago: deleted");
    assert!(get("s5").await.is_some(), "ended 10 days ago: kept");
    assert_eq!(db.store.postauth_for_user("mario").await.unwrap().len(), 2);
});

/// On a terminal, `delete-older-than` asks (through `script`, which gives it one): only a yes
/// deletes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_older_than_asks_on_a_terminal() {
    let db = TestDb::new(Backend::Sqlite).await.unwrap();
    let sink = SqlAccountingSink::new(db.store.clone());
    let ended = Utc::now() - Duration::days(10);
    sink.record(&event(AcctStatus::Start, "t1", ended, None))
        .await
        .unwrap();
    sink.record(&event(AcctStatus::Stop, "t1", ended, Some(60)))
        .await
        .unwrap();
    let on_a_terminal = |answer: &'static str| {
        let url = db.url.clone();
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().unwrap();
            let command = format!(
                "'{}' radacct delete-older-than 1",
                crate::support::cli::owums_bin().display()
            );
            let mut child = std::process::Command::new("script")
                .args(["-qec", &command, "/dev/null"])
                .current_dir(dir.path())
                .env("OWUMS_DATABASE__URL", url)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("script (util-linux) runs");
            std::io::Write::write_all(&mut child.stdin.take().unwrap(), answer.as_bytes()).unwrap();
            let out = child.wait_with_output().unwrap();
            (
                out.status.code(),
                String::from_utf8_lossy(&out.stdout).into_owned(),
            )
        })
    };
    let (code, shown) = on_a_terminal("n\n").await.unwrap();
    assert!(
        shown.contains("delete 1 radacct rows (sessions that ended before "),
        "{shown}"
    );
    assert!(
        shown.contains("[y/N]") && shown.contains("nothing deleted"),
        "{shown}"
    );
    assert_eq!(code, Some(1), "{shown}");
    assert!(db.store.radacct_by_unique_id("t1").await.unwrap().is_some());
    let (code, shown) = on_a_terminal("y\n").await.unwrap();
    assert!(shown.contains("deleted 1 radacct rows"), "{shown}");
    assert_eq!(code, Some(0), "{shown}");
    assert!(db.store.radacct_by_unique_id("t1").await.unwrap().is_none());
}

/// A stand-in for OWMW on loopback: knows one device, checks basic auth.
async fn lookup_server() -> (String, tokio::task::JoinHandle<()>) {
    use poem::http::StatusCode;
    use poem::listener::{Acceptor, Listener};
    use poem::{Response, Route, get, handler, web::Path};

    #[handler]
    fn associated(Path(file): Path<String>, req: &poem::Request) -> Response {
        // owmw:s3cret
        if req.header("authorization") != Some("Basic b3dtdzpzM2NyZXQ=") {
            return Response::builder()
                .status(StatusCode::UNAUTHORIZED)
                .finish();
        }
        match file.as_str() {
            "aa:bb:cc:dd:ee:01.xml" => Response::builder().content_type("application/xml").body(
                "<?xml version=\"1.0\"?><associated-user><mac-address>aa:bb:cc:dd:ee:01</mac-address>\
                 <access-point><mac-address>00:26:b9:75:f2:1d</mac-address></access-point></associated-user>",
            ),
            _ => Response::builder().status(StatusCode::NOT_FOUND).finish(),
        }
    }

    // Bound here and kept: the address is known and listening before the server task runs.
    let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = *acceptor.local_addr()[0].as_socket_addr().unwrap();
    let app = Route::new().at("/owmw/associated_users/:file", get(associated));
    let handle = tokio::spawn(async move {
        let _ = poem::Server::new_with_acceptor(acceptor).run(app).await;
    });
    (format!("http://{addr}/owmw"), handle)
}

db_test!(
    convert_called_station_id_asks_the_access_point_lookup,
    |db| {
        let sink = SqlAccountingSink::new(db.store.clone());
        let now = Utc::now();
        let session = |id: &str, calling: &str, called: &str, start: chrono::DateTime<Utc>| {
            let mut e = event(AcctStatus::Start, id, start, None);
            e.calling_station_id = calling.to_owned();
            e.called_station_id = called.to_owned();
            e
        };
        sink.record(&session(
            "c1",
            "AA-BB-CC-DD-EE-01",
            "br-dwifi",
            now - Duration::hours(1),
        ))
        .await
        .unwrap();
        sink.record(&session(
            "c2",
            "AA-BB-CC-DD-EE-02",
            "br-dwifi",
            now - Duration::hours(1),
        ))
        .await
        .unwrap();
        sink.record(&session(
            "c3",
            "AA-BB-CC-DD-EE-01",
            "00-11-22-33-44-55:br-dwifi",
            now - Duration::hours(1),
        ))
        .await
        .unwrap();
        sink.record(&session(
            "c4",
            "AA-BB-CC-DD-EE-01",
            "br-dwifi",
            now - Duration::days(3),
        ))
        .await
        .unwrap();
        let (url, server) = lookup_server().await;
        let dir = tempfile::tempdir().unwrap();
        let (db_url, d) = (db.url.clone(), dir.path().to_owned());
        let (wrong, right) = tokio::task::spawn_blocking(move || {
            let run = |password: &str| {
                crate::support::cli::owums_env(
                    &d,
                    &db_url,
                    &["radacct", "convert-called-station-id"],
                    "",
                    &[
                        ("OWUMS_ACCESS_POINTS__LOOKUP_URL", url.as_str()),
                        ("OWUMS_ACCESS_POINTS__USERNAME", "owmw"),
                        ("OWUMS_ACCESS_POINTS__PASSWORD", password),
                    ],
                )
            };
            (run("wrong"), run("s3cret"))
        })
        .await
        .unwrap();
        server.abort();
        assert_eq!(wrong.code, 1, "{}", wrong.stderr);
        assert!(
            wrong.stderr.contains("refused the credentials") && !wrong.stderr.contains("wrong"),
            "{}",
            wrong.stderr
        );
        assert_eq!(right.code, 0, "{}", right.stderr);
        assert_eq!(right.stdout, "converted 1, unknown 1\n");
        let called = |id: &'static str| {
            let store = db.store.clone();
            async move {
                store
                    .radacct_by_unique_id(id)
                    .await
                    .unwrap()
                    .unwrap()
                    .calledstationid
            }
        };
        assert_eq!(called("c1").await, "00-26-B9-75-F2-1D:br-dwifi");
        assert_eq!(called("c2").await, "br-dwifi", "unknown device: unchanged");
        assert_eq!(
            called("c3").await,
            "00-11-22-33-44-55:br-dwifi",
            "already converted: unchanged"
        );
        assert_eq!(
            called("c4").await,
            "br-dwifi",
            "older than 2 days: unchanged"
        );
    }
);
