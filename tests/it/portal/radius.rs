//! The Access-Request an access controller sends (RFC 2865): PAP (User-Password hidden
//! with the shared secret) or CHAP (CHAP-Password and CHAP-Challenge as CoovaChilli builds
//! them from the portal's response), with Message-Authenticator; and the Accounting-Request
//! of the sessions (RFC 2866). radclient cannot send a CHAP response computed elsewhere, and
//! a process per packet would bound the benchmark, so the simulators speak RADIUS themselves.

use std::time::Duration;

use tokio::net::UdpSocket;

use hmac::{KeyInit, Mac};
use md5::{Digest, Md5};

/// How the password travels.
#[derive(Debug, Clone)]
pub(crate) enum Password {
    /// User-Password, in clear here (hidden on the wire).
    Pap(String),
    /// CHAP-Password = ident ‖ response, CHAP-Challenge = the key.
    Chap {
        ident: u8,
        response: [u8; 16],
        challenge: [u8; 16],
    },
}

/// The device and controller the request is about.
#[derive(Debug, Clone)]
pub(crate) struct Device {
    pub(crate) nas_id: String,
    pub(crate) client_ip: std::net::Ipv4Addr,
    pub(crate) client_mac: String,
    pub(crate) called: String,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub(crate) accepted: bool,
    pub(crate) reply_messages: Vec<String>,
    pub(crate) session_timeout: Option<u32>,
}

fn attr(out: &mut Vec<u8>, kind: u8, value: &[u8]) {
    out.push(kind);
    out.push(u8::try_from(value.len() + 2).expect("a short attribute"));
    out.extend_from_slice(value);
}

fn hide(password: &str, secret: &str, authenticator: &[u8; 16]) -> Vec<u8> {
    let mut plain = password.as_bytes().to_vec();
    plain.resize(plain.len().div_ceil(16).max(1) * 16, 0);
    let mut out = Vec::with_capacity(plain.len());
    let mut prev = authenticator.to_vec();
    for block in plain.chunks(16) {
        let mut md5 = Md5::new();
        md5.update(secret.as_bytes());
        md5.update(&prev);
        let key = md5.finalize();
        let cipher: Vec<u8> = block.iter().zip(key.iter()).map(|(p, k)| p ^ k).collect();
        out.extend_from_slice(&cipher);
        prev = cipher;
    }
    out
}

/// Sends one Access-Request to `127.0.0.1:port` and waits up to 3 s for the answer.
pub(crate) async fn access_request(
    port: u16,
    secret: &str,
    username: &str,
    password: &Password,
    device: &Device,
) -> Result<Answer, String> {
    let id: u8 = rand_byte();
    let authenticator: [u8; 16] = std::array::from_fn(|_| rand_byte());
    let mut attrs = Vec::new();
    attr(&mut attrs, 1, username.as_bytes());
    match password {
        Password::Pap(p) => attr(&mut attrs, 2, &hide(p, secret, &authenticator)),
        Password::Chap {
            ident,
            response,
            challenge,
        } => {
            let mut value = vec![*ident];
            value.extend_from_slice(response);
            attr(&mut attrs, 3, &value);
            attr(&mut attrs, 60, challenge);
        }
    }
    attr(&mut attrs, 4, &[127, 0, 0, 1]);
    attr(&mut attrs, 6, &1u32.to_be_bytes()); // Service-Type = Login
    attr(&mut attrs, 8, &device.client_ip.octets());
    attr(&mut attrs, 30, device.called.as_bytes());
    attr(&mut attrs, 31, device.client_mac.as_bytes());
    attr(&mut attrs, 32, device.nas_id.as_bytes());
    attr(&mut attrs, 61, &19u32.to_be_bytes()); // NAS-Port-Type = Wireless-802.11
    let ma_at = attrs.len() + 20 + 2;
    attr(&mut attrs, 80, &[0; 16]);
    let length = u16::try_from(20 + attrs.len()).expect("a short packet");
    let mut packet = vec![1, id];
    packet.extend_from_slice(&length.to_be_bytes());
    packet.extend_from_slice(&authenticator);
    packet.extend_from_slice(&attrs);
    let mut mac = hmac::Hmac::<Md5>::new_from_slice(secret.as_bytes()).expect("any key");
    mac.update(&packet);
    packet[ma_at..ma_at + 16].copy_from_slice(&mac.finalize().into_bytes());

    let mut buf = [0u8; 4096];
    let n = exchange(port, &packet, &mut buf).await?;
    let reply = &buf[..n];
    let mut answer = Answer {
        accepted: reply[0] == 2,
        reply_messages: Vec::new(),
        session_timeout: None,
    };
    if !matches!(reply[0], 2 | 3) {
        return Err(format!("reply code {}", reply[0]));
    }
    let mut at = 20;
    while at + 2 <= n {
        let (kind, len) = (reply[at], usize::from(reply[at + 1]));
        if len < 2 || at + len > n {
            break;
        }
        let value = &reply[at + 2..at + len];
        match kind {
            18 => answer
                .reply_messages
                .push(String::from_utf8_lossy(value).into_owned()),
            27 if value.len() == 4 => {
                answer.session_timeout =
                    Some(u32::from_be_bytes(value.try_into().expect("4 bytes")));
            }
            _ => {}
        }
        at += len;
    }
    Ok(answer)
}

/// Sends `packet` to `127.0.0.1:port`, waits up to 3 s for the answer with its identifier
/// and returns its length in `buf`.
async fn exchange(port: u16, packet: &[u8], buf: &mut [u8]) -> Result<usize, String> {
    let socket = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| e.to_string())?;
    socket
        .send_to(packet, ("127.0.0.1", port))
        .await
        .map_err(|e| e.to_string())?;
    let n = tokio::time::timeout(Duration::from_secs(3), socket.recv(buf))
        .await
        .map_err(|_| "no answer in 3 s".to_owned())?
        .map_err(|e| format!("no answer: {e}"))?;
    if n < 20 || buf[1] != packet[1] {
        return Err("a reply that is not ours".into());
    }
    Ok(n)
}

fn rand_byte() -> u8 {
    use std::hash::{BuildHasher, RandomState};
    (RandomState::new().hash_one(std::time::Instant::now()) & 0xff) as u8
}

/// An accounting attribute by its dictionary name: its number and value on the wire.
fn accounting_attr(name: &str, value: &str) -> (u8, Vec<u8>) {
    let int = |n: u32| n.to_be_bytes().to_vec();
    let number = |v: &str| int(v.parse().expect("a number"));
    match name {
        "User-Name" => (1, value.as_bytes().to_vec()),
        "Framed-IP-Address" => {
            let ip: std::net::Ipv4Addr = value.parse().expect("an IPv4 address");
            (8, ip.octets().to_vec())
        }
        "Called-Station-Id" => (30, value.as_bytes().to_vec()),
        "Calling-Station-Id" => (31, value.as_bytes().to_vec()),
        "NAS-Identifier" => (32, value.as_bytes().to_vec()),
        "Acct-Status-Type" => (
            40,
            int(match value {
                "Start" => 1,
                "Stop" => 2,
                "Interim-Update" => 3,
                other => panic!("no Acct-Status-Type {other}"),
            }),
        ),
        "Acct-Input-Octets" => (42, number(value)),
        "Acct-Output-Octets" => (43, number(value)),
        "Acct-Session-Id" => (44, value.as_bytes().to_vec()),
        "Acct-Session-Time" => (46, number(value)),
        "NAS-Port-Type" => {
            assert_eq!(value, "Wireless-802.11", "only the Wi-Fi port type");
            (61, int(19))
        }
        other => panic!("no accounting attribute {other} in the simulators"),
    }
}

/// Sends an Accounting-Request (as the controller does after a logon or logoff; RFC 2866:
/// the authenticator is MD5 over the packet with a zero authenticator and the secret) and
/// checks FreeRADIUS answered it with an Accounting-Response.
pub(crate) async fn accounting(
    radius: std::sync::Arc<crate::support::freeradius::FreeRadius>,
    attrs: Vec<(&'static str, String)>,
) {
    let (port, secret) = (radius.acct_port(), radius.secret().to_owned());
    let mut body = Vec::new();
    attr(&mut body, 4, &[127, 0, 0, 1]);
    for (name, value) in &attrs {
        let (kind, value) = accounting_attr(name, value);
        attr(&mut body, kind, &value);
    }
    let length = u16::try_from(20 + body.len()).expect("a short packet");
    let mut packet = vec![4, rand_byte()];
    packet.extend_from_slice(&length.to_be_bytes());
    packet.extend_from_slice(&[0; 16]);
    packet.extend_from_slice(&body);
    let mut md5 = Md5::new();
    md5.update(&packet);
    md5.update(secret.as_bytes());
    packet[4..20].copy_from_slice(&md5.finalize());
    let mut buf = [0u8; 4096];
    let reply = exchange(port, &packet, &mut buf).await.map(|_| buf[0]);
    assert_eq!(reply, Ok(5), "an Accounting-Response to {attrs:?}");
}
