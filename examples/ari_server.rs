//! A local ACME Renewal Information endpoint for the ARI benchmark (`bench/renew_all.sh`).
//! It is a fake, not a CA: nothing real serves ARI on loopback on demand (Pebble 2.4 has no
//! `renewalInfo`).
//!
//! ```text
//! ari_server [--window-days 30]
//! ```
//!
//! Plain HTTP on `127.0.0.1:<random port>` (acmers allows plain HTTP only on loopback). The
//! first stdout line is `listening on PORT`; then one line per request (`GET /ari/<CertID>`),
//! so the number of requests a run made is the number of lines it added. `GET /dir` is a
//! directory with `renewalInfo` (the other endpoints are named but never answered);
//! `GET /ari/<id>` is a window starting `--window-days` from now, two days long, with
//! `Retry-After: 21600`. Anything else is a 404.

use std::convert::Infallible;
use std::io::Write as _;

use anyhow::Result;
use clap::Parser;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response, StatusCode};

/// Command line.
#[derive(Debug, Parser)]
#[command(about = "A local ARI endpoint for bench/renew_all.sh")]
struct Args {
    /// Days from now to the start of every window.
    #[arg(long, default_value_t = 30)]
    window_days: i64,
}

fn main() -> Result<()> {
    let args = Args::parse();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(args.window_days))
}

async fn serve(window_days: i64) -> Result<()> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    println!("listening on {port}");
    std::io::stdout().flush()?;
    let base = format!("http://127.0.0.1:{port}");
    loop {
        let (tcp, _) = listener.accept().await?;
        let base = base.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let reply = answer(&base, &req, window_days);
                async move { Ok::<_, Infallible>(reply) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                .await;
        });
    }
}

fn answer(base: &str, req: &Request<Incoming>, window_days: i64) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    println!("{} {path}", req.method());
    let _ = std::io::stdout().flush();
    let (status, body, retry_after) = if path == "/dir" {
        let directory = serde_json::json!({
            "newNonce": format!("{base}/nonce"),
            "newAccount": format!("{base}/account"),
            "newOrder": format!("{base}/order"),
            "renewalInfo": format!("{base}/ari"),
        });
        (StatusCode::OK, directory.to_string(), false)
    } else if path.starts_with("/ari/") {
        let start = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * window_days);
        let end = start + jiff::SignedDuration::from_hours(48);
        let window = serde_json::json!({
            "suggestedWindow": {"start": start.to_string(), "end": end.to_string()}
        });
        (StatusCode::OK, window.to_string(), true)
    } else {
        (StatusCode::NOT_FOUND, String::new(), false)
    };
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    if retry_after {
        headers.insert(
            "retry-after",
            hyper::header::HeaderValue::from_static("21600"),
        );
    }
    response
}
