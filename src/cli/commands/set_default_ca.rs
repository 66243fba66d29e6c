//! `--set-default-ca --server X`: save the resolved directory URL as `DEFAULT_ACME_SERVER`
//! in `account.conf`.

use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::Globals;
use crate::store::atomic::create_private_dir_all;
use crate::store::record::AccountConf;

/// Run `--set-default-ca`.
pub(crate) fn run(
    server: &str,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    create_private_dir_all(&globals.home.config_home)?;
    globals.account_conf.set_default_server(server);
    AccountConf::update(&globals.home.account_conf(), |conf| {
        conf.set_default_server(server);
    })?;
    printer.info(format_args!("Changed default CA to: {server}"));
    Ok(Outcome::Done)
}
