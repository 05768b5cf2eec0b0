//! Any bytes into the SIP entry point: it must return, never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = owums_plugin_sip::parse(data) {
        let _ = request.branch();
        let _ = request.to_tag();
        let _ = owums_plugin_sip::caller(&request, Some("39"));
        let _ = owums_plugin_sip::callees(&request, None);
    }
});
