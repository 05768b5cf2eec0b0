//! Known answers for WILI-S: every code of the seed's tables, the seed's `<logon>` and
//! `<ppstatus>` samples verbatim, placeholders and login formats.

use super::wili::xml::{self, LogoffCode, LogonCode, ReplyKind, StatusCode};
use super::wili::{self, WiliAdapter};
use super::*;

#[test]
fn every_wili_logon_code_of_the_seed_is_typed() {
    use ControllerFault as F;
    let table = [
        (0, LogonCode::Ok, Outcome::LoggedOn { already: false }),
        (
            100,
            LogonCode::NotChecked,
            Outcome::ControllerFailed(F::NotChecked),
        ),
        (
            101,
            LogonCode::NoIp,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (
            102,
            LogonCode::NoUsername,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (
            103,
            LogonCode::Disabled,
            Outcome::ControllerFailed(F::Disabled),
        ),
        (
            104,
            LogonCode::BadSecret,
            Outcome::ControllerFailed(F::BadSecret),
        ),
        (
            105,
            LogonCode::NoPassword,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (
            106,
            LogonCode::NoIpMac,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (
            110,
            LogonCode::AlreadyLoggedOn,
            Outcome::LoggedOn { already: true },
        ),
        (111, LogonCode::FailedToAuthorize, Outcome::Refused),
        (112, LogonCode::BadPassword, Outcome::WrongCredentials),
        (
            113,
            LogonCode::NetworkFailed,
            Outcome::ControllerFailed(F::Network),
        ),
        (
            114,
            LogonCode::AccountingError,
            Outcome::ControllerFailed(F::Accounting),
        ),
        (115, LogonCode::TooManyUsers, Outcome::TooManyUsers),
        (
            120,
            LogonCode::UnknownAuthorizationError,
            Outcome::ControllerFailed(F::Other),
        ),
        (999, LogonCode::Unknown(999), Outcome::Unknown(999)),
    ];
    for (code, typed, outcome) in table {
        assert_eq!(LogonCode::from_code(code), typed, "{code}");
        let body = format!(
            "<logon><status>x</status><error>{code}</error><description>d</description></logon>"
        );
        let reply = xml::parse(ReplyKind::Logon, body.as_bytes()).expect("parses");
        assert_eq!(
            xml::answer(ReplyKind::Logon, &reply).outcome,
            outcome,
            "{code}"
        );
    }
}

#[test]
fn every_wili_logoff_and_status_code_of_the_seed_is_typed() {
    use ControllerFault as F;
    let logoff = [
        (0, LogoffCode::Ok, Outcome::LoggedOff),
        (
            100,
            LogoffCode::NotChecked,
            Outcome::ControllerFailed(F::NotChecked),
        ),
        (
            102,
            LogoffCode::NoUsername,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (
            103,
            LogoffCode::Disabled,
            Outcome::ControllerFailed(F::Disabled),
        ),
        (
            104,
            LogoffCode::BadSecret,
            Outcome::ControllerFailed(F::BadSecret),
        ),
        (
            106,
            LogoffCode::NoIpMac,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (121, LogoffCode::NoUserByMac, Outcome::NotLoggedOn),
        (122, LogoffCode::NoUserByIp, Outcome::NotLoggedOn),
        (123, LogoffCode::NoUserByIpAndMac, Outcome::NotLoggedOn),
        (
            131,
            LogoffCode::FailedToLogoff,
            Outcome::ControllerFailed(F::LogoffFailed),
        ),
        (
            132,
            LogoffCode::CannotResolveIp,
            Outcome::ControllerFailed(F::Network),
        ),
        (
            140,
            LogoffCode::UnknownLogoffError,
            Outcome::ControllerFailed(F::Other),
        ),
        (7, LogoffCode::Unknown(7), Outcome::Unknown(7)),
    ];
    for (code, typed, outcome) in logoff {
        assert_eq!(LogoffCode::from_code(code), typed, "{code}");
        assert_eq!(typed.outcome(), outcome, "{code}");
    }
    let status = [
        (
            100,
            StatusCode::NotChecked,
            Outcome::ControllerFailed(F::NotChecked),
        ),
        (
            101,
            StatusCode::NoIp,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (
            102,
            StatusCode::NoUsername,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (
            103,
            StatusCode::Disabled,
            Outcome::ControllerFailed(F::Disabled),
        ),
        (
            104,
            StatusCode::BadSecret,
            Outcome::ControllerFailed(F::BadSecret),
        ),
        (
            106,
            StatusCode::NoIpMac,
            Outcome::ControllerFailed(F::MissingParameter),
        ),
        (121, StatusCode::NoUserByMac, Outcome::NotLoggedOn),
        (122, StatusCode::NoUserByIp, Outcome::NotLoggedOn),
        (123, StatusCode::NoUserByIpAndMac, Outcome::NotLoggedOn),
        (141, StatusCode::NoUserByIpAndUsername, Outcome::NotLoggedOn),
        (142, StatusCode::Unknown(142), Outcome::Unknown(142)),
    ];
    for (code, typed, outcome) in status {
        assert_eq!(StatusCode::from_code(code), typed, "{code}");
        assert_eq!(typed.outcome(), outcome, "{code}");
    }
    assert_eq!(StatusCode::from_code(0), StatusCode::Ok);
}

const SEED_LOGON: &str = " <logon>
   <status>Failed to authorize</status>
   <error>111</error>
   <description>Failed to authorize user.</description>
   <replymessage>User password is expired.</replymessage>
   <replymessage>Can not authenticate user, because user is disabled.</replymessage>
 </logon>";

const SEED_PPSTATUS: &str = " <ppstatus>
   <status>Ok</status>
   <error>0</error>
   <description>Got user   status.</description>
   <entry   id=\"1\">g17</entry>
   <entry   id=\"2\">192.168.2.117</entry>
   <entry   id=\"3\">200347C92B63</entry>
   <entry   id=\"4\">00:00:05</entry>
   <entry   id=\"5\">3E64C7967A36</entry>
   <entry   id=\"6\">00:00:03</entry>
   <entry   id=\"7\">0   bytes</entry>
   <entry   id=\"8\">0   bytes</entry>
   <entry   id=\"9\">testlab</entry>
   <entry   id=\"10\">unlimited</entry>
   <entry   id=\"11\">unlimited</entry>
   <entry   id=\"12\">unlimited</entry>
   <entry   id=\"13\">32   Mbps</entry>
   <entry   id=\"14\">32   Mbps</entry>
   <entry   id=\"15\">04:59:55</entry>
   <entry   id=\"16\">unlimited</entry>
  </ppstatus>";

#[test]
fn the_seeds_logon_sample_keeps_both_reply_messages() {
    let reply = xml::parse(ReplyKind::Logon, SEED_LOGON.as_bytes()).expect("the seed's sample");
    assert_eq!(reply.status, "Failed to authorize");
    let answer = xml::answer(ReplyKind::Logon, &reply);
    assert_eq!(answer.outcome, Outcome::Refused);
    assert_eq!(
        answer.messages,
        [
            "User password is expired.",
            "Can not authenticate user, because user is disabled."
        ]
    );
}

#[test]
fn the_seeds_ppstatus_sample_reads_verbatim() {
    let reply = xml::parse(ReplyKind::Status, SEED_PPSTATUS.as_bytes()).expect("the seed's sample");
    assert_eq!(reply.description, "Got user status.");
    let Outcome::Status(status) = xml::answer(ReplyKind::Status, &reply).outcome else {
        panic!("status");
    };
    let expected = SessionStatus {
        username: Some("g17".into()),
        ip: Some("192.168.2.117".into()),
        mac: Some("200347C92B63".into()),
        session_time: Figure::Seconds(5),
        session_id: Some("3E64C7967A36".into()),
        idle_time: Figure::Seconds(3),
        output_bytes: Figure::Bytes(0),
        input_bytes: Figure::Bytes(0),
        domain: Some("testlab".into()),
        remaining_bytes: Figure::Unlimited,
        remaining_output_bytes: Figure::Unlimited,
        remaining_input_bytes: Figure::Unlimited,
        bandwidth_up: Figure::BitsPerSecond(32_000_000),
        bandwidth_down: Figure::BitsPerSecond(32_000_000),
        remaining_time: Figure::Seconds(4 * 3600 + 59 * 60 + 55),
        remaining_total_bytes: Figure::Unlimited,
    };
    assert_eq!(*status, expected);
}

#[test]
fn figures_and_garbage() {
    assert_eq!(xml::figure("0 bytes", true), Figure::Unlimited);
    assert_eq!(xml::figure("1234 bytes", true), Figure::Bytes(1234));
    assert_eq!(
        xml::figure("512 kbps", false),
        Figure::BitsPerSecond(512_000)
    );
    assert_eq!(xml::figure("100:00:00", false), Figure::Seconds(360_000));
    assert_eq!(xml::figure("1.5 MB", false), Figure::Text("1.5 MB".into()));
    assert_eq!(
        xml::figure("00:61:00", false),
        Figure::Text("00:61:00".into())
    );
    assert_eq!(
        xml::figure("99999999999999999999 Gbps", false),
        Figure::Text("99999999999999999999 Gbps".into())
    );
    for bad in [
        "",
        "<logoff><error>0</error></logoff>",
        "<logon><status>Ok</status></logon>",
        "<logon><error>zero</error></logon>",
        "<logon><error>0</error>",
        "<logon><error>0</error></logon><logon/>",
        "<logon><a><b>1</b></a><error>0</error></logon>",
        "HTTP/1.1 500 oops",
        "<ppstatus><error>0</error><entry id=\"17\">x</entry></ppstatus>",
    ] {
        let kind = if bad.contains("ppstatus") {
            ReplyKind::Status
        } else {
            ReplyKind::Logon
        };
        assert!(
            matches!(
                xml::parse(kind, bad.as_bytes()),
                Err(PortalError::Garbage(_))
            ),
            "{bad:?}"
        );
    }
    let entity = xml::parse(ReplyKind::Logon, b"<?xml version=\"1.0\"?><logon><error>112</error><replymessage>a &amp; b &#233;</replymessage></logon>")
        .expect("entities");
    assert_eq!(entity.reply_messages, ["a & b \u{e9}"]);
}

fn wili(version: u8) -> WiliAdapter {
    WiliAdapter::new(
        "campus",
        WiliConfig {
            secret: "s".into(),
            version,
            certificate_sha256: "ab".repeat(32),
            login_format: LoginFormat::DomainSlashUser,
            domain: "testlab".into(),
            ..WiliConfig::default()
        },
        "https://owums.example/portal/campus/result".into(),
    )
    .expect("adapter")
}

#[tokio::test]
async fn wili_reads_current_and_legacy_placeholders() {
    let adapter = wili(2);
    let current = "clientlang=it&nasid=ac1&nasip=192.168.2.2&nasifc=wlan0&clientip=192.168.2.117&clientmac=20:03:47:c9:2b:63&wanport=9000&ourl=http%3A%2F%2Fexample.com%2F";
    let legacy = "lang=it&nasid=ac1&lanip=192.168.2.2&nasifc=wlan0&clientip=192.168.2.117&mac=200347C92B63&sslport=9000&ourl=http%3A%2F%2Fexample.com%2F";
    for query in [current, legacy] {
        let a = adapter
            .arrival(&Redirect { query, peer: None })
            .expect(query);
        assert_eq!(a.controller.as_deref(), Some("192.168.2.2:9000"), "{query}");
        assert_eq!(a.client_mac.as_deref(), Some("20-03-47-C9-2B-63"));
        assert_eq!(a.client_ip, Some("192.168.2.117".parse().expect("ip")));
        assert_eq!(a.interface.as_deref(), Some("wlan0"));
        assert_eq!(a.lang.as_deref(), Some("it"));
        assert_eq!(a.nas_id.as_deref(), Some("ac1"));
        assert_eq!(a.original_url.as_deref(), Some("http://example.com/"));
    }
    // a placeholder the controller left unfilled is missing, not a value
    let a = adapter
        .arrival(&Redirect {
            query: "nasip=10.0.0.1&nasifc=%nasifc",
            peer: None,
        })
        .expect("read");
    assert_eq!(
        (a.interface, a.controller.as_deref()),
        (None, Some("10.0.0.1:443"))
    );
    assert_eq!(
        adapter.arrival(&Redirect {
            query: "clientip=1.2.3.4",
            peer: None
        }),
        Err(PortalError::MissingParameter("nasip"))
    );
    // version 2: the browser posts to the controller, without the secret
    let creds = Credentials {
        username: adapter.login_name("alice"),
        password: "pw".into(),
    };
    assert_eq!(creds.username, "testlab/alice");
    let arrival = adapter
        .arrival(&Redirect {
            query: current,
            peer: None,
        })
        .expect("read");
    let Step::Browser(go) = adapter.logon(&arrival, &creds).await.expect("logon") else {
        panic!("version 2 goes through the browser");
    };
    assert_eq!(go.url, "https://192.168.2.2:9000/pplogon.user");
    assert!(go.fields.iter().all(|(k, _)| k != "secret"));
    assert!(go.fields.contains(&("mac".into(), "200347C92B63".into())));
    assert!(go.fields.contains(&(
        "resulturl".into(),
        "https://owums.example/portal/campus/result".into()
    )));
}

#[test]
fn wili_login_formats_and_template() {
    assert_eq!(wili::login_name(LoginFormat::Username, "d", "bob"), "bob");
    assert_eq!(
        wili::login_name(LoginFormat::UserAtDomain, "d", "bob"),
        "bob@d"
    );
    assert_eq!(
        wili::login_name(LoginFormat::DomainSlashUser, "d", "bob"),
        "d/bob"
    );
    assert_eq!(
        wili::login_name(LoginFormat::UserAtDomain, "d", "bob@x"),
        "bob@x"
    );
    let template = wili::login_url_template("https://w/portal/campus/login");
    for (placeholder, _) in wili::PLACEHOLDERS {
        assert!(template.contains(placeholder), "{placeholder}");
    }
    let answer = wili::browser_result(
        "status=Bad+password&error=112&description=x&replymessage=a&replymessage=b",
    )
    .expect("result");
    assert_eq!(answer.outcome, Outcome::WrongCredentials);
    assert_eq!(answer.messages, ["a", "b"]);
    assert_eq!(
        wili::browser_result("status=Ok"),
        Err(PortalError::MissingParameter("error"))
    );
}
