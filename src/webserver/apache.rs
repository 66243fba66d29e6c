//! acme.sh's `--apache` (its `_apachePath`, `_setApache`, `_restoreApache`): Apache's main
//! config gets an `Alias /.well-known/acme-challenge` to a folder under `ACME_DIR` (acme.sh's
//! variable, default `/home/.acme`) and a `<Directory>` that grants access to it; then
//! `apachectl -t` and `apachectl graceful`. The tokens are written there as a webroot
//! ([`Webroot`] on `ACME_DIR`: `ACME_DIR/.well-known/acme-challenge/<token>`). Cleanup removes
//! the tokens, restores the config byte for byte and reloads again.
//!
//! `apachectl` (else `apache2ctl`) is asked where the main config is: `APACHE_HTTPD_CONF`
//! when set (acme.sh's variable), else `SERVER_CONFIG_FILE` of `-V`, relative to
//! `APACHE_CONFDIR` when set (Debian's `apache2ctl` runs Apache with `-d $APACHE_CONFDIR`),
//! else to `HTTPD_ROOT`.

use std::path::{Path, PathBuf};

use tokio::sync::Mutex;

use super::command::{find, run};
use super::{Active, Edits, Error, Place, Server, lock, workers};
use crate::acme::types::ChallengeType;
use crate::challenge::{self, BoxFuture, Challenge, Solver, Webroot};

/// acme.sh's default `ACME_DIR`.
const DEFAULT_ACME_DIR: &str = "/home/.acme";

/// An http-01 solver through Apache's main config. See the [module docs](self).
#[derive(Debug)]
pub struct Apache {
    place: Place,
    acme_dir: PathBuf,
    tokens: Webroot,
    active: Mutex<Option<Active>>,
}

impl Apache {
    /// A solver whose changes are kept in `place`; the tokens go under `ACME_DIR`.
    pub fn new(place: Place) -> Self {
        let acme_dir = std::env::var_os("ACME_DIR")
            .filter(|d| !d.is_empty())
            .map_or_else(|| PathBuf::from(DEFAULT_ACME_DIR), PathBuf::from);
        let acme_dir = std::path::absolute(&acme_dir).unwrap_or(acme_dir);
        Self {
            place,
            tokens: Webroot::new(acme_dir.clone()),
            acme_dir,
            active: Mutex::new(None),
        }
    }

    async fn set_up(&self) -> Result<(), Error> {
        let mut active = self.active.lock().await;
        if active.is_some() {
            return Ok(());
        }
        let ctl = ctl()?;
        let info = run(&ctl, &["-V"]).await?;
        let conf = main_config(&info)?;
        let folder = self.acme_dir.join(".well-known/acme-challenge");
        let folder = folder
            .to_str()
            .filter(|f| !f.contains(['"', '\n', '\r', '\\']))
            .ok_or_else(|| Error::BadPath(folder.clone()))?
            .to_owned();
        let lock = lock(&self.place.cert_home, self.place.lock_timeout).await?;
        let state = active.insert(Active {
            edits: Edits::new(&self.place.lineage, Server::Apache),
            _lock: lock,
        });
        run(&ctl, &["-t"])
            .await
            .map_err(|e| Error::BrokenBefore("Apache", e.to_string()))?;
        let access = if version_at_least_24(&info) {
            "Require all granted"
        } else {
            "Order allow,deny\nAllow from all"
        };
        let block = format!(
            "\nAlias /.well-known/acme-challenge \"{folder}\"\n\n\
             <Directory \"{folder}\">\n{access}\n</Directory>\n"
        );
        state.edits.change(&conf, |text| {
            let mut new = text.to_vec();
            new.extend_from_slice(block.as_bytes());
            Some(new)
        })?;
        run(&ctl, &["-t"]).await?;
        create_dir(&self.acme_dir)?;
        reload().await
    }
}

impl Solver for Apache {
    fn kind(&self) -> ChallengeType {
        ChallengeType::Http01
    }

    fn present<'a>(
        &'a self,
        batch: &'a [Challenge],
    ) -> BoxFuture<'a, Result<(), challenge::Error>> {
        Box::pin(async move {
            self.set_up().await?;
            self.tokens.present(batch).await
        })
    }

    /// Removes the batch's tokens, then restores the config and reloads Apache.
    fn cleanup<'a>(
        &'a self,
        batch: &'a [Challenge],
    ) -> BoxFuture<'a, Result<(), challenge::Error>> {
        Box::pin(async move {
            let tokens = self.tokens.cleanup(batch).await;
            if let Some(active) = self.active.lock().await.take() {
                active.restore().await?;
            }
            tokens
        })
    }
}

fn ctl() -> Result<PathBuf, Error> {
    find(&["apachectl", "apache2ctl"]).ok_or(Error::NotFound("apachectl or apache2ctl"))
}

/// `apachectl graceful`, returning once the new config serves every request.
///
/// # Errors
///
/// [`Error::NotFound`] or [`Error::Command`].
pub async fn reload() -> Result<(), Error> {
    let ctl = ctl()?;
    let before = workers::before(pid_file(&ctl).await.as_deref());
    run(&ctl, &["graceful"]).await?;
    before.reloaded().await;
    Ok(())
}

/// The value of `-D NAME="value"` in `apachectl -V`'s output.
fn define<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines().find_map(|line| {
        let value = line.trim().strip_prefix("-D ")?.strip_prefix(name)?;
        Some(value.strip_prefix('=')?.trim_matches('"'))
    })
}

/// Whether `-V` reports Apache 2.4 or later (`Server version: Apache/2.4.62 (Debian)`).
fn version_at_least_24(info: &str) -> bool {
    let version = info
        .lines()
        .find_map(|l| l.trim().strip_prefix("Server version:"))
        .and_then(|v| v.split('/').nth(1))
        .and_then(|v| v.split_whitespace().next())
        .unwrap_or("");
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0)) >= (2, 4)
}

/// The main config file (see the [module docs](self)).
fn main_config(info: &str) -> Result<PathBuf, Error> {
    if let Some(conf) = std::env::var_os("APACHE_HTTPD_CONF").filter(|c| !c.is_empty()) {
        return Ok(PathBuf::from(conf));
    }
    let missing = |why: &str| Error::NoConfig {
        server: "Apache",
        why: why.to_owned(),
    };
    let name =
        define(info, "SERVER_CONFIG_FILE").ok_or_else(|| missing("no SERVER_CONFIG_FILE"))?;
    if name.starts_with('/') {
        return Ok(PathBuf::from(name));
    }
    let root = match std::env::var_os("APACHE_CONFDIR").filter(|c| !c.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(define(info, "HTTPD_ROOT").ok_or_else(|| missing("no HTTPD_ROOT"))?),
    };
    Ok(root.join(name))
}

/// The `PidFile` of `apachectl -t -D DUMP_RUN_CFG`.
async fn pid_file(ctl: &PathBuf) -> Option<PathBuf> {
    let dump = run(ctl, &["-t", "-D", "DUMP_RUN_CFG"]).await.ok()?;
    dump.lines()
        .find_map(|l| l.trim().strip_prefix("PidFile:"))
        .map(|p| PathBuf::from(p.trim().trim_matches('"')))
}

/// Create `ACME_DIR` (0755, so Apache's user can read the tokens) when it is missing.
fn create_dir(dir: &Path) -> Result<(), Error> {
    use std::os::unix::fs::DirBuilderExt as _;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(dir)
        .map_err(|source| {
            crate::store::Error::CreateDir {
                path: dir.to_owned(),
                source,
            }
            .into()
        })
}

#[cfg(test)]
#[path = "apache_tests.rs"]
mod tests;
