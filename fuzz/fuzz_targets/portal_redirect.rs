//! Any bytes as the query string an access controller's redirect brings (CoovaChilli with
//! and without a `uamsecret`, WILI-S): reading it returns, never panics; what it accepts
//! names a controller `host:port`, a MAC in `AA-BB-CC-DD-EE-FF` form and an original URL
//! that is http(s) only, and a CoovaChilli redirect re-signed with its `md` is accepted
//! again unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use owums_core::portal::coova::{CoovaAdapter, md_checksum};
use owums_core::portal::wili::WiliAdapter;
use owums_core::portal::{Arrival, CoovaConfig, PortalAdapter, Redirect, WiliConfig};

const UAMSERVER: &str = "http://portal.example/portal/lobby/login";

fn check(arrival: &Arrival) {
    if let Some(mac) = &arrival.client_mac {
        assert_eq!(mac.len(), 17, "{mac}");
        assert!(mac.split('-').all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase())));
    }
    if let Some(url) = &arrival.original_url {
        assert!(url.starts_with("http://") || url.starts_with("https://"), "{url}");
        assert!(!url.chars().any(char::is_control));
    }
    let controller = arrival.controller.as_deref().expect("a controller");
    let port = controller.rsplit(':').next().expect("a port");
    assert!(port.parse::<u16>().is_ok_and(|p| p != 0), "{controller}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(query) = std::str::from_utf8(data) else {
        return;
    };
    let plain = CoovaAdapter::new(
        "lobby",
        CoovaConfig { allow_unsigned: true, ..CoovaConfig::default() },
        UAMSERVER.into(),
    );
    let signed = CoovaAdapter::new(
        "lobby",
        CoovaConfig { uamsecret: "testsecret".into(), ..CoovaConfig::default() },
        UAMSERVER.into(),
    );
    let wili = WiliAdapter::new(
        "campus",
        WiliConfig { secret: "s".into(), version: 2, ..WiliConfig::default() },
        "https://owums.example/portal/campus/result".into(),
    )
    .expect("a version 2 adapter needs no certificate");
    let redirect = Redirect { query, peer: None };
    if let Ok(arrival) = plain.arrival(&redirect) {
        check(&arrival);
        if query.len() > 16_384 || query.matches('&').count() > 60 {
            return; // signing adds a pair, which may pass a limit
        }
        // the same redirect signed by a controller with a secret reads the same
        let md = md_checksum(&format!("{UAMSERVER}?{query}"), "testsecret");
        let again = signed
            .arrival(&Redirect { query: &format!("{query}&md={md}"), peer: None })
            .expect("a signed copy of an accepted redirect");
        assert_eq!(again, arrival);
    }
    let _ = signed.arrival(&redirect);
    if let Ok(arrival) = wili.arrival(&redirect) {
        check(&arrival);
    }
});
