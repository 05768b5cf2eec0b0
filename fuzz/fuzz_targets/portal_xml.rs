//! Any bytes as a WILI-S controller's answer (`<logon>`, `<logoff>`, `<ppstatus>`) or as
//! the result a portal-version-2 controller sends the browser back with: reading returns,
//! never panics; the text an operator's log gets holds no control characters.
#![no_main]

use libfuzzer_sys::fuzz_target;
use owums_core::portal::wili::{browser_logoff_result, browser_result};
use owums_core::portal::wili::xml::{ReplyKind, answer, figure, parse};

fuzz_target!(|data: &[u8]| {
    for kind in [ReplyKind::Logon, ReplyKind::Logoff, ReplyKind::Status] {
        match parse(kind, data) {
            Ok(reply) => {
                let answer = answer(kind, &reply);
                assert!(!answer.detail.chars().any(char::is_control), "{:?}", answer.detail);
                assert!(answer.messages.len() <= 32);
            }
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = figure(text, true);
        let _ = figure(text, false);
        for read in [browser_result, browser_logoff_result] {
            if let Ok(answer) = read(text) {
                assert!(answer.messages.iter().all(|m| !m.chars().any(char::is_control)));
            }
        }
    }
});
