//! One page request: its language, session (cookie), logged-in user, and how its answer or
//! failure is turned into a response.

use std::net::IpAddr;

use minijinja::Value;
use minijinja::context;
use owums_core::UserRecord;
use owums_core::subscriber::{WebSession, WebSessionKind};
use poem::http::{HeaderValue, StatusCode, header};
use poem::{IntoResponse, Request, Response};

use super::{Form, Web};
use crate::i18n::{self, Translator};

/// The session cookie.
pub(crate) const COOKIE: &str = "owums_session";

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
    https: bool,
    set_cookie: Option<String>,
}

fn cookie_value(req: &Request) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            let (k, v) = c.trim().split_once('=')?;
            (k == COOKIE && !v.is_empty()).then(|| v.to_owned())
        })
}

impl Ctx {
    /// Reads the request's session, user and language. Never fails: a broken database
    /// shows up when the page needs it.
    pub(crate) async fn load(req: &Request, web: &Web) -> Ctx {
        let client = crate::client::of(req);
        let mut token = cookie_value(req);
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
        let stored = session
            .as_ref()
            .and_then(|s| s.locale.clone())
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
        let mut ctx = Ctx {
            web: web.clone(),
            tr: web.i18n.translator(lang),
            token,
            session,
            user,
            ip: client.ip,
            https: client.https,
            set_cookie: None,
        };
        if query.as_deref().and_then(i18n::supported) == Some(lang)
            && ctx.session.as_ref().and_then(|s| s.locale.as_deref()) != Some(lang)
        {
            ctx.remember_locale(lang).await;
        }
        ctx
    }

    async fn remember_locale(&mut self, lang: &'static str) {
        if self.ensure_session().await.is_err() {
            return;
        }
        if let Some(t) = &self.token {
            match self.web.sessions.set_locale(t, Some(lang)).await {
                Ok(_) => {
                    if let Some(s) = &mut self.session {
                        s.locale = Some(lang.to_owned());
                    }
                }
                Err(e) => tracing::warn!(error = %e, "storing the language failed"),
            }
        }
    }

    /// The session, started (anonymous) if there is none yet.
    pub(crate) async fn ensure_session(&mut self) -> Result<(), Fail> {
        if self.session.is_some() && self.token.is_some() {
            return Ok(());
        }
        let (token, session) = self.web.sessions.create(WebSessionKind::Web, None).await?;
        self.set_token(token.as_str().to_owned());
        self.session = Some(session);
        Ok(())
    }

    fn set_token(&mut self, token: String) {
        let secure = if self.https || self.web.config.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        self.set_cookie = Some(format!(
            "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
        ));
        self.token = Some(token);
    }

    /// Logs `user` in: a new session id (the old one stops working), language and data kept.
    pub(crate) async fn log_in(&mut self, user: UserRecord) -> Result<(), Fail> {
        let (token, session) = self
            .web
            .sessions
            .log_in(self.token.as_deref(), WebSessionKind::Web, user.id)
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
        self.set_cookie = Some(format!(
            "{COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        ));
        Ok(())
    }

    /// The form's CSRF token must be the session's.
    pub(crate) fn check_csrf(&self, form: &Form) -> Result<(), Fail> {
        let sent = form.raw("csrf_token").as_bytes();
        let ok = self.session.as_ref().is_some_and(|s| {
            let want = s.csrf_token.as_bytes();
            want.len() == sent.len()
                && want.iter().zip(sent).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
        });
        if ok {
            Ok(())
        } else {
            Err(Fail::Status(StatusCode::FORBIDDEN, "error-csrf"))
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
        let csrf = self
            .session
            .as_ref()
            .map(|s| s.csrf_token.clone())
            .unwrap_or_default();
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
        let headers = resp.headers_mut();
        if let Some(c) = &self.set_cookie
            && let Ok(v) = HeaderValue::from_str(c)
        {
            headers.append(header::SET_COOKIE, v);
        }
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
            ),
        );
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
