//! Passwords: the argon2id hash for the web login and the value FreeRADIUS gets.
//!
//! Every subscriber password is stored twice, written together in one transaction: an
//! argon2id hash for the pages and the API (and for REST-mode authorize), and one check row
//! in the format FreeRADIUS needs in SQL mode ([`PasswordFormat`], chosen by
//! `[radius] password_format`). Hashing takes tens of milliseconds of CPU and 12 MiB, so
//! the async paths queue it for a few dedicated threads (`hasher`), one per CPU by default:
//! a burst of logins queues instead of stalling the async workers, and its memory is
//! bounded and given back afterwards.

use argon2::password_hash::PasswordHasher;
use md4::{Digest, Md4};
use serde::{Deserialize, Serialize};
use sha_crypt::ShaCrypt;

use crate::error::{Error, Problem, Result, Weakness};
use crate::subscriber::hasher;
use crate::subscriber::input::{MAX_PASSWORD_LEN, is_forbidden_char};

/// Minimum length of a subscriber password, in characters (the maximum is
/// [`MAX_PASSWORD_LEN`]).
pub const MIN_PASSWORD_LEN: usize = 8;

/// The lowest zxcvbn score (0–4) a new password must reach: 3 is "safely unguessable"
/// (about 10⁸ guesses), the level zxcvbn's authors recommend as the minimum.
pub const MIN_PASSWORD_SCORE: u8 = 3;

/// Characters of a password the strength estimate reads: the estimate's cost grows faster
/// than the length (measured with `cargo bench -p owums-core --bench password_hash`: 0.1 ms
/// for a typical password, 4–12 ms for 64 characters of the slowest pattern found, against
/// 20–35 ms for the argon2id hash every new password costs anyway), and a password whose
/// first 64 characters are strong is strong.
const ESTIMATED_CHARS: usize = 64;

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

/// What a subscriber's password may not be made of: their username, e-mail address (and its
/// parts), names and mobile number. The strength estimate treats these as the first words an
/// attacker tries.
#[derive(Clone, Default)]
pub struct PersonalData(Vec<String>);

impl std::fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PersonalData({} words)", self.0.len())
    }
}

impl PersonalData {
    /// The words of `values` (empty ones are skipped): each value lowercased, an e-mail
    /// address also as its local part and domain name, and every value also split at
    /// punctuation into its words of three or more characters (`mario.rossi` gives
    /// `mario` and `rossi`); a phone number also as its digits alone.
    pub fn new<'a>(values: impl IntoIterator<Item = &'a str>) -> Self {
        let mut words: Vec<String> = Vec::new();
        let mut add = |w: &str| {
            let w = w.trim().to_lowercase();
            if !w.is_empty() && !words.contains(&w) {
                words.push(w);
            }
        };
        for value in values {
            add(value);
            for part in value.split(|c: char| !c.is_alphanumeric()) {
                if part.chars().count() >= 3 {
                    add(part);
                }
            }
            let digits: String = value.chars().filter(char::is_ascii_digit).collect();
            if digits.len() >= 6 {
                add(&digits);
            }
        }
        PersonalData(words)
    }

    /// These words and those of `other`.
    pub fn and(mut self, other: PersonalData) -> Self {
        for w in other.0 {
            if !self.0.contains(&w) {
                self.0.push(w);
            }
        }
        self
    }

    /// The personal data of a stored subscriber.
    pub fn of_user(u: &crate::subscriber::user::UserRecord) -> Self {
        PersonalData::new([
            u.username.as_str(),
            u.email.as_ref().map_or("", |e| e.as_str()),
            u.mobile.as_ref().map_or("", |m| m.as_str()),
            u.given_name.as_str(),
            u.surname.as_str(),
        ])
    }

    /// The personal data of a subscriber about to be created.
    pub fn of_new_user(u: &crate::subscriber::user::NewUser) -> Self {
        PersonalData::new([
            u.username.as_ref().map_or("", |n| n.as_str()),
            u.email.as_ref().map_or("", |e| e.as_str()),
            u.mobile.as_ref().map_or("", |m| m.as_str()),
            u.given_name.as_str(),
            u.surname.as_str(),
        ])
    }
}

/// Checks a new subscriber password, the one statement of the password rules: sign-up,
/// operator-created accounts, password changes and both kinds of reset call it.
///
/// A password has [`MIN_PASSWORD_LEN`] to [`MAX_PASSWORD_LEN`] characters, no control
/// characters, and is hard to guess: the zxcvbn estimate (common passwords, dictionary
/// words, names, keyboard patterns, repeats, sequences, dates, and the subscriber's own
/// `personal` data) must reach [`MIN_PASSWORD_SCORE`]. There is no rule about letters,
/// digits or symbols: the estimate already counts what they add, and `correct horse
/// battery staple` is a better password than `Passw0rd!`.
///
/// # Errors
///
/// [`Error::Invalid`] for field `password` with [`Problem::TooShort`], [`Problem::TooLong`],
/// [`Problem::ControlCharacters`] or [`Problem::Guessable`] (saying why, from zxcvbn's
/// feedback).
///
/// ```
/// use owums_core::subscriber::{PersonalData, validate_password};
/// use owums_core::{Error, Problem, Weakness};
/// let mario = PersonalData::new(["mario.rossi", "mario@example.org", "Mario", "Rossi"]);
/// let why = |pw: &str| match validate_password(pw, &mario) {
///     Err(Error::Invalid { problem: Problem::Guessable(w), .. }) => Some(w),
///     _ => None,
/// };
/// assert_eq!(why("password1"), Some(Weakness::Common));
/// assert_eq!(why("mario.rossi"), Some(Weakness::Personal));
/// assert!(validate_password("Tulip-Harbor-93", &mario).is_ok());
/// ```
pub fn validate_password(password: &str, personal: &PersonalData) -> Result<()> {
    validate_password_shape(password)?;
    match weakness(password, personal) {
        None => Ok(()),
        Some(w) => Err(Error::refused(
            "password",
            Problem::Guessable(w),
            format!("is too easy to guess: {}", w.reason()),
        )),
    }
}

/// The rules of [`validate_password`] without the strength estimate: length and control
/// characters. For an operator who chose a weak password on purpose (`--weak-password-ok`).
pub(crate) fn validate_password_shape(password: &str) -> Result<()> {
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
    if len > MAX_PASSWORD_LEN {
        return Err(Error::refused(
            "password",
            Problem::TooLong {
                max: MAX_PASSWORD_LEN,
            },
            format!("must be at most {MAX_PASSWORD_LEN} characters long"),
        ));
    }
    if password.chars().any(is_forbidden_char) {
        return Err(Error::refused(
            "password",
            Problem::ControlCharacters,
            "may not contain control characters",
        ));
    }
    Ok(())
}

/// Why zxcvbn finds `password` too easy to guess, or `None` when it is strong enough.
fn weakness(password: &str, personal: &PersonalData) -> Option<Weakness> {
    use zxcvbn::feedback::Warning;
    let head: String = password.chars().take(ESTIMATED_CHARS).collect();
    let inputs: Vec<&str> = personal.0.iter().map(String::as_str).collect();
    let estimate = zxcvbn::zxcvbn(&head, &inputs);
    if u8::from(estimate.score()) >= MIN_PASSWORD_SCORE {
        return None;
    }
    let personal_match = estimate.sequence().iter().any(|m| match &m.pattern {
        zxcvbn::matching::patterns::MatchPattern::Dictionary(d) => {
            personal.0.contains(&d.matched_word)
        }
        _ => false,
    });
    if personal_match {
        return Some(Weakness::Personal);
    }
    let warning = estimate
        .feedback()
        .and_then(zxcvbn::feedback::Feedback::warning);
    Some(match warning {
        Some(
            Warning::ThisIsATop10Password
            | Warning::ThisIsATop100Password
            | Warning::ThisIsACommonPassword,
        ) => Weakness::Common,
        Some(Warning::ThisIsSimilarToACommonlyUsedPassword) => Weakness::SimilarToCommon,
        Some(
            Warning::StraightRowsOfKeysAreEasyToGuess
            | Warning::ShortKeyboardPatternsAreEasyToGuess,
        ) => Weakness::KeyboardPattern,
        Some(
            Warning::RepeatsLikeAaaAreEasyToGuess
            | Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess,
        ) => Weakness::Repeats,
        Some(Warning::SequencesLikeAbcAreEasyToGuess) => Weakness::Sequence,
        Some(Warning::RecentYearsAreEasyToGuess | Warning::DatesAreOftenEasyToGuess) => {
            Weakness::Dates
        }
        Some(Warning::AWordByItselfIsEasyToGuess) => Weakness::Word,
        Some(
            Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
            | Warning::CommonNamesAndSurnamesAreEasyToGuess,
        ) => Weakness::Names,
        None => Weakness::TooSimple,
    })
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

/// Whether `password` matches `hash`, on the hashing threads; `None` when `hash` is
/// malformed and nothing was computed.
pub(crate) async fn check_password_async(password: &str, hash: &str) -> Option<bool> {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    hasher::Hashers::global()
        .run(move |memory| hasher::check_with(memory, password.as_bytes(), &hash))
        .await
        .ok()
        .flatten()
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
        let none = PersonalData::default();
        let problem = |pw: &str, p: &PersonalData| match validate_password(pw, p) {
            Err(Error::Invalid { problem, .. }) => Some(problem),
            _ => None,
        };
        assert_eq!(problem("short1", &none), Some(Problem::TooShort { min: 8 }));
        assert_eq!(
            problem(&"x".repeat(129), &none),
            Some(Problem::TooLong { max: 128 })
        );
        assert_eq!(
            problem("tulip\u{1b}harbor93", &none),
            Some(Problem::ControlCharacters)
        );
        assert_eq!(
            problem("password1", &none),
            Some(Problem::Guessable(Weakness::Common))
        );
        assert_eq!(
            problem("qwerty123", &none),
            Some(Problem::Guessable(Weakness::Common))
        );
        assert_eq!(
            problem("abcdefgh", &none),
            Some(Problem::Guessable(Weakness::Sequence))
        );
        assert!(problem("12345678", &none).is_some());
        let bench = PersonalData::new(["benchuser7", "benchuser7@example.org", "Alice", "Rossi"]);
        assert_eq!(
            problem("benchuser7", &bench),
            Some(Problem::Guessable(Weakness::Personal))
        );
        assert!(
            problem("benchuser7", &none).is_none(),
            "strong for a stranger"
        );
        // passphrases need no digits or symbols; the benchmark's passwords pass
        assert_eq!(problem("correct horse battery staple", &none), None);
        assert_eq!(problem("benchpass-1", &none), None);
        assert_eq!(problem("Tulip-Harbor-93", &bench), None);
    }

    #[test]
    fn personal_data_words() {
        let p = PersonalData::new(["mario.rossi", "Mario@Example.org", "", "+393341234567"]);
        for w in [
            "mario.rossi",
            "mario",
            "rossi",
            "mario@example.org",
            "example",
            "393341234567",
        ] {
            assert!(p.0.iter().any(|x| x == w), "{w} in {:?}", p.0);
        }
    }
}
