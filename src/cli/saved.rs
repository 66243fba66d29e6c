//! Settings of a renewal: what `--issue` saved in the domain conf (acme.sh's `renew`).
//! Validation modes, hooks and install targets given on the command line are ignored, as in
//! acme.sh; `--server` switches the lineage's CA for good; `--days` replaces the saved value.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::acme::client::check_directory_url;
use crate::cli::args::Args;
use crate::cli::settings::{
    self, Globals, Hooks, Install, IssueSettings, Mode, SettingsError, parse_key_type,
};
use crate::keys::KeyType;
use crate::names;
use crate::store::Conf;

/// The mode entries of `Le_Webroot` acmers cannot run (acme.sh's `issue`; docs/differences.md, "Not implemented yet").
fn unsupported(entry: &str) -> bool {
    matches!(
        entry,
        "alpn" | "stateless" | "apache" | "nginx" | "dns" | "dns_persist"
    ) || entry.starts_with("nginx:")
        || entry.starts_with("dns_")
}

/// Parse `Le_Webroot` into one mode per entry.
pub fn modes(webroot: &str) -> Result<Vec<Mode>, SettingsError> {
    webroot
        .split(',')
        .filter(|e| !e.is_empty())
        .map(|entry| match entry {
            "no" => Ok(Mode::Standalone),
            e if unsupported(e) => Err(SettingsError::UnsupportedMode(e.to_owned())),
            path => Ok(Mode::Webroot(PathBuf::from(path))),
        })
        .collect()
}

fn saved(key: &'static str, value: &str, reason: &'static str) -> SettingsError {
    SettingsError::Saved {
        key,
        value: value.to_owned(),
        reason,
    }
}

/// The settings to renew the lineage whose conf is `conf`.
pub fn renewal(
    conf: &Conf,
    args: &Args,
    globals: &Globals,
) -> Result<IssueSettings, SettingsError> {
    let get = |key: &str| conf.get(key).filter(|v| !v.is_empty());
    let main =
        get("Le_Domain").ok_or(SettingsError::Missing("the domain conf has no `Le_Domain`"))?;
    let alt = get("Le_Alt").filter(|a| a != "no").unwrap_or_default();
    let identifiers = names::parse_domains(&[main, alt])?;
    let webroot_conf = get("Le_Webroot").unwrap_or_default();
    let typed = modes(&webroot_conf)?;
    if typed.is_empty() {
        return Err(SettingsError::NoMode(identifiers[0].value().to_owned()));
    }
    let modes = settings::modes_per_domain(&typed, identifiers.len());
    // Very old confs have an empty Le_Keylength, which meant RSA 2048.
    let key_length = get("Le_Keylength").unwrap_or_else(|| "2048".into());
    let key_type = parse_key_type(Some(&key_length), KeyType::Ec256)?;
    let account_key_type = parse_key_type(args.account_key_length.as_deref(), KeyType::Ec256)?;
    let server = match (&args.server, get("Le_API")) {
        (None, Some(api)) if !args.staging => {
            check_directory_url(&api).map_err(|_| {
                saved(
                    "Le_API",
                    &api,
                    "not an https URL (plain http only on a loopback host)",
                )
            })?;
            api
        }
        _ => settings::resolve_server(
            args.server.as_deref(),
            args.staging,
            &globals.account_conf,
            key_type,
        )?,
    };
    let http_port = get("Le_HTTPPort")
        .map(|p| {
            p.parse::<u16>()
                .map_err(|_| saved("Le_HTTPPort", &p, "not a port number"))
        })
        .transpose()?;
    let local_address = get("Le_LocalAddress")
        .and_then(|a| a.split(',').find(|e| !e.is_empty()).map(str::to_owned))
        .map(|a| {
            a.parse::<IpAddr>()
                .map_err(|_| saved("Le_LocalAddress", &a, "not an IP address"))
        })
        .transpose()?;
    let days = match args.days {
        Some(days) => Some(days),
        None => get("Le_RenewalDays")
            .map(|d| {
                d.parse::<i64>()
                    .map_err(|_| saved("Le_RenewalDays", &d, "not a number of days"))
            })
            .transpose()?,
    };
    Ok(IssueSettings {
        identifiers,
        modes,
        webroot_conf,
        key_type,
        account_key_type,
        server,
        ca_bundle: settings::ca_bundle(args, globals),
        email: settings::email(args, globals),
        http_port,
        local_address,
        validation_timeout: Duration::from_secs(args.validation_timeout),
        order_timeout: Duration::from_secs(args.order_timeout),
        force: args.force,
        days,
        hooks: Hooks::default(),
        install: Install::default(),
        hook_timeout: Duration::from_secs(args.hook_timeout),
        lock_timeout: Duration::from_secs(args.lock_timeout),
        renewal: true,
    })
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;
    use crate::store::Home;

    fn globals() -> Globals {
        Globals {
            home: Home::new("/h".into(), None, None),
            account_conf: Conf::default(),
        }
    }

    fn args(line: &str) -> Args {
        Args::parse_from(std::iter::once("acmers").chain(line.split_whitespace()))
    }

    const FIXTURE_B: &str = "Le_Domain='b.example.test'\nLe_Alt='www.b.example.test'\n\
        Le_Webroot='/var/www/acmers-fixture/b'\nLe_API='https://localhost:14000/dir'\n\
        Le_Keylength='ec-384'\nLe_RenewalDays='20'\n";

    #[test]
    fn fixture_conf_becomes_settings() {
        let s = renewal(&Conf::parse(FIXTURE_B), &args("--renew -d b"), &globals()).unwrap();
        assert_eq!(s.main_domain(), "b.example.test");
        assert_eq!(s.identifiers.len(), 2);
        assert_eq!(
            s.modes,
            vec![Mode::Webroot("/var/www/acmers-fixture/b".into()); 2]
        );
        assert_eq!(s.key_type, KeyType::Ec384);
        assert_eq!(s.server, "https://localhost:14000/dir");
        assert_eq!(s.days, Some(20));
        assert!(s.renewal);
    }

    #[test]
    fn command_line_server_and_days_win_modes_do_not() {
        let s = renewal(
            &Conf::parse(FIXTURE_B),
            &args("--renew -d b --server letsencrypt --days 5 --standalone"),
            &globals(),
        )
        .unwrap();
        assert_eq!(s.server, "https://acme-v02.api.letsencrypt.org/directory");
        assert_eq!(s.days, Some(5));
        assert!(matches!(s.modes[0], Mode::Webroot(_)));
    }

    #[test]
    fn standalone_port_and_old_keylength() {
        let conf = Conf::parse(
            "Le_Domain='a.test'\nLe_Alt='no'\nLe_Webroot='no'\nLe_API='https://ca.test/dir'\n\
             Le_HTTPPort='5002'\nLe_Keylength=''\nLe_LocalAddress='127.0.0.1,'\n",
        );
        let s = renewal(&conf, &args("--cron"), &globals()).unwrap();
        assert_eq!(s.modes, [Mode::Standalone]);
        assert_eq!(s.http_port, Some(5002));
        assert_eq!(s.key_type, KeyType::Rsa(2048));
        assert_eq!(s.local_address, Some("127.0.0.1".parse().unwrap()));
    }

    #[test]
    fn unusable_confs_are_errors() {
        for (conf, what) in [
            ("Le_Alt='no'\nLe_Webroot='no'\n", "no domain"),
            ("Le_Domain='a.test'\nLe_Webroot='dns_cf'\n", "dns mode"),
            (
                "Le_Domain='a.test'\nLe_Webroot='no'\nLe_HTTPPort='x'\n",
                "port",
            ),
            (
                "Le_Domain='$(touch pwned)'\nLe_Webroot='no'\n",
                "hostile name",
            ),
            ("Le_Domain='a.test'\n", "no mode"),
            (
                "Le_Domain='a.test'\nLe_Webroot='no'\nLe_API='http://ca.example/dir'\n",
                "plain http CA",
            ),
        ] {
            assert!(
                renewal(&Conf::parse(conf), &args("--cron"), &globals()).is_err(),
                "{what}"
            );
        }
    }
}
