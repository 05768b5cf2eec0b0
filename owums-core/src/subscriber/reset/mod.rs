//! Password recovery: by a single-use link sent by e-mail ([`email`]) or by a call from the
//! subscriber's mobile phone ([`phone`]).

pub(crate) mod email;
pub(crate) mod phone;
