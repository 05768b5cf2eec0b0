//! The password a subscriber typed at sign-up on a captive portal, kept until verification
//! logs their device on without their typing it again (OWUMS' automatic captive-portal
//! login).
//!
//! It is sealed (ChaCha20-Poly1305) with a key that lives only in the subscriber's browser
//! (the `owums_portal` cookie, HttpOnly, an hour) and stored in their server-side session:
//! neither the database nor the cookie alone reveals it, and any `owums serve` process
//! behind a load balancer can open it. It is used once and then removed; it expires with
//! the hour.

use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use serde_json::json;

use crate::pages::cookies;
use crate::pages::{Ctx, Fail};

/// The session data key.
const KEY: &str = "portal_pending";
/// How long the password is kept, in seconds.
const LIFETIME: i64 = 3600;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn cipher(key_hex: &str) -> Option<LessSafeKey> {
    let key = unhex(key_hex)?;
    UnboundKey::new(&CHACHA20_POLY1305, &key)
        .ok()
        .map(LessSafeKey::new)
}

/// Seals `password` for the logged-in subscriber's next portal logon.
pub(crate) async fn keep(ctx: &mut Ctx, password: &str) -> Result<(), Fail> {
    let Some(user) = ctx.user.as_ref().map(|u| u.id.to_string()) else {
        return Ok(());
    };
    let key_hex = cookies::new_token();
    let Some(key) = cipher(&key_hex) else {
        return Ok(());
    };
    let nonce: [u8; 12] = rand::random();
    let mut sealed = password.as_bytes().to_vec();
    if key
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(user.as_bytes()),
            &mut sealed,
        )
        .is_err()
    {
        return Ok(());
    }
    let mut data = ctx.data();
    data[KEY] = json!({
        "nonce": hex(&nonce),
        "sealed": hex(&sealed),
        "until": chrono::Utc::now().timestamp() + LIFETIME,
    });
    ctx.set_data(data).await?;
    let cookie = cookies::header(
        cookies::PORTAL,
        &key_hex,
        ctx.secure(),
        Some(LIFETIME as u64),
    );
    ctx.add_cookie(cookie);
    Ok(())
}

/// Whether a sealed password waits in the session.
pub(crate) fn waiting(ctx: &Ctx) -> bool {
    ctx.data().get(KEY).is_some()
}

/// Opens the sealed password (once: it is removed), if it is there, unexpired, and the
/// browser holds its key.
pub(crate) async fn take(ctx: &mut Ctx) -> Result<Option<String>, Fail> {
    let mut data = ctx.data();
    let Some(entry) = data.as_object_mut().and_then(|d| d.remove(KEY)) else {
        return Ok(None);
    };
    ctx.set_data(data).await?;
    let cookie = cookies::header(cookies::PORTAL, "", ctx.secure(), Some(0));
    ctx.add_cookie(cookie);
    let (Some(key_hex), Some(user)) = (ctx.portal_key.clone(), ctx.user.as_ref()) else {
        return Ok(None);
    };
    if entry["until"]
        .as_i64()
        .is_none_or(|t| t < chrono::Utc::now().timestamp())
    {
        return Ok(None);
    }
    let (Some(key), Some(nonce), Some(mut sealed)) = (
        cipher(&key_hex),
        entry["nonce"].as_str().and_then(unhex),
        entry["sealed"].as_str().and_then(unhex),
    ) else {
        return Ok(None);
    };
    let Ok(nonce) = <[u8; 12]>::try_from(nonce) else {
        return Ok(None);
    };
    let user = user.id.to_string();
    let opened = key
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(user.as_bytes()),
            &mut sealed,
        )
        .ok()
        .and_then(|plain| String::from_utf8(plain.to_vec()).ok());
    Ok(opened)
}
