//! Known answers: the reference's CoovaChilli vectors, every WILI-S code of the seed's
//! tables, the seed's `<ppstatus>` sample verbatim.

use super::coova::{self, CoovaAdapter};
use super::wili::xml::{self, LogoffCode, LogonCode, ReplyKind, StatusCode};
use super::wili::{self, WiliAdapter};
use super::*;

const CHALLENGE: &str = "e3f3e85d56bc3952765dd746549e97cb";
const QUERY: &str = "res=notyet&uamip=10.1.0.1&uamport=3990&challenge=e3f3e85d56bc3952765dd746549e97cb&called=00-11-22-33-44-55&mac=AA-BB-CC-DD-EE-FF&ip=10.1.0.5&nasid=nas01&sessionid=5f3a1b2c00000001&userurl=http%3A%2F%2Fexample.com%2F";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn coovachilli_key_chap_and_pap_match_the_reference_vectors() {
    let challenge = coova::parse_challenge(CHALLENGE).expect("32 hex digits");
    let key = coova::logon_key(&challenge, "testsecret");
    assert_eq!(hex(&key), "cd02d18721846470da16318255f2479a");
    assert_eq!(
        coova::chap_response(&key, "secretpass", 0),
        "3eae554f4f58c6e09ecc7b9e191fc74f"
    );
    let plain = coova::logon_key(&challenge, "");
    assert_eq!(plain, challenge);
    assert_eq!(
        coova::chap_response(&plain, "secretpass", 0),
        "26dba77c33f687bc401e3eb80bbdbaed"
    );
    assert_eq!(
        coova::pap_password(&key, "secretpass"),
        "be67b2f544f01411a965"
    );
    // longer than 16 bytes: the key repeats (chilli_response -pap), byte 16 XOR key[0]
    let long = coova::pap_password(&key, "secretpass-and-more");
    assert_eq!(&long[..20], "be67b2f544f01411a965");
    assert_eq!(&long[32..34], format!("{:02x}", b'o' ^ 0xcd));
    assert_eq!(coova::parse_challenge("e3f3"), None);
    assert_eq!(coova::parse_challenge("zz".repeat(16).as_str()), None);
}

#[test]
fn coovachilli_md_matches_the_reference_and_refuses_any_change() {
    let url = format!("http://portal.example/login?{QUERY}");
    assert_eq!(
        coova::md_checksum(&url, "testsecret"),
        "59B1191F9BEDE1486EF170EC690ADF9A"
    );
    let signed = format!("{QUERY}&md=59B1191F9BEDE1486EF170EC690ADF9A");
    coova::check_md("http://portal.example/login", &signed, "testsecret").expect("valid md");
    // lower-case hex digits are the same checksum
    let lower = format!("{QUERY}&md=59b1191f9bede1486ef170ec690adf9a");
    coova::check_md("http://portal.example/login", &lower, "testsecret").expect("case of md");
    let tampered = signed.replace("10.1.0.5", "10.1.0.6");
    assert_eq!(
        coova::check_md("http://portal.example/login", &tampered, "testsecret"),
        Err(PortalError::Tampered)
    );
    assert_eq!(
        coova::check_md("http://portal.example/login", &signed, "othersecret"),
        Err(PortalError::Tampered)
    );
    assert_eq!(
        coova::check_md("http://portal.example/login", QUERY, "testsecret"),
        Err(PortalError::MissingParameter("md"))
    );
    // a uamserver with its own query: chilli appends with `&`
    let url = format!("http://portal.example/login?x=1&{QUERY}");
    let md = coova::md_checksum(&url, "s");
    coova::check_md(
        "http://portal.example/login?x=1",
        &format!("{QUERY}&md={md}"),
        "s",
    )
    .expect("& separator");
}

fn coova_adapter(secret: &str, logon: CoovaLogon) -> CoovaAdapter {
    CoovaAdapter::new(
        "lobby",
        CoovaConfig {
            uamsecret: secret.into(),
            logon,
            ..CoovaConfig::default()
        },
        "http://portal.example/login".into(),
    )
}

#[tokio::test]
async fn coovachilli_reads_the_redirect_and_sends_the_browser_to_logon() {
    let adapter = coova_adapter("testsecret", CoovaLogon::Chap);
    let query = format!("{QUERY}&md=59B1191F9BEDE1486EF170EC690ADF9A");
    let arrival = adapter
        .arrival(&Redirect {
            query: &query,
            peer: None,
        })
        .expect("a valid redirect");
    assert_eq!(arrival.state, ArrivalState::NotYet);
    assert_eq!(arrival.client_ip, Some("10.1.0.5".parse().expect("ip")));
    assert_eq!(arrival.client_mac.as_deref(), Some("AA-BB-CC-DD-EE-FF"));
    assert_eq!(arrival.controller.as_deref(), Some("10.1.0.1:3990"));
    assert_eq!(arrival.nas_id.as_deref(), Some("nas01"));
    assert_eq!(arrival.original_url.as_deref(), Some("http://example.com/"));
    assert_eq!(arrival.session_id.as_deref(), Some("5f3a1b2c00000001"));
    let creds = Credentials {
        username: "alice".into(),
        password: "secretpass".into(),
    };
    let Step::Browser(go) = adapter.logon(&arrival, &creds).await.expect("logon") else {
        panic!("CoovaChilli logs on in the browser");
    };
    assert_eq!(go.method, BrowserMethod::Get);
    assert_eq!(
        go.url,
        "http://10.1.0.1:3990/logon?username=alice&response=3eae554f4f58c6e09ecc7b9e191fc74f&userurl=http%3A%2F%2Fexample.com%2F"
    );
    assert!(
        !format!("{go:?}").contains("3eae55"),
        "Debug shows no credentials"
    );
    let pap = coova_adapter("testsecret", CoovaLogon::Pap);
    let Step::Browser(go) = pap.logon(&arrival, &creds).await.expect("logon") else {
        panic!("browser");
    };
    assert!(
        go.url.contains("&password=be67b2f544f01411a965&"),
        "{}",
        go.url
    );
    assert!(!go.url.contains("testsecret") && !go.url.contains("secretpass"));
}

#[test]
fn coovachilli_handles_every_res_and_refuses_bad_redirects() {
    let adapter = coova_adapter("", CoovaLogon::Pap);
    let read = |q: &str| {
        adapter.arrival(&Redirect {
            query: q,
            peer: None,
        })
    };
    let base = "uamip=10.1.0.1&uamport=3990";
    for (res, state) in [
        ("already", ArrivalState::Already),
        ("success", ArrivalState::Success),
        ("failed", ArrivalState::Failed(None)),
        (
            "failed&reason=reject",
            ArrivalState::Failed(Some("reject".into())),
        ),
        ("failed&reason=bogus", ArrivalState::Failed(None)),
        ("logoff", ArrivalState::Logoff),
        ("splash", ArrivalState::Splash),
    ] {
        assert_eq!(
            read(&format!("res={res}&{base}")).expect(res).state,
            state,
            "{res}"
        );
    }
    assert_eq!(
        read(&format!("res=notyet&{base}&challenge={CHALLENGE}"))
            .expect("notyet")
            .state,
        ArrivalState::NotYet
    );
    assert_eq!(
        read(&format!("res=notyet&{base}")),
        Err(PortalError::MissingParameter("challenge"))
    );
    assert_eq!(
        read("res=what&uamip=10.1.0.1&uamport=3990"),
        Err(PortalError::BadParameter("res"))
    );
    assert_eq!(
        read("res=already&uamport=3990"),
        Err(PortalError::MissingParameter("uamip"))
    );
    assert_eq!(
        read("res=already&uamip=10.1.0.1&uamport=99999"),
        Err(PortalError::BadParameter("uamip"))
    );
    assert_eq!(
        read(&format!("res=already&{base}&mac=nope")),
        Err(PortalError::BadParameter("mac"))
    );
    assert_eq!(
        read(&format!("res=already&{base}&ip=10.1")),
        Err(PortalError::BadParameter("ip"))
    );
    let long = "a".repeat(MAX_PARAMETER + 1);
    assert_eq!(
        read(&format!("res=already&{base}&userurl={long}")),
        Err(PortalError::BadParameter("userurl"))
    );
    // only http(s) pages are sent on to
    let js = read(&format!("res=already&{base}&userurl=javascript%3Aalert(1)")).expect("read");
    assert_eq!(js.original_url, None);
    // a secret configured: an unsigned redirect is refused
    let signed = coova_adapter("testsecret", CoovaLogon::Pap);
    assert_eq!(
        signed.arrival(&Redirect {
            query: QUERY,
            peer: None
        }),
        Err(PortalError::MissingParameter("md"))
    );
}

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
