//! MAC addresses as controllers write them.

/// A MAC address in any of the forms controllers and people write (`AA-BB-CC-DD-EE-FF`,
/// `aa:bb:cc:dd:ee:ff`, `aabbccddeeff`, `aabb.ccdd.eeff`) as `AA-BB-CC-DD-EE-FF`;
/// `None` for anything else.
///
/// ```
/// use owums_core::portal::normalise_mac;
/// assert_eq!(normalise_mac("aa:bb:cc:dd:ee:0f").as_deref(), Some("AA-BB-CC-DD-EE-0F"));
/// assert_eq!(normalise_mac("200347C92B63").as_deref(), Some("20-03-47-C9-2B-63"));
/// assert_eq!(normalise_mac("aa:bb:cc"), None);
/// ```
pub fn normalise_mac(text: &str) -> Option<String> {
    let text = text.trim();
    if text.len() > 17 {
        return None;
    }
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !matches!(b, b':' | b'-' | b'.'))
        .collect();
    if digits.len() != 12 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let separators = text.len() - digits.len();
    if ![0, 2, 5].contains(&separators) {
        return None;
    }
    let mut out = String::with_capacity(17);
    for (i, pair) in digits.chunks(2).enumerate() {
        if i > 0 {
            out.push('-');
        }
        out.push(char::from(pair[0].to_ascii_uppercase()));
        out.push(char::from(pair[1].to_ascii_uppercase()));
    }
    Some(out)
}
