//! One page request: its language, session (cookie), logged-in user, CSRF token, and how its
//! answer or failure is turned into a response.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};

use minijinja::Value;
use minijinja::context;
use owums_core::UserRecord;
use owums_core::subscriber::{WebSession, WebSessionKind};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};

use super::cookies::{self, SESSION as COOKIE};
use super::{Form, Web};
use crate::i18n::{self, Translator};

/// Why a page was not shown as asked.
#[derive(Debug)]
pub(crate) enum Fail {
    /// A status with a message id.
    Status(StatusCode, &'static str),
    /// Too many attempts; retry after this many seconds.
    RateLimited(u64),
    /// Go elsewhere instead (303).
    Redirect(String),
    /// An error of the core, answered from the server's one error map (a 5xx is logged
    /// there with its cause chain).
    Core(owums_core::Error),
}

impl From<crate::ratelimit::Refused> for Fail {
    fn from(r: crate::ratelimit::Refused) -> Self {
        match r {
            crate::ratelimit::Refused::Wait(seconds) => Fail::RateLimited(seconds),
            crate::ratelimit::Refused::Failed(e) => Fail::Core(e),
        }
    }
}

impl From<owums_core::Error> for Fail {
    fn from(e: owums_core::Error) -> Self {
        Fail::Core(e)
    }
}

/// A page request.
pub(crate) struct Ctx {
    pub(crate) web: Web,
    pub(crate) tr: Translator,
    pub(crate) token: Option<String>,
    pub(crate) session: Option<WebSession>,
    pub(crate) user: Option<UserRecord>,
    pub(crate) ip: IpAddr,
    /// The `owums_portal` cookie (well formed), if any: see `portal::pending`.
    pub(crate) portal_key: Option<String>,
    https: bool,
    /// The request came from another site (`Sec-Fetch-Site`, `Origin`): forms are refused.
    cross_site: bool,
    /// The anonymous CSRF cookie the request carried (well formed), if any.
    csrf_cookie: Option<String>,
    /// The anonymous CSRF token of this answer's forms: the cookie's, else a new one.
    anon_csrf: String,
    /// A page shows `anon_csrf`: the cookie must be set if the request had none.
    anon_csrf_shown: AtomicBool,
    set_cookies: Vec<String>,
}

impl Ctx {
    /// Reads the request's session, user and language. Never fails: a broken database
    /// shows up when the page needs it.
    pub(crate) async fn load(req: &Request, web: &Web) -> Ctx {
        let client = crate::client::of(req);
        let mut token = cookies::get(req, COOKIE);
        let mut session = None;
        if let Some(t) = &token {
            match web.sessions.get(t).await {
                Ok(Some(s)) => {
                    if let Err(e) = web.sessions.touch(t, &s).await {
                        tracing::warn!(error = %e, "session touch failed");
                    }
                    session = Some(s);
                }
                Ok(None) => token = None,
                Err(e) => tracing::warn!(error = %e, "session lookup failed"),
            }
        }
        let mut user = None;
        if let Some(id) = session.as_ref().and_then(|s| s.user_id) {
            match web.state.store.find_user(id).await {
                Ok(Some(u)) if u.active => user = Some(u),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "user lookup failed"),
            }
        }
        let query = i18n::query_locale(req);
        let cookie_locale = cookies::get(req, cookies::LOCALE)
            .as_deref()
            .and_then(i18n::supported);
        let stored = session
            .as_ref()
            .and_then(|s| s.locale.clone())
            .or_else(|| cookie_locale.map(str::to_owned))
            .or_else(|| user.as_ref().map(|u| u.locale.clone()));
        let accept = req
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok());
        let lang = i18n::choose(
            query.as_deref(),
            stored.as_deref(),
            accept,
            &web.config.default_locale,
        );
        let csrf_cookie = cookies::get(req, cookies::CSRF).filter(|c| cookies::well_formed(c));
        let mut ctx = Ctx {
            web: web.clone(),
            tr: web.i18n.translator(lang),
            token,
            session,
            user,
            ip: client.ip,
            portal_key: cookies::get(req, cookies::PORTAL).filter(|c| cookies::well_formed(c)),
            https: client.https,
            cross_site: cookies::cross_site(req, client.proxied),
            anon_csrf: csrf_cookie.clone().unwrap_or_else(cookies::new_token),
            csrf_cookie,
            anon_csrf_shown: AtomicBool::new(false),
            set_cookies: Vec::new(),
        };
        if query.as_deref().and_then(i18n::supported) == Some(lang) {
            ctx.remember_locale(lang, cookie_locale).await;
        }
        ctx
    }

    /// Keeps `lang`, picked with `?locale=`: in a cookie (no session needed), and in the
    /// session when there is one.
    async fn remember_locale(&mut self, lang: &'static str, cookie: Option<&str>) {
        if cookie != Some(lang) {
            let c = cookies::locale_header(lang, self.secure());
            self.set_cookies.push(c);
        }
        if let (Some(t), Some(s)) = (&self.token, &mut self.session)
            && s.locale.as_deref() != Some(lang)
        {
            match self.web.sessions.set_locale(t, Some(lang)).await {
                Ok(_) => s.locale = Some(lang.to_owned()),
                Err(e) => tracing::warn!(error = %e, "storing the language failed"),
            }
        }
    }

    /// Whether cookies get `Secure` (HTTPS, or `[web] secure_cookies`).
    pub(crate) fn secure(&self) -> bool {
        self.https || self.web.config.secure_cookies
    }

    /// Adds a `Set-Cookie` value to the answer (the console's own session cookie).
    pub(crate) fn add_cookie(&mut self, cookie: String) {
        self.set_cookies.push(cookie);
    }

    /// The anonymous CSRF token (double-submit cookie) for a form shown to someone without
    /// a session of this kind (the console's login); the cookie is set with the answer.
    pub(crate) fn anon_csrf_token(&self) -> String {
        self.anon_csrf_shown.store(true, Ordering::Relaxed);
        self.anon_csrf.clone()
    }

    /// Whether `sent` is the anonymous CSRF cookie's token.
    pub(crate) fn anon_csrf_matches(&self, sent: &str) -> bool {
        self.csrf_cookie
            .as_deref()
            .is_some_and(|w| cookies::same_token(w, sent))
    }

    /// The session, started (anonymous, short-lived) if there is none yet: only for
    /// something that must be kept between requests.
    async fn ensure_session(&mut self) -> Result<(), Fail> {
        if self.session.is_some() && self.token.is_some() {
            return Ok(());
        }
        let (token, session) = self.web.sessions.create(WebSessionKind::Web, None).await?;
        self.set_token(token.as_str().to_owned());
        self.session = Some(session);
        Ok(())
    }

    fn set_token(&mut self, token: String) {
        let c = cookies::header(COOKIE, &token, self.secure(), None);
        self.set_cookies.retain(|c| !c.starts_with(COOKIE));
        self.set_cookies.insert(0, c);
        self.token = Some(token);
    }

    /// Logs `user` in: a new session id (the old one stops working), language and data kept.
    pub(crate) async fn log_in(&mut self, user: UserRecord) -> Result<(), Fail> {
        // the session this request read: not read again
        let held = self.token.as_deref().zip(self.session.as_ref());
        let (token, session) = self
            .web
            .sessions
            .log_in_held(held, WebSessionKind::Web, user.id)
            .await?;
        self.set_token(token.as_str().to_owned());
        self.session = Some(session);
        self.user = Some(user);
        Ok(())
    }

    /// Ends the session and clears the cookie.
    pub(crate) async fn log_out(&mut self) -> Result<(), Fail> {
        if let Some(t) = self.token.take() {
            self.web.sessions.delete(&t).await?;
        }
        self.session = None;
        self.user = None;
        let c = cookies::header(COOKIE, "", self.secure(), Some(0));
        self.set_cookies.insert(0, c);
        Ok(())
    }

    /// The form must come from this site and carry the right CSRF token: a logged-in
    /// user's is their session's; an anonymous visitor's is their `owums_csrf` cookie's.
    pub(crate) fn check_csrf(&self, form: &Form) -> Result<(), Fail> {
        if self.cross_site {
            return Err(Fail::Status(StatusCode::FORBIDDEN, "error-cross-site"));
        }
        let want = match (&self.user, &self.session) {
            (Some(_), Some(s)) => Some(s.csrf_token.as_str()),
            _ => self.csrf_cookie.as_deref(),
        };
        if want.is_some_and(|w| cookies::same_token(w, form.raw("csrf_token"))) {
            Ok(())
        } else {
            Err(Fail::Status(StatusCode::FORBIDDEN, "error-csrf"))
        }
    }

    /// The CSRF token forms of this page carry.
    fn csrf(&self) -> String {
        match (&self.user, &self.session) {
            (Some(_), Some(s)) => s.csrf_token.clone(),
            _ => self.anon_csrf.clone(),
        }
    }

    /// The session's free-form data.
    pub(crate) fn data(&self) -> serde_json::Value {
        self.session
            .as_ref()
            .map(|s| s.data.clone())
            .filter(serde_json::Value::is_object)
            .unwrap_or_else(|| serde_json::json!({}))
    }

    /// Replaces the session's free-form data.
    pub(crate) async fn set_data(&mut self, data: serde_json::Value) -> Result<(), Fail> {
        self.ensure_session().await?;
        if let Some(t) = &self.token {
            self.web.sessions.set_data(t, &data).await?;
        }
        if let Some(s) = &mut self.session {
            s.data = data;
        }
        Ok(())
    }

    /// Whether the request came from another site (`Sec-Fetch-Site`, `Origin`).
    pub(crate) fn is_cross_site(&self) -> bool {
        self.cross_site
    }

    /// The logged-in user, or a redirect to the login page.
    pub(crate) fn require_user(&self) -> Result<UserRecord, Fail> {
        self.user
            .clone()
            .ok_or_else(|| Fail::Redirect("/account/login".to_owned()))
    }

    /// Whether the logged-in user verifies with a method offered on the sign-up page.
    pub(crate) fn self_service(&self, method: &str) -> bool {
        self.web
            .state
            .verifiers
            .iter()
            .any(|v| v.id() == method && v.self_service())
    }

    /// Whether the sign-up page can register anyone: some enabled verification method is
    /// one subscribers complete on their own. Pages offer sign-up only then.
    pub(crate) fn signup_open(&self) -> bool {
        self.web.state.verifiers.iter().any(|v| v.self_service())
    }

    /// Renders template `name` with `title` (a message id) and `values`.
    pub(crate) fn render(
        &self,
        status: StatusCode,
        name: &str,
        title: &str,
        values: Value,
    ) -> Result<Response, Fail> {
        let csrf = self.csrf();
        let values = context! {
            title => self.tr.t(title),
            csrf,
            logged_in => self.user.is_some(),
            signup_open => self.signup_open(),
            ..values
        };
        let html = self
            .web
            .templates
            .render(name, &self.tr, values)
            .map_err(|e| {
                Fail::Core(owums_core::Error::Internal(format!("template {name}: {e}")))
            })?;
        if self.user.is_none() && html.contains(&self.anon_csrf) {
            self.anon_csrf_shown.store(true, Ordering::Relaxed);
        }
        Ok(poem::web::Html(html).with_status(status).into_response())
    }

    /// A page with a title and one message.
    pub(crate) fn message(
        &self,
        status: StatusCode,
        title: &str,
        message: &str,
        link: Option<(&str, &str)>,
    ) -> Result<Response, Fail> {
        let (href, text) = link.map_or((String::new(), String::new()), |(h, t)| {
            (h.to_owned(), self.tr.t(t))
        });
        self.render(
            status,
            "message.html",
            title,
            context! { message => self.tr.t(message), link_href => href, link_text => text },
        )
    }

    /// The response for `result`, with the session cookie and security headers.
    pub(crate) fn finish(self, result: Result<Response, Fail>) -> Response {
        let mut resp = match result {
            Ok(r) => r,
            Err(fail) => self.failure(fail),
        };
        let mut set = self.set_cookies.clone();
        if self.anon_csrf_shown.load(Ordering::Relaxed) && self.csrf_cookie.is_none() {
            set.push(cookies::header(
                cookies::CSRF,
                &self.anon_csrf,
                self.secure(),
                None,
            ));
        }
        let headers = resp.headers_mut();
        for c in &set {
            if let Ok(v) = HeaderValue::from_str(c) {
                headers.append(header::SET_COOKIE, v);
            }
        }
        // A plugin route may send its own policy (a page that posts on to a payment
        // provider needs another `form-action`); every other answer gets the pages' one.
        if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
            headers.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
                ),
            );
        }
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        if !headers.contains_key(header::CACHE_CONTROL) {
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        resp
    }

    fn failure(&self, fail: Fail) -> Response {
        let (status, text) = match fail {
            Fail::Redirect(to) => {
                return Response::builder()
                    .status(StatusCode::SEE_OTHER)
                    .header(header::LOCATION, to)
                    .finish();
            }
            Fail::Status(status, id) => (status, self.tr.t(id)),
            Fail::RateLimited(seconds) => {
                let text = self
                    .tr
                    .t_with("error-rate-limited", (("seconds", seconds as i64),));
                let mut r = self.error_page(StatusCode::TOO_MANY_REQUESTS, &text);
                if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                    r.headers_mut().insert(header::RETRY_AFTER, v);
                }
                return r;
            }
            Fail::Core(e) => {
                let answer = crate::error::answer(&self.tr, &e);
                (answer.status, answer.message)
            }
        };
        self.error_page(status, &text)
    }

    fn error_page(&self, status: StatusCode, text: &str) -> Response {
        self.render(
            status,
            "message.html",
            "error-title",
            context! { alert => text },
        )
        .unwrap_or_else(|_| (status, text.to_owned()).into_response())
    }
}

/// A 303 redirect to `to`.
pub(crate) fn redirect(to: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, to)
        .finish()
}
