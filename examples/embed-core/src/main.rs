//! Embedding owums-core in your own HTTP service.
//!
//! A tiny poem service (any framework would do: owums-core knows none) that registers
//! subscribers and verifies them its own way, on the same database FreeRADIUS reads:
//!
//! ```text
//! cargo run -p example-embed-core            # listens on 127.0.0.1:3000, ./example.db
//! curl -XPOST localhost:3000/register -H 'content-type: application/json' \
//!      -d '{"username":"alice","password":"Quiet-Meadow-58"}'
//! curl -XPOST localhost:3000/verify/alice    # alice is now a valid RADIUS user
//! ```

use owums_core::config::DatabaseConfig;
use owums_core::{ErrorKind, NewUser, PasswordFormat, Store, Subscribers, Username};
use poem::http::StatusCode;
use poem::listener::TcpListener;
use poem::web::{Data, Json, Path};
use poem::{EndpointExt, Route, Server, handler, post};
use serde::Deserialize;

#[derive(Deserialize)]
struct Registration {
    username: String,
    password: String,
}

fn status(e: &owums_core::Error) -> StatusCode {
    match e.kind() {
        ErrorKind::Invalid => StatusCode::BAD_REQUEST,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn fail(e: owums_core::Error) -> poem::Error {
    poem::Error::from_string(e.to_string(), status(&e))
}

#[handler]
async fn register(s: Data<&Subscribers>, Json(r): Json<Registration>) -> poem::Result<String> {
    let new = NewUser {
        username: Some(Username::try_new(&r.username).map_err(fail)?),
        password: r.password,
        verification_method: "example".to_owned(),
        eula_accepted: true,
        ..NewUser::default()
    };
    let user = s.register(new).await.map_err(fail)?;
    Ok(format!(
        "{} registered, {}\n",
        user.username,
        user.status().as_str()
    ))
}

#[handler]
async fn verify(s: Data<&Subscribers>, Path(username): Path<String>) -> poem::Result<String> {
    let user = s.find(&username).await.map_err(fail)?;
    let user = s.verify(user.id).await.map_err(fail)?;
    Ok(format!("{} is {}\n", user.username, user.status().as_str()))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url =
        std::env::var("EXAMPLE_DATABASE_URL").unwrap_or_else(|_| "sqlite://example.db".to_owned());
    let store = Store::connect(&DatabaseConfig {
        url,
        ..DatabaseConfig::default()
    })
    .await?;
    store.migrate().await?;
    let subscribers = Subscribers::new(store, PasswordFormat::Crypt);
    let app = Route::new()
        .at("/register", post(register))
        .at("/verify/:username", post(verify))
        .data(subscribers);
    let listen = std::env::var("EXAMPLE_LISTEN").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    println!("listening on {listen}");
    Server::new(TcpListener::bind(listen)).run(app).await?;
    Ok(())
}
