//! The dns-01 side of an order: the provider behind each `--dns` entry (a native one from
//! [`crate::dns::registry`] with its variables, else an acme.sh dnsapi plugin), and saving
//! the variables that worked as `SAVED_<VAR>` in `account.conf` (acme.sh's
//! `_saveaccountconf_mutable`), so renewals need no environment.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use super::session::Session;
use super::{Error, Request};
use crate::challenge;
use crate::dns::providers::plugin::Plugin;
use crate::dns::{self, Context, Credentials, Provider, Spec};
use crate::plugin::{self, Category, Lookup, Runner};
use crate::store::Lineage;
use crate::store::record::{AccountConf, Mode};
use crate::store::trust::Policy;

/// A provider for one `--dns` entry, and the variables to save once it worked (none for a
/// plugin, which saves its own).
pub(super) struct Built {
    pub provider: Box<dyn Provider>,
    pub save: Credentials,
}

/// The providers of every `--dns` entry of `request`, by entry, built before the CA is asked
/// for anything: a missing variable or plugin fails the run without an order.
pub(super) fn providers(
    session: &Session,
    request: &Request,
    (lineage, time_limit): (&Lineage, Duration),
) -> Result<HashMap<String, Built>, Error> {
    let mut built = HashMap::new();
    for (_, mode) in &request.names {
        if let Mode::Dns(entry) = mode
            && !built.contains_key(entry)
        {
            built.insert(
                entry.clone(),
                provider(session, entry, (lineage, time_limit))?,
            );
        }
    }
    Ok(built)
}

/// The provider for the `Le_Webroot` entry `entry`: the native one of that name, else the
/// plugin found by acme.sh's lookup (a path is always a plugin), run for `lineage` with
/// `time_limit` per call.
fn provider(
    session: &Session,
    entry: &str,
    (lineage, time_limit): (&Lineage, Duration),
) -> Result<Built, Error> {
    if let Some(spec) = dns::registry::find(entry) {
        return native(session, spec);
    }
    let exe = std::env::current_exe().ok();
    let lookup = Lookup {
        bin_dir: exe.as_deref().and_then(std::path::Path::parent),
        home: &session.home.working_dir,
        domain: Some(&lineage.domain),
    };
    let plugin_error = |e: plugin::Error| challenge::Error::from(dns::Error::Plugin(e.to_string()));
    let script = plugin::find(Category::Dnsapi, entry, &lookup).map_err(plugin_error)?;
    let runner = Runner {
        helper: exe.ok_or_else(|| {
            Error::setup(
                "cannot run dnsapi plugins",
                "the path of the acmers executable is unknown",
            )
        })?,
        home: session.home.clone(),
        account_conf: session.home.account_conf(),
        domain_conf: Some(lineage.conf()),
        domain_vars: false,
        time_limit,
        debug: session.debug,
        ca_bundle: session.ca_bundle.clone(),
        env: Vec::new(),
    };
    Ok(Built {
        provider: Box::new(Plugin::new(Arc::new(runner), script)),
        save: Credentials::default(),
    })
}

fn native(session: &Session, spec: &Spec) -> Result<Built, Error> {
    let account = AccountConf::load_trusted(&session.home.account_conf(), Policy::current())?;
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
    Ok(Built { provider, save })
}

/// Save the variables of every provider that worked as `SAVED_<VAR>`, under the conf's lock.
pub(super) fn save_credentials(session: &Session, used: &[Credentials]) -> Result<(), Error> {
    if used.iter().all(|c| c.iter().next().is_none()) {
        return Ok(());
    }
    AccountConf::update(&session.home.account_conf(), |conf| {
        for (name, value) in used.iter().flat_map(Credentials::iter) {
            conf.set_saved(name, value);
        }
    })?;
    Ok(())
}
