//! Any text into the MAC parser (what subscribers type and what access controllers send as
//! User-Name): it returns, never panics; an address it accepts shows as `AA-BB-CC-DD-EE-FF`,
//! parses back to itself, is a unicast device address, and every spelling of it parses to
//! it; `looks_like` agrees with the parser on device addresses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use owums_core::MacAddress;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match MacAddress::parse(text) {
        Ok(mac) => {
            assert!(MacAddress::looks_like(text));
            let shown = mac.to_string();
            assert_eq!(shown.len(), 17);
            assert!(shown.bytes().enumerate().all(|(i, b)| if i % 3 == 2 {
                b == b'-'
            } else {
                b.is_ascii_digit() || (b'A'..=b'F').contains(&b)
            }));
            assert_eq!(MacAddress::parse(&shown).ok(), Some(mac));
            let o = mac.octets();
            assert!(o[0] & 1 == 0 && o != [0; 6]);
            let hex: String = o.iter().map(|b| format!("{b:02x}")).collect();
            let colons = shown.replace('-', ":").to_lowercase();
            let cisco = format!("{}.{}.{}", &hex[0..4], &hex[4..8], &hex[8..12]);
            for s in [hex.as_str(), colons.as_str(), cisco.as_str()] {
                assert_eq!(MacAddress::parse(s).ok(), Some(mac), "{s}");
            }
        }
        Err(e) => assert_eq!(e.kind(), owums_core::ErrorKind::Invalid),
    }
});
