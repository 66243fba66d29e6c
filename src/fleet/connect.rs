//! PLACEHOLDER until the connect branch is merged: same interface, plain TCP only.
#![allow(missing_docs, clippy::missing_errors_doc)]
use std::time::Duration;

use super::Error;
use crate::acme::http::HttpConfig;

pub struct Target {
    config: tokio_postgres::Config,
    display: String,
}

impl Target {
    pub fn display(&self) -> &str {
        &self.display
    }
}

pub fn parse(url: &str, _env: &dyn Fn(&str) -> Option<String>) -> Result<Target, Error> {
    let config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| Error::BadUrl(e.to_string()))?;
    Ok(Target { config, display: url.to_owned() })
}

pub async fn connect(
    target: &Target,
    _https: &HttpConfig,
    timeout: Duration,
) -> Result<tokio_postgres::Client, Error> {
    let mut config = target.config.clone();
    config.connect_timeout(timeout);
    let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
    tokio::spawn(connection);
    Ok(client)
}
