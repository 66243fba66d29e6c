//! The dns-01 side of an order: the provider behind each `--dns` entry (a native one from
//! [`crate::dns::registry`] with its variables, else an acme.sh dnsapi plugin), and saving
//! the variables that worked as `SAVED_<VAR>` in `account.conf` (acme.sh's
//! `_saveaccountconf_mutable`), so renewals need no environment.

use super::Error;
use super::session::Session;
use crate::challenge;
use crate::dns::{self, Context, Credentials, Provider, Spec};
use crate::store::record::AccountConf;
use crate::store::trust::Policy;

/// A provider for one `--dns` entry, and the variables to save once it worked.
pub(super) struct Built {
    pub provider: Box<dyn Provider>,
    pub save: Option<Credentials>,
}

/// The provider for the `Le_Webroot` entry `entry` (`dns_cf`, or a plugin path).
pub(super) fn provider(
    session: &Session,
    account: &AccountConf,
    entry: &str,
) -> Result<Built, Error> {
    if let Some(spec) = dns::registry::find(entry) {
        return native(session, account, spec);
    }
    Err(Error::UnsupportedMode(entry.to_owned()))
}

fn native(session: &Session, account: &AccountConf, spec: &Spec) -> Result<Built, Error> {
    let credentials = Credentials::resolve(
        spec.vars.iter().map(|v| v.name),
        |name| std::env::var(name).ok(),
        |name| account.saved(name),
    );
    let context = Context {
        credentials: &credentials,
        http: session.http()?,
    };
    let provider = (spec.build)(&context).map_err(challenge::Error::from)?;
    let save = Credentials::from_pairs(
        credentials
            .iter()
            .filter(|(name, _)| !spec.not_saved.contains(name)),
    );
    Ok(Built {
        provider,
        save: Some(save),
    })
}

/// The home's `account.conf`, for the providers' saved variables.
pub(super) fn account_conf(session: &Session) -> Result<AccountConf, Error> {
    Ok(AccountConf::load_trusted(
        &session.home.account_conf(),
        Policy::current(),
    )?)
}

/// Save the variables of every provider that worked as `SAVED_<VAR>` (only when something
/// changed).
pub(super) fn save_credentials(session: &Session, used: &[Credentials]) -> Result<(), Error> {
    if used.iter().all(|c| c.iter().next().is_none()) {
        return Ok(());
    }
    let path = session.home.account_conf();
    let mut conf = AccountConf::load_trusted(&path, Policy::current())?;
    let mut changed = false;
    for (name, value) in used.iter().flat_map(Credentials::iter) {
        changed |= conf.set_saved(name, value);
    }
    if changed {
        conf.save(&path)?;
    }
    Ok(())
}
