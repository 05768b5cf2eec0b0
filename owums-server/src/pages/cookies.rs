//! The pages' cookies and the checks of a form's origin.
//!
//! An anonymous visitor has no server-side session: the CSRF token of their forms is a
//! double-submit cookie ([`CSRF`], compared with the form's hidden field) and the language
//! they picked is a cookie too ([`LOCALE`]). A session ([`SESSION`]) starts at login, or when
//! an anonymous flow has something to keep between requests (a captcha answer, a password
//! recovery by phone under way).

use poem::Request;
use poem::http::header;
use subtle::ConstantTimeEq;

/// The session cookie: the token of a server-side session.
pub(crate) const SESSION: &str = "owums_session";

/// The anonymous visitor's CSRF token (double-submit: the same value is in each form).
pub(crate) const CSRF: &str = "owums_csrf";

/// The language an anonymous visitor picked with `?locale=`.
pub(crate) const LOCALE: &str = "owums_locale";

/// The key that opens the password a subscriber who came through a captive portal typed at
/// sign-up, kept (sealed) in their session until verification logs their device on.
pub(crate) const PORTAL: &str = "owums_portal";

/// How long the language cookie lasts, in seconds (a year).
const LOCALE_MAX_AGE: u64 = 365 * 24 * 3600;

/// The value of cookie `name` in `req`, if present and not empty.
pub(crate) fn get(req: &Request, name: &str) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == name && !v.is_empty()).then(|| v.to_owned())
        })
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Lax`, `Path=/`, `Secure` when `secure`;
/// kept for `max_age` seconds (`Some(0)` deletes it), else until the browser closes.
pub(crate) fn header(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> String {
    let age = max_age.map_or(String::new(), |s| format!("; Max-Age={s}"));
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax{age}{secure}")
}

/// The `Set-Cookie` value remembering language `lang`.
pub(crate) fn locale_header(lang: &str, secure: bool) -> String {
    header(LOCALE, lang, secure, Some(LOCALE_MAX_AGE))
}

/// A new CSRF token: 32 random bytes in lowercase hex.
pub(crate) fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `value` looks like a token this server made (64 lowercase hex characters).
pub(crate) fn well_formed(value: &str) -> bool {
    value.len() == 64
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Whether `sent` equals `want`, in time independent of where they differ; an empty `want`
/// matches nothing.
pub(crate) fn same_token(want: &str, sent: &str) -> bool {
    !want.is_empty() && bool::from(want.as_bytes().ct_eq(sent.as_bytes()))
}

/// Whether the browser says the request comes from another site: `Sec-Fetch-Site` other
/// than `same-origin` or `none`, or an `Origin` whose host is not the one asked (`Host`, the
/// request's authority, or `X-Forwarded-Host` when `trust_proxy` is set). Clients that send
/// neither header (old browsers, scripts) are judged by the CSRF token alone.
pub(crate) fn cross_site(req: &Request, trust_proxy: bool) -> bool {
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = headers.get("sec-fetch-site") {
        let site = site.to_str().unwrap_or("");
        if !site.eq_ignore_ascii_case("same-origin") && !site.eq_ignore_ascii_case("none") {
            return true;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Some(from) = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, host)| host.trim_end_matches('/'))
    else {
        return true; // `null` or garbage: an opaque origin, not this site
    };
    let mut hosts: Vec<&str> = Vec::new();
    hosts.extend(text("host"));
    hosts.extend(req.uri().authority().map(|a| a.as_str()));
    if trust_proxy && let Some(fwd) = text("x-forwarded-host") {
        hosts.extend(fwd.split(',').map(str::trim));
    }
    !hosts.iter().any(|h| h.eq_ignore_ascii_case(from))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(headers: &[(&str, &str)]) -> Request {
        let mut b = Request::builder().uri_str("/account/login");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.finish()
    }

    #[test]
    fn tokens_are_random_hex_and_compared_whole() {
        let t = new_token();
        assert!(well_formed(&t) && t != new_token());
        assert!(!well_formed("abc") && !well_formed(&t.to_uppercase()));
        assert!(same_token(&t, &t));
        assert!(!same_token(&t, &t[..63]) && !same_token("", ""));
    }

    #[test]
    fn origins_of_other_sites_are_refused() {
        let host = ("host", "wifi.example.org");
        assert!(
            !cross_site(&req(&[host]), false),
            "no header: the token decides"
        );
        assert!(!cross_site(
            &req(&[host, ("sec-fetch-site", "same-origin")]),
            false
        ));
        assert!(cross_site(
            &req(&[host, ("sec-fetch-site", "cross-site")]),
            false
        ));
        assert!(cross_site(
            &req(&[host, ("sec-fetch-site", "same-site")]),
            false
        ));
        let ok = ("origin", "https://wifi.example.org");
        assert!(!cross_site(&req(&[host, ok]), false));
        assert!(cross_site(
            &req(&[host, ("origin", "https://evil.example")]),
            false
        ));
        assert!(cross_site(&req(&[host, ("origin", "null")]), false));
        let proxied = [
            ("host", "127.0.0.1:8080"),
            ok,
            ("x-forwarded-host", "wifi.example.org"),
        ];
        assert!(!cross_site(&req(&proxied), true));
        assert!(cross_site(&req(&proxied), false), "proxy headers ignored");
    }
}
