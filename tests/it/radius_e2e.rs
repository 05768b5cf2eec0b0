//! End to end with a real FreeRADIUS (`rlm_sql`, stock queries) on an owums database, for
//! every backend: who is accepted, with which replies, and what accounting writes.

use owums_core::storage::{NewGroup, RadAcctRecord};
use owums_core::{AttributeKind, GroupName, PasswordFormat, RadiusAttribute, Subscribers, UserId};

use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, RadiusReply, SqlBackend};
use crate::support::{DbParams, TestDb, db_test, new_user, subscribers};

pub(crate) fn sql_backend(db: &TestDb) -> SqlBackend {
    let postgres = db.backend() == crate::support::Backend::Postgres;
    match db.params.clone() {
        DbParams::Sqlite { path } => SqlBackend::Sqlite { path },
        DbParams::Server {
            host,
            port,
            user,
            password,
            database,
        } if postgres => SqlBackend::Postgres {
            host,
            port,
            user,
            password,
            database,
        },
        DbParams::Server {
            host,
            port,
            user,
            password,
            database,
        } => SqlBackend::Mysql {
            host,
            port,
            user,
            password,
            database,
        },
    }
}

pub(crate) async fn start(db: &TestDb, local_client: bool) -> FreeRadius {
    start_as(db, local_client, false).await
}

/// [`start`], threaded as in production when `threaded` (benchmarks).
pub(crate) async fn start_as(db: &TestDb, local_client: bool, threaded: bool) -> FreeRadius {
    let backend = sql_backend(db);
    tokio::task::spawn_blocking(move || {
        FreeRadius::start(
            &backend,
            FreeRadiusOptions {
                local_client,
                threaded,
            },
        )
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("FreeRADIUS did not start: {e}"))
}

/// Runs a blocking radclient call off the async runtime.
pub(crate) async fn radius<F>(fr: &std::sync::Arc<FreeRadius>, f: F) -> RadiusReply
where
    F: FnOnce(&FreeRadius) -> RadiusReply + Send + 'static,
{
    let fr = fr.clone();
    tokio::task::spawn_blocking(move || f(&fr)).await.unwrap()
}

pub(crate) async fn auth(
    fr: &std::sync::Arc<FreeRadius>,
    user: &'static str,
    password: &'static str,
) -> RadiusReply {
    radius(fr, move |fr| fr.authenticate(user, password)).await
}

async fn user_id(s: &Subscribers, name: &str) -> UserId {
    s.find(name).await.unwrap().id
}

db_test!(
    freeradius_accepts_only_valid_users_with_group_replies,
    |db| {
        let s = subscribers(&db);
        s.create(new_user("vera"), true, &[]).await.unwrap();
        s.register(new_user("umberto")).await.unwrap();
        let dina = s.create(new_user("dina"), true, &[]).await.unwrap();
        s.disable(dina.id).await.unwrap();
        let ivan = s.create(new_user("ivan"), true, &[]).await.unwrap();
        s.deactivate(ivan.id).await.unwrap();
        let mut no_eula = new_user("noel");
        no_eula.eula_accepted = false;
        s.create(no_eula, true, &[]).await.unwrap();
        let reply = |t| RadiusAttribute::parse(AttributeKind::Reply, t).unwrap();
        db.store
            .create_group(NewGroup {
                name: GroupName::try_new("Gold").unwrap(),
                priority: 0,
                notes: None,
                checks: vec![],
                replies: vec![
                    reply("Reply-Message=\"Welcome, it's gold\""),
                    reply("Session-Timeout=7200"),
                ],
            })
            .await
            .unwrap();
        s.create(
            new_user("gold"),
            true,
            &[GroupName::try_new("Gold").unwrap()],
        )
        .await
        .unwrap();
        let disabled = [
            GroupName::try_new("Disabled").unwrap(),
            GroupName::try_new("Users").unwrap(),
        ];
        s.create(new_user("dora"), true, &disabled).await.unwrap();

        let fr = std::sync::Arc::new(start(&db, true).await);
        let ok = auth(&fr, "vera", "Tulip-Harbor-93").await;
        assert!(ok.is_accept(), "{}\n{}", ok.raw, fr.log_tail(40));
        assert_eq!(ok.attr("Session-Timeout"), Some("3600"), "{}", ok.raw);
        assert_eq!(ok.attr("Idle-Timeout"), Some("600"), "{}", ok.raw);
        let gold = auth(&fr, "gold", "Tulip-Harbor-93").await;
        assert!(gold.is_accept(), "{}", gold.raw);
        assert_eq!(
            gold.attr("Reply-Message"),
            Some("Welcome, it's gold"),
            "{}",
            gold.raw
        );
        assert_eq!(
            gold.attr("Session-Timeout"),
            Some("7200"),
            "group replies, Fall-Through-free: {}",
            gold.raw
        );
        for (user, why) in [
            ("umberto", "unverified"),
            ("dina", "disabled"),
            ("ivan", "inactive"),
            ("noel", "EULA not accepted"),
            ("nobody", "unknown"),
        ] {
            let r = auth(&fr, user, "Tulip-Harbor-93").await;
            assert!(
                r.is_reject(),
                "{why} user {user} must be rejected: {}",
                r.raw
            );
        }
        assert!(
            auth(&fr, "vera", "Maple-Sonnet-48").await.is_reject(),
            "wrong password"
        );
        let r = auth(&fr, "dora", "Tulip-Harbor-93").await;
        assert!(
            r.is_reject(),
            "the seeded Disabled group rejects its members: {}",
            r.raw
        );
        assert_eq!(
            r.attr("Reply-Message"),
            Some("Account disabled"),
            "{}",
            r.raw
        );

        // Disabling takes effect on the very next Access-Request, re-enabling too.
        let vera = user_id(&s, "vera").await;
        s.disable(vera).await.unwrap();
        assert!(
            auth(&fr, "vera", "Tulip-Harbor-93").await.is_reject(),
            "disabled user"
        );
        s.enable(vera).await.unwrap();
        assert!(
            auth(&fr, "vera", "Tulip-Harbor-93").await.is_accept(),
            "re-enabled user"
        );

        // post-auth went to radpostauth without any password (owums_forget_password): not
        // the accepted one, not the wrong one, not the correct one of an unverified user.
        for user in ["vera", "umberto"] {
            let log = db.store.postauth_for_user(user).await.unwrap();
            assert!(log.iter().any(|r| r.reply == "Access-Reject"), "{log:?}");
            assert!(log.iter().all(|r| r.pass.is_empty()), "{log:?}");
        }
        let log = db.store.postauth_for_user("vera").await.unwrap();
        assert!(log.iter().any(|r| r.reply == "Access-Accept"), "{log:?}");
    }
);

fn acct(
    status: &str,
    session_time: u32,
    octets: (u32, u32, u32, u32),
    ts: i64,
) -> Vec<(&'static str, String)> {
    vec![
        ("Acct-Status-Type", status.to_owned()),
        ("Acct-Session-Id", "5a1e-0001".to_owned()),
        ("User-Name", "vera".to_owned()),
        ("NAS-IP-Address", "127.0.0.1".to_owned()),
        ("NAS-Port", "7".to_owned()),
        ("Called-Station-Id", "00-26-B9-75-F2-1D:hotspot".to_owned()),
        ("Calling-Station-Id", "AA-BB-CC-DD-EE-FF".to_owned()),
        ("Framed-IP-Address", "10.1.0.5".to_owned()),
        ("Acct-Session-Time", session_time.to_string()),
        ("Acct-Input-Octets", octets.0.to_string()),
        ("Acct-Input-Gigawords", octets.1.to_string()),
        ("Acct-Output-Octets", octets.2.to_string()),
        ("Acct-Output-Gigawords", octets.3.to_string()),
        ("Event-Timestamp", ts.to_string()),
    ]
}

async fn only_session(db: &TestDb) -> RadAcctRecord {
    let rows = db.store.radacct_for_user("vera").await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows.into_iter().next().unwrap()
}

db_test!(freeradius_accounting_lands_in_radacct, |db| {
    subscribers(&db)
        .create(new_user("vera"), true, &[])
        .await
        .unwrap();
    let fr = std::sync::Arc::new(start(&db, true).await);
    let t0 = 1_767_225_600; // 2026-01-01T00:00:00Z
    let mut start_attrs = acct("Start", 0, (0, 0, 0, 0), t0);
    start_attrs.retain(|(k, _)| {
        !k.starts_with("Acct-Input") && !k.starts_with("Acct-Output") && *k != "Acct-Session-Time"
    });
    let r = radius(&fr, move |fr| fr.accounting(&start_attrs)).await;
    assert_eq!(
        r.code.as_deref(),
        Some("Accounting-Response"),
        "{}\n{}",
        r.raw,
        fr.log_tail(40)
    );
    let s = only_session(&db).await;
    assert_eq!(s.acctstarttime, Some(t0));
    assert_eq!(s.acctstoptime, None);
    assert_eq!(s.nasipaddress, "127.0.0.1");
    assert_eq!(s.callingstationid, "AA-BB-CC-DD-EE-FF");

    let interim = acct("Interim-Update", 600, (1000, 1, 2000, 2), t0 + 600);
    let r = radius(&fr, move |fr| fr.accounting(&interim)).await;
    assert_eq!(r.code.as_deref(), Some("Accounting-Response"));
    let s = only_session(&db).await;
    assert_eq!(
        s.acctinputoctets,
        Some(4_294_967_296 + 1000),
        "gigawords folded"
    );
    assert_eq!(s.acctoutputoctets, Some(2 * 4_294_967_296 + 2000));
    assert_eq!(s.acctsessiontime, Some(600));
    assert_eq!(s.acctupdatetime, Some(t0 + 600));

    let mut stop = acct("Stop", 1200, (5000, 3, 6000, 4), t0 + 1200);
    stop.push(("Acct-Terminate-Cause", "User-Request".to_owned()));
    let r = radius(&fr, move |fr| fr.accounting(&stop)).await;
    assert_eq!(r.code.as_deref(), Some("Accounting-Response"));
    let s = only_session(&db).await;
    assert_eq!(s.acctstoptime, Some(t0 + 1200));
    assert_eq!(s.acctsessiontime, Some(1200));
    assert_eq!(s.acctinputoctets, Some(3 * 4_294_967_296 + 5000));
    assert_eq!(s.acctoutputoctets, Some(4 * 4_294_967_296 + 6000));
    assert_eq!(s.acctterminatecause, "User-Request");
});

db_test!(nas_added_with_the_command_is_a_radius_client, |db| {
    subscribers(&db)
        .create(new_user("vera"), true, &[])
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (url, d) = (db.url.clone(), dir.path().to_owned());
    tokio::task::spawn_blocking(move || {
        crate::support::cli::owums_ok(
            &d,
            &url,
            &[
                "nas",
                "add",
                "--nasname",
                "127.0.0.1/32",
                "--secret",
                "nas-s3cret",
                "--shortname",
                "ap1",
            ],
        );
    })
    .await
    .unwrap();
    let fr = std::sync::Arc::new(start(&db, false).await);
    let r = radius(&fr, |fr| {
        fr.authenticate_with_secret("vera", "Tulip-Harbor-93", "nas-s3cret")
    })
    .await;
    assert!(r.is_accept(), "{}\n{}", r.raw, fr.log_tail(40));
    let r = radius(&fr, |fr| {
        fr.authenticate_with_secret("vera", "Tulip-Harbor-93", "other-secret")
    })
    .await;
    assert_eq!(r.code, None, "a wrong shared secret gets no answer");
});

/// Every password format FreeRADIUS can check with PAP.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeradius_checks_every_password_format() {
    let Some(db) = TestDb::new(crate::support::Backend::Sqlite).await else {
        return;
    };
    for (name, format) in [
        ("crypt", PasswordFormat::Crypt),
        ("ntuser", PasswordFormat::Nt),
        ("clear", PasswordFormat::Cleartext),
    ] {
        Subscribers::new(db.store.clone(), format)
            .create(new_user(name), true, &[])
            .await
            .unwrap();
    }
    let fr = std::sync::Arc::new(start(&db, true).await);
    for name in ["crypt", "ntuser", "clear"] {
        let r = radius(&fr, move |fr| fr.authenticate(name, "Tulip-Harbor-93")).await;
        assert!(r.is_accept(), "{name}: {}\n{}", r.raw, fr.log_tail(30));
        let r = radius(&fr, move |fr| fr.authenticate(name, "Lunar-Basil-906")).await;
        assert!(r.is_reject(), "{name} with a wrong password: {}", r.raw);
    }
}

/// The grants docs/freeradius.md lists are enough for FreeRADIUS: authorization, post-auth
/// and a full accounting cycle as a user that has nothing else.
async fn restricted_user_is_enough(db: TestDb, grants: &[String], cleanup: &[String], user: &str) {
    subscribers(&db)
        .create(new_user("vera"), true, &[])
        .await
        .unwrap();
    for g in grants {
        db.exec(g).await.unwrap_or_else(|e| panic!("{g}: {e}"));
    }
    let backend = match sql_backend(&db) {
        SqlBackend::Postgres {
            host,
            port,
            database,
            ..
        } => SqlBackend::Postgres {
            host,
            port,
            user: user.to_owned(),
            password: "Copper-Fjord-72".to_owned(),
            database,
        },
        SqlBackend::Mysql {
            host,
            port,
            database,
            ..
        } => SqlBackend::Mysql {
            host,
            port,
            user: user.to_owned(),
            password: "Copper-Fjord-72".to_owned(),
            database,
        },
        other => other,
    };
    let fr = tokio::task::spawn_blocking(move || {
        FreeRadius::start(
            &backend,
            FreeRadiusOptions {
                local_client: true,
                ..Default::default()
            },
        )
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("FreeRADIUS as {}: {e}", "the restricted user"));
    let fr = std::sync::Arc::new(fr);
    let ok = auth(&fr, "vera", "Tulip-Harbor-93").await;
    assert!(ok.is_accept(), "{}\n{}", ok.raw, fr.log_tail(40));
    assert!(auth(&fr, "vera", "bad-pass1").await.is_reject());
    for (status, t) in [("Start", 0), ("Interim-Update", 60), ("Stop", 120)] {
        let attrs = acct(status, t, (10, 0, 20, 0), 1_767_225_600 + i64::from(t));
        let r = radius(&fr, move |fr| fr.accounting(&attrs)).await;
        assert_eq!(
            r.code.as_deref(),
            Some("Accounting-Response"),
            "{status}: {}",
            fr.log_tail(40)
        );
    }
    let on = vec![
        ("Acct-Status-Type", "Accounting-On".to_owned()),
        ("NAS-IP-Address", "127.0.0.1".to_owned()),
    ];
    let r = radius(&fr, move |fr| fr.accounting(&on)).await;
    assert_eq!(
        r.code.as_deref(),
        Some("Accounting-Response"),
        "Accounting-On: {}",
        fr.log_tail(40)
    );
    assert!(
        !fr.log().contains("permission denied") && !fr.log().contains("command denied"),
        "{}",
        fr.log_tail(60)
    );
    assert_eq!(only_session(&db).await.acctstoptime, Some(1_767_225_720));
    drop(fr);
    for c in cleanup {
        db.exec(c).await.unwrap_or_else(|e| panic!("{c}: {e}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_grants_suffice_postgres() {
    let Some(db) = TestDb::new(crate::support::Backend::Postgres).await else {
        return;
    };
    let role = format!("radius_{}", &uuid_suffix());
    let grants = [
        format!("CREATE ROLE {role} LOGIN PASSWORD 'Copper-Fjord-72'"),
        format!(
            "GRANT SELECT ON radcheck, radreply, radusergroup, radgroupcheck, radgroupreply, nas TO {role}"
        ),
        format!("GRANT SELECT, INSERT, UPDATE ON radacct, radpostauth, nasreload TO {role}"),
        format!(
            "GRANT USAGE, SELECT ON SEQUENCE radacct_radacctid_seq, radpostauth_id_seq TO {role}"
        ),
    ];
    let cleanup = [format!("DROP OWNED BY {role}"), format!("DROP ROLE {role}")];
    restricted_user_is_enough(db, &grants, &cleanup, &role).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn documented_grants_suffice_mysql() {
    let Some(db) = TestDb::new(crate::support::Backend::Mysql).await else {
        return;
    };
    let DbParams::Server { database, .. } = db.params.clone() else {
        unreachable!()
    };
    let user = format!("radius_{}", &uuid_suffix());
    let who = format!("'{user}'@'%'");
    let mut grants = vec![format!("CREATE USER {who} IDENTIFIED BY 'Copper-Fjord-72'")];
    for t in [
        "radcheck",
        "radreply",
        "radusergroup",
        "radgroupcheck",
        "radgroupreply",
        "nas",
    ] {
        grants.push(format!("GRANT SELECT ON {database}.{t} TO {who}"));
    }
    for t in ["radacct", "radpostauth", "nasreload"] {
        grants.push(format!(
            "GRANT SELECT, INSERT, UPDATE ON {database}.{t} TO {who}"
        ));
    }
    restricted_user_is_enough(db, &grants, &[format!("DROP USER {who}")], &user).await;
}

fn uuid_suffix() -> String {
    let n: u64 = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    format!("{:x}", n ^ u64::from(std::process::id()))
}
