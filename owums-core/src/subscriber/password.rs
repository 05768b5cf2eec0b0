//! Passwords: the argon2id hash for the web login and the value FreeRADIUS gets.
//!
//! Every subscriber password is stored twice, written together in one transaction: an
//! argon2id hash for the pages and the API (and for REST-mode authorize), and one check row
//! in the format FreeRADIUS needs in SQL mode ([`PasswordFormat`], chosen by
//! `[radius] password_format`). Hashing takes tens of milliseconds of CPU and 19 MiB, so
//! the async paths queue it for a few dedicated threads (`hasher`), one per CPU by default:
//! a burst of logins queues instead of stalling the async workers, and its memory is
//! bounded and given back afterwards.

use argon2::password_hash::PasswordHasher;
use md4::{Digest, Md4};
use serde::{Deserialize, Serialize};
use sha_crypt::ShaCrypt;

use crate::error::{Error, Problem, Result};
use crate::subscriber::hasher;

/// Minimum length of a subscriber password, in characters (the maximum is 128). A password
/// also needs a letter and a digit and may not contain control characters.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Check attributes that carry a password; a user's password row is managed by owums.
pub(crate) const PASSWORD_ATTRIBUTES: &[&str] = &[
    "Crypt-Password",
    "NT-Password",
    "Cleartext-Password",
    "User-Password",
];

/// What FreeRADIUS reads from `radcheck` as the user's password (`[radius] password_format`).
///
/// The choice is a trade-off between the authentication methods FreeRADIUS can offer and
/// what a stolen database reveals:
///
/// ```
/// use owums_core::PasswordFormat;
/// assert_eq!(PasswordFormat::Nt.attribute(), "NT-Password");
/// assert_eq!(PasswordFormat::Nt.encode("clientPass")?, "44EBBA8D5312B8D611474411F56989AE");
/// assert!(PasswordFormat::Crypt.encode("s3cret-pass")?.starts_with("$6$")); // salted: differs each time
/// # Ok::<(), owums_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordFormat {
    /// SHA-512 crypt as `Crypt-Password`: PAP and TTLS-PAP.
    #[default]
    Crypt,
    /// MD4 of the UTF-16LE password as `NT-Password`: PAP and MS-CHAPv2 (WPA-Enterprise).
    Nt,
    /// The password itself as `Cleartext-Password`: every method including CHAP, but the
    /// database then holds readable passwords.
    Cleartext,
}

impl PasswordFormat {
    /// The RADIUS check attribute FreeRADIUS expects for this format (`Crypt-Password`,
    /// `NT-Password`, `Cleartext-Password`).
    pub fn attribute(self) -> &'static str {
        match self {
            PasswordFormat::Crypt => "Crypt-Password",
            PasswordFormat::Nt => "NT-Password",
            PasswordFormat::Cleartext => "Cleartext-Password",
        }
    }

    /// The value to store for `password` in this format: a SHA-512 crypt string with a
    /// random salt, the NT hash in upper-case hex, or the password itself.
    ///
    /// # Errors
    ///
    /// [`Error::Internal`] if the crypt library fails (it does not for valid input).
    pub fn encode(self, password: &str) -> Result<String> {
        match self {
            PasswordFormat::Crypt => {
                let salt: [u8; 12] = rand::random();
                ShaCrypt::SHA512
                    .hash_password_with_salt(password.as_bytes(), &salt)
                    .map(|h| h.to_string())
                    .map_err(|e| Error::Internal(format!("sha-crypt: {e}")))
            }
            PasswordFormat::Nt => {
                let utf16: Vec<u8> = password.encode_utf16().flat_map(u16::to_le_bytes).collect();
                let digest = Md4::digest(&utf16);
                Ok(digest.iter().map(|b| format!("{b:02X}")).collect())
            }
            PasswordFormat::Cleartext => Ok(password.to_owned()),
        }
    }
}

/// Checks a new subscriber password: at least 8 characters, at most 128, with a letter and a
/// digit, no control characters. The one statement of the password rules: sign-up, password
/// changes and both kinds of reset call it, and the refusal's [`Problem`] says which rule
/// was broken.
pub fn validate_password(password: &str) -> Result<()> {
    let len = password.chars().count();
    if len < MIN_PASSWORD_LEN {
        return Err(Error::refused(
            "password",
            Problem::TooShort {
                min: MIN_PASSWORD_LEN,
            },
            format!("must be at least {MIN_PASSWORD_LEN} characters long"),
        ));
    }
    if len > 128 {
        return Err(Error::refused(
            "password",
            Problem::TooLong { max: 128 },
            "must be at most 128 characters long",
        ));
    }
    if !password.chars().any(char::is_alphabetic) || !password.chars().any(|c| c.is_ascii_digit()) {
        return Err(Error::refused(
            "password",
            Problem::NeedsLetterAndDigit,
            "must contain at least one letter and one digit",
        ));
    }
    if password.chars().any(char::is_control) {
        return Err(Error::refused(
            "password",
            Problem::ControlCharacters,
            "may not contain control characters",
        ));
    }
    Ok(())
}

/// Hashes a web password with argon2id (random salt, PHC string).
///
/// Blocking and CPU-heavy: in async code the services queue it for the hashing threads.
/// Call it directly only outside a runtime's workers (a command-line tool, a benchmark).
pub fn hash_password(password: &str) -> Result<String> {
    hasher::hash_with(&mut hasher::Memory::default(), password.as_bytes())
}

/// Whether `password` matches an argon2 PHC `hash`; a malformed hash never matches.
///
/// ```
/// use owums_core::subscriber::{hash_password, verify_password};
/// let hash = hash_password("s3cret-pass")?;
/// assert!(hash.starts_with("$argon2id$"));
/// assert!(verify_password("s3cret-pass", &hash));
/// assert!(!verify_password("s3cret-pasS", &hash));
/// assert!(!verify_password("s3cret-pass", "not a hash"));
/// # Ok::<(), owums_core::Error>(())
/// ```
pub fn verify_password(password: &str, hash: &str) -> bool {
    hasher::verify_with(&mut hasher::Memory::default(), password.as_bytes(), hash)
}

/// [`hash_password`] for async code: on the hashing threads, never on the async workers.
pub(crate) async fn hash_password_async(password: &str) -> Result<String> {
    let password = password.to_owned();
    hasher::Hashers::global()
        .run(move |memory| hasher::hash_with(memory, password.as_bytes()))
        .await?
}

/// [`verify_password`] for async code: on the hashing threads, never on the async workers.
pub(crate) async fn verify_password_async(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    hasher::Hashers::global()
        .run(move |memory| hasher::verify_with(memory, password.as_bytes(), &hash))
        .await
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn async_checks_leave_the_runtime_free() {
        let hash = hash_password_async("correct horse").await.unwrap();
        let checks: Vec<_> = (0..6)
            .map(|i| {
                let (hash, pw) = (
                    hash.clone(),
                    if i % 2 == 0 { "correct horse" } else { "wrong" },
                );
                tokio::spawn(async move { verify_password_async(pw, &hash).await })
            })
            .collect();
        // one thread runs every task here: one yield lets each check start; a check that
        // hashed on this thread would be finished by then, one on the blocking pool is not
        tokio::task::yield_now().await;
        assert!(checks.iter().all(|c| !c.is_finished()));
        let mut answers = Vec::new();
        for c in checks {
            answers.push(c.await.unwrap());
        }
        assert_eq!(answers, [true, false, true, false, true, false]);
        assert!(!verify_password_async("x", "not a hash").await);
    }

    #[test]
    fn nt_hash_known_vector() {
        // MS-CHAP test vector (RFC 2759 §9.2): password "clientPass".
        assert_eq!(
            PasswordFormat::Nt.encode("clientPass").unwrap(),
            "44EBBA8D5312B8D611474411F56989AE"
        );
    }

    #[test]
    fn crypt_is_sha512_crypt() {
        let h = PasswordFormat::Crypt.encode("password1").unwrap();
        assert!(h.starts_with("$6$"), "{h}");
        let h2 = PasswordFormat::Crypt.encode("password1").unwrap();
        assert_ne!(h, h2, "salted");
    }

    #[test]
    fn crypt_known_vector_from_glibc() {
        // glibc crypt("password1", "$6$saltsalt$"), the function FreeRADIUS calls.
        use sha_crypt::{PasswordHash, PasswordVerifier};
        let glibc = "$6$saltsalt$rGHbrrsOT1WLTt4dcfZKq1FiG//1B7ZAMkD.MeAC8/d9MOtB5EzYEffFnBarQhF6MiLywY/KggaYjrNNrzAnj/";
        let hash = PasswordHash::new(glibc).unwrap();
        assert!(
            ShaCrypt::SHA512
                .verify_password(b"password1", &hash)
                .is_ok()
        );
        assert!(
            ShaCrypt::SHA512
                .verify_password(b"password2", &hash)
                .is_err()
        );
    }

    #[test]
    fn argon2_round_trip() {
        let h = hash_password("s3cret-pass").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("s3cret-pass", &h));
        assert!(!verify_password("wrong-pass1", &h));
        assert!(!verify_password("s3cret-pass", "garbage"));
    }

    #[test]
    fn password_rules() {
        assert!(validate_password("short1").is_err());
        assert!(validate_password("abcdefgh").is_err());
        assert!(validate_password("12345678").is_err());
        assert!(validate_password("password1").is_ok());
    }
}
