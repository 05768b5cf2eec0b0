//! Attempt limits for login, sign-up and password reset, per client address and per account.
//!
//! The counters live in this process's memory: behind a load balancer each `owums serve`
//! counts on its own, so the effective limit is the configured one times the number of
//! processes (docs/configuration.md says so). A window opens at the first attempt of a key
//! and the key is refused until it closes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What is being limited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Web login.
    Login,
    /// Sign-up.
    Signup,
    /// Password reset requests and new-password forms.
    Reset,
}

/// Whose attempts are counted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Subject {
    /// A client address.
    Ip(IpAddr),
    /// An account, by lowercase username or e-mail as typed.
    Account(String),
}

/// How many attempts a window allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// Attempts per window; 0 switches the limit off.
    pub max: u32,
    /// Window length.
    pub window: Duration,
}

/// The limits of each action, per address and per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Login attempts per address.
    pub login_per_ip: Limit,
    /// Login attempts per account.
    pub login_per_account: Limit,
    /// Sign-ups per address.
    pub signup_per_ip: Limit,
    /// Reset requests per address.
    pub reset_per_ip: Limit,
    /// Reset requests per account.
    pub reset_per_account: Limit,
}

impl Limits {
    fn of(&self, action: Action, subject: &Subject) -> Limit {
        let off = Limit {
            max: 0,
            window: Duration::ZERO,
        };
        match (action, subject) {
            (Action::Login, Subject::Ip(_)) => self.login_per_ip,
            (Action::Login, Subject::Account(_)) => self.login_per_account,
            (Action::Signup, Subject::Ip(_)) => self.signup_per_ip,
            (Action::Signup, Subject::Account(_)) => off,
            (Action::Reset, Subject::Ip(_)) => self.reset_per_ip,
            (Action::Reset, Subject::Account(_)) => self.reset_per_account,
        }
    }
}

/// Refused: try again after this many seconds (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub u64);

#[derive(Debug, Clone, Copy)]
struct Window {
    opened: Instant,
    count: u32,
}

/// In-process attempt counters; cheap to clone (shared).
#[derive(Debug, Clone)]
pub struct RateLimiter {
    limits: Limits,
    windows: Arc<Mutex<HashMap<(Action, Subject), Window>>>,
}

/// Past this many keys, closed windows are swept on the next attempt.
const SWEEP_AT: usize = 10_000;

impl RateLimiter {
    /// A limiter with `limits` and no attempts yet.
    pub fn new(limits: Limits) -> Self {
        RateLimiter {
            limits,
            windows: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The limits of `[web.rate_limits]`, one window for all of them.
    pub fn from_config(r: &owums_core::config::RateLimitsConfig) -> Self {
        let window = Duration::from_secs(r.window_seconds);
        let limit = |max| Limit { max, window };
        RateLimiter::new(Limits {
            login_per_ip: limit(r.login_per_ip),
            login_per_account: limit(r.login_per_account),
            signup_per_ip: limit(r.signup_per_ip),
            reset_per_ip: limit(r.reset_per_ip),
            reset_per_account: limit(r.reset_per_account),
        })
    }

    /// Counts one attempt of `action` for every subject; refused (and not counted) when any
    /// subject has used up its window, with the longest wait among them.
    pub fn attempt(&self, action: Action, subjects: &[Subject]) -> Result<(), RetryAfter> {
        self.attempt_at(action, subjects, Instant::now())
    }

    fn attempt_at(
        &self,
        action: Action,
        subjects: &[Subject],
        now: Instant,
    ) -> Result<(), RetryAfter> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= SWEEP_AT {
            let limits = self.limits;
            windows.retain(|(a, s), w| now.duration_since(w.opened) < limits.of(*a, s).window);
        }
        let mut wait = Duration::ZERO;
        for subject in subjects {
            let limit = self.limits.of(action, subject);
            if limit.max == 0 {
                continue;
            }
            if let Some(w) = windows.get(&(action, subject.clone())) {
                let age = now.duration_since(w.opened);
                if age < limit.window && w.count >= limit.max {
                    wait = wait.max(limit.window - age);
                }
            }
        }
        if !wait.is_zero() {
            return Err(RetryAfter(wait.as_secs_f64().ceil().max(1.0) as u64));
        }
        for subject in subjects {
            let limit = self.limits.of(action, subject);
            if limit.max == 0 {
                continue;
            }
            let w = windows.entry((action, subject.clone())).or_insert(Window {
                opened: now,
                count: 0,
            });
            if now.duration_since(w.opened) >= limit.window {
                *w = Window {
                    opened: now,
                    count: 0,
                };
            }
            w.count += 1;
        }
        Ok(())
    }

    /// Forgets the attempts of `subject` (e.g. an account after a successful login).
    pub fn clear(&self, action: Action, subject: &Subject) {
        self.windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&(action, subject.clone()));
    }
}

/// The client's address: the first `X-Forwarded-For` entry when `trust_proxy` is set (behind a
/// reverse proxy), else the socket peer.
pub fn client_ip(req: &poem::Request, trust_proxy: bool) -> IpAddr {
    if trust_proxy
        && let Some(ip) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
    {
        return ip;
    }
    match req.remote_addr().0 {
        poem::Addr::SocketAddr(a) => a.ip(),
        _ => IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(max: u32) -> RateLimiter {
        let l = Limit {
            max,
            window: Duration::from_secs(60),
        };
        RateLimiter::new(Limits {
            login_per_ip: l,
            login_per_account: Limit { max: 2, ..l },
            signup_per_ip: l,
            reset_per_ip: l,
            reset_per_account: l,
        })
    }

    fn ip(n: u8) -> Subject {
        Subject::Ip(IpAddr::from([10, 0, 0, n]))
    }

    #[test]
    fn refuses_past_the_limit_until_the_window_closes() {
        let rl = limiter(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            rl.attempt_at(Action::Signup, &[ip(1)], t0)
                .expect("allowed");
        }
        let later = t0 + Duration::from_secs(20);
        assert_eq!(
            rl.attempt_at(Action::Signup, &[ip(1)], later),
            Err(RetryAfter(40))
        );
        assert!(rl.attempt_at(Action::Signup, &[ip(2)], later).is_ok());
        assert!(rl.attempt_at(Action::Login, &[ip(1)], later).is_ok());
        let after = t0 + Duration::from_secs(60);
        assert!(rl.attempt_at(Action::Signup, &[ip(1)], after).is_ok());
    }

    #[test]
    fn account_limit_applies_across_addresses() {
        let rl = limiter(100);
        let t0 = Instant::now();
        let alice = Subject::Account("alice".into());
        rl.attempt_at(Action::Login, &[ip(1), alice.clone()], t0)
            .expect("1");
        rl.attempt_at(Action::Login, &[ip(2), alice.clone()], t0)
            .expect("2");
        let refused = rl.attempt_at(Action::Login, &[ip(3), alice.clone()], t0);
        assert_eq!(refused, Err(RetryAfter(60)));
        rl.clear(Action::Login, &alice);
        assert!(rl.attempt_at(Action::Login, &[ip(3), alice], t0).is_ok());
    }

    #[test]
    fn zero_switches_a_limit_off() {
        let rl = limiter(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            rl.attempt_at(Action::Reset, &[ip(1)], t0)
                .expect("no limit");
        }
    }
}
