//! Masking secrets before configuration is shown.

const SECRET_WORDS: &[&str] = &["secret", "password", "token", "api_key", "private_key"];
const MASK: &str = "********";

/// `scheme://user:********@host/db` for a URL with a password; other strings unchanged.
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

pub(crate) fn redact(value: &mut toml::Value) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t.iter_mut() {
                let key = k.to_ascii_lowercase();
                if SECRET_WORDS.iter().any(|w| key.contains(w)) {
                    *v = toml::Value::String(MASK.to_owned());
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
