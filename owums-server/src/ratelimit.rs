//! Attempt limits for login, sign-up and password reset, per client address and per
//! account, counted in the database so that every `owums serve` process on it shares them
//! (`owums_rate_limits`, keyed by a SHA-256 of what is counted).
//!
//! A window opens at the first attempt of a key and the key is refused until it closes.
//! Logins are counted so that a stranger cannot lock an account (docs/configuration.md,
//! "Login throttling"): per client address, per (account, address) pair (cleared by a
//! successful login from that address), and per account from all addresses, a backstop
//! that only refuses addresses which already tried that account in the window.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use owums_core::Store;
use owums_core::config::RateLimitsConfig;

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Web login.
    Login,
    /// Sign-up.
    Signup,
    /// Password reset requests and new-password forms.
    Reset,
    /// New sign-up captcha pictures.
    Captcha,
}

impl Action {
    fn name(self) -> &'static str {
        match self {
            Action::Login => "login",
            Action::Signup => "signup",
            Action::Reset => "reset",
            Action::Captcha => "captcha",
        }
    }
}

/// Whose attempts are counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A client address.
    Ip(IpAddr),
    /// An account, by [`Subscribers::account_key`](owums_core::Subscribers::account_key)
    /// or [`Subscribers::mobile_account_key`](owums_core::Subscribers::mobile_account_key):
    /// its id when it exists, else the name or number it was asked for.
    Account(String),
}

/// Why an attempt was not let through.
#[derive(Debug)]
pub enum Refused {
    /// Too many attempts: try again after this many seconds (at least 1).
    Wait(u64),
    /// The counters could not be read or written.
    Failed(owums_core::Error),
}

impl From<owums_core::Error> for Refused {
    fn from(e: owums_core::Error) -> Self {
        Refused::Failed(e)
    }
}

/// The time the limiter counts windows by (tests move it by hand).
pub type LimitClock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// A login let through: what to clear when it succeeds.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    ip_key: Option<String>,
    pair_key: Option<String>,
}

/// Attempt counters in the database; cheap to clone.
#[derive(Clone)]
pub struct RateLimiter {
    store: Store,
    limits: RateLimitsConfig,
    clock: LimitClock,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// The limits of `[web.rate_limits]`, counted in `store`, on the system clock.
    pub fn new(store: Store, limits: &RateLimitsConfig) -> Self {
        RateLimiter {
            store,
            limits: limits.clone(),
            clock: Arc::new(Utc::now),
        }
    }

    /// The same limiter reading the time from `clock`.
    pub fn with_clock(mut self, clock: LimitClock) -> Self {
        self.clock = clock;
        self
    }

    fn max(&self, action: Action, subject: &Subject) -> u32 {
        let l = &self.limits;
        match (action, subject) {
            (Action::Login, Subject::Ip(_)) => l.login_per_ip,
            (Action::Login, Subject::Account(_)) => l.login_per_account,
            (Action::Signup, Subject::Ip(_)) => l.signup_per_ip,
            (Action::Signup, Subject::Account(_)) => 0,
            (Action::Reset, Subject::Ip(_)) => l.reset_per_ip,
            (Action::Reset, Subject::Account(_)) => l.reset_per_account,
            (Action::Captcha, Subject::Ip(_)) => l.captcha_per_ip,
            (Action::Captcha, Subject::Account(_)) => 0,
        }
    }

    /// Counts one attempt of `key`: the attempts in its window (this one included) and the
    /// seconds until the window closes (at least 1).
    async fn count(&self, key: &str) -> Result<(i64, u64), Refused> {
        let now = (self.clock)().timestamp();
        let window = i64::try_from(self.limits.window_seconds).unwrap_or(i64::MAX / 4);
        let w = self.store.hit_rate_limit(key, window, now).await?;
        let wait = u64::try_from(w.window_ends.saturating_sub(now)).unwrap_or(0);
        Ok((w.hits, wait.max(1)))
    }

    /// Counts one attempt of `key`; `Some(wait)` when it went past `max`.
    async fn hit(&self, key: &str, max: u32) -> Result<Option<u64>, Refused> {
        let (hits, wait) = self.count(key).await?;
        Ok((hits > i64::from(max)).then_some(wait))
    }

    /// Counts one attempt of `action` for each subject, in order; refused at the first
    /// subject past its limit.
    pub async fn attempt(&self, action: Action, subjects: &[Subject]) -> Result<(), Refused> {
        for subject in subjects {
            let max = self.max(action, subject);
            if max == 0 {
                continue;
            }
            if let Some(wait) = self.hit(&key(action, subject), max).await? {
                return Err(Refused::Wait(wait));
            }
        }
        Ok(())
    }

    /// Counts a login attempt on `account` (its
    /// [`account_key`](owums_core::Subscribers::account_key)) from `ip`: refused past the
    /// address's limit, past the pair's limit, or past the account's total limit when this
    /// address already tried the account in the window.
    pub async fn login(&self, ip: IpAddr, account: &str) -> Result<LoginAttempt, Refused> {
        let l = &self.limits;
        // what is counted, in this order; the count stops at a key past its limit
        let mut counted: Vec<(Counted, String, u32)> = Vec::with_capacity(3);
        if l.login_per_ip > 0 {
            let k = key(Action::Login, &Subject::Ip(ip));
            counted.push((Counted::Address, k, l.login_per_ip));
        }
        if l.login_per_account > 0 {
            let k = format!("login:pair:{account}\u{0}{ip}");
            counted.push((Counted::Pair, k, l.login_per_account));
        }
        if l.login_per_account_total > 0 {
            let k = format!("login:account:{account}");
            counted.push((Counted::Account, k, l.login_per_account_total));
        }
        let now = (self.clock)().timestamp();
        let window = i64::try_from(self.limits.window_seconds).unwrap_or(i64::MAX / 4);
        let keys: Vec<String> = counted.iter().map(|(_, k, _)| k.clone()).collect();
        let limits: Vec<u32> = counted.iter().map(|(_, _, max)| *max).collect();
        let windows = self
            .store
            .hit_rate_limits(&keys, window, now, move |i, w| {
                w.hits > i64::from(limits[i])
            })
            .await?;
        let mut attempt = LoginAttempt {
            ip_key: None,
            pair_key: None,
        };
        // attempts of this address on this account, this one included
        let mut tried_here = 1;
        for ((what, k, max), w) in counted.into_iter().zip(windows) {
            let wait = u64::try_from(w.window_ends.saturating_sub(now))
                .unwrap_or(0)
                .max(1);
            let over = w.hits > i64::from(max);
            match what {
                Counted::Address if over => return Err(Refused::Wait(wait)),
                Counted::Address => attempt.ip_key = Some(k),
                Counted::Pair if over => return Err(Refused::Wait(wait)),
                Counted::Pair => {
                    tried_here = w.hits;
                    attempt.pair_key = Some(k);
                }
                Counted::Account if over && tried_here > 1 => return Err(Refused::Wait(wait)),
                Counted::Account => {}
            }
        }
        Ok(attempt)
    }

    /// A login let through by [`RateLimiter::login`] succeeded: the address's attempts on
    /// the account are forgotten and the attempt no longer counts against the address.
    pub async fn login_succeeded(&self, attempt: &LoginAttempt) {
        let (clear, forgive) = (attempt.pair_key.as_deref(), attempt.ip_key.as_deref());
        if let Err(e) = self.store.settle_login_limits(clear, forgive).await {
            tracing::warn!(error = %e, "login attempts not cleared");
        }
    }
}

/// The login counters, in the order a login counts them.
#[derive(Debug, Clone, Copy)]
enum Counted {
    /// The client address's logins.
    Address,
    /// This address's logins on this account.
    Pair,
    /// The account's logins from every address.
    Account,
}

/// What a counter is stored under (hashed by the store).
fn key(action: Action, subject: &Subject) -> String {
    match subject {
        Subject::Ip(ip) => format!("{}:ip:{ip}", action.name()),
        Subject::Account(a) => format!("{}:account:{a}", action.name()),
    }
}
