//! http-01 answered by the user's own web server (docs/webservers.md): acme.sh's
//! `--stateless`, `--nginx [conf]` and `--apache`.
//!
//! - [`Stateless`] does nothing: the server answers every token with `<token>.<thumbprint>`.
//! - [`Nginx`] and [`Apache`] change the server's config for the run (a location that answers
//!   the tokens, an alias to a folder the tokens are written to), check it, reload, and on
//!   cleanup restore it byte for byte and reload again. Every change goes through [`Edits`]:
//!   backup and marker in the lineage folder first, so [`repair`] puts a config back after a
//!   crash. Changes to web server configs are serialized across processes by one lock in the
//!   certificate home (`.acmers-webserver/`).
//!
//! The server's commands are run without a shell (`command.rs`); nothing from the CA reaches
//! them or the configs except the account thumbprint (base64url, checked again here).

pub mod apache;
mod command;
pub mod edits;
pub mod nginx;
mod workers;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use apache::Apache;
pub use edits::{Edits, Server};
pub use nginx::Nginx;

use crate::acme::types::ChallengeType;
use crate::challenge::{self, BoxFuture, Challenge, Solver};
use crate::store::lock::{self, Lock};

/// The folder of the certificate home whose lock serializes web server config changes.
const LOCK_DIR: &str = ".acmers-webserver";

/// Why a web server could not be set up for a challenge, or restored.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file of the acmers home or a config could not be read or written, or is not trusted.
    #[error(transparent)]
    Store(Box<crate::store::Error>),
    /// A file that should exist does not.
    #[error("`{0}` does not exist")]
    Missing(PathBuf),
    /// A config path acmers cannot record.
    #[error("`{}`: a config path with a line break is refused", .0.display())]
    BadPath(PathBuf),
    /// The server's program is not installed.
    #[error("{0} not found (looked on PATH and in the sbin folders)")]
    NotFound(&'static str),
    /// A command of the web server failed.
    #[error("`{command}` failed: {output}")]
    Command {
        /// The command line.
        command: String,
        /// The end of its output.
        output: String,
    },
    /// The server's config could not be found.
    #[error("cannot find the {server} config: {why}")]
    NoConfig {
        /// nginx or Apache.
        server: &'static str,
        /// Why.
        why: String,
    },
    /// No nginx `server` block with a plain-HTTP `listen` names the domain.
    #[error("cannot find an nginx config file for `{domain}` (searched from `{}`)", .start.display())]
    NoServerBlock {
        /// The domain.
        domain: String,
        /// Where the search started.
        start: PathBuf,
    },
    /// The config had errors before acmers changed anything.
    #[error("the {0} config has errors; fix them first (nothing was changed): {1}")]
    BrokenBefore(&'static str, String),
    /// A config acmers changed was changed again by someone else; it is left alone.
    #[error(
        "`{}` was changed since acmers edited it; not restoring it (the original is in `{}`)",
        .path.display(), .backup.display()
    )]
    ChangedSince {
        /// The config.
        path: PathBuf,
        /// The backup of its original content.
        backup: PathBuf,
    },
    /// The marker of a lineage folder is not one acmers wrote.
    #[error("`{}` is not a web server marker acmers wrote", .0.display())]
    BadMarker(PathBuf),
    /// Another run kept changing web server configs for longer than the lock timeout.
    #[error("another acmers run holds `{}`", .0.display())]
    Busy(PathBuf),
    /// The account thumbprint is not base64url (never happens with a checked challenge).
    #[error("the account thumbprint is not base64url")]
    BadThumbprint,
}

impl From<crate::store::Error> for Error {
    fn from(e: crate::store::Error) -> Self {
        Self::Store(Box::new(e))
    }
}

impl From<Error> for challenge::Error {
    fn from(e: Error) -> Self {
        Self::WebServer(Box::new(e))
    }
}

/// acme.sh's `--stateless`: the user's web server answers
/// `/.well-known/acme-challenge/<token>` with `<token>.<account thumbprint>` by itself, so
/// nothing is presented or cleaned up.
#[derive(Debug, Default)]
pub struct Stateless;

impl Solver for Stateless {
    fn kind(&self) -> ChallengeType {
        ChallengeType::Http01
    }

    fn present<'a>(&'a self, _: &'a [Challenge]) -> BoxFuture<'a, Result<(), challenge::Error>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn cleanup<'a>(&'a self, _: &'a [Challenge]) -> BoxFuture<'a, Result<(), challenge::Error>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Where an nginx or Apache solver keeps its changes and whose lock it takes.
#[derive(Clone, Debug)]
pub struct Place {
    /// The lineage folder (backups and marker).
    pub lineage: PathBuf,
    /// The certificate home (the lock's folder is in it).
    pub cert_home: PathBuf,
    /// How long to wait for another run's changes to end.
    pub lock_timeout: Duration,
}

impl Place {
    /// The place of the lineage folder `lineage` (its parent is the certificate home).
    pub fn of(lineage: &Path, lock_timeout: Duration) -> Self {
        Self {
            lineage: lineage.to_owned(),
            cert_home: lineage.parent().unwrap_or(lineage).to_owned(),
            lock_timeout,
        }
    }
}

/// The account thumbprint of a batch: the part of a key authorization after the token,
/// checked to be base64url (it goes into a config).
fn thumbprint(batch: &[Challenge]) -> Result<String, Error> {
    let thumb = batch
        .first()
        .and_then(|c| c.key_authorization.as_str().split_once('.'))
        .map(|(_, thumb)| thumb.to_owned())
        .unwrap_or_default();
    let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    if thumb.is_empty() || !thumb.chars().all(base64url) {
        return Err(Error::BadThumbprint);
    }
    Ok(thumb)
}

/// Take the lock that serializes web server config changes of every acmers process.
async fn lock(cert_home: &Path, timeout: Duration) -> Result<Lock, Error> {
    let dir = cert_home.join(LOCK_DIR);
    crate::store::atomic::create_private_dir_all(&dir)?;
    lock::lock(&dir, timeout)
        .await?
        .ok_or_else(|| Error::Busy(dir.join(lock::LOCK_FILE)))
}

/// Reload the server after its configs were restored.
async fn reload(server: &Server) -> Result<(), Error> {
    match server {
        Server::Nginx(main) => nginx::reload(main).await,
        Server::Apache => apache::reload().await,
    }
}

/// Put back the web server configs a killed run left changed in the lineage folder `dir`,
/// and reload the server. Returns the files restored, empty when there was nothing to do.
///
/// # Errors
///
/// As [`Edits::restore`], and a failed reload.
pub async fn repair(place: &Place) -> Result<Vec<PathBuf>, Error> {
    if Edits::left_in(&place.lineage)?.is_none() {
        return Ok(Vec::new());
    }
    let _lock = lock(&place.cert_home, place.lock_timeout).await?;
    // Read again under the lock: another run may have repaired it meanwhile.
    let Some(mut edits) = Edits::left_in(&place.lineage)? else {
        return Ok(Vec::new());
    };
    let files = edits.paths();
    edits.restore()?;
    reload(edits.server()).await?;
    Ok(files)
}

/// The changes of one nginx or Apache solver while they are in place, with the lock held.
#[derive(Debug)]
struct Active {
    edits: Edits,
    _lock: Lock,
}

impl Active {
    /// Restore the configs and reload the server (only when something was changed).
    async fn restore(mut self) -> Result<(), Error> {
        if self.edits.is_empty() {
            return Ok(());
        }
        self.edits.restore()?;
        reload(self.edits.server()).await
    }
}
