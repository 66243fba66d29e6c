//! `--install`, `--uninstall` and `--upgrade` (acme.sh's `install`, `uninstall`, `upgrade`;
//! docs/install.md).
//!
//! `--install` copies this executable to `<home>/acme.sh`, the path acme.sh's cron line, its
//! alias and existing scripts run, and sets up what acme.sh's `install` does around it.

pub(crate) mod profile;

use anyhow::{Context as _, anyhow};

use super::schedule::{CronCommand, ENTRY, cron};
use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, SetupSettings};
use crate::store::Home;
use crate::store::atomic::{create_private_dir_all, write_atomic};
use crate::store::record::AccountConf;

/// What `--upgrade` (and `AUTO_UPGRADE=1` under `--cron`) says: acmers never replaces itself.
pub(crate) const UPGRADE_NOTE: &str = "acmers does not upgrade itself: upgrade it through its \
    package (for example `apt upgrade acmers`) or with `cargo install acmers`, then run \
    `acmers --install` again to refresh the copy in the home";

/// Run `--install`.
pub(crate) fn install(
    settings: &SetupSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let home = &absolute(&globals.home)?;
    let cron_wanted = !settings.nocron;
    if cron_wanted && cron::crontab_program().is_none() && !settings.force {
        // acme.sh's `_precheck`.
        return Err(Failure::from(anyhow!(
            "It is recommended to install crontab first; we need a cron job to renew the certs \
             automatically"
        ))
        .hint("install cron, or add `--nocron` (renew some other way) or `--force`"));
    }
    printer.info(format_args!("Installing to {}", home.working_dir.display()));
    create_private_dir_all(&home.working_dir)?;
    create_private_dir_all(&home.config_home)?;
    let copy = home.working_dir.join(ENTRY);
    let exe = std::env::current_exe().context("cannot find the path of this executable")?;
    let bytes = std::fs::read(&exe).with_context(|| format!("cannot read `{}`", exe.display()))?;
    write_atomic(&copy, &bytes, 0o755)?;
    printer.info(format_args!("Installed to {}", copy.display()));

    if !settings.noprofile {
        install_alias(home, printer)?;
    }

    let text = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let cert_home = (home.cert_home != home.config_home).then(|| text(&home.cert_home));
    let account_key = settings.account_key.as_deref().map(text);
    // Later runs find the account.conf given with `--accountconf` through the default one
    // (acme.sh's `install`).
    if let Some(path) = home
        .account_conf_path
        .as_ref()
        .filter(|p| **p != home.default_account_conf())
    {
        AccountConf::update(&home.default_account_conf(), |conf| {
            conf.set_account_conf_path(path);
        })?;
    }
    AccountConf::update(&home.account_conf(), |conf| {
        conf.set_install(
            settings.email.as_deref(),
            cert_home.as_deref(),
            account_key.as_deref(),
        );
    })?;

    if cron_wanted && cron::crontab_program().is_some() {
        cron::add(&CronCommand::new(copy, home)?, printer)?;
    } else if cron_wanted {
        printer.error("warning: no crontab: your certs will not be renewed automatically");
    }
    printer.info("OK");
    Ok(Outcome::Done)
}

/// `acme.sh.env` and the profile line (acme.sh's `_installalias`).
fn install_alias(home: &Home, printer: &Printer) -> anyhow::Result<()> {
    profile::write_env(home)?;
    let env = |key: &str| std::env::var(key).ok();
    match profile::detect(&env) {
        Some(file) => {
            printer.info(format_args!("Installing alias to '{}'", file.display()));
            profile::add_line(&file, &profile::profile_line(home))?;
            printer.info("Close and reopen your terminal to start using acme.sh");
        }
        None => printer.info(format_args!(
            "No profile has been found, you will need to change your working directory to {} \
             to use acme.sh",
            home.working_dir.display()
        )),
    }
    Ok(())
}

/// Run `--uninstall`: the cron line (unless `--nocron`, as acme.sh's `uninstall`), the
/// profile line, `acme.sh.env` and the copy go; certificates and confs stay.
pub(crate) fn uninstall(
    settings: &SetupSettings,
    globals: &Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let home = &absolute(&globals.home)?;
    if !settings.nocron {
        cron::uninstall(printer)?;
    }
    let env_file = profile::env_file(home);
    let env = |key: &str| std::env::var(key).ok();
    if let Some(file) = profile::detect(&env)
        && profile::remove_line(&file, &env_file)?
    {
        printer.info(format_args!("Uninstalled alias from: '{}'", file.display()));
    }
    for file in [env_file, home.working_dir.join(ENTRY)] {
        match std::fs::remove_file(&file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("cannot remove `{}`", file.display()))?;
            }
            _ => {}
        }
    }
    printer.info(format_args!(
        "The keys and certs are in \"{}\". You can remove them by yourself.",
        home.config_home.display()
    ));
    Ok(Outcome::Done)
}

/// `home` with absolute paths: they are written into the profile, the alias and the cron line.
fn absolute(home: &Home) -> anyhow::Result<Home> {
    let absolute = |p: &std::path::Path| {
        std::path::absolute(p).with_context(|| format!("cannot make `{}` absolute", p.display()))
    };
    let mut absolute_home = Home::new(
        absolute(&home.working_dir)?,
        Some(absolute(&home.config_home)?),
        Some(absolute(&home.cert_home)?),
    );
    absolute_home.account_conf_path = home
        .account_conf_path
        .as_deref()
        .map(absolute)
        .transpose()?;
    absolute_home.account_key_path = home.account_key_path.as_deref().map(absolute).transpose()?;
    Ok(absolute_home)
}

/// Whether acme.sh's upgrade hook would run: `AUTO_UPGRADE=1` in the environment or in
/// `account.conf` (acme.sh's `cron`).
pub(crate) fn auto_upgrade(globals: &Globals, env: &dyn Fn(&str) -> Option<String>) -> bool {
    env("AUTO_UPGRADE")
        .or_else(|| globals.account_conf.saved("AUTO_UPGRADE"))
        .is_some_and(|v| v == "1")
}
