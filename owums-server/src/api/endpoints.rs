//! The operations of the API.

use chrono::Utc;
use owums_core::subscriber::{MAX_PASSWORD_LEN, WebSession, WebSessionKind};
use owums_core::{
    Email, Error, PasswordChange, ProfileUpdate, RegistrationForm, SessionQuery, SessionSort,
    UserRecord,
};
use poem::Request;
use poem::http::StatusCode;
use poem::web::Data;
use poem_openapi::auth::{ApiKey, Bearer};
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, SecurityScheme, Tags};

use super::input::Mistakes;
use super::types::{
    AcctSession, LoginRequest, Message, Profile, ProfileChangeRequest, RegisterRequest,
    ResetConfirm, ResetRequest, SessionList, SortKey, SortOrder, TokenResponse, UsageReport,
    VerificationStatus,
};
use super::{Api, ApiError};
use crate::i18n::Translator;
use crate::ratelimit::{Action, Refused, Subject};

/// The cookie of browser sessions (shared with the pages).
const COOKIE: &str = "owums_session";

/// A bearer token from `POST /account/token` or `POST /account`.
#[derive(SecurityScheme)]
#[oai(ty = "bearer")]
pub(crate) struct BearerToken(Bearer);

/// The browser session cookie (read-only operations).
#[derive(SecurityScheme)]
#[oai(ty = "api_key", key_name = "owums_session", key_in = "cookie")]
pub(crate) struct SessionCookie(ApiKey);

/// A bearer token, or the browser session cookie.
#[derive(SecurityScheme)]
pub(crate) enum ReadAuth {
    /// Bearer token.
    Bearer(BearerToken),
    /// Session cookie.
    Cookie(SessionCookie),
}

impl ReadAuth {
    fn token(&self) -> (&str, bool) {
        match self {
            ReadAuth::Bearer(b) => (&b.0.token, false),
            ReadAuth::Cookie(c) => (&c.0.key, true),
        }
    }
}

#[derive(Tags)]
enum Tag {
    /// Registration, login and logout.
    Auth,
    /// The logged-in subscriber's account.
    Account,
    /// Password recovery by e-mail.
    Password,
}

#[derive(ApiResponse)]
enum Created {
    /// Registered and logged in.
    #[oai(status = 201)]
    Created(Json<TokenResponse>),
}

#[derive(ApiResponse)]
enum LoggedIn {
    /// Logged in; with `?cookie=true` the session cookie is set too.
    #[oai(status = 200)]
    Ok(
        Json<TokenResponse>,
        #[oai(header = "Set-Cookie")] Option<String>,
    ),
}

#[derive(ApiResponse)]
enum LoggedOut {
    /// The session ended.
    #[oai(status = 204)]
    NoContent(#[oai(header = "Set-Cookie")] Option<String>),
}

#[derive(ApiResponse)]
enum Accepted {
    /// Accepted.
    #[oai(status = 202)]
    Accepted(Json<Message>),
}

type Answer<T> = Result<T, ApiError>;

// The document states the largest page size (`per_page`'s maximum) as a literal.
const _: () = assert!(owums_core::subscriber::MAX_PER_PAGE == 100);

/// The API operations (state comes from the request data).
#[derive(Debug)]
pub(crate) struct Endpoints;

/// A logged-in request.
struct Me {
    token: String,
    user: UserRecord,
    tr: Translator,
}

fn cookie_header(api: &Api, req: &Request, value: &str, max_age: Option<i64>) -> String {
    let secure = if api.https(req) { "; Secure" } else { "" };
    let age = max_age.map_or(String::new(), |s| format!("; Max-Age={s}"));
    format!("{COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax{age}{secure}")
}

impl Endpoints {
    async fn me(&self, api: &Api, req: &Request, token: &str, cookie: bool) -> Answer<Me> {
        let tr = api.translator(req, None);
        let unauthorized = |tr: &Translator| {
            ApiError::new(
                tr,
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "api-token-invalid",
            )
        };
        let session: WebSession = api
            .sessions
            .get(token)
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?
            .ok_or_else(|| unauthorized(&tr))?;
        if cookie && session.kind != WebSessionKind::Web {
            return Err(unauthorized(&tr));
        }
        let id = session.user_id.ok_or_else(|| unauthorized(&tr))?;
        let user = api
            .state
            .store
            .find_user(id)
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?
            .ok_or_else(|| unauthorized(&tr))?;
        let stored = session
            .locale
            .clone()
            .unwrap_or_else(|| user.locale.clone());
        let tr = api.translator(req, Some(&stored));
        if !user.active {
            return Err(ApiError::new(
                &tr,
                StatusCode::FORBIDDEN,
                "inactive",
                "api-inactive",
            ));
        }
        if let Err(e) = api.sessions.touch(token, &session).await {
            tracing::warn!(error = %e, "session touch failed");
        }
        Ok(Me {
            token: token.to_owned(),
            user,
            tr,
        })
    }

    async fn limit(api: &Api, tr: &Translator, action: Action, subjects: &[Subject]) -> Answer<()> {
        api.limiter
            .attempt(action, subjects)
            .await
            .map_err(|r| refused(tr, r))
    }
}

#[OpenApi(tag = "Tag::Account")]
impl Endpoints {
    /// Register a subscriber; answers a bearer token for the new, unverified account.
    #[oai(path = "/account", method = "post", tag = "Tag::Auth")]
    async fn register(
        &self,
        req: &Request,
        api: Data<&Api>,
        body: Json<RegisterRequest>,
    ) -> Answer<Created> {
        let tr = api.translator(req, None);
        Self::limit(
            &api,
            &tr,
            Action::Signup,
            &[Subject::Ip(api.client_ip(req))],
        )
        .await?;
        let b = body.0;
        let mut m = Mistakes::default();
        let form = RegistrationForm {
            email: m.optional("email", b.email.as_ref()).unwrap_or_default(),
            mobile: m.optional("mobile", b.mobile.as_ref()).unwrap_or_default(),
            given_name: m
                .optional("given_name", b.given_name.as_ref())
                .unwrap_or_default(),
            surname: m
                .optional("surname", b.surname.as_ref())
                .unwrap_or_default(),
            address: m
                .optional("address", b.address.as_ref())
                .unwrap_or_default(),
            city: m.optional("city", b.city.as_ref()).unwrap_or_default(),
            zip: m.optional("zip", b.zip.as_ref()).unwrap_or_default(),
            country: m
                .optional("country", b.country.as_ref())
                .unwrap_or_default(),
            username: m.text("username", &b.username),
            password: m.text("password", &b.password),
            password_confirmation: None,
            verification_method: m.text("verification_method", &b.verification_method),
            birth_date: m
                .date("birth_date", b.birth_date.as_ref())
                .unwrap_or_default(),
            eula_accepted: m.flag("eula_accepted", &b.eula_accepted),
            privacy_accepted: m.flag("privacy_accepted", &b.privacy_accepted),
            locale: tr.lang().to_owned(),
        };
        m.check(&tr)?;
        let core = |e: owums_core::Error| ApiError::from_core(&tr, &e);
        let user = api
            .state
            .registrations
            .register(form)
            .await
            .map_err(core)?
            .user;
        let (token, session) = api
            .sessions
            .create(WebSessionKind::Api, Some(user.id))
            .await
            .map_err(core)?;
        Ok(Created::Created(Json(TokenResponse {
            token: token.as_str().to_owned(),
            expires_at: session.expires_at,
            user: Profile::from(&user),
        })))
    }

    /// Log in: answers a bearer token. With `cookie=true` the browser session cookie is set
    /// as well (a browser session, readable by the pages).
    #[oai(path = "/account/token", method = "post", tag = "Tag::Auth")]
    async fn login(
        &self,
        req: &Request,
        api: Data<&Api>,
        cookie: Query<Option<bool>>,
        body: Json<LoginRequest>,
    ) -> Answer<LoggedIn> {
        let tr = api.translator(req, None);
        let mut m = Mistakes::default();
        let (username, password) = (
            m.text("username", &body.username),
            m.text("password", &body.password),
        );
        m.check(&tr)?;
        let subscribers = &api.state.subscribers;
        let account = subscribers
            .login_account(username.trim())
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?;
        let attempt = api
            .limiter
            .login(api.client_ip(req), account.key())
            .await
            .map_err(|r| refused(&tr, r))?;
        let user = subscribers
            .authenticate_account(account, &password)
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?;
        api.limiter.login_succeeded(&attempt).await;
        let as_cookie = cookie.0.unwrap_or(false);
        let kind = if as_cookie {
            WebSessionKind::Web
        } else {
            WebSessionKind::Api
        };
        let (token, session) = api
            .sessions
            .log_in(None, kind, user.id)
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?;
        let set_cookie = as_cookie.then(|| cookie_header(&api, req, token.as_str(), None));
        Ok(LoggedIn::Ok(
            Json(TokenResponse {
                token: token.as_str().to_owned(),
                expires_at: session.expires_at,
                user: Profile::from(&user),
            }),
            set_cookie,
        ))
    }

    /// Log out: the token (or cookie session) stops working.
    #[oai(path = "/account/token", method = "delete", tag = "Tag::Auth")]
    async fn logout(&self, req: &Request, api: Data<&Api>, auth: ReadAuth) -> Answer<LoggedOut> {
        let (token, cookie) = auth.token();
        let me = self.me(&api, req, token, cookie).await?;
        api.sessions
            .delete(&me.token)
            .await
            .map_err(|e| ApiError::from_core(&me.tr, &e))?;
        Ok(LoggedOut::NoContent(
            cookie.then(|| cookie_header(&api, req, "", Some(0))),
        ))
    }

    /// My profile.
    #[oai(path = "/account", method = "get")]
    async fn profile(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: ReadAuth,
    ) -> Answer<Json<Profile>> {
        let (token, cookie) = auth.token();
        let me = self.me(&api, req, token, cookie).await?;
        Ok(Json(Profile::from(&me.user)))
    }

    /// Change my e-mail, address fields or password (a new password needs the current one
    /// and ends my other sessions). Names, username and method cannot change. All or nothing.
    #[oai(path = "/account", method = "patch")]
    async fn update_profile(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: BearerToken,
        body: Json<ProfileChangeRequest>,
    ) -> Answer<Json<Profile>> {
        let me = self.me(&api, req, &auth.0.token, false).await?;
        let tr = &me.tr;
        let b = body.0;
        let mut m = Mistakes::default();
        let email = m.optional("email", b.email.as_ref());
        let address = m.optional("address", b.address.as_ref());
        let city = m.optional("city", b.city.as_ref());
        let zip = m.optional("zip", b.zip.as_ref());
        let country = m.optional("country", b.country.as_ref());
        let birth_date = m.date("birth_date", b.birth_date.as_ref());
        let current_password = m.optional("current_password", b.current_password.as_ref());
        let new_password = m.optional("new_password", b.new_password.as_ref());
        m.check(tr)?;
        // Checked even when no new password comes with it: the document states its maxLength.
        if current_password
            .as_ref()
            .is_some_and(|p| p.chars().count() > MAX_PASSWORD_LEN)
        {
            return Err(ApiError::invalid(
                tr,
                "current_password",
                "api-password-long",
            ));
        }
        let email = email
            .as_deref()
            .map(|e| Email::try_new(e.trim()))
            .transpose()
            .map_err(|_| ApiError::invalid(tr, "email", "api-email-format"))?;
        let today = Utc::now().date_naive();
        let birth_date = birth_date
            .map(|d| owums_core::subscriber::parse_birth_date(&d, today))
            .transpose()
            .map_err(|e| ApiError::from_core(tr, &Error::Fields(vec![e])))?;
        let password = match (current_password, new_password) {
            (_, None) => None,
            (None, Some(_)) => {
                return Err(ApiError::invalid(
                    tr,
                    "current_password",
                    "api-field-required",
                ));
            }
            (Some(current), Some(new)) => Some(PasswordChange { current, new }),
        };
        let update = ProfileUpdate {
            email,
            address,
            city,
            zip,
            country,
            birth_date,
            password,
        };
        let user = api
            .state
            .subscribers
            .update_profile(me.user.id, update, Some(&me.token))
            .await
            .map_err(|e| match e {
                // The request names the new password `new_password`.
                Error::Invalid {
                    field: "password",
                    problem,
                    reason,
                } => Error::Invalid {
                    field: "new_password",
                    problem,
                    reason,
                },
                e => e,
            })
            .map_err(|e| ApiError::from_core(tr, &e))?;
        Ok(Json(Profile::from(&user)))
    }

    /// My sessions from the accounting records, a page at a time.
    #[oai(path = "/account/sessions", method = "get")]
    // poem-openapi takes each query parameter as an argument.
    #[allow(clippy::too_many_arguments)]
    async fn sessions(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: ReadAuth,
        /// Sort key (default `start`).
        sort: Query<Option<SortKey>>,
        /// Sort direction (default `desc`).
        order: Query<Option<SortOrder>>,
        /// Page, from 1 (default 1); past the last page the list is empty.
        #[oai(validator(minimum(value = "1"), maximum(value = "4294967295")))]
        page: Query<Option<u32>>,
        /// Sessions per page, 1–100 (default: the `default_radacct_results_per_page` setting).
        #[oai(validator(minimum(value = "1"), maximum(value = "100")))]
        per_page: Query<Option<u32>>,
    ) -> Answer<Json<SessionList>> {
        let (token, cookie) = auth.token();
        let me = self.me(&api, req, token, cookie).await?;
        let query = SessionQuery {
            sort: match sort.0.unwrap_or(SortKey::Start) {
                SortKey::Start => SessionSort::Start,
                SortKey::Stop => SessionSort::Stop,
                SortKey::Upload => SessionSort::Upload,
                SortKey::Download => SessionSort::Download,
            },
            descending: order.0 != Some(SortOrder::Asc),
            page: page.0.unwrap_or(1),
            per_page: per_page.0,
        };
        let found = api
            .state
            .subscribers
            .sessions(&me.user.username, query)
            .await
            .map_err(|e| ApiError::from_core(&me.tr, &e))?;
        let now = Utc::now().timestamp();
        let at = |t: Option<i64>| t.and_then(|t| chrono::DateTime::from_timestamp(t, 0));
        let sessions = found
            .sessions
            .iter()
            .map(|r| AcctSession {
                id: r.radacctid,
                start: at(r.acctstarttime),
                stop: at(r.acctstoptime),
                online: r.acctstoptime.is_none(),
                seconds: match (r.acctstoptime, r.acctstarttime) {
                    (None, Some(start)) => (now - start).max(0),
                    _ => r.acctsessiontime.unwrap_or(0),
                },
                upload_octets: r.acctinputoctets.unwrap_or(0),
                download_octets: r.acctoutputoctets.unwrap_or(0),
                calling_station_id: r.callingstationid.clone(),
                called_station_id: r.calledstationid.clone(),
                framed_ip_address: r.framedipaddress.clone(),
                terminate_cause: r.acctterminatecause.clone(),
            })
            .collect();
        Ok(Json(SessionList {
            page: found.page,
            per_page: found.per_page,
            pages: found.pages(),
            total: found.total,
            sessions,
        }))
    }

    /// My connection time and traffic: today and the last 14 days (UTC days).
    #[oai(path = "/account/usage", method = "get")]
    async fn usage(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: ReadAuth,
    ) -> Answer<Json<UsageReport>> {
        let (token, cookie) = auth.token();
        let me = self.me(&api, req, token, cookie).await?;
        let usage = api
            .state
            .subscribers
            .usage(&me.user.username, Utc::now().fixed_offset())
            .await
            .map_err(|e| ApiError::from_core(&me.tr, &e))?;
        Ok(Json(UsageReport {
            today: usage.today.into(),
            days: usage.days.into_iter().map(Into::into).collect(),
        }))
    }

    /// Where my verification stands, and what my verification method asks me to do.
    #[oai(path = "/account/verification", method = "get")]
    async fn verification(
        &self,
        req: &Request,
        api: Data<&Api>,
        auth: ReadAuth,
    ) -> Answer<Json<VerificationStatus>> {
        let (token, cookie) = auth.token();
        let me = self.me(&api, req, token, cookie).await?;
        let user = &me.user;
        let view = api
            .state
            .registrations
            .view(user, me.tr.lang())
            .await
            .map_err(|e| ApiError::from_core(&me.tr, &e))?;
        let now = Utc::now();
        let is_expired = view.is_expired(now);
        let remaining_time = match view.seconds_left(now) {
            Some(s) if s > 0 => serde_json::json!(format!("{:02}:{:02}", s / 60, s % 60)),
            _ => serde_json::json!(0),
        };
        let challenge = view
            .challenge
            .as_ref()
            .and_then(|c| serde_json::to_value(c).ok());
        Ok(Json(VerificationStatus {
            is_verified: user.verified,
            is_expired,
            remaining_time,
            status: user.status().as_str().to_owned(),
            verification_method: user.verification_method.clone(),
            challenge,
        }))
    }

    /// Ask for a password-reset e-mail. The answer is the same whether or not an account
    /// matches.
    #[oai(
        path = "/account/password/reset",
        method = "post",
        tag = "Tag::Password"
    )]
    async fn reset_request(
        &self,
        req: &Request,
        api: Data<&Api>,
        body: Json<ResetRequest>,
    ) -> Answer<Accepted> {
        let tr = api.translator(req, None);
        let mut m = Mistakes::default();
        let key = m
            .text("username_or_email", &body.username_or_email)
            .trim()
            .to_lowercase();
        m.check(&tr)?;
        // the same work whether or not the account exists: one lookup for the limit, and
        // the link and its mail made on a task of their own
        let subscribers = &api.state.subscribers;
        let account = subscribers
            .account_key(&key)
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?;
        Self::limit(
            &api,
            &tr,
            Action::Reset,
            &[Subject::Ip(api.client_ip(req)), Subject::Account(account)],
        )
        .await?;
        subscribers
            .request_password_reset_later(&key, Some(tr.lang()))
            .map_err(|e| ApiError::from_core(&tr, &e))?;
        Ok(Accepted::Accepted(Json(Message {
            message: tr.t("api-reset-sent"),
        })))
    }

    /// Set a new password with the token from the reset e-mail (single use, valid 10
    /// minutes). Every session of the account ends.
    #[oai(
        path = "/account/password/reset/confirm",
        method = "post",
        tag = "Tag::Password"
    )]
    async fn reset_confirm(
        &self,
        req: &Request,
        api: Data<&Api>,
        body: Json<ResetConfirm>,
    ) -> Answer<Json<Message>> {
        let tr = api.translator(req, None);
        let mut m = Mistakes::default();
        let (token, new_password) = (
            m.text("token", &body.token),
            m.text("new_password", &body.new_password),
        );
        m.check(&tr)?;
        Self::limit(&api, &tr, Action::Reset, &[Subject::Ip(api.client_ip(req))]).await?;
        let user = api
            .state
            .subscribers
            .reset_password(token.trim(), &new_password)
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?;
        api.sessions
            .delete_for_user(user, None)
            .await
            .map_err(|e| ApiError::from_core(&tr, &e))?;
        Ok(Json(Message {
            message: tr.t("api-reset-done"),
        }))
    }
}

/// The API's answer to an attempt the limits did not let through.
fn refused(tr: &Translator, r: Refused) -> ApiError {
    match r {
        Refused::Wait(seconds) => ApiError::rate_limited(tr, seconds),
        Refused::Failed(e) => ApiError::from_core(tr, &e),
    }
}
