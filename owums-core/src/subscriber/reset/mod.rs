//! Password recovery: by a single-use link sent by e-mail ([`email`]) or by a call from the
//! subscriber's mobile phone ([`phone`]).
//!
//! Both end in the same place: a new password written in both forms (argon2id for the web
//! login, the configured RADIUS format for FreeRADIUS) in one transaction, after which
//! FreeRADIUS accepts only the new password. Neither tells the person asking whether an
//! account exists, and both keep only hashes of their secrets. E-mail links fail with a
//! typed [`ResetLinkError`](crate::ResetLinkError) the pages translate; the phone flow
//! answers [`Error::Unauthorized`](crate::Error::Unauthorized) for a spent or unknown token.

pub(crate) mod email;
pub(crate) mod phone;
pub(crate) mod ticket;
