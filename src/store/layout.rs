//! Paths of the acme.sh home (acme.sh's `_initpath`). Pure functions, no I/O.

use std::path::{Path, PathBuf};

use super::Error;
use super::atomic::write_atomic;

/// The three roots of an acme.sh home: `LE_WORKING_DIR`, `LE_CONFIG_HOME` and `CERT_HOME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    /// `LE_WORKING_DIR` (default `~/.acme.sh`): where acme.sh itself lives.
    pub working_dir: PathBuf,
    /// `LE_CONFIG_HOME`: `account.conf`, `ca/`, logs.
    pub config_home: PathBuf,
    /// `CERT_HOME`: one folder per certificate lineage.
    pub cert_home: PathBuf,
    /// `ACCOUNT_CONF_PATH` (`--accountconf`): the account.conf used instead of
    /// `<config_home>/account.conf`.
    pub account_conf_path: Option<PathBuf>,
    /// `ACCOUNT_KEY_PATH` (`--accountkey`): the account key used instead of each CA folder's
    /// `account.key`.
    pub account_key_path: Option<PathBuf>,
}

impl Home {
    /// A home rooted at `working_dir`; `config_home` defaults to `working_dir` and `cert_home`
    /// to `config_home`, as in acme.sh.
    pub fn new(
        working_dir: PathBuf,
        config_home: Option<PathBuf>,
        cert_home: Option<PathBuf>,
    ) -> Self {
        let config_home = config_home.unwrap_or_else(|| working_dir.clone());
        let cert_home = cert_home.unwrap_or_else(|| config_home.clone());
        Self {
            working_dir,
            config_home,
            cert_home,
            account_conf_path: None,
            account_key_path: None,
        }
    }

    /// `<config_home>/account.conf`, where acme.sh looks first (and where an
    /// `ACCOUNT_CONF_PATH` pointing elsewhere is kept).
    pub fn default_account_conf(&self) -> PathBuf {
        self.config_home.join("account.conf")
    }

    /// The account.conf of the run: [`account_conf_path`](Self::account_conf_path), else
    /// [`default_account_conf`](Self::default_account_conf).
    pub fn account_conf(&self) -> PathBuf {
        self.account_conf_path
            .clone()
            .unwrap_or_else(|| self.default_account_conf())
    }

    /// `<config_home>/ca`, the parent of every CA folder.
    pub fn ca_home(&self) -> PathBuf {
        self.config_home.join("ca")
    }

    /// The folder of one CA directory URL: `<config_home>/ca/<host without port>/<url path>`.
    ///
    /// This reproduces acme.sh's `cut -d : -f 2 | tr -s / | cut -d / -f 2` (host) and
    /// `cut -d : -f 2- | tr -s / | cut -d / -f 3-` (path) so an existing acme.sh account is
    /// found: the port is dropped, repeated slashes are squeezed and the path is kept.
    ///
    /// # Errors
    ///
    /// [`Error::BadCaUrl`] when the URL is not `scheme://host…`, or its host or a path segment
    /// is empty, `.` or `..`, or it contains a backslash or a control character (NUL included).
    pub fn ca_dir(&self, directory_url: &str) -> Result<CaDir, Error> {
        let segments = ca_segments(directory_url).ok_or_else(|| Error::BadCaUrl {
            url: directory_url.to_owned(),
        })?;
        let mut dir = self.ca_home();
        dir.extend(segments);
        Ok(CaDir {
            dir,
            key: self.account_key_path.clone(),
        })
    }

    /// The folder of the lineage whose main domain is `main_domain`: `<cert_home>/<d>` for RSA,
    /// `<cert_home>/<d>_ecc` for EC keys. The domain is used literally (`*.example.com` stays).
    ///
    /// # Errors
    ///
    /// [`Error::BadDomainDir`] when the domain is empty, `.` or `..`, or contains `/` or a
    /// control character (NUL included).
    pub fn lineage(&self, main_domain: &str, ecc: bool) -> Result<Lineage, Error> {
        Lineage::at(&self.cert_home, main_domain, ecc)
    }
}

/// The path segments below `ca/` for a directory URL, or `None` when unsafe or not a URL.
fn ca_segments(url: &str) -> Option<Vec<String>> {
    if url.chars().any(|c| c == '\\' || c.is_control()) {
        return None;
    }
    // `cut -d : -f 2-`: everything after the first colon, e.g. `//host:port/path`.
    let (_scheme, rest) = url.split_once(':')?;
    let authority = rest.strip_prefix("//")?;
    if authority.is_empty() || authority.starts_with('/') {
        return None;
    }
    // `cut -d : -f 2 | tr -s / | cut -d / -f 2`: the text up to the next colon, second field.
    let host_field = rest.split(':').next().unwrap_or_default();
    let host = squeeze_slashes(host_field).split('/').nth(1)?.to_owned();
    // `cut -d : -f 2- | tr -s / | cut -d / -f 3-`: the fields after the host.
    let squeezed = squeeze_slashes(rest);
    let path = squeezed.split('/').skip(2).filter(|s| !s.is_empty());
    let segments: Vec<String> = std::iter::once(host)
        .chain(path.map(str::to_owned))
        .collect();
    let safe = segments
        .iter()
        .all(|s| !s.is_empty() && s != "." && s != "..");
    safe.then_some(segments)
}

/// `tr -s /`: collapse runs of `/` into one.
fn squeeze_slashes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out
}

/// The folder of one CA directory URL (`ca/<host>/<path>/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaDir {
    /// The folder.
    pub dir: PathBuf,
    /// The account key used instead of `account.key` ([`Home::account_key_path`]).
    key: Option<PathBuf>,
}

impl CaDir {
    /// The account private key (mode 0600): `account.key`, unless the home names another
    /// file (acme.sh's `ACCOUNT_KEY_PATH`, `--accountkey`).
    pub fn account_key(&self) -> PathBuf {
        self.key
            .clone()
            .unwrap_or_else(|| self.dir.join("account.key"))
    }

    /// `account.key.next`: the new key of a key rollover, kept until `account.key` holds it.
    pub fn account_key_next(&self) -> PathBuf {
        self.dir.join("account.key.next")
    }

    /// `account.json`: the newAccount response body.
    pub fn account_json(&self) -> PathBuf {
        self.dir.join("account.json")
    }

    /// `ca.conf`: per-CA settings (`ACCOUNT_URL`, `CA_KEY_HASH`, …).
    pub fn ca_conf(&self) -> PathBuf {
        self.dir.join("ca.conf")
    }

    /// Write the account key (mode 0600, atomically).
    ///
    /// # Errors
    ///
    /// As [`write_atomic`].
    pub fn save_account_key(&self, pem: &str) -> Result<(), Error> {
        write_atomic(&self.account_key(), pem.as_bytes(), KEY_MODE)
    }

    /// Write `account.json`, the CA's newAccount answer (mode 0600, atomically).
    ///
    /// # Errors
    ///
    /// As [`write_atomic`].
    pub fn save_account_json(&self, body: &[u8]) -> Result<(), Error> {
        write_atomic(&self.account_json(), body, KEY_MODE)
    }
}

/// The folder of one certificate lineage (`<d>/` or `<d>_ecc/`) and its fixed file names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lineage {
    /// The folder.
    pub dir: PathBuf,
    /// The main domain, used literally in file names.
    pub domain: String,
    /// Whether this is the `_ecc` lineage.
    pub ecc: bool,
}

impl Lineage {
    /// The lineage of `main_domain` under `cert_home`: `<cert_home>/<d>` for RSA,
    /// `<cert_home>/<d>_ecc` for EC keys (what [`Home::lineage`] computes, without a [`Home`]).
    ///
    /// # Errors
    ///
    /// [`Error::BadDomainDir`] when the domain is empty, `.` or `..`, or contains `/` or a
    /// control character (NUL included).
    pub fn at(cert_home: &Path, main_domain: &str, ecc: bool) -> Result<Self, Error> {
        let unsafe_name = main_domain.is_empty()
            || main_domain == "."
            || main_domain == ".."
            || main_domain.chars().any(|c| c == '/' || c.is_control());
        if unsafe_name {
            return Err(Error::BadDomainDir {
                domain: main_domain.to_owned(),
            });
        }
        let folder = if ecc {
            format!("{main_domain}_ecc")
        } else {
            main_domain.to_owned()
        };
        Ok(Self {
            dir: cert_home.join(folder),
            domain: main_domain.to_owned(),
            ecc,
        })
    }

    /// `<dir>/<d><suffix>`.
    fn domain_file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}{suffix}", self.domain))
    }

    /// `<d>.key`: the domain private key (mode 0600).
    pub fn key(&self) -> PathBuf {
        self.domain_file(".key")
    }

    /// `<d>.csr`: the CSR.
    pub fn csr(&self) -> PathBuf {
        self.domain_file(".csr")
    }

    /// `<d>.csr.conf`: the openssl config acme.sh used for the CSR.
    pub fn csr_conf(&self) -> PathBuf {
        self.domain_file(".csr.conf")
    }

    /// `<d>.cer`: the leaf certificate only.
    pub fn cer(&self) -> PathBuf {
        self.domain_file(".cer")
    }

    /// `ca.cer`: the intermediates (everything after the leaf).
    pub fn ca_cer(&self) -> PathBuf {
        self.dir.join("ca.cer")
    }

    /// `fullchain.cer`: leaf and intermediates as downloaded.
    pub fn fullchain(&self) -> PathBuf {
        self.dir.join("fullchain.cer")
    }

    /// `<d>.pfx`: the PKCS#12 export (`--to-pkcs12`).
    pub fn pfx(&self) -> PathBuf {
        self.domain_file(".pfx")
    }

    /// `<d>.pkcs8`: the domain key as unencrypted PKCS#8 (`--to-pkcs8`).
    pub fn pkcs8(&self) -> PathBuf {
        self.domain_file(".pkcs8")
    }

    /// `<d>.conf`: the domain conf.
    pub fn conf(&self) -> PathBuf {
        self.domain_file(".conf")
    }

    /// `<d>.conf.removed`: the domain conf after `--remove`.
    pub fn conf_removed(&self) -> PathBuf {
        self.domain_file(".conf.removed")
    }

    /// `backup/`: acme.sh's copies of previously installed files.
    pub fn backup_dir(&self) -> PathBuf {
        self.dir.join("backup")
    }

    /// `.<d>.key.acmers-next`: a new domain key waiting for its certificate (acmers' own file,
    /// mode 0600; see docs/renewal.md, "Crash safety").
    pub fn next_key(&self) -> PathBuf {
        self.dir.join(format!(".{}.key.acmers-next", self.domain))
    }

    /// Write the domain key (`<d>.key`, mode 0600, atomically).
    ///
    /// # Errors
    ///
    /// As [`write_atomic`].
    pub fn save_key(&self, pem: &str) -> Result<(), Error> {
        write_atomic(&self.key(), pem.as_bytes(), KEY_MODE)
    }

    /// Write a next domain key (see [`Lineage::next_key`]).
    ///
    /// # Errors
    ///
    /// As [`write_atomic`].
    pub fn save_next_key(&self, pem: &str) -> Result<(), Error> {
        write_atomic(&self.next_key(), pem.as_bytes(), KEY_MODE)
    }
}

/// The main domain and key kind a lineage folder's name stands for: `example.com_ecc` is
/// `example.com` with an EC key, any other name the domain itself with an RSA key (acme.sh's
/// `_ecc` suffix).
pub fn split_folder(name: &str) -> (&str, bool) {
    match name.strip_suffix("_ecc") {
        Some(main) => (main, true),
        None => (name, false),
    }
}

/// Private keys are written readable by their owner only.
pub const KEY_MODE: u32 = 0o600;

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
