//! The HTTP server of `owums serve`: the poem application on hyper's HTTP/1.1 connections,
//! with a deadline for request heads and a shutdown bounded by the grace period.
//!
//! poem's own server gives no way to bound how long a client may take to send a request
//! head: its `idle_timeout` does not close a connection that sent half of one, so a client
//! trickling headers (slowloris) held a connection, and its task, for as long as it liked.
//! hyper has that deadline (`header_read_timeout`) once it is given a timer; poem builds its
//! hyper connections itself and hides them, so owums serves its poem application on hyper
//! directly. HTTP/1.1 only: HTTP/2 without TLS (prior knowledge) is of no use behind the
//! TLS reverse proxy owums is meant to sit behind, and its version sniffing would wait
//! without a deadline.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use poem::http::uri::Scheme;
use poem::web::{LocalAddr, RemoteAddr};
use poem::{Addr, Endpoint, EndpointExt, IntoEndpoint, Request, Response};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// How the server treats its connections.
#[derive(Debug, Clone, Copy)]
pub(crate) struct HttpOptions {
    /// How long a client may take to send a whole request head, from the moment the server
    /// waits for one (a new connection, or the next request of a keep-alive one).
    pub(crate) header_read_timeout: Duration,
    /// How long open connections get to finish once `stop` resolves; then they are closed.
    pub(crate) grace: Duration,
}

/// Serves `app` on `listener` until `stop` resolves, then lets open connections finish
/// within the grace period and closes the ones still open after it.
///
/// # Errors
///
/// The listener's address cannot be read.
pub(crate) async fn serve_http<E>(
    listener: TcpListener,
    app: E,
    stop: impl Future<Output = ()>,
    options: HttpOptions,
) -> std::io::Result<()>
where
    E: IntoEndpoint,
    E::Endpoint: 'static,
{
    let app = Arc::new(app.into_endpoint().map_to_response());
    let local = listener.local_addr()?;
    let (closing, closing_seen) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(stop);
    loop {
        tokio::select! {
            () = &mut stop => break,
            // reap finished connections so the set stays as large as the open ones
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => match accepted {
                Ok((stream, remote)) => {
                    connections.spawn(connection(
                        stream,
                        local,
                        remote,
                        app.clone(),
                        options.header_read_timeout,
                        closing_seen.clone(),
                    ));
                }
                Err(e) => {
                    // out of file descriptors, or a connection reset before it was
                    // accepted: try again shortly rather than spin
                    tracing::warn!(error = %e, "accepting an HTTP connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
        }
    }
    drop(listener);
    let _ = closing.send(true);
    let drained = tokio::time::timeout(options.grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::info!(
            open = connections.len(),
            "connections still open at the end of the grace period are closed"
        );
        connections.shutdown().await;
    }
    Ok(())
}

/// One client connection: requests answered by `app` until the client leaves, a request
/// head takes too long, or the server closes (finishing the request in progress).
async fn connection<E>(
    stream: TcpStream,
    local: SocketAddr,
    remote: SocketAddr,
    app: Arc<E>,
    header_read_timeout: Duration,
    mut closing: watch::Receiver<bool>,
) where
    E: Endpoint<Output = Response> + 'static,
{
    let local = LocalAddr(Addr::SocketAddr(local));
    let remote = RemoteAddr(Addr::SocketAddr(remote));
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let app = app.clone();
        let req = Request::from((req, local.clone(), remote.clone(), Scheme::HTTP));
        async move {
            let resp: hyper::Response<_> = app.get_response(req).await.into();
            Ok::<_, Infallible>(resp)
        }
    });
    let conn = http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service)
        .with_upgrades();
    tokio::pin!(conn);
    tokio::select! {
        result = conn.as_mut() => {
            if let Err(e) = result {
                tracing::debug!(error = %e, "HTTP connection closed");
            }
        }
        // the guard `wait_for` answers with is dropped at once: it may not be held across
        // an await of a spawned task
        () = async { drop(closing.wait_for(|closing| *closing).await) } => {
            // an idle connection closes now, one with a request in progress after it
            conn.as_mut().graceful_shutdown();
            let _ = conn.await;
        }
    }
}
