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
    copy_plugin_folders(home, printer)?;
    let account_conf = home.account_conf();
    if !account_conf.exists() {
        write_atomic(&account_conf, account_conf_template(home).as_bytes(), 0o600)?;
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

/// `acme.sh.env` and the profile line, the csh alias file and its `source` lines (acme.sh's
/// `_installalias`), and the bash completions `acme.sh.env` loads.
fn install_alias(home: &Home, printer: &Printer) -> anyhow::Result<()> {
    write_atomic(
        &profile::completion_file(home),
        profile::completion_text().as_bytes(),
        0o644,
    )?;
    profile::write_alias_file(&profile::env_file(home), |t| profile::env_text(t, home))?;
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
    let csh_file = profile::csh_file(home);
    for file in profile::csh_profiles(&env) {
        printer.info(format_args!("Installing alias to '{}'", file.display()));
        profile::write_alias_file(&csh_file, |t| profile::csh_text(t, home))?;
        profile::add_line(&file, &format!("source \"{}\"", csh_file.display()))?;
    }
    Ok(())
}

/// acme.sh's `_initconf`: a new `account.conf` starts with its commented settings.
fn account_conf_template(home: &Home) -> String {
    format!(
        "\n\n#LOG_FILE=\"{}\"\n#LOG_LEVEL=1\n\n#AUTO_UPGRADE=\"1\"\n\n#NO_TIMESTAMP=1\n\n",
        home.config_home.join("acme.sh.log").display()
    )
}

/// acme.sh's `install` copies the plugin folders (`dnsapi`, `deploy`, `notify`) of the
/// checkout it runs from: the ones in the current directory are copied into the home, so
/// `acmers --install` run from an acme.sh checkout keeps its plugins next to the copy.
fn copy_plugin_folders(home: &Home, printer: &Printer) -> anyhow::Result<()> {
    for folder in ["dnsapi", "deploy", "notify"] {
        let Ok(entries) = std::fs::read_dir(folder) else {
            continue;
        };
        let target = home.working_dir.join(folder);
        create_private_dir_all(&target)?;
        let mut copied = 0;
        for entry in entries {
            let entry = entry.with_context(|| format!("cannot read `{folder}`"))?;
            if !entry.file_type().is_ok_and(|t| t.is_file()) {
                continue;
            }
            let bytes = std::fs::read(entry.path())
                .with_context(|| format!("cannot read `{}`", entry.path().display()))?;
            write_atomic(&target.join(entry.file_name()), &bytes, 0o755)?;
            copied += 1;
        }
        printer.info(format_args!(
            "Copied {copied} file(s) of `{folder}` to {}",
            target.display()
        ));
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
    let csh_file = profile::csh_file(home);
    let env = |key: &str| std::env::var(key).ok();
    let profiles = profile::detect(&env).map(|p| (p, &env_file));
    let csh_profiles = profile::csh_profiles(&env)
        .into_iter()
        .map(|p| (p, &csh_file));
    for (file, alias_file) in profiles.into_iter().chain(csh_profiles) {
        if profile::remove_line(&file, alias_file)? {
            printer.info(format_args!("Uninstalled alias from: '{}'", file.display()));
        }
    }
    for file in [
        env_file.clone(),
        csh_file.clone(),
        profile::completion_file(home),
        home.working_dir.join(ENTRY),
    ] {
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
        .or_else(|| globals.account_conf.auto_upgrade())
        .is_some_and(|v| v == "1")
}
