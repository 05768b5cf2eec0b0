//! Masking secrets before configuration is shown.
//!
//! `owums check-config` prints the effective configuration, and logs name database URLs: both
//! go through here. A key is a secret when its name contains a secret word (`password`,
//! `token`, `secret`, …) unless it only names a kind of secret (`password_format`); a URL
//! anywhere has its password masked.

const SECRET_WORDS: &[&str] = &["secret", "password", "token", "api_key", "private_key"];
/// Keys named like secrets that only say what kind of secret is meant
/// (`radius.password_format = "crypt"`): shown as they are.
const NOT_SECRET_SUFFIXES: &[&str] = &["_format"];
const MASK: &str = "********";
/// Shown for a secret that is empty, so an unset secret is not mistaken for a set one.
pub(crate) const NOT_SET: &str = "(not set)";

/// `scheme://user:********@host/db` for a URL with a password; other strings unchanged.
///
/// ```
/// use owums_core::config::redact_url;
/// assert_eq!(redact_url("mysql://radius:s3cret@db/radius"), "mysql://radius:********@db/radius");
/// assert_eq!(redact_url("sqlite:///var/lib/owums/owums.db"), "sqlite:///var/lib/owums/owums.db");
/// ```
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((creds, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match creds.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:{MASK}@{host}"),
        None => url.to_owned(),
    }
}

fn is_secret(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|w| key.contains(w))
        && !NOT_SECRET_SUFFIXES.iter().any(|s| key.ends_with(s))
}

/// A secret's value as shown: masked, or [`NOT_SET`] when empty.
fn mask(value: &mut toml::Value) {
    match value {
        toml::Value::String(s) if s.is_empty() => *s = NOT_SET.to_owned(),
        toml::Value::Table(t) => t.iter_mut().for_each(|(_, v)| mask(v)),
        toml::Value::Array(a) => a.iter_mut().for_each(mask),
        other => *other = toml::Value::String(MASK.to_owned()),
    }
}

pub(crate) fn redact(value: &mut toml::Value) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                if is_secret(k) {
                    mask(v);
                } else if let toml::Value::String(s) = v {
                    *s = redact_url(s);
                } else {
                    redact(v);
                }
            }
        }
        toml::Value::Array(a) => a.iter_mut().for_each(redact),
        _ => {}
    }
}
