//! End to end in REST mode: a real FreeRADIUS with rlm_rest and the repository's
//! `freeradius/rest/` configuration, asking a running `owums serve`, on SQLite and
//! PostgreSQL: replies, every reject, counters, Simultaneous-Use, accounting, Accounting-On,
//! what radpostauth keeps.

use std::io::{Read, Write};
use std::sync::Arc;

use owums_core::storage::NewGroup;
use owums_core::{AccountingEvent, AccountingSink, AcctStatus, AttributeKind, GroupName};
use owums_core::{RadiusAttribute, SqlAccountingSink};

use crate::support::cli::{Serving, serve_command};
use crate::support::freeradius::{FreeRadius, FreeRadiusOptions, RadiusReply, RestBackend};
use crate::support::{Backend, TestDb, new_user, subscribers};

pub(crate) const TOKEN: &str = "e2e-radius-token";

/// `owums serve` on a port of its choosing; killed on drop.
pub(crate) struct Server {
    _serving: Serving,
    pub(crate) addr: String,
}

fn healthz(addr: &str) -> bool {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return false;
    };
    let req = format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut buf = String::new();
    s.write_all(req.as_bytes()).is_ok()
        && s.read_to_string(&mut buf).is_ok()
        && buf.starts_with("HTTP/1.1 200")
}

pub(crate) fn serve(db: &TestDb) -> Server {
    let dir = std::env::temp_dir();
    let mut serving = Serving::spawn(
        serve_command(&dir)
            .env("OWUMS_DATABASE__URL", &db.url)
            .env("OWUMS_FREERADIUS__TOKEN", TOKEN)
            .env(
                "OWUMS_FREERADIUS__TRAFFIC_REPLY_ATTRIBUTE",
                "ChilliSpot-Max-Total-Octets",
            )
            .env("OWUMS_FREERADIUS__POSTAUTH_KEEP_WRONG_PASSWORDS", "true"),
    );
    let addr = serving.http_addr().to_string();
    assert!(healthz(&addr), "owums serve is up:\n{}", serving.log());
    Server {
        _serving: serving,
        addr,
    }
}

async fn radius<F>(fr: &Arc<FreeRadius>, f: F) -> RadiusReply
where
    F: FnOnce(&FreeRadius) -> RadiusReply + Send + 'static,
{
    let fr = fr.clone();
    tokio::task::spawn_blocking(move || f(&fr)).await.unwrap()
}

/// A PAP Access-Request from device `mac` on access point `ap`.
async fn login(fr: &Arc<FreeRadius>, user: &str, password: &str, mac: &str) -> RadiusReply {
    let attrs = vec![
        ("User-Name", user.to_owned()),
        ("User-Password", password.to_owned()),
        ("Called-Station-Id", "AA-AA-AA-AA-AA-AA:hotspot".to_owned()),
        ("Calling-Station-Id", mac.to_owned()),
    ];
    radius(fr, move |fr| fr.send("auth", &attrs, fr.secret())).await
}

async fn acct(fr: &Arc<FreeRadius>, attrs: Vec<(&'static str, String)>) -> RadiusReply {
    radius(fr, move |fr| fr.accounting(&attrs)).await
}

fn session(status: &str, id: &str, user: &str, mac: &str) -> Vec<(&'static str, String)> {
    vec![
        ("Acct-Status-Type", status.to_owned()),
        ("Acct-Session-Id", id.to_owned()),
        ("User-Name", user.to_owned()),
        ("NAS-Port", "1".to_owned()),
        ("Called-Station-Id", "AA-AA-AA-AA-AA-AA:hotspot".to_owned()),
        ("Calling-Station-Id", mac.to_owned()),
        ("Framed-IP-Address", "10.1.0.7".to_owned()),
    ]
}

/// Tina's daily limit and what she used of it: an hour, or as much of today (UTC, when
/// daily counters restart) as has passed, since right after midnight nobody can have used
/// an hour today. Called for the limit first and for the usage later, so the usage is
/// never below the limit.
fn todays_hour() -> u64 {
    let since_midnight = || {
        u64::from(chrono::Timelike::num_seconds_from_midnight(
            &chrono::Utc::now(),
        ))
    };
    if since_midnight() < 5 {
        // the first seconds of a day: let a few pass, so there is something to use up
        std::thread::sleep(std::time::Duration::from_secs(5));
    }
    since_midnight().min(3600)
}

async fn groups(db: &TestDb) {
    let check = |t| RadiusAttribute::parse(AttributeKind::Check, t).unwrap();
    let reply = |t| RadiusAttribute::parse(AttributeKind::Reply, t).unwrap();
    for (name, checks) in [
        (
            "Limited",
            vec![
                check("Max-Daily-Session:=10800"),
                check("Max-Daily-Session-Traffic:=3000000000"),
                check("Simultaneous-Use:=1"),
            ],
        ),
        (
            "Hourly",
            vec![check(&format!("Max-Daily-Session:={}", todays_hour()))],
        ),
    ] {
        db.store
            .create_group(NewGroup {
                name: GroupName::try_new(name).unwrap(),
                priority: 1,
                notes: None,
                checks,
                replies: vec![reply("Idle-Timeout=600")],
            })
            .await
            .unwrap();
    }
}

async fn scenario(db: TestDb) {
    groups(&db).await;
    let s = subscribers(&db);
    let group = |n| vec![GroupName::try_new(n).unwrap()];
    s.create(new_user("vera"), true, &[]).await.unwrap();
    s.create(new_user("lara"), true, &group("Limited"))
        .await
        .unwrap();
    s.create(new_user("tina"), true, &group("Hourly"))
        .await
        .unwrap();
    s.create(new_user("dora"), true, &group("Disabled"))
        .await
        .unwrap();
    s.register(new_user("umberto")).await.unwrap();
    let dina = s.create(new_user("dina"), true, &[]).await.unwrap();
    s.disable(dina.id).await.unwrap();
    let ivan = s.create(new_user("ivan"), true, &[]).await.unwrap();
    s.deactivate(ivan.id).await.unwrap();
    // tina used her hour today already (a session that ends now and began today)
    let mut used = AccountingEvent::new(AcctStatus::Stop, "t-1", "t-1", "tina", "10.0.0.9");
    used.session_time = Some(todays_hour());
    SqlAccountingSink::new(db.store.clone())
        .record(&used)
        .await
        .unwrap();

    let server = serve(&db);
    let rest = RestBackend {
        url: format!("http://{}", server.addr),
        token: TOKEN.to_owned(),
    };
    let fr = tokio::task::spawn_blocking(move || {
        FreeRadius::start_rest(
            &rest,
            FreeRadiusOptions {
                local_client: true,
                ..Default::default()
            },
        )
    })
    .await
    .unwrap()
    .unwrap_or_else(|e| panic!("FreeRADIUS did not start: {e}"));
    let fr = Arc::new(fr);
    let mac = "11-22-33-44-55-66";

    let vera = login(&fr, "vera", "Tulip-Harbor-93", mac).await;
    assert!(vera.is_accept(), "{}\n{}", vera.raw, fr.log_tail(60));
    assert_eq!(vera.attr("Session-Timeout"), Some("3600"), "{}", vera.raw);
    assert_eq!(vera.attr("Idle-Timeout"), Some("600"), "{}", vera.raw);
    let lara = login(&fr, "lara", "Tulip-Harbor-93", mac).await;
    assert!(lara.is_accept(), "{}", lara.raw);
    assert_eq!(lara.attr("Session-Timeout"), Some("10800"), "{}", lara.raw);
    assert_eq!(
        lara.attr("ChilliSpot-Max-Total-Octets"),
        Some("3000000000"),
        "{}",
        lara.raw
    );
    assert_eq!(lara.attr("Idle-Timeout"), Some("600"), "{}", lara.raw);

    for (user, password) in [
        ("vera", "wrong-password1"),
        ("nobody", "Tulip-Harbor-93"),
        ("umberto", "Tulip-Harbor-93"),
        ("dina", "Tulip-Harbor-93"),
        ("ivan", "Tulip-Harbor-93"),
    ] {
        let r = login(&fr, user, password, mac).await;
        assert!(r.is_reject(), "{user}: {}\n{}", r.raw, fr.log_tail(40));
    }
    let dora = login(&fr, "dora", "Tulip-Harbor-93", mac).await;
    assert!(dora.is_reject(), "{}", dora.raw);
    assert_eq!(
        dora.attr("Reply-Message"),
        Some("Account disabled"),
        "{}",
        dora.raw
    );
    let tina = login(&fr, "tina", "Tulip-Harbor-93", mac).await;
    assert!(tina.is_reject(), "{}", tina.raw);
    assert_eq!(
        tina.attr("Reply-Message"),
        Some("Your maximum daily usage time has been reached"),
        "{}",
        tina.raw
    );

    // a full accounting cycle for lara
    let start = acct(&fr, session("Start", "S1", "lara", mac)).await;
    assert_eq!(
        start.code.as_deref(),
        Some("Accounting-Response"),
        "{}\n{}",
        start.raw,
        fr.log_tail(40)
    );
    let mut interim = session("Interim-Update", "S1", "lara", mac);
    interim.extend([
        ("Acct-Session-Time", "60".to_owned()),
        ("Acct-Input-Octets", "500".to_owned()),
        ("Acct-Output-Octets", "700".to_owned()),
    ]);
    assert!(acct(&fr, interim).await.code.is_some());
    let rows = db.store.radacct_for_user("lara").await.unwrap();
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].acctsessiontime, Some(60));
    assert_eq!(rows[0].acctinputoctets, Some(500));
    assert_eq!(rows[0].acctoutputoctets, Some(700));
    assert_eq!(rows[0].framedipaddress, "10.1.0.7");
    assert_eq!(rows[0].acctstoptime, None);

    // Simultaneous-Use: another device is refused, the same one may re-authenticate
    let other = login(&fr, "lara", "Tulip-Harbor-93", "99-99-99-99-99-99").await;
    assert!(other.is_reject(), "{}", other.raw);
    assert_eq!(
        other.attr("Reply-Message"),
        Some("You are already logged in - access denied"),
        "{}",
        other.raw
    );
    let again = login(&fr, "lara", "Tulip-Harbor-93", mac).await;
    assert!(again.is_accept(), "{}", again.raw);
    assert_eq!(
        again.attr("Session-Timeout"),
        Some("10740"),
        "{}",
        again.raw
    );

    let mut stop = session("Stop", "S1", "lara", mac);
    stop.extend([
        ("Acct-Session-Time", "120".to_owned()),
        ("Acct-Input-Octets", "900".to_owned()),
        ("Acct-Input-Gigawords", "1".to_owned()),
        ("Acct-Output-Octets", "1000".to_owned()),
        ("Acct-Terminate-Cause", "User-Request".to_owned()),
    ]);
    assert!(acct(&fr, stop).await.code.is_some());
    let rows = db.store.radacct_for_user("lara").await.unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].acctstoptime.is_some());
    assert_eq!(rows[0].acctsessiontime, Some(120));
    assert_eq!(rows[0].acctterminatecause, "User-Request");
    assert_eq!(rows[0].acctinputoctets, Some((1_i64 << 32) + 900));
    // over 4 GB today: the daily traffic limit is reached
    let over = login(&fr, "lara", "Tulip-Harbor-93", mac).await;
    assert!(over.is_reject(), "{}", over.raw);
    assert_eq!(
        over.attr("Reply-Message"),
        Some("Your maximum daily usage traffic has been reached"),
        "{}",
        over.raw
    );

    // Accounting-On closes the NAS' open sessions
    assert!(
        acct(&fr, session("Start", "V1", "vera", mac))
            .await
            .code
            .is_some()
    );
    let on = acct(&fr, vec![("Acct-Status-Type", "Accounting-On".to_owned())]).await;
    assert_eq!(
        on.code.as_deref(),
        Some("Accounting-Response"),
        "{}",
        on.raw
    );
    let v = db.store.radacct_for_user("vera").await.unwrap();
    assert_eq!(v.len(), 1);
    assert!(v[0].acctstoptime.is_some());
    assert_eq!(v[0].acctterminatecause, "NAS-Reboot");

    // post-auth (postauth_keep_wrong_passwords on): accepts without their password, the
    // wrong one kept, no correct one of a user refused for another reason
    let log = db.store.postauth_for_user("vera").await.unwrap();
    let accept = log
        .iter()
        .find(|r| r.reply == "Access-Accept")
        .expect("accept logged");
    assert_eq!(accept.pass, "");
    let reject = log
        .iter()
        .find(|r| r.reply == "Access-Reject")
        .expect("reject logged");
    assert_eq!(reject.pass, "wrong-password1");
    for user in ["umberto", "dina", "ivan", "dora", "tina", "lara"] {
        let log = db.store.postauth_for_user(user).await.unwrap();
        assert!(log.iter().any(|r| r.reply == "Access-Reject"), "{log:?}");
        assert!(log.iter().all(|r| r.pass.is_empty()), "{log:?}");
    }
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeradius_rest_mode_end_to_end_sqlite() {
    if let Some(db) = TestDb::new(Backend::Sqlite).await {
        scenario(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeradius_rest_mode_end_to_end_postgres() {
    if let Some(db) = TestDb::new(Backend::Postgres).await {
        scenario(db).await;
    }
}
