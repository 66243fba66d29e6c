//! The connection to the store database (docs/fleet.md, "Connecting").
//!
//! A store URL is `postgres://` or `postgresql://`, as libpq writes it (PostgreSQL
//! documentation, "Connection URIs"). TLS is the rule: without `sslmode`, and with any mode but
//! `disable`, TLS is required and the server's chain and host name are verified with the same
//! trust as the CA (the `--ca-bundle`/`--ca-path` roots, then the platform's store; acme.sh's
//! `--insecure` accepts any certificate). libpq's `prefer` and `allow` fall back to clear
//! text when the server offers no TLS and its `require` does not verify; acmers does neither
//! (a documented difference). `sslmode=disable` is clear text, for loopback and private
//! networks; a socket folder as host is never TLS. A URL without a password takes it from the
//! password file ([`pgpass`]).

use std::path::{Path, PathBuf};
use std::str::FromStr as _;
use std::time::Duration;

use tokio_postgres::config::{Config, Host, SslMode};
use tokio_postgres::tls::MakeTlsConnect;
use tokio_postgres::{Client, NoTls, Socket};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::{Error, pgpass};
use crate::acme::http::HttpConfig;

/// The port of a host the URL gives none for.
const DEFAULT_PORT: u16 = 5432;

/// The socket folders of Debian's and upstream's libpq, which its password file calls
/// `localhost`.
const DEFAULT_SOCKET_DIRS: [&str; 3] = ["/var/run/postgresql", "/run/postgresql", "/tmp"];

/// A parsed store URL, ready to connect.
#[derive(Clone, Debug)]
pub struct Target {
    config: Config,
    tls: bool,
    display: String,
    password_file: Option<PathBuf>,
}

impl Target {
    /// The connection settings: hosts, ports, database, user, password, `application_name`
    /// (`acmers` unless the URL sets one), the TLS mode.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the connection uses TLS (required and verified).
    pub fn tls(&self) -> bool {
        self.tls
    }

    /// The URL as given, its password (in the user part or a `password` parameter) shown as
    /// `***`: what messages print.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The password file the password came from, when the URL gave none and the file did.
    pub fn password_file(&self) -> Option<&Path> {
        self.password_file.as_deref()
    }
}

/// Parse the store URL `url`; `env` gives `PGPASSFILE`, `HOME` and, for a URL without a user,
/// `USER` (else `LOGNAME`).
///
/// # Errors
///
/// [`Error::BadUrl`] for another scheme, an unknown `sslmode`, an `@` that is not the one
/// before the host, a URL without a host or user, socket folders mixed with TCP hosts under
/// TLS, or what `tokio-postgres` refuses (messages never show the password);
/// [`Error::Exposed`] or [`Error::Store`] when the password file is needed but unsafe or
/// unreadable.
pub fn parse(url: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Target, Error> {
    let Parts {
        display,
        plain,
        tls: tls_wanted,
    } = split(url)?;
    let mut config =
        Config::from_str(&plain).map_err(|e| Error::BadUrl(format!("`{display}`: {e}")))?;

    let hosts = config.get_hosts().to_vec();
    if hosts.is_empty() {
        return Err(Error::BadUrl(format!(
            "`{display}` names no host (for a socket folder: `?host=/var/run/postgresql`)"
        )));
    }
    // None (5432 for all), one for all, or one per host (tokio-postgres's rule).
    let ports = config.get_ports().to_vec();
    if ports.len() > 1 && ports.len() != hosts.len() {
        return Err(Error::BadUrl(format!(
            "`{display}` gives {} ports for {} hosts",
            ports.len(),
            hosts.len()
        )));
    }
    let sockets = hosts.iter().filter(|h| matches!(h, Host::Unix(_))).count();
    if tls_wanted && sockets > 0 && sockets < hosts.len() {
        return Err(Error::BadUrl(format!(
            "`{display}` mixes socket folders and TCP hosts, but only the TCP hosts can use TLS"
        )));
    }
    let tls = tls_wanted && sockets == 0;
    config.ssl_mode(if tls {
        SslMode::Require
    } else {
        SslMode::Disable
    });
    if config.get_application_name().is_none() {
        config.application_name("acmers");
    }

    let user = match config.get_user() {
        Some(user) => user.to_owned(),
        None => ["USER", "LOGNAME"]
            .into_iter()
            .find_map(|key| env(key).filter(|v| !v.is_empty()))
            .ok_or_else(|| {
                Error::BadUrl(format!("`{display}` names no user (write `user@host`)"))
            })?,
    };
    config.user(&user);
    let database = config.get_dbname().unwrap_or(&user).to_owned();

    let mut password_file = None;
    if config.get_password().is_none()
        && let Some(file) = pgpass::path(env)
    {
        for (i, host) in hosts.iter().enumerate() {
            let port = ports
                .get(i)
                .or_else(|| ports.first())
                .copied()
                .unwrap_or(DEFAULT_PORT);
            if let Some(password) =
                pgpass::lookup(&file, &pgpass_host(host), port, &database, &user)?
            {
                config.password(password);
                password_file = Some(file);
                break;
            }
        }
    }
    Ok(Target {
        config,
        tls,
        display,
        password_file,
    })
}

/// A store URL taken apart before `tokio-postgres` parses it.
struct Parts {
    /// The URL with every password shown as `***`.
    display: String,
    /// The URL without `sslmode`, which `tokio-postgres` reads otherwise (it knows no
    /// `verify-ca`/`verify-full`, and takes `prefer` as a fallback to clear text).
    plain: String,
    /// Whether `sslmode` asks for TLS.
    tls: bool,
}

/// Check the scheme, the `@` and `sslmode` of `url`, and make its two forms.
fn split(url: &str) -> Result<Parts, Error> {
    let bad = Error::BadUrl;
    let (scheme, rest) = ["postgresql://", "postgres://"]
        .into_iter()
        .find_map(|scheme| Some((scheme, url.strip_prefix(scheme)?)))
        .ok_or_else(|| bad("it must start with `postgres://` or `postgresql://`".into()))?;
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    // tokio-postgres takes everything up to the first `@` anywhere as the user and password,
    // libpq only up to the host's end: an `@` elsewhere would be read differently by the two,
    // and would show part of a password where the host is expected.
    let ats: Vec<usize> = rest.match_indices('@').map(|(i, _)| i).collect();
    if ats.len() > 1 || ats.first().is_some_and(|&at| at > host_end) {
        return Err(bad(
            "write an `@` in the password, database or a parameter as `%40`".into(),
        ));
    }
    let (creds, after) = match ats.first() {
        Some(&at) => (Some(&rest[..at]), &rest[at + 1..]),
        None => (None, rest),
    };
    let (before_query, query) = after.split_once('?').unwrap_or((after, ""));

    let mut sslmode = None;
    let mut kept = Vec::new();
    let mut shown = Vec::new();
    for param in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = param.split_once('=').ok_or_else(|| {
            bad(format!(
                "the parameter `{}` has no value",
                param.escape_debug()
            ))
        })?;
        if key.contains('%') {
            return Err(bad(format!(
                "write the parameter name `{}` without % escapes",
                key.escape_debug()
            )));
        }
        match key {
            "sslmode" => sslmode = Some(value),
            _ => kept.push(param),
        }
        shown.push(if key == "password" {
            "password=***"
        } else {
            param
        });
    }
    let tls = match sslmode {
        Some("disable") => false,
        None | Some("allow" | "prefer" | "require" | "verify-ca" | "verify-full") => true,
        Some(other) => {
            return Err(bad(format!(
                "unknown sslmode `{}` (use `disable`, or leave it out for verified TLS)",
                other.escape_debug()
            )));
        }
    };

    let shown_creds = creds.map(|c| match c.split_once(':') {
        Some((user, _)) => format!("{user}:***@"),
        None => format!("{c}@"),
    });
    let creds = creds.map(|c| format!("{c}@"));
    let query = |params: Vec<&str>| {
        if params.is_empty() {
            String::new()
        } else {
            format!("?{}", params.join("&"))
        }
    };
    Ok(Parts {
        display: format!(
            "{scheme}{}{before_query}{}",
            shown_creds.unwrap_or_default(),
            query(shown)
        ),
        plain: format!(
            "{scheme}{}{before_query}{}",
            creds.unwrap_or_default(),
            query(kept)
        ),
        tls,
    })
}

/// The host name libpq's password file matches for `host`: the name or address, `localhost`
/// for its default socket folder, else the folder.
fn pgpass_host(host: &Host) -> String {
    match host {
        Host::Tcp(name) => name.clone(),
        Host::Unix(dir) if DEFAULT_SOCKET_DIRS.iter().any(|d| dir == Path::new(d)) => {
            "localhost".into()
        }
        Host::Unix(dir) => dir.to_string_lossy().into_owned(),
    }
}

/// Connect to `target`: under TLS with the trust of `https` (its extra roots, then the
/// platform's store, or any certificate when it is `insecure`) and the ALPN protocol
/// `postgresql` (which PostgreSQL 17 checks when a client sends one). The whole connection —
/// TCP, TLS, authentication, on each host in turn — must complete within `timeout`. The
/// connection's task is spawned on the current runtime (a current-thread runtime drives it
/// whenever the caller awaits) and ends when the client is dropped.
///
/// # Errors
///
/// [`Error::Tls`] when the trust cannot be set up, [`Error::Timeout`], or [`Error::Db`] when
/// the database cannot be reached, its certificate is not trusted, or it refuses the login.
pub async fn connect(
    target: &Target,
    https: &HttpConfig,
    timeout: Duration,
) -> Result<Client, Error> {
    let mut config = target.config.clone();
    config.connect_timeout(timeout);
    let connecting = async {
        if target.tls {
            let tls = crate::acme::client_config_for(https, vec![b"postgresql".to_vec()])
                .map_err(Error::Tls)?;
            start(&config, MakeRustlsConnect::new(tls)).await
        } else {
            start(&config, NoTls).await
        }
    };
    tokio::time::timeout(timeout, connecting)
        .await
        .map_err(|_| Error::Timeout {
            target: target.display.clone(),
            after: timeout,
        })?
}

/// Connect with `tls` and spawn the connection's task.
async fn start<T>(config: &Config, tls: T) -> Result<Client, Error>
where
    T: MakeTlsConnect<Socket>,
    T::Stream: Send + 'static,
{
    let (client, connection) = config.connect(tls).await?;
    tokio::spawn(async move {
        // The client's next request fails with this too; here it is only worth a debug line.
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "the store connection ended");
        }
    });
    Ok(client)
}

#[cfg(test)]
#[path = "connect_tests.rs"]
mod tests;
