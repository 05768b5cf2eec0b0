//! The one helper for the secrets subscribers hold: web session tokens, password-reset
//! links and phone-recovery tickets. Each is 256 random bits written as 64 lowercase hex
//! digits; the database keeps only its SHA-256, so a copy of the database lets nobody log in
//! or reset a password; and stored hashes are compared in constant time.

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new secret: 256 random bits as 64 lowercase hex digits.
pub(crate) fn random_secret() -> String {
    hex(&rand::random::<[u8; 32]>())
}

/// Whether `s` has the shape of a secret from [`random_secret`] (64 lowercase hex digits):
/// anything else is refused before any lookup.
pub(crate) fn is_secret(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// The SHA-256 of `secret`, in hex: what is stored in place of the secret.
pub(crate) fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The SHA-256 of several parts, each followed by a NUL byte so that no two different lists
/// of parts hash alike; in hex.
pub(crate) fn digest_parts(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0]);
    }
    hex(&h.finalize())
}

/// Compares two digests in constant time.
pub(crate) fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_hex_and_stored_as_their_digest() {
        let a = random_secret();
        assert!(is_secret(&a), "{a}");
        assert_ne!(a, random_secret());
        assert!(!is_secret(&a.to_uppercase()));
        assert!(!is_secret(&a[..63]));
        assert!(!is_secret("../../etc/passwd"));
        // SHA-256("abc"), FIPS 180-2 appendix B.1
        assert_eq!(
            digest("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(digest_parts(&["ab", "c"]), digest_parts(&["a", "bc"]));
        assert!(same(&digest("x"), &digest("x")));
        assert!(!same(&digest("x"), &digest("y")));
        assert!(!same("ab", "abc"));
    }
}
