//! `--set-default-ca --server X [--fallback-server Y]…`: save the resolved directory URL as
//! `DEFAULT_ACME_SERVER` in `account.conf`, and the fallback CAs as `FALLBACK_ACME_SERVERS`
//! (removed when none is given; docs/failover.md).

use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;
use crate::store::atomic::create_private_dir_all;
use crate::store::record::AccountConf;

/// Run `--set-default-ca`.
pub(crate) fn run(
    server: &str,
    fallbacks: &[String],
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    create_private_dir_all(&globals.home.config_home)?;
    globals.account_conf.set_default_server(server);
    globals.account_conf.set_fallback_servers(fallbacks);
    AccountConf::update(&globals.home.account_conf(), |conf| {
        conf.set_default_server(server);
        conf.set_fallback_servers(fallbacks);
    })?;
    printer.info(format_args!("Changed default CA to: {server}"));
    if !fallbacks.is_empty() {
        printer.info(format_args!(
            "Fallback CAs, in order: {}",
            fallbacks.join(", ")
        ));
    }
    Ok(Outcome::Done)
}
