//! `--issue`: the command line and `account.conf` resolved into one request.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{
    Globals, SettingsError, ca_bundle, email, fallback_cas, parse_key_type, resolve_server,
};
use crate::acme::http::IpFamily;
use crate::cli::args::{Args, ModeArg, Parsed};
use crate::keys::KeyType;
use crate::lineage::{Ca, DnsOptions, Given, Kind, Limits, Listen, Request};
use crate::names;
use crate::store::record::{Hooks, Install, InstallFiles, Mode, OrderOptions};

/// Everything `--issue` needs.
#[derive(Clone, Debug)]
pub(crate) struct IssueSettings {
    /// The certificate asked for.
    pub request: Request,
    /// The CA and account.
    pub ca: Ca,
    /// Time limits.
    pub limits: Limits,
    /// Extra trusted roots for the CA's HTTPS.
    pub ca_bundle: Option<PathBuf>,
}

/// The limits every issuing command takes from the command line.
pub(super) fn limits(args: &Args) -> Limits {
    Limits {
        validation: Duration::from_secs(args.validation_timeout),
        order: Duration::from_secs(args.order_timeout),
        hook: Duration::from_secs(args.hook_timeout),
        lock: Duration::from_secs(args.lock_timeout),
    }
}

/// The option that selects a mode, as typed (for messages).
fn option(mode: &Mode) -> String {
    match mode {
        Mode::Webroot(path) => format!("--webroot {}", path.display()),
        Mode::Standalone => "--standalone".into(),
        Mode::Alpn => "--alpn".into(),
        Mode::DnsManual => "--dns".into(),
        Mode::Dns(entry) => format!("--dns {entry}"),
        Mode::Stateless => "--stateless".into(),
        Mode::Nginx(None) => "--nginx".into(),
        Mode::Nginx(Some(conf)) => format!("--nginx {}", conf.display()),
        Mode::Apache => "--apache".into(),
        Mode::Other(entry) => entry.clone(),
    }
}

/// acme.sh: the i-th mode applies to the i-th domain, the last one to the rest. `typed` must
/// not be empty.
pub(super) fn modes_per_domain(typed: &[Mode], domains: usize) -> Vec<Mode> {
    (0..domains)
        .map(|i| typed[i.min(typed.len() - 1)].clone())
        .collect()
}

impl IssueSettings {
    /// Resolve `--issue` from the command line (modes and aliases in the order typed) and
    /// `account.conf`.
    ///
    /// # Errors
    ///
    /// A name, mode, key length, CA or address that cannot work, before any request is made.
    pub(crate) fn resolve(parsed: &Parsed, globals: &Globals) -> Result<Self, SettingsError> {
        let args = &parsed.args;
        let key_type = parse_key_type(args.key_length.as_deref(), KeyType::Ec256)?;
        Self::resolve_for(parsed, globals, &args.domains, key_type)
    }

    /// [`Self::resolve`] for the names `domains` (as `-d` gives them) and a key type.
    pub(super) fn resolve_for(
        parsed: &Parsed,
        globals: &Globals,
        domains: &[String],
        key_type: KeyType,
    ) -> Result<Self, SettingsError> {
        let (args, modes) = (&parsed.args, &parsed.modes);
        let identifiers = names::parse_domains(domains)?;
        let account_key_type = parse_key_type(args.account_key_length.as_deref(), KeyType::Ec256)?;
        let main = names::main_name(domains, &identifiers[0]);
        if modes.is_empty() {
            return Err(SettingsError::NoMode(main));
        }
        let typed: Vec<Mode> = modes.iter().map(mode).collect::<Result<_, _>>()?;
        if typed.len() > identifiers.len() {
            return Err(SettingsError::UnusedModes {
                modes: typed.len(),
                domains: identifiers.len(),
                unused: typed[identifiers.len()..]
                    .iter()
                    .map(|m| format!("`{}`", option(m)))
                    .collect::<Vec<_>>()
                    .join(", "),
            });
        }
        let per_domain = modes_per_domain(&typed, identifiers.len());
        if let Some((wild, _)) = identifiers
            .iter()
            .zip(&per_domain)
            .find(|(id, mode)| names::is_wildcard(id) && !mode.is_dns())
        {
            return Err(SettingsError::WildcardHttp(wild.value().to_owned()));
        }
        // acme.sh joins the values with commas: each value may be a list itself.
        let addresses = args
            .local_address
            .iter()
            .flat_map(|a| a.split(','))
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse::<IpAddr>()
                    .map_err(|_| SettingsError::LocalAddress(a.to_owned()))
            })
            .collect::<Result<_, _>>()?;
        let server = resolve_server(
            args.server.as_deref(),
            args.staging,
            &globals.account_conf,
            key_type,
        )?;
        let mut ca = Ca {
            zerossl_eab: super::zerossl_eab(&server),
            server,
            account_key_type,
            email: email(args, globals),
            eab: super::eab(args)?,
            fallbacks: Vec::new(),
        };
        let saved = globals.account_conf.fallback_servers();
        ca.fallbacks = fallback_cas(
            &ca,
            &[&args.fallback_server, &saved],
            &globals.account_conf,
            key_type,
        )?;
        // Only the CAs given on the command line are saved in the lineage (docs/failover.md).
        let fallbacks = match args.fallback_server.is_empty() {
            true => Vec::new(),
            false => ca.fallbacks.iter().map(|f| f.server.clone()).collect(),
        };
        Ok(Self {
            request: Request {
                main,
                names: identifiers.into_iter().zip(per_domain).collect(),
                key_type,
                force: args.force,
                days: args.days,
                listen: Listen {
                    port: args.http_port,
                    tls_port: args.tls_port,
                    addresses,
                    family: listen_family(args),
                },
                kind: Kind::Issue(Box::new(Given {
                    hooks: hooks(args),
                    install: install(args),
                    csr: None,
                    fallbacks,
                })),
                dns: DnsOptions {
                    sleep: args.dns_sleep,
                    resolver: args.dns_resolver,
                    aliases: parsed.aliases.clone(),
                    ..dns_options(args)
                },
                order: order_options(args)?,
            },
            ca,
            limits: limits(args),
            ca_bundle: ca_bundle(args, globals),
        })
    }
}

/// `--listen-v4` / `--listen-v6` (the last one given wins).
fn listen_family(args: &Args) -> Option<IpFamily> {
    if args.listen_v4 {
        Some(IpFamily::V4)
    } else if args.listen_v6 {
        Some(IpFamily::V6)
    } else {
        None
    }
}

/// The order options of `--issue` and `--sign-csr` (docs/order-options.md), checked before
/// any request.
fn order_options(args: &Args) -> Result<OrderOptions, SettingsError> {
    let given = |value: &Option<String>| value.clone().filter(|v| !v.is_empty());
    let order = OrderOptions {
        preferred_chain: given(&args.preferred_chain),
        profile: given(&args.cert_profile),
        valid_from: given(&args.valid_from),
        valid_to: given(&args.valid_to),
        ocsp_must_staple: args.ocsp_must_staple,
        extended_key_usage: given(&args.extended_key_usage),
        force_new_domain_key: args.always_force_new_domain_key.as_deref() == Some("1"),
    };
    if let Some(list) = &order.extended_key_usage {
        crate::csr::key_usages(list)?;
    }
    crate::lineage::window(
        order.valid_from.as_deref(),
        order.valid_to.as_deref(),
        jiff::Timestamp::now().as_second(),
    )?;
    Ok(order)
}

/// The dns-01 settings every issuing command takes from the command line.
pub(super) fn dns_options(args: &Args) -> DnsOptions {
    DnsOptions {
        timeout: Duration::from_secs(args.dns_timeout),
        manual: args.dns_manual,
        ..DnsOptions::default()
    }
}

/// The mode one `-w`, `--standalone` or `--dns` option selects.
fn mode(arg: &ModeArg) -> Result<Mode, SettingsError> {
    Ok(match arg {
        ModeArg::Webroot(dir) => Mode::Webroot(dir.clone()),
        ModeArg::Standalone => Mode::Standalone,
        ModeArg::Alpn => Mode::Alpn,
        ModeArg::Dns(entry) if entry == "dns" => Mode::DnsManual,
        // Saved in `Le_Webroot` as given: it must read back as dns-01.
        ModeArg::Dns(entry) => match Mode::from_entry(entry) {
            dns @ Mode::Dns(_) => dns,
            _ => return Err(SettingsError::DnsProvider(entry.clone())),
        },
        ModeArg::Stateless => Mode::Stateless,
        ModeArg::Nginx(conf) if conf.is_empty() => Mode::Nginx(None),
        ModeArg::Nginx(conf) => Mode::Nginx(Some(PathBuf::from(conf))),
        ModeArg::Apache => Mode::Apache,
    })
}

/// The hooks given on the command line.
fn hooks(args: &Args) -> Hooks {
    Hooks {
        pre: args.pre_hook.clone(),
        post: args.post_hook.clone(),
        renew: args.renew_hook.clone(),
    }
}

/// The install targets and reload command given on the command line.
pub(super) fn install(args: &Args) -> Install {
    Install {
        files: InstallFiles {
            cert: args.cert_file.clone(),
            ca: args.ca_file.clone(),
            key: args.key_file.clone(),
            fullchain: args.fullchain_file.clone(),
        },
        reload: args.reloadcmd.clone(),
    }
}
