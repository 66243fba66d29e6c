//! One certificate lineage on disk: `<cert-home>/<main>[_ecc]/` with its key, CSR,
//! certificate files and `<main>.conf` (acme.sh's `_initpath`).

use anyhow::{Context as _, bail};

use crate::acme::types::Identifier;
use crate::cert::IssuedChain;
use crate::cli::printer::Printer;
use crate::cli::settings::{Hooks, Install, IssueSettings};
use crate::deploy::Targets;
use crate::keys::PrivateKey;
use crate::renew;
use crate::store::atomic::{create_private_dir_all, write_atomic};
use crate::store::file;
use crate::store::journal::Transaction;
use crate::store::trust::Policy;
use crate::store::{self, Conf, Lineage};

/// Load the conf of a lineage that acmers will act on, `Ok(None)` when there is none. As
/// root, the lineage folder, every folder above it and the conf as it was read must be
/// closed to other users: the conf names commands root runs and files root writes
/// (docs/security.md). Checked before anything is ordered or written.
pub fn load_trusted(lineage: &Lineage) -> Result<Option<Conf>, store::Error> {
    Conf::load_trusted(&lineage.conf(), Policy::current())
}

/// Seconds after `Le_CertCreateTime` within which the issuance itself writes the certificate
/// and key files (the time is taken before the journal writes them).
const WRITE_SLACK: i64 = 10;

/// Why the files of an issued lineage cannot be served, if so; such a lineage is due now,
/// whatever its saved renewal time (docs/renewal.md). A missing certificate or key is found
/// with one `stat` each; the certificate is read and checked against the key (it must parse,
/// carry the key's public key and not be expired) only when either file changed after
/// `Le_CertCreateTime`, so a pass over untouched lineages stays cheap.
pub fn damage(lineage: &Lineage, conf: &Conf, now: i64) -> Option<String> {
    let (cer, key) = (lineage.cer(), lineage.key());
    let mtime = |path: &std::path::Path, what: &str| match std::fs::metadata(path) {
        Ok(meta) => Ok(std::os::unix::fs::MetadataExt::mtime(&meta)),
        Err(e) => Err(format!(
            "the {what} `{}` cannot be read ({e})",
            path.display()
        )),
    };
    let times = mtime(&cer, "certificate").and_then(|c| Ok((c, mtime(&key, "domain key")?)));
    let (cer_time, key_time) = match times {
        Ok(times) => times,
        Err(why) => return Some(why),
    };
    let created = conf
        .get("Le_CertCreateTime")
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(0);
    if cer_time.max(key_time) <= created.saturating_add(WRITE_SLACK) {
        return None;
    }
    let checked = (|| {
        let key = read_key(&key)?.ok_or_else(|| anyhow::anyhow!("the domain key is missing"))?;
        let pem = file::read(&cer, file::MAX_FILE)?
            .map(|f| f.bytes)
            .unwrap_or_default();
        crate::cert::check_installed(&pem, &key, now)?;
        anyhow::Ok(())
    })();
    checked
        .err()
        .map(|e| format!("the certificate `{}` is not usable: {e:#}", cer.display()))
}

/// A pending order saved by an earlier run: `Le_LinkOrder` without a `Le_LinkCert`
/// (acmers empties `Le_LinkCert` when it creates an order and fills it on success).
pub fn pending_order(conf: &Conf, server: &str) -> Option<String> {
    let order = conf.get("Le_LinkOrder").filter(|u| !u.is_empty())?;
    let has_cert = conf.get("Le_LinkCert").is_some_and(|u| !u.is_empty());
    let same_ca = conf.get("Le_API").as_deref() == Some(server);
    (!has_cert && same_ca).then_some(order)
}

/// The identifiers a conf was issued for: `Le_Domain` plus `Le_Alt` (`None` when absent or
/// not valid names).
pub fn saved_identifiers(conf: &Conf) -> Option<Vec<Identifier>> {
    let main = conf.get("Le_Domain")?;
    let alt = conf.get("Le_Alt").filter(|a| a != "no").unwrap_or_default();
    crate::names::parse_domains(&[main, alt]).ok()
}

/// Record the issue parameters in the conf, as acme.sh does before contacting the CA.
pub fn record_settings(conf: &mut Conf, settings: &IssueSettings) {
    let alt: Vec<&str> = settings.identifiers[1..]
        .iter()
        .map(Identifier::value)
        .collect();
    conf.set("Le_Domain", settings.main_domain());
    conf.set(
        "Le_Alt",
        &if alt.is_empty() {
            "no".into()
        } else {
            alt.join(",")
        },
    );
    conf.set("Le_Webroot", &settings.webroot_conf);
    // Hooks and install targets given on the command line replace the saved set; when none
    // is given the saved ones stay (acme.sh would clear the hooks; docs/differences.md).
    let hooks = &settings.hooks;
    for (key, value) in [
        ("Le_PreHook", &hooks.pre),
        ("Le_PostHook", &hooks.post),
        ("Le_RenewHook", &hooks.renew),
    ] {
        if *hooks != Hooks::default() || conf.get(key).is_none() {
            conf.set_base64(key, value.as_deref().unwrap_or_default());
        }
    }
    conf.set("Le_API", &settings.server);
    match settings.http_port {
        Some(port) => conf.set("Le_HTTPPort", &port.to_string()),
        None => conf.remove("Le_HTTPPort"),
    }
    match settings.local_address {
        Some(ip) => conf.set("Le_LocalAddress", &ip.to_string()),
        None => conf.remove("Le_LocalAddress"),
    }
    conf.set("Le_Keylength", &settings.key_type.as_acmesh());
    match settings.days {
        Some(days) => conf.set("Le_RenewalDays", &days.to_string()),
        None => conf.remove("Le_RenewalDays"),
    }
    // acme.sh's install keys come last (its `--install-cert` runs after the issue).
    if !settings.install.is_empty() {
        record_install(conf, &settings.install);
    }
}

/// Save install targets and the reload command as acme.sh's `--install-cert` does: every
/// key is written, empty when not given.
pub fn record_install(conf: &mut Conf, install: &Install) {
    let path = |p: &Option<std::path::PathBuf>| {
        p.as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    };
    conf.set("Le_RealCertPath", &path(&install.files.cert));
    conf.set("Le_RealCACertPath", &path(&install.files.ca));
    conf.set("Le_RealKeyPath", &path(&install.files.key));
    conf.set_base64(
        "Le_ReloadCmd",
        install.reload.as_deref().unwrap_or_default(),
    );
    conf.set("Le_RealFullChainPath", &path(&install.files.fullchain));
}

/// Record what a renewal changes: `--server` moves the lineage to another CA for good;
/// `--days` replaces the saved renewal days.
pub fn record_renewal(conf: &mut Conf, settings: &IssueSettings) {
    if conf.get("Le_API").as_deref() != Some(settings.server.as_str()) {
        conf.set("Le_API", &settings.server);
    }
    if let Some(days) = settings.days
        && conf.get("Le_RenewalDays") != Some(days.to_string())
    {
        conf.set("Le_RenewalDays", &days.to_string());
    }
}

/// The hooks saved in a conf.
pub fn saved_hooks(conf: &Conf) -> Hooks {
    let get = |key: &str| conf.get(key).filter(|v| !v.is_empty());
    Hooks {
        pre: get("Le_PreHook"),
        post: get("Le_PostHook"),
        renew: get("Le_RenewHook"),
    }
}

/// The install targets and reload command saved in a conf (old confs wrote `no` for none).
pub fn saved_install(conf: &Conf) -> Install {
    let path = |key: &str| {
        conf.get(key)
            .filter(|v| !v.is_empty() && v != "no")
            .map(std::path::PathBuf::from)
    };
    Install {
        files: Targets {
            cert: path("Le_RealCertPath"),
            ca: path("Le_RealCACertPath"),
            key: path("Le_RealKeyPath"),
            fullchain: path("Le_RealFullChainPath"),
        },
        reload: conf.get("Le_ReloadCmd").filter(|v| !v.is_empty()),
    }
}

/// Where the domain key of an attempt comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The existing `<d>.key`.
    Reused,
    /// A first key, written as `<d>.key` (no certificate pairs with an older one).
    Created,
    /// A new key of another type (`--force`) kept beside the old one until its certificate is
    /// written; `fresh` when made by this run (then no saved order can have used it).
    Next {
        /// Made by this run.
        fresh: bool,
    },
}

impl KeyOrigin {
    /// Whether a saved order may have been finalized with this key.
    pub fn resumable(self) -> bool {
        matches!(self, Self::Reused | Self::Next { fresh: false })
    }
}

/// `.<d>.key.acmers-next`: a new domain key waiting for its certificate (mode 0600).
pub fn next_key(lineage: &Lineage) -> std::path::PathBuf {
    lineage
        .dir
        .join(format!(".{}.key.acmers-next", lineage.domain))
}

fn read_key(path: &std::path::Path) -> anyhow::Result<Option<PrivateKey>> {
    let Some(loaded) = file::read(path, file::MAX_FILE)? else {
        return Ok(None);
    };
    let pem = String::from_utf8_lossy(&loaded.bytes);
    PrivateKey::from_pem(&pem)
        .map(Some)
        .with_context(|| format!("cannot use the domain key `{}`", path.display()))
}

/// The domain key for this attempt: `<d>.key` when it has the requested type (acme.sh reuses
/// it); a first key when there is none; with `--force` and another type, a new key kept as
/// [`next_key`] until [`write_issued`] switches it in with its certificate, so a crash never
/// pairs the old certificate with the new key. Without `--force` a key of another type is an
/// error, as in acme.sh.
pub fn domain_key(
    lineage: &Lineage,
    settings: &IssueSettings,
    printer: &Printer,
) -> anyhow::Result<(PrivateKey, KeyOrigin)> {
    let path = lineage.key();
    let next_path = next_key(lineage);
    let Some(current) = read_key(&path)? else {
        printer.info("Creating domain key");
        let key = PrivateKey::generate(settings.key_type)?;
        create_private_dir_all(&lineage.dir)?;
        write_atomic(&path, key.to_pem().as_bytes(), 0o600)?;
        remove_if_present(&next_path)?;
        printer.info(format_args!("The domain key is here: {}", path.display()));
        return Ok((key, KeyOrigin::Created));
    };
    if current.key_type() == settings.key_type {
        // A next key of another run is not wanted any more (or was already switched in).
        remove_if_present(&next_path)?;
        return Ok((current, KeyOrigin::Reused));
    }
    // A next key of the requested type: an earlier `--force` run made it and was interrupted
    // before its certificate was written; finish that work.
    if let Some(next) = read_key(&next_path)?.filter(|k| k.key_type() == settings.key_type) {
        return Ok((next, KeyOrigin::Next { fresh: false }));
    }
    if !settings.force {
        bail!(
            "Domain key exists, do you want to overwrite it? `{}` is {}, but {} was asked \
             for; add `--force` to replace it",
            path.display(),
            current.key_type().as_acmesh(),
            settings.key_type.as_acmesh()
        );
    }
    printer.info("Creating domain key");
    let key = PrivateKey::generate(settings.key_type)?;
    write_atomic(&next_path, key.to_pem().as_bytes(), 0o600)?;
    printer.info(format_args!(
        "The new domain key replaces {} once its certificate is issued",
        path.display()
    ));
    Ok((key, KeyOrigin::Next { fresh: true }))
}

fn remove_if_present(path: &std::path::Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("cannot remove `{}`", path.display())),
    }
}

/// What a verified issuance writes into the lineage.
pub struct Issued<'a> {
    /// The verified chain.
    pub chain: &'a IssuedChain,
    /// The key it certifies, and where that key came from.
    pub key: (&'a PrivateKey, KeyOrigin),
    /// The CSR (PEM).
    pub csr_pem: &'a str,
    /// `Le_LinkCert`.
    pub cert_url: &'a str,
    /// `Le_RenewalDays`, when set.
    pub days: Option<i64>,
    /// Issue time (unix seconds).
    pub now: i64,
}

/// Conf key marking files that still have to be installed (set with the new certificate,
/// cleared after the install targets and the reload command succeeded).
pub const INSTALL_PENDING: &str = "Acmers_InstallPending";
/// Conf key with the last failure's message (base64-wrapped), cleared on success.
pub const LAST_ERROR: &str = "Acmers_LastError";
/// Conf key with the last failure's time (unix seconds).
pub const LAST_ERROR_TIME: &str = "Acmers_LastErrorTime";

/// Switch a verified issuance in as one unit (store::journal): the new key (when it
/// changes), `<d>.csr`, `<d>.cer`, `ca.cer`, `fullchain.cer`, then the conf with the new
/// times.
pub fn write_issued(
    lineage: &Lineage,
    conf: &mut Conf,
    issued: &Issued<'_>,
    install_pending: bool,
) -> anyhow::Result<()> {
    let Issued {
        chain,
        key: (key, origin),
        csr_pem,
        cert_url,
        days,
        now,
    } = *issued;
    let next = renew::next_renew_time(now, chain.not_before, chain.not_after, days);
    conf.set("Le_LinkCert", cert_url);
    conf.set("Le_CertCreateTime", &now.to_string());
    conf.set("Le_CertCreateTimeStr", &renew::time_str(now));
    conf.set("Le_NextRenewTimeStr", &renew::time_str(next));
    conf.set("Le_NextRenewTime", &next.to_string());
    conf.remove(LAST_ERROR);
    conf.remove(LAST_ERROR_TIME);
    if install_pending {
        conf.set(INSTALL_PENDING, "1");
    }
    let mut tx = Transaction::new(&lineage.dir);
    if matches!(origin, KeyOrigin::Next { .. }) {
        tx.stage(&lineage.key(), key.to_pem().as_bytes(), 0o600)?;
    }
    tx.stage(&lineage.csr(), csr_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.cer(), chain.leaf_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.ca_cer(), chain.issuers_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.fullchain(), chain.fullchain_pem.as_bytes(), 0o644)?;
    tx.stage(&lineage.conf(), &conf.render_bytes(), 0o600)?;
    tx.commit()?;
    remove_if_present(&next_key(lineage))
}

/// Print acme.sh's closing lines: where each file is.
pub fn print_paths(printer: &Printer, lineage: &Lineage) {
    printer.info(format_args!("Your cert is in: {}", lineage.cer().display()));
    printer.info(format_args!(
        "Your cert key is in: {}",
        lineage.key().display()
    ));
    printer.info(format_args!(
        "The intermediate CA cert is in: {}",
        lineage.ca_cer().display()
    ));
    printer.info(format_args!(
        "And the full-chain cert is in: {}",
        lineage.fullchain().display()
    ));
}
