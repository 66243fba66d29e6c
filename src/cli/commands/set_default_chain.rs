//! `--set-default-chain --preferred-chain NAME [--server CA]`: save `DEFAULT_PREFERRED_CHAIN`
//! in the CA's `ca.conf` (acme.sh's `setdefaultchain`); every lineage at that CA without a
//! preferred chain of its own uses it (docs/order-options.md).

use anyhow::anyhow;

use crate::cli::commands::Outcome;
use crate::cli::error::Failure;
use crate::cli::settings::Globals;
use crate::store::atomic::create_private_dir_all;
use crate::store::record::CaRecord;

/// Run `--set-default-chain` for the CA at `server`.
pub(crate) fn run(
    server: &str,
    chain: Option<&str>,
    globals: &Globals,
) -> Result<Outcome, Failure> {
    let Some(chain) = chain.filter(|c| !c.is_empty()) else {
        return Err(Failure::from(anyhow!(
            "Please provide a value for '--preferred-chain'."
        )));
    };
    let ca_dir = globals.home.ca_dir(server)?;
    create_private_dir_all(&ca_dir.dir)?;
    CaRecord::update(&ca_dir.ca_conf(), |record| {
        record.set_default_preferred_chain(chain);
    })?;
    Ok(Outcome::Done)
}
