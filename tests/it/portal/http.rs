//! The simulators' HTTP(S) side: a small hyper server on 127.0.0.1 and a port the OS picks,
//! stopped when dropped; and a test CA for the WILI-S controller's certificate.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

/// One request as the simulator sees it.
#[derive(Debug, Clone)]
pub(crate) struct SimRequest {
    pub(crate) method: String,
    pub(crate) path: String,
    /// Query and form fields together (query first).
    pub(crate) fields: Vec<(String, String)>,
    pub(crate) headers: HashMap<String, String>,
    /// The address the request came from (the device, as a controller keys its clients).
    pub(crate) peer: std::net::IpAddr,
}

impl SimRequest {
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer: status, headers, body.
#[derive(Debug, Clone)]
pub(crate) struct SimResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: String,
}

impl SimResponse {
    pub(crate) fn ok(content_type: &str, body: String) -> Self {
        Self {
            status: 200,
            headers: vec![("content-type".into(), content_type.into())],
            body,
        }
    }

    pub(crate) fn redirect(to: &str) -> Self {
        Self {
            status: 302,
            headers: vec![("location".into(), to.into())],
            body: String::new(),
        }
    }
}

pub(crate) type Handler =
    Arc<dyn Fn(SimRequest) -> Pin<Box<dyn Future<Output = SimResponse> + Send>> + Send + Sync>;

/// A running simulator; the accept loop ends when dropped.
pub(crate) struct SimServer {
    pub(crate) addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `handler` on 127.0.0.1 (HTTPS with `tls`).
pub(crate) async fn serve(handler: Handler, tls: Option<Arc<ServerConfig>>) -> SimServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    let acceptor = tls.map(TlsAcceptor::from);
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, peer)) = listener.accept().await else {
                continue;
            };
            let handler = handler.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| {
                    let handler = handler.clone();
                    async move {
                        Ok::<_, std::convert::Infallible>(answer(handler, req, peer.ip()).await)
                    }
                });
                let builder = hyper::server::conn::http1::Builder::new();
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls) = acceptor.accept(stream).await {
                            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
                        }
                    }
                    None => {
                        let _ = builder
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    }
                }
            });
        }
    });
    SimServer { addr, task }
}

async fn answer(
    handler: Handler,
    req: hyper::Request<Incoming>,
    peer: std::net::IpAddr,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default();
    let mut fields: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    fields.extend(form_urlencoded::parse(&body).into_owned());
    let headers = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let sim = SimRequest {
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        fields,
        headers,
        peer,
    };
    let out = handler(sim).await;
    let mut response = hyper::Response::builder().status(out.status);
    for (k, v) in &out.headers {
        response = response.header(k, v);
    }
    response
        .body(Full::new(Bytes::from(out.body)))
        .expect("a response")
}

/// A test CA and a server certificate it signed for `names` (DNS names or IPs).
pub(crate) struct TestPki {
    /// The CA certificate, PEM (what `ca_file` holds).
    pub(crate) ca_pem: String,
    /// The server certificate's DER (its SHA-256 is what `certificate_sha256` pins).
    pub(crate) server_der: Vec<u8>,
    /// The server's TLS configuration.
    pub(crate) server: Arc<ServerConfig>,
}

pub(crate) fn test_pki(names: &[&str]) -> TestPki {
    let ca_key = rcgen::KeyPair::generate().expect("CA key");
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "owums test CA");
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().expect("server key");
    let params =
        rcgen::CertificateParams::new(names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>())
            .expect("server params");
    let cert = params.signed_by(&key, &issuer).expect("server certificate");
    let server_der = cert.der().to_vec();
    let server = ServerConfig::builder_with_provider(Arc::new(
        tokio_rustls::rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocols")
    .with_no_client_auth()
    .with_single_cert(
        vec![CertificateDer::from(server_der.clone())],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    )
    .expect("server TLS");
    TestPki {
        ca_pem: ca.pem(),
        server_der,
        server: Arc::new(server),
    }
}
