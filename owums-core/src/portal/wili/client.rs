//! HTTPS to a WILI-S controller: its certificate checked against the configured CA or a
//! pinned fingerprint, never not at all.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error as TlsError, RootCertStore, SignatureScheme};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::xml::{MAX_REPLY, ReplyKind};
use crate::config::portals::parse_fingerprint;
use crate::portal::{PortalError, WiliConfig};

/// The HTTP client of one portal.
pub(super) struct WiliClient {
    http: reqwest::Client,
    /// Where to connect instead of the redirect's `%nasip:%wanport` (NAT).
    connect: Option<String>,
}

impl fmt::Debug for WiliClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WiliClient")
            .field("connect", &self.connect)
            .finish_non_exhaustive()
    }
}

impl WiliClient {
    pub(super) fn new(config: &WiliConfig) -> Result<Self, String> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier: Arc<dyn ServerCertVerifier> = if !config.certificate_sha256.is_empty() {
            let pin = parse_fingerprint(&config.certificate_sha256)
                .ok_or("certificate_sha256 is not 64 hex digits")?;
            Arc::new(Pinned {
                pin,
                provider: provider.clone(),
            })
        } else {
            let mut roots = RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(&config.ca_file)
                .map_err(|e| format!("ca_file {:?}: {e}", config.ca_file))?;
            for cert in certs {
                let cert = cert.map_err(|e| format!("ca_file {:?}: {e}", config.ca_file))?;
                roots
                    .add(cert)
                    .map_err(|e| format!("ca_file {:?}: {e}", config.ca_file))?;
            }
            if roots.is_empty() {
                return Err(format!("ca_file {:?} holds no certificate", config.ca_file));
            }
            let inner =
                WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                    .build()
                    .map_err(|e| format!("ca_file {:?}: {e}", config.ca_file))?;
            let name =
                if config.tls_name.is_empty() {
                    None
                } else {
                    Some(ServerName::try_from(config.tls_name.clone()).map_err(|_| {
                        format!("tls_name {:?} is not a host name", config.tls_name)
                    })?)
                };
            Arc::new(Named { inner, name })
        };
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .timeout(Duration::from_secs(config.timeout_seconds))
            .connect_timeout(Duration::from_secs(config.timeout_seconds))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http,
            connect: (!config.connect.is_empty()).then(|| config.connect.clone()),
        })
    }

    /// Posts `form` and the secret to the controller's `pplogon.user` (…), with `Host:
    /// host`; returns the body (at most [`MAX_REPLY`] bytes).
    pub(super) async fn call(
        &self,
        host: &str,
        kind: ReplyKind,
        secret: &str,
        mut form: Vec<(String, String)>,
    ) -> Result<Vec<u8>, PortalError> {
        let path = match kind {
            ReplyKind::Logon => "pplogon.user",
            ReplyKind::Logoff => "pplogoff.user",
            ReplyKind::Status => "ppstatus.user",
        };
        form.insert(0, ("secret".to_owned(), secret.to_owned()));
        let target = self.connect.as_deref().unwrap_or(host);
        let mut response = self
            .http
            .post(format!("https://{target}/{path}"))
            .header(reqwest::header::HOST, host)
            .form(&form)
            .send()
            .await
            .map_err(describe)?;
        if !response.status().is_success() {
            return Err(PortalError::Garbage(format!("HTTP {}", response.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(describe)? {
            if body.len() + chunk.len() > MAX_REPLY {
                return Err(PortalError::Garbage("reply over 64 KiB".into()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// A transport error in words, without the URL (which names no secret, but stays short).
fn describe(error: reqwest::Error) -> PortalError {
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    let mut words = Vec::new();
    while let Some(e) = source {
        words.push(e.to_string());
        source = e.source();
    }
    let text = words.join(": ");
    if text.contains("certificate") || text.contains("Certificate") {
        PortalError::Certificate(text)
    } else if error.is_timeout() {
        PortalError::Unreachable("no answer in time".into())
    } else {
        PortalError::Unreachable(text)
    }
}

/// Checks the chain against the configured CA, and the name against `tls_name` when set.
#[derive(Debug)]
struct Named {
    inner: Arc<WebPkiServerVerifier>,
    name: Option<ServerName<'static>>,
}

impl ServerCertVerifier for Named {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let name = self.name.as_ref().unwrap_or(server_name);
        self.inner
            .verify_server_cert(end_entity, intermediates, name, ocsp, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts exactly the certificate whose SHA-256 is pinned (a controller's self-signed
/// certificate), still checking the handshake's signatures with it.
#[derive(Debug)]
struct Pinned {
    pin: [u8; 32],
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, TlsError> {
        let seen: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if bool::from(seen.ct_eq(&self.pin)) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(TlsError::General(
                "certificate fingerprint is not the pinned one".into(),
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, TlsError> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
