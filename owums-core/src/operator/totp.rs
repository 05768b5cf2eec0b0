//! The operators' second factor: time-based one-time passwords (RFC 6238) and recovery codes.
//!
//! The secret is 20 random bytes (160 bits, RFC 4226's recommendation), shown to the
//! operator once as base32 and as an `otpauth://` URI (a QR code); codes are 6 digits of
//! HMAC-SHA-1 over 30-second steps, as every authenticator app computes by default. A code
//! of the step before or after is accepted too (a phone's clock a little off). Recovery
//! codes are single use and stored as SHA-256.

use chrono::{DateTime, Utc};
use sha1::{Digest, Sha1};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::operator::{Changes, Operators};
use crate::storage::operator::OperatorField;
use crate::subscriber::token;

/// Seconds per TOTP step.
pub const TOTP_STEP_SECONDS: i64 = 30;

/// How many recovery codes an operator gets when confirming the second factor.
pub const RECOVERY_CODES: usize = 10;

const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// `bytes` in RFC 4648 base32, without padding (as authenticator apps expect).
fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            out.push(char::from(BASE32[((buffer >> (bits - 5)) & 31) as usize]));
            bits -= 5;
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The bytes of base32 `text` (spaces and case ignored); `None` when not base32.
fn unbase32(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = BASE32.iter().position(|&x| x == c.to_ascii_uppercase())?;
        buffer = (buffer << 5) | u32::try_from(v).ok()?;
        bits += 5;
        if bits >= 8 {
            out.push(((buffer >> (bits - 8)) & 0xff) as u8);
            bits -= 8;
        }
    }
    Some(out)
}

/// HMAC-SHA-1 (RFC 2104) of `message` under `key`.
fn hmac_sha1(key: &[u8], message: &[u8]) -> [u8; 20] {
    let mut k = [0u8; 64];
    if key.len() > 64 {
        k[..20].copy_from_slice(&Sha1::digest(key));
    } else {
        k[..key.len()].copy_from_slice(key);
    }
    let mut inner = Sha1::new();
    inner.update(k.map(|b| b ^ 0x36));
    inner.update(message);
    let mut outer = Sha1::new();
    outer.update(k.map(|b| b ^ 0x5c));
    outer.update(inner.finalize());
    outer.finalize().into()
}

/// The 6-digit code of `secret` (raw bytes) for time step `step` (RFC 4226 truncation).
fn hotp(secret: &[u8], step: u64) -> String {
    let mac = hmac_sha1(secret, &step.to_be_bytes());
    let offset = usize::from(mac[19] & 0x0f);
    let n = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!("{:06}", n % 1_000_000)
}

fn step_of(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp().div_euclid(TOTP_STEP_SECONDS)).unwrap_or(0)
}

/// The code an authenticator app shows at `at` for base32 `secret` (tests and tools
/// compute it; the server only compares). `None` when `secret` is not base32.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// // RFC 6238 appendix B, SHA-1, T = 59 s: 94287082 (8 digits); its last 6 are the code.
/// let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"
/// let at = Utc.timestamp_opt(59, 0).unwrap();
/// assert_eq!(owums_core::operator::totp_code(secret, at).as_deref(), Some("287082"));
/// ```
pub fn totp_code(secret: &str, at: DateTime<Utc>) -> Option<String> {
    let key = unbase32(secret)?;
    Some(hotp(&key, step_of(at)))
}

/// The step (of the one of `at`, the one before and the one after) whose code `code` is.
fn matching_step(secret: &str, code: &str, at: DateTime<Utc>) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let key = unbase32(secret)?;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let step = step_of(at);
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| token::same(&hotp(&key, *s), &code))
}

#[cfg(test)]
fn code_matches(secret: &str, code: &str, at: DateTime<Utc>) -> bool {
    matching_step(secret, code, at).is_some()
}

/// The `otpauth://` URI authenticator apps read from a QR code.
pub fn otpauth_uri(issuer: &str, username: &str, secret: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret}&issuer={}&algorithm=SHA1&digits=6&period={TOTP_STEP_SECONDS}",
        enc(issuer),
        enc(username),
        enc(issuer)
    )
}

/// A new recovery code: 10 random characters in two groups (`k3m9p-x2q7w`).
fn recovery_code() -> String {
    let raw = base32(&rand::random::<[u8; 7]>()).to_lowercase();
    format!("{}-{}", &raw[..5], &raw[5..10])
}

fn recovery_digest(code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    token::digest(&normal)
}

impl Operators {
    /// Starts enrolling a second factor: a new secret (base32) is stored, not yet in force
    /// until [`Operators::confirm_totp`]. Replaces an unconfirmed one; refused when one is
    /// confirmed (reset it first).
    pub async fn begin_totp(&self, id: Uuid) -> Result<String> {
        let row = self.row(id).await?;
        if row.totp_enabled {
            return Err(Error::invalid(
                "totp",
                "a second factor is already enrolled",
            ));
        }
        let secret = base32(&rand::random::<[u8; 20]>());
        self.set(id, OperatorField::Totp(Some(secret.clone()), false))
            .await?;
        Ok(secret)
    }

    /// The secret being enrolled (not confirmed yet), to draw again on the enrolment page.
    pub async fn pending_totp(&self, id: Uuid) -> Result<Option<String>> {
        let row = self.row(id).await?;
        Ok(row.totp_secret.filter(|_| !row.totp_enabled))
    }

    /// Confirms the second factor with a `code` of the app at `at`: from then on the
    /// operator needs a code at each login. Returns the [`RECOVERY_CODES`] recovery codes
    /// (shown once; only their SHA-256 is stored) and the changes.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] when no enrolment is under way or the code is wrong.
    pub async fn confirm_totp(
        &self,
        id: Uuid,
        code: &str,
        at: DateTime<Utc>,
    ) -> Result<(Vec<String>, Changes)> {
        let row = self.row(id).await?;
        let secret = match (&row.totp_secret, row.totp_enabled) {
            (Some(s), false) => s.clone(),
            _ => return Err(Error::invalid("totp", "no second factor is being enrolled")),
        };
        let Some(step) = matching_step(&secret, code, at) else {
            return Err(Error::invalid("code", "wrong code"));
        };
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<String> = codes.iter().map(|c| recovery_digest(c)).collect();
        self.store()
            .replace_recovery_codes(&row.id, &hashes, crate::storage::now_utc())
            .await?;
        self.set(id, OperatorField::Totp(Some(secret), true))
            .await?;
        // the confirming code is used: it cannot log in afterwards
        self.store()
            .claim_totp_step(&row.id, i64::try_from(step).unwrap_or(i64::MAX))
            .await?;
        let mut changes = Changes::default();
        changes.compare("totp", Some(&false), Some(&true));
        changes.secret("totp_secret");
        Ok((codes, changes))
    }

    /// Whether `code` is the operator's current TOTP code at `at` (not used before: a code,
    /// and any code of an earlier step, works once) or one of their unused recovery codes
    /// (which is used up). `false` when no second factor is enrolled.
    pub async fn check_second_factor(
        &self,
        id: Uuid,
        code: &str,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let row = self.row(id).await?;
        let Some(secret) = row.totp_secret.filter(|_| row.totp_enabled) else {
            return Ok(false);
        };
        if let Some(step) = matching_step(&secret, code, at) {
            let step = i64::try_from(step).unwrap_or(i64::MAX);
            return self.store().claim_totp_step(&row.id, step).await;
        }
        if code.trim().is_empty() || code.len() > 64 {
            return Ok(false);
        }
        self.store()
            .take_recovery_code(&row.id, &recovery_digest(code))
            .await
    }

    /// How many unused recovery codes the operator has.
    pub async fn recovery_codes_left(&self, id: Uuid) -> Result<i64> {
        self.store().count_recovery_codes(&id.to_string()).await
    }

    /// Removes the operator's second factor and recovery codes (they enrol again).
    pub async fn reset_totp(&self, id: Uuid) -> Result<Changes> {
        let row = self.row(id).await?;
        self.store()
            .replace_recovery_codes(&row.id, &[], crate::storage::now_utc())
            .await?;
        self.set(id, OperatorField::Totp(None, false)).await?;
        let mut changes = Changes::default();
        changes.compare("totp", Some(&row.totp_enabled), Some(&false));
        Ok(changes)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn codes_follow_rfc_6238() {
        let secret = base32(b"12345678901234567890");
        assert_eq!(secret, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(unbase32(&secret).unwrap(), b"12345678901234567890");
        // RFC 6238 appendix B (SHA-1), last six digits
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            let at = Utc.timestamp_opt(t, 0).unwrap();
            assert_eq!(totp_code(&secret, at).unwrap(), code, "t = {t}");
        }
        let at = Utc.timestamp_opt(1_111_111_109, 0).unwrap();
        assert!(code_matches(&secret, "081804", at));
        assert!(code_matches(
            &secret,
            "081 804",
            at + chrono::Duration::seconds(30)
        ));
        assert!(!code_matches(
            &secret,
            "081804",
            at + chrono::Duration::seconds(90)
        ));
        assert!(!code_matches(&secret, "08180", at));
    }

    #[test]
    fn recovery_codes_are_random_and_forgiving_to_type() {
        let c = recovery_code();
        assert_eq!(c.len(), 11);
        assert_ne!(c, recovery_code());
        assert_eq!(
            recovery_digest(&c),
            recovery_digest(&c.to_uppercase().replace('-', " "))
        );
        let uri = otpauth_uri("owums", "anna", "ABC");
        assert!(
            uri.starts_with("otpauth://totp/owums:anna?secret=ABC&issuer=owums"),
            "{uri}"
        );
    }
}
