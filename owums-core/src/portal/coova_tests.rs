//! Known answers for CoovaChilli: the reference's key, CHAP, PAP and `md` vectors, every
//! `res`, and the redirects it refuses.

use super::coova::{self, CoovaAdapter};
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
    assert_eq!(adapter.name(), "lobby");
    assert_eq!(adapter.uamserver(), "http://portal.example/login");
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
    assert_eq!(
        read(&format!(
            "res=notyet&{base}&challenge=zz{}",
            &CHALLENGE[2..]
        )),
        Err(PortalError::BadParameter("challenge"))
    );
    // the controller's reply message is shown without control characters, up to 253 bytes
    // (a RADIUS attribute's most)
    let reply = |text: &str| {
        let q = format!("res=failed&reason=reject&{base}&reply={text}");
        read(&q).expect("a failed logon").reply
    };
    assert_eq!(
        reply("Wrong%0Apassword%07").as_deref(),
        Some("Wrongpassword")
    );
    assert_eq!(reply(&"r".repeat(253)), Some("r".repeat(253)));
    assert_eq!(reply(&"r".repeat(254)), None);
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
