//! A CA that is down, for the failing-fleet benchmark (`bench/backoff_fleet.sh`). It is a
//! fake, not a CA: no real CA fails every newOrder on demand.
//!
//! ```text
//! failing_ca [--status 503] [--retry-after SECONDS]
//! ```
//!
//! Plain HTTP on `127.0.0.1:<random port>` (acmers allows plain HTTP only on loopback). The
//! first stdout line is `listening on PORT`; then one line per request (`METHOD PATH`), so the
//! number of requests a run made is the number of lines it added. `GET /dir` is a directory
//! without `renewalInfo`; `/nonce` gives a nonce; `POST /account` registers any account;
//! `POST /order` (newOrder) is answered `--status` with a problem document (`rateLimited` for
//! 429, else `serverInternal`) and `Retry-After` when given. Anything else is a 404. Every
//! response carries a fresh `Replay-Nonce`.

use std::convert::Infallible;
use std::io::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use clap::Parser;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::header::HeaderValue;
use hyper::{Method, Request, Response, StatusCode};

/// Command line.
#[derive(Clone, Debug, Parser)]
#[command(about = "A CA whose newOrder always fails, for bench/backoff_fleet.sh")]
struct Args {
    /// The HTTP status of every newOrder answer.
    #[arg(long, default_value_t = 503)]
    status: u16,
    /// `Retry-After` (seconds) on the newOrder answers.
    #[arg(long)]
    retry_after: Option<u64>,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args))
}

async fn serve(args: Args) -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    println!("listening on {port}");
    std::io::stdout().flush()?;
    let base = format!("http://127.0.0.1:{port}");
    let nonces = Arc::new(AtomicU64::new(0));
    loop {
        let (tcp, _) = listener.accept().await?;
        let (base, args, nonces) = (base.clone(), args.clone(), nonces.clone());
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let nonce = nonces.fetch_add(1, Ordering::Relaxed);
                let reply = answer(&base, &req, &args, nonce);
                async move { Ok::<_, Infallible>(reply) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                .await;
        });
    }
}

fn answer(base: &str, req: &Request<Incoming>, args: &Args, nonce: u64) -> Response<Full<Bytes>> {
    let (method, path) = (req.method(), req.uri().path());
    println!("{method} {path}");
    let _ = std::io::stdout().flush();
    let mut location = None;
    let mut retry_after = None;
    let (status, body) = match (method, path) {
        (&Method::GET, "/dir") => {
            let directory = serde_json::json!({
                "newNonce": format!("{base}/nonce"),
                "newAccount": format!("{base}/account"),
                "newOrder": format!("{base}/order"),
                "revokeCert": format!("{base}/revoke"),
                "keyChange": format!("{base}/key-change"),
            });
            (StatusCode::OK, directory.to_string())
        }
        (&Method::HEAD | &Method::GET, "/nonce") => (StatusCode::OK, String::new()),
        (&Method::POST, "/account") => {
            location = Some(format!("{base}/acct/1"));
            let account =
                serde_json::json!({"status": "valid", "orders": format!("{base}/orders")});
            (StatusCode::CREATED, account.to_string())
        }
        (&Method::POST, "/order") => {
            let status =
                StatusCode::from_u16(args.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            let kind = if status == StatusCode::TOO_MANY_REQUESTS {
                "rateLimited"
            } else {
                "serverInternal"
            };
            retry_after = args.retry_after;
            let problem = serde_json::json!({
                "type": format!("urn:ietf:params:acme:error:{kind}"),
                "detail": "the CA is failing (bench/backoff_fleet.sh)",
                "status": status.as_u16(),
            });
            (status, problem.to_string())
        }
        _ => (StatusCode::NOT_FOUND, String::new()),
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    let content_type = if status.is_success() {
        "application/json"
    } else {
        "application/problem+json"
    };
    headers.insert("content-type", HeaderValue::from_static(content_type));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(&format!("nonce{nonce:016x}")) {
        headers.insert("replay-nonce", value);
    }
    if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
        headers.insert("location", value);
    }
    if let Some(value) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        headers.insert("retry-after", value);
    }
    response
}
