//! acme.sh's command line, as typed ("low args"): clap describes it, nothing is resolved here.
//!
//! acme.sh has a few multi-letter short options (`-ak`, `-se`, …) that clap cannot express;
//! [`normalize_argv`] rewrites them to their long forms first. Commands are flags
//! (`--issue`, `--set-default-ca`); when several are given the last one wins, as in acme.sh.

use std::ffi::OsString;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use clap::{ArgAction, ArgMatches, CommandFactory as _, FromArgMatches as _, Parser};

/// The acme.sh-compatible command line.
#[derive(Debug, Default, Parser)]
#[command(
    name = "acmers",
    about = "An ACME client that is a drop-in replacement for acme.sh",
    disable_help_flag = true,
    disable_version_flag = true,
    allow_negative_numbers = true,
    args_override_self = true,
    max_term_width = 100
)]
pub(crate) struct Args {
    /// Issue a certificate
    #[arg(long, help_heading = "Commands")]
    pub issue: bool,
    /// Renew one certificate from its saved settings (`-d`, `--ecc`)
    #[arg(short = 'r', long, help_heading = "Commands")]
    pub renew: bool,
    /// Renew every certificate that is due
    #[arg(long, visible_aliases = ["renewAll", "renewall"], help_heading = "Commands")]
    pub renew_all: bool,
    /// The cron entry point: renew every certificate that is due
    #[arg(long, help_heading = "Commands")]
    pub cron: bool,
    /// Save install targets and a reload command, and install the certificate now
    #[arg(
        short = 'i',
        long,
        visible_alias = "installcert",
        help_heading = "Commands"
    )]
    pub install_cert: bool,
    /// Issue a certificate for a CSR made elsewhere (`--csr FILE` and a validation mode)
    #[arg(long, visible_alias = "signcsr", help_heading = "Commands")]
    pub sign_csr: bool,
    /// Show the names and key length of a CSR (`--csr FILE`)
    #[arg(long, visible_alias = "showcsr", help_heading = "Commands")]
    pub show_csr: bool,
    /// Run deploy hooks with a certificate's files and save them for its renewals
    #[arg(long, help_heading = "Commands")]
    pub deploy: bool,
    /// List the certificates
    #[arg(long, help_heading = "Commands")]
    pub list: bool,
    /// Show the settings (with `-d`: of one certificate)
    #[arg(long, help_heading = "Commands")]
    pub info: bool,
    /// Stop renewing a certificate (its conf becomes `.conf.removed`; files are kept)
    #[arg(long, help_heading = "Commands")]
    pub remove: bool,
    /// Revoke a certificate
    #[arg(long, help_heading = "Commands")]
    pub revoke: bool,
    /// Add the daily cron line to the crontab
    #[arg(long, visible_alias = "installcronjob", help_heading = "Commands")]
    pub install_cronjob: bool,
    /// Remove the cron line from the crontab
    #[arg(long, visible_alias = "uninstallcronjob", help_heading = "Commands")]
    pub uninstall_cronjob: bool,
    /// Write a systemd service and timer that run `--cron` daily
    #[arg(long, help_heading = "Commands")]
    pub install_systemd_timer: bool,
    /// Save `--server` as the default CA in account.conf
    #[arg(long, help_heading = "Commands")]
    pub set_default_ca: bool,
    /// Save `--preferred-chain` as the default chain of the CA (`--server`) in its ca.conf
    #[arg(long, help_heading = "Commands")]
    pub set_default_chain: bool,
    /// Show the certificate profiles of the CA (`--server`)
    #[arg(long, help_heading = "Commands")]
    pub list_profiles: bool,
    /// Save the notification settings (`--notify-*`) and send a test message
    #[arg(long, help_heading = "Commands")]
    pub set_notify: bool,
    /// Copy an acme.sh (or acmers) home into the fleet store (`--store`), idempotently
    #[arg(long, value_name = "DIR", help_heading = "Commands")]
    pub import_home: Option<PathBuf>,
    /// Write the fleet store (`--store`) out as a home acme.sh can use
    #[arg(long, value_name = "DIR", help_heading = "Commands")]
    pub export_home: Option<PathBuf>,
    /// Install acmers as `<home>/acme.sh`, with its alias file, profile line and cron line
    /// (`--install-online` installs this binary the same way: nothing is downloaded)
    #[arg(long, alias = "install-online", help_heading = "Commands")]
    pub install: bool,
    /// Remove the copy, alias file, profile line and cron line (certificates are kept)
    #[arg(long, help_heading = "Commands")]
    pub uninstall: bool,
    /// Explain how acmers is upgraded (its package or `cargo install`); changes nothing
    #[arg(long, help_heading = "Commands")]
    pub upgrade: bool,
    /// Register the account at the CA (or find it), and print its key thumbprint
    #[arg(long, visible_alias = "registeraccount", help_heading = "Commands")]
    pub register_account: bool,
    /// Send the account's contact (`-m`) to the CA
    #[arg(long, visible_alias = "updateaccount", help_heading = "Commands")]
    pub update_account: bool,
    /// Deactivate the valid authorizations of the `-d` names at the CA
    #[arg(long, help_heading = "Commands")]
    pub deactivate: bool,
    /// Deactivate the account at the CA (its files move to `deactivated/`)
    #[arg(long, help_heading = "Commands")]
    pub deactivate_account: bool,
    /// Roll the account over to a new key (`--accountkeylength`)
    #[arg(long, help_heading = "Commands")]
    pub update_account_key: bool,
    /// Create the account key of the CA (`--server`) if there is none (`-ak` for its type)
    #[arg(long, visible_aliases = ["createAccountKey", "createaccountkey"], help_heading = "Commands")]
    pub create_account_key: bool,
    /// Create the domain key `<d>.key` (`-d`, `-k`; `--force` replaces one)
    #[arg(long, visible_aliases = ["createDomainKey", "createdomainkey"], help_heading = "Commands")]
    pub create_domain_key: bool,
    /// Create `<d>.csr` for the `-d` names with the existing domain key
    #[arg(long = "create-csr", visible_aliases = ["createCSR", "createcsr"], help_heading = "Commands")]
    pub create_csr: bool,
    /// Export key, certificate and CA to `<d>.pfx` (`--password`); again after each renewal
    #[arg(long = "to-pkcs12", visible_aliases = ["to-pkcs", "toPkcs"], help_heading = "Commands")]
    pub to_pkcs12: bool,
    /// Write the domain key as unencrypted PKCS#8 to `<d>.pkcs8`
    #[arg(
        long = "to-pkcs8",
        visible_alias = "toPkcs8",
        help_heading = "Commands"
    )]
    pub to_pkcs8: bool,
    /// Show this help
    #[arg(short = 'h', long, help_heading = "Commands")]
    pub help: bool,
    /// Show the version
    #[arg(short = 'v', long, help_heading = "Commands")]
    pub version: bool,
    /// Print completions for a shell (bash, zsh, fish, elvish, powershell)
    #[arg(long, value_name = "SHELL", help_heading = "Commands")]
    pub completions: Option<clap_complete::Shell>,
    /// Print the man page (roff): `acmers --man-page > acmers.1`
    #[arg(long, help_heading = "Commands")]
    pub man_page: bool,

    /// A domain (repeatable, or comma-separated); the first is the main domain
    #[arg(short = 'd', long = "domain", value_name = "DOMAIN", action = ArgAction::Append)]
    pub domains: Vec<String>,
    /// http-01 by writing the token under this web root (repeatable, per domain)
    #[arg(short = 'w', long, value_name = "DIR", action = ArgAction::Append, help_heading = "Validation")]
    pub webroot: Vec<PathBuf>,
    /// http-01 with a built-in web server on --httpport (repeatable, per domain)
    #[arg(long, num_args = 0, default_missing_value = "no", action = ArgAction::Append, help_heading = "Validation")]
    pub standalone: Vec<String>,
    /// http-01 answered by your web server itself with `<token>.<account thumbprint>` (repeatable, per domain)
    #[arg(long, num_args = 0, default_missing_value = "stateless", action = ArgAction::Append, help_heading = "Validation")]
    pub stateless: Vec<String>,
    /// http-01 through nginx: a location added to the server block of the domain for the run, from CONF or the config nginx reports (repeatable, per domain)
    #[arg(long, value_name = "CONF", num_args = 0..=1, default_missing_value = "", action = ArgAction::Append, help_heading = "Validation")]
    pub nginx: Vec<String>,
    /// http-01 through Apache: an alias added to its main config for the run (repeatable, per domain)
    #[arg(long, num_args = 0, default_missing_value = "apache", action = ArgAction::Append, help_heading = "Validation")]
    pub apache: Vec<String>,
    /// Port of the standalone server (1–65535) [default: 80]
    #[arg(long = "httpport", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..), help_heading = "Validation")]
    pub http_port: Option<u16>,
    /// tls-alpn-01 with a built-in TLS listener on --tlsport (repeatable, per domain)
    #[arg(long, num_args = 0, default_missing_value = "alpn", action = ArgAction::Append, help_heading = "Validation")]
    pub alpn: Vec<String>,
    /// Port of the tls-alpn-01 listener (1–65535) [default: 443]
    #[arg(long = "tlsport", value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..), help_heading = "Validation")]
    pub tls_port: Option<u16>,
    /// Address the standalone or alpn listener binds to [default: all] (repeatable, per domain)
    #[arg(long, value_name = "IP", action = ArgAction::Append, help_heading = "Validation")]
    pub local_address: Vec<String>,
    /// The standalone and alpn listeners listen on IPv4 only (saved)
    #[arg(long, overrides_with = "listen_v6", help_heading = "Validation")]
    pub listen_v4: bool,
    /// The standalone and alpn listeners listen on IPv6 only (saved)
    #[arg(long, overrides_with = "listen_v4", help_heading = "Validation")]
    pub listen_v6: bool,
    /// dns-01 through a DNS provider (`dns_cf`, … or a plugin file); without a value, manual mode (repeatable, per domain)
    #[arg(long, value_name = "PROVIDER", num_args = 0..=1, default_missing_value = "dns", action = ArgAction::Append, help_heading = "Validation")]
    pub dns: Vec<String>,
    /// Sleep this long for DNS changes instead of checking the authoritative servers (saved)
    #[arg(long = "dnssleep", value_name = "SECONDS", value_parser = seconds::<0>, help_heading = "Validation")]
    pub dns_sleep: Option<u64>,
    /// Give up when the authoritative servers lack the TXT records after this many seconds
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        value_parser = seconds::<1>,
        help_heading = "Validation"
    )]
    pub dns_timeout: u64,
    /// Send every DNS query of the propagation check to this server only (saved)
    #[arg(long, value_name = "IP[:PORT]", value_parser = resolver, help_heading = "Validation")]
    pub dns_resolver: Option<SocketAddr>,
    /// dns-01 at `_acme-challenge.<DOMAIN>` (a CNAME target; repeatable, per domain)
    #[arg(long, value_name = "DOMAIN", action = ArgAction::Append, help_heading = "Validation")]
    pub challenge_alias: Vec<String>,
    /// dns-01 at the TXT name DOMAIN itself (repeatable, per domain)
    #[arg(long, value_name = "DOMAIN", action = ArgAction::Append, help_heading = "Validation")]
    pub domain_alias: Vec<String>,
    /// Allow manual dns-01 (`--dns` without a provider)
    #[arg(
        long = "yes-I-know-dns-manual-mode-enough-go-ahead-please",
        help_heading = "Validation"
    )]
    pub dns_manual: bool,
    /// Give up when an authorization is not valid after this many seconds (at least 1)
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        value_parser = seconds::<1>,
        help_heading = "Validation"
    )]
    pub validation_timeout: u64,

    /// CA: a short name (letsencrypt, letsencrypt_test, zerossl, google, googletest, sslcom, actalis) or a directory URL
    #[arg(long, value_name = "SERVER", help_heading = "CA")]
    pub server: Option<String>,
    /// A CA to try next when the CA fails in a way retrying will not fix soon (repeatable, in order; saved by --issue, and by --set-default-ca as FALLBACK_ACME_SERVERS)
    #[arg(long, value_name = "SERVER", action = ArgAction::Append, help_heading = "CA")]
    pub fallback_server: Vec<String>,
    /// Use Let's Encrypt's staging CA
    #[arg(long, visible_alias = "test", help_heading = "CA")]
    pub staging: bool,
    /// Extra trusted root certificates (PEM) for the CA's HTTPS
    #[arg(long, value_name = "FILE", help_heading = "CA")]
    pub ca_bundle: Option<PathBuf>,
    /// The fleet store shared by several nodes: `postgres://…` (docs/fleet.md); else
    /// `ACMERS_STORE` from the environment or account.conf
    #[arg(long, value_name = "URL", help_heading = "Fleet")]
    pub store: Option<String>,
    /// This node's name in the fleet store (default: the host name); its install targets
    /// are its own
    #[arg(long, value_name = "NAME", help_heading = "Fleet")]
    pub node: Option<String>,
    /// Account email
    #[arg(
        short = 'm',
        long = "email",
        visible_alias = "accountemail",
        value_name = "EMAIL",
        help_heading = "CA"
    )]
    pub email: Option<String>,
    /// Account key type for a new account key [default: ec-256]
    #[arg(long = "accountkeylength", value_name = "LENGTH", help_heading = "CA")]
    pub account_key_length: Option<String>,
    /// Give up when an order is still processing after this many seconds (at least 1)
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        value_parser = seconds::<1>,
        help_heading = "CA"
    )]
    pub order_timeout: u64,
    /// The account key file to use instead of the CA folder's account.key (--install saves it)
    #[arg(long = "accountkey", value_name = "FILE", help_heading = "CA")]
    pub account_key: Option<PathBuf>,
    /// External account binding key id (with --eab-hmac-key; saved in ca.conf)
    #[arg(long, value_name = "KID", help_heading = "CA")]
    pub eab_kid: Option<String>,
    /// External account binding HMAC key, base64url or base64 (may start with `-`)
    #[arg(
        long,
        value_name = "KEY",
        allow_hyphen_values = true,
        help_heading = "CA"
    )]
    pub eab_hmac_key: Option<String>,

    /// Domain key: ec-256 (default), ec-384, ec-521, 2048, 3072, 4096, 8192
    #[arg(
        short = 'k',
        long = "keylength",
        value_name = "LENGTH",
        help_heading = "Certificate"
    )]
    pub key_length: Option<String>,
    /// The CSR file for `--signcsr` and `--showcsr` (PEM or DER)
    #[arg(long, value_name = "FILE", help_heading = "Certificate")]
    pub csr: Option<PathBuf>,
    /// Renew N days after issuance (negative: N days before expiry)
    #[arg(long, value_name = "DAYS", help_heading = "Certificate")]
    pub days: Option<i64>,
    /// Ignore the renewal time; replace a key of another type
    #[arg(short = 'f', long, help_heading = "Certificate")]
    pub force: bool,
    /// Install the chain whose top issuer's name contains NAME, when the CA offers one (saved)
    #[arg(long, value_name = "NAME", help_heading = "Certificate")]
    pub preferred_chain: Option<String>,
    /// Ask the CA for this certificate profile (`--list-profiles` shows them; saved)
    #[arg(
        long,
        visible_alias = "certificate-profile",
        value_name = "NAME",
        help_heading = "Certificate"
    )]
    pub cert_profile: Option<String>,
    /// Ask for this validity start: a UTC time, or `+Nd`/`+Nh` from now (saved)
    #[arg(long, value_name = "TIME", help_heading = "Certificate")]
    pub valid_from: Option<String>,
    /// Ask for this validity end: a UTC time (not renewed), or `+Nd`/`+Nh` from the start (saved)
    #[arg(long, value_name = "TIME", help_heading = "Certificate")]
    pub valid_to: Option<String>,
    /// Ask for OCSP must-staple in the CSR (saved)
    #[arg(long, visible_alias = "ocsp", help_heading = "Certificate")]
    pub ocsp_must_staple: bool,
    /// The CSR's extended key usages, as openssl's list [default: serverAuth,clientAuth] (saved)
    #[arg(long, value_name = "LIST", help_heading = "Certificate")]
    pub extended_key_usage: Option<String>,
    /// A new domain key for every certificate (1, the default) or not (0) (saved)
    #[arg(long, value_name = "0|1", num_args = 0..=1, default_missing_value = "1", value_parser = ["0", "1"], help_heading = "Certificate")]
    pub always_force_new_domain_key: Option<String>,
    /// Use the EC lineage (`<domain>_ecc/`) for renew, install-cert, info, remove, revoke
    #[arg(long, help_heading = "Certificate")]
    pub ecc: bool,
    /// --to-pkcs12: the PFX file's password (saved) [default: empty]
    #[arg(
        long,
        value_name = "PASSWORD",
        allow_hyphen_values = true,
        help_heading = "Certificate"
    )]
    pub password: Option<String>,
    /// Revocation reason (RFC 5280 code, 0–10) [default: 0]
    #[arg(long, value_name = "CODE", value_parser = clap::value_parser!(u8).range(0..=10), help_heading = "Certificate")]
    pub revoke_reason: Option<u8>,

    /// Copy the certificate here after every issuance
    #[arg(
        long,
        visible_alias = "certpath",
        value_name = "FILE",
        help_heading = "Install"
    )]
    pub cert_file: Option<PathBuf>,
    /// Copy the private key here (a new file is created 0600)
    #[arg(
        long,
        visible_alias = "keypath",
        value_name = "FILE",
        help_heading = "Install"
    )]
    pub key_file: Option<PathBuf>,
    /// Copy the intermediate certificates here
    #[arg(
        long,
        visible_alias = "capath",
        value_name = "FILE",
        help_heading = "Install"
    )]
    pub ca_file: Option<PathBuf>,
    /// Copy the full chain here
    #[arg(
        long,
        visible_alias = "fullchainpath",
        value_name = "FILE",
        help_heading = "Install"
    )]
    pub fullchain_file: Option<PathBuf>,
    /// Run this shell command after installing (`sh -c`)
    #[arg(
        long,
        visible_alias = "reloadCmd",
        value_name = "COMMAND",
        help_heading = "Install"
    )]
    pub reloadcmd: Option<String>,
    /// Run before issuing (only when a certificate is really ordered)
    #[arg(long, value_name = "COMMAND", help_heading = "Install")]
    pub pre_hook: Option<String>,
    /// Run after every issuance attempt, success or failure
    #[arg(long, value_name = "COMMAND", help_heading = "Install")]
    pub post_hook: Option<String>,
    /// Run after each successful renewal
    #[arg(long, value_name = "COMMAND", help_heading = "Install")]
    pub renew_hook: Option<String>,
    /// acme.sh deploy hook for `--deploy` (`haproxy`, `ssh`, … or a path; repeatable, comma-separated)
    #[arg(long, value_name = "NAME", action = ArgAction::Append, help_heading = "Install")]
    pub deploy_hook: Vec<String>,
    /// Kill a hook or reload command still running after this many seconds (at least 1)
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 300,
        value_parser = seconds::<1>,
        help_heading = "Install"
    )]
    pub hook_timeout: u64,

    /// Renew this many due certificates at once (--renew-all, --cron)
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..), help_heading = "Renewal")]
    pub parallel: u16,
    /// Stop --renew-all at the first failure
    #[arg(long, visible_aliases = ["stopRenewOnError", "stoprenewonerror"], help_heading = "Renewal")]
    pub stop_renew_on_error: bool,
    /// Accepted for acme.sh compatibility (--renew-all never exits 2)
    #[arg(long, alias = "treatskipassuccess", hide = true)]
    pub treat_skip_as_success: bool,
    /// Wait this long for a certificate another acmers is working on, then skip it (0: skip
    /// it at once)
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        value_parser = seconds::<0>,
        help_heading = "Renewal"
    )]
    pub lock_timeout: u64,

    /// Notify hooks (`mail`, `slack`, …, `webhook`), repeatable or comma-separated; `no` clears them
    #[arg(long, value_name = "NAME[,NAME…]", action = ArgAction::Append, help_heading = "Notify")]
    pub notify_hook: Vec<String>,
    /// 0: none, 1: errors, 2: errors and renewals (default), 3: also skipped certificates
    #[arg(long, value_name = "LEVEL", value_parser = clap::value_parser!(u8).range(0..=3), help_heading = "Notify")]
    pub notify_level: Option<u8>,
    /// 0: one message per run (default), 1: one per certificate
    #[arg(long, value_name = "MODE", value_parser = clap::value_parser!(u8).range(0..=1), help_heading = "Notify")]
    pub notify_mode: Option<u8>,
    /// Shown in every subject as `by NAME` [default: the host name]
    #[arg(long, value_name = "NAME", help_heading = "Notify")]
    pub notify_source: Option<String>,

    /// Working directory [default: ~/.acme.sh]
    #[arg(long, value_name = "DIR", help_heading = "Files")]
    pub home: Option<PathBuf>,
    /// Where account.conf and ca/ live [default: --home]
    #[arg(long, value_name = "DIR", help_heading = "Files")]
    pub config_home: Option<PathBuf>,
    /// Where certificate folders live [default: --config-home]
    #[arg(
        long,
        visible_alias = "certhome",
        value_name = "DIR",
        help_heading = "Files"
    )]
    pub cert_home: Option<PathBuf>,
    /// --install: add no cron line
    #[arg(long, visible_alias = "no-cron", help_heading = "Files")]
    pub nocron: bool,
    /// --install: leave the shell profile alone
    #[arg(long, visible_alias = "no-profile", help_heading = "Files")]
    pub noprofile: bool,
    /// Save `AUTO_UPGRADE` (0 or 1, default 1) in account.conf; under `--cron`, 1 prints how
    /// to upgrade acmers (it never replaces itself)
    #[arg(long, value_name = "0|1", num_args = 0..=1, default_missing_value = "1", value_parser = ["0", "1"], help_heading = "Files")]
    pub auto_upgrade: Option<String>,

    /// Show protocol steps on stderr (level 1–3; 0: off)
    #[arg(long, value_name = "LEVEL", num_args = 0..=1, default_missing_value = "1", value_parser = clap::value_parser!(u8).range(0..=3), help_heading = "Output")]
    pub debug: Option<u8>,
    /// Append output to a log file [default: CONFIG_HOME/acme.sh.log]
    #[arg(long, visible_alias = "logfile", value_name = "FILE", num_args = 0..=1, default_missing_value = "", help_heading = "Output")]
    pub log: Option<String>,
    /// No ANSI colours
    #[arg(long, help_heading = "Output")]
    pub no_color: bool,
    /// --list: one line per certificate separated by `|`
    #[arg(long, help_heading = "Output")]
    pub listraw: bool,
    /// --list: one JSON object per certificate
    #[arg(long, help_heading = "Output")]
    pub json: bool,
    /// --info: show saved secrets instead of masking them
    #[arg(long, help_heading = "Output")]
    pub output_insecure: bool,

    /// Debug detail in the log file: 0 none, 1 debug, 2 also the finer steps (saved) [default: 2]
    #[arg(long, value_name = "LEVEL", value_parser = clap::value_parser!(u8).range(0..=3), help_heading = "Output")]
    pub log_level: Option<u8>,
    /// Also send lines to syslog: 0 off, 3 errors, 6 also info, 7 also debug (saved) [default: 3]
    #[arg(long, value_name = "LEVEL", num_args = 0..=1, default_missing_value = "3", value_parser = clap::value_parser!(u8).range(0..=9), help_heading = "Output")]
    pub syslog: Option<u8>,
    /// Colours even when stderr is not a terminal (also `ACME_FORCE_COLOR=1`)
    #[arg(long, help_heading = "Output")]
    pub force_color: bool,
    /// Do not verify TLS certificates in this run (CA, DNS and notification APIs; never saved)
    #[arg(long, help_heading = "CA")]
    pub insecure: bool,
    /// acme.sh's openssl binary; accepted and unused (acmers needs no openssl)
    #[arg(
        long,
        value_name = "FILE",
        help_heading = "Accepted for acme.sh compatibility"
    )]
    pub openssl_bin: Option<String>,
    /// acme.sh's switch to wget; accepted and unused (acmers has its own HTTP client)
    #[arg(long, help_heading = "Accepted for acme.sh compatibility")]
    pub use_wget: bool,
    /// acme.sh's upgrade branch; accepted and unused (acmers does not upgrade itself)
    #[arg(
        short = 'b',
        long,
        value_name = "BRANCH",
        help_heading = "Accepted for acme.sh compatibility"
    )]
    pub branch: Option<String>,
    /// The `User-Agent` of HTTPS requests (saved) [default: acmers/<version>]
    #[arg(long, value_name = "UA", help_heading = "CA")]
    pub useragent: Option<String>,
    /// A folder of extra trusted root certificates (PEM files) for HTTPS
    #[arg(long, value_name = "DIR", help_heading = "CA")]
    pub ca_path: Option<PathBuf>,
    /// The account.conf to read and write instead of CONFIG_HOME/account.conf
    #[arg(long = "accountconf", value_name = "FILE", help_heading = "Files")]
    pub account_conf: Option<PathBuf>,
    /// Make HTTPS requests over IPv4 only (saved)
    #[arg(long, overrides_with = "request_v6", help_heading = "CA")]
    pub request_v4: bool,
    /// Make HTTPS requests over IPv6 only (saved)
    #[arg(long, overrides_with = "request_v4", help_heading = "CA")]
    pub request_v6: bool,
}

/// The longest wait an option accepts: one week. It keeps every deadline computable.
pub(crate) const MAX_SECONDS: u64 = 7 * 24 * 3600;

/// A number of seconds from `MIN` to [`MAX_SECONDS`].
/// `--dns-resolver`: `IP`, `IP:PORT` or `[IPv6]:PORT` (port 53 when none is given).
fn resolver(text: &str) -> Result<SocketAddr, String> {
    text.parse::<SocketAddr>()
        .or_else(|_| text.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| "not an IP address with an optional port (IP, IP:PORT, [IPv6]:PORT)".into())
}

fn seconds<const MIN: u64>(text: &str) -> Result<u64, String> {
    let n: u64 = text
        .parse()
        .map_err(|_| "not a number of seconds".to_owned())?;
    if (MIN..=MAX_SECONDS).contains(&n) {
        Ok(n)
    } else {
        Err(format!("must be {MIN} to {MAX_SECONDS} seconds (one week)"))
    }
}

/// Which command the line asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    /// `--issue`
    Issue,
    /// `-r`/`--renew`
    Renew,
    /// `--renew-all`
    RenewAll,
    /// `--cron`
    Cron,
    /// `-i`/`--install-cert`
    InstallCert,
    /// `--deploy`
    Deploy,
    /// `--sign-csr`/`--signcsr`
    SignCsr,
    /// `--show-csr`/`--showcsr`
    ShowCsr,
    /// `--deactivate`
    Deactivate,
    /// `--list`
    List,
    /// `--info`
    Info,
    /// `--remove`
    Remove,
    /// `--revoke`
    Revoke,
    /// `--install-cronjob`
    InstallCronjob,
    /// `--uninstall-cronjob`
    UninstallCronjob,
    /// `--install-systemd-timer`
    InstallSystemdTimer,
    /// `--set-default-ca`
    SetDefaultCa,
    /// `--set-default-chain`
    SetDefaultChain,
    /// `--list-profiles`
    ListProfiles,
    /// `--import-home DIR`
    ImportHome,
    /// `--export-home DIR`
    ExportHome,
    /// `--set-notify`
    SetNotify,
    /// `--install`
    Install,
    /// `--uninstall`
    Uninstall,
    /// `--upgrade`
    Upgrade,
    /// `--register-account`
    RegisterAccount,
    /// `--update-account`
    UpdateAccount,
    /// `--deactivate-account`
    DeactivateAccount,
    /// `--update-account-key`
    UpdateAccountKey,
    /// `--create-account-key`
    CreateAccountKey,
    /// `--create-domain-key`
    CreateDomainKey,
    /// `--create-csr`
    CreateCsr,
    /// `--to-pkcs12`
    ToPkcs12,
    /// `--to-pkcs8`
    ToPkcs8,
    /// `-h`/`--help`, or no arguments at all
    Help,
    /// `-v`/`--version`
    Version,
}

impl Command {
    /// The long flag that selects the command.
    pub(crate) fn flag(self) -> &'static str {
        match self {
            Self::Issue => "--issue",
            Self::Renew => "--renew",
            Self::RenewAll => "--renew-all",
            Self::Cron => "--cron",
            Self::InstallCert => "--install-cert",
            Self::Deploy => "--deploy",
            Self::SignCsr => "--sign-csr",
            Self::ShowCsr => "--show-csr",
            Self::Deactivate => "--deactivate",
            Self::List => "--list",
            Self::Info => "--info",
            Self::Remove => "--remove",
            Self::Revoke => "--revoke",
            Self::InstallCronjob => "--install-cronjob",
            Self::UninstallCronjob => "--uninstall-cronjob",
            Self::InstallSystemdTimer => "--install-systemd-timer",
            Self::SetDefaultCa => "--set-default-ca",
            Self::SetDefaultChain => "--set-default-chain",
            Self::ListProfiles => "--list-profiles",
            Self::ImportHome => "--import-home",
            Self::ExportHome => "--export-home",
            Self::SetNotify => "--set-notify",
            Self::Install => "--install",
            Self::Uninstall => "--uninstall",
            Self::Upgrade => "--upgrade",
            Self::RegisterAccount => "--register-account",
            Self::UpdateAccount => "--update-account",
            Self::DeactivateAccount => "--deactivate-account",
            Self::UpdateAccountKey => "--update-account-key",
            Self::CreateAccountKey => "--create-account-key",
            Self::CreateDomainKey => "--create-domain-key",
            Self::CreateCsr => "--create-csr",
            Self::ToPkcs12 => "--to-pkcs12",
            Self::ToPkcs8 => "--to-pkcs8",
            Self::Help => "--help",
            Self::Version => "--version",
        }
    }
}

/// One validation mode as typed, in command-line order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ModeArg {
    /// `-w DIR`
    Webroot(PathBuf),
    /// `--standalone`
    Standalone,
    /// `--alpn`
    Alpn,
    /// `--dns [PROVIDER]`: the provider, or `dns` for manual mode.
    Dns(String),
    /// `--stateless`
    Stateless,
    /// `--nginx [CONF]`: the conf, empty without one.
    Nginx(String),
    /// `--apache`
    Apache,
}

/// The parsed line: the clap struct plus what only the matches know (order of flags).
#[derive(Debug)]
pub(crate) struct Parsed {
    /// The options.
    pub args: Args,
    /// The command (the last command flag given), if any.
    pub command: Option<Command>,
    /// Other command flags given before it, in order; acme.sh ignores them too.
    pub overridden: Vec<Command>,
    /// Validation modes in the order typed.
    pub modes: Vec<ModeArg>,
    /// `--challenge-alias D` (as `D`) and `--domain-alias D` (as `=D`), in the order typed
    /// (acme.sh's `Le_ChallengeAlias` entries).
    pub aliases: Vec<String>,
}

/// acme.sh's multi-letter short options and their long forms.
const SHORT_ALIASES: &[(&str, &str)] = &[
    ("-ak", "--accountkeylength"),
    ("-se", "--stop-renew-on-error"),
    ("-cak", "--create-account-key"),
    ("-cdk", "--create-domain-key"),
    ("-ccr", "--create-csr"),
];

/// Rewrite acme.sh's multi-letter short options to long options clap understands.
pub(crate) fn normalize_argv(argv: impl IntoIterator<Item = OsString>) -> Vec<OsString> {
    argv.into_iter()
        .map(|arg| {
            SHORT_ALIASES
                .iter()
                .find(|(short, _)| arg == *short)
                .map_or(arg, |(_, long)| OsString::from(long))
        })
        .collect()
}

/// Parse a command line (including the program name).
pub(crate) fn parse(argv: impl IntoIterator<Item = OsString>) -> Result<Parsed, clap::Error> {
    let matches = Args::command().try_get_matches_from(normalize_argv(argv))?;
    let args = Args::from_arg_matches(&matches)?;
    let mut overridden = commands_in_order(&matches);
    let command = overridden.pop();
    let modes = modes_in_order(&matches, &args);
    let aliases = aliases_in_order(&matches, &args);
    Ok(Parsed {
        args,
        command,
        overridden,
        modes,
        aliases,
    })
}

impl Parsed {
    /// A warning when several commands were given: only the last one runs, as in acme.sh.
    pub(crate) fn command_warning(&self) -> Option<String> {
        let last = self.command.filter(|_| !self.overridden.is_empty())?;
        let given: Vec<String> = self
            .overridden
            .iter()
            .chain([&last])
            .map(|c| format!("`{}`", c.flag()))
            .collect();
        Some(format!(
            "warning: {} commands given ({}); only the last one, `{}`, runs (as in acme.sh)",
            given.len(),
            given.join(", "),
            last.flag()
        ))
    }

    /// One line per acme.sh option given that acmers accepts but does not need, shown at
    /// `--debug`.
    pub(crate) fn accepted_only(&self) -> Vec<&'static str> {
        let a = &self.args;
        [
            (a.openssl_bin.is_some(), "`--openssl-bin` is ignored: acmers does not run openssl"),
            (a.use_wget, "`--use-wget` is ignored: acmers has its own HTTP client"),
            (a.branch.is_some(), "`--branch` is ignored: acmers does not upgrade itself"),
            (
                a.treat_skip_as_success,
                "`--treat-skip-as-success` has no effect: acmers never exits 2 for skipped certificates",
            ),
        ]
        .into_iter()
        .filter_map(|(given, note)| given.then_some(note))
        .collect()
    }

    /// Fill options from the environment variables acme.sh reads in their place: `DEBUG`
    /// (`--debug`; 0 is off), `ACCOUNT_EMAIL` (`-m`), `CA_BUNDLE` (`--ca-bundle`), `CA_PATH`
    /// (`--ca-path`), `USER_AGENT` (`--useragent`), `HTTPS_INSECURE` (`--insecure`; empty or
    /// 0 is off), `ACME_USE_IPV6_REQUESTS`/`ACME_USE_IPV4_REQUESTS` (`--request-v6`/`-v4`),
    /// and for `--issue` and `--sign-csr` `ACME_DIRECTORY` (`--server`) and `STAGE`
    /// (`--staging`), as acme.sh's `_initAPI` (a renewal keeps its saved CA). Options on the
    /// command line win.
    pub(crate) fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) {
        let env = |key: &str| env(key).filter(|v| !v.is_empty());
        let a = &mut self.args;
        a.debug = a
            .debug
            .or_else(|| env("DEBUG").and_then(|d| d.parse().ok()))
            .filter(|level| (1..=3).contains(level));
        a.email = a.email.take().or_else(|| env("ACCOUNT_EMAIL"));
        a.ca_bundle = a
            .ca_bundle
            .take()
            .or_else(|| env("CA_BUNDLE").map(PathBuf::from));
        a.ca_path = a
            .ca_path
            .take()
            .or_else(|| env("CA_PATH").map(PathBuf::from));
        a.useragent = a.useragent.take().or_else(|| env("USER_AGENT"));
        let on = |key: &str| env(key).is_some_and(|v| v != "0");
        a.insecure |= on("HTTPS_INSECURE");
        if !a.request_v4 && !a.request_v6 {
            a.request_v6 = on("ACME_USE_IPV6_REQUESTS");
            a.request_v4 = !a.request_v6 && on("ACME_USE_IPV4_REQUESTS");
        }
        if matches!(self.command, Some(Command::Issue | Command::SignCsr))
            && a.server.is_none()
            && !a.staging
        {
            a.server = env("ACME_DIRECTORY");
            a.staging = a.server.is_none() && env("STAGE").is_some();
        }
    }
}

/// What `--insecure` (or `HTTPS_INSECURE`) says on every run it is given: TLS is not verified,
/// and the setting is never saved (docs/differences.md).
pub(crate) const INSECURE_WARNING: &str = "warning: `--insecure`/`HTTPS_INSECURE`: TLS \
     certificates (of the CA, the DNS API and the notification hooks) are NOT verified in this \
     run; acmers does not save this setting";

/// The command flags given, in command-line order.
fn commands_in_order(m: &ArgMatches) -> Vec<Command> {
    let mut given: Vec<(usize, Command)> = [
        ("issue", Command::Issue),
        ("renew", Command::Renew),
        ("renew_all", Command::RenewAll),
        ("cron", Command::Cron),
        ("install_cert", Command::InstallCert),
        ("deploy", Command::Deploy),
        ("sign_csr", Command::SignCsr),
        ("show_csr", Command::ShowCsr),
        ("deactivate", Command::Deactivate),
        ("list", Command::List),
        ("info", Command::Info),
        ("remove", Command::Remove),
        ("revoke", Command::Revoke),
        ("install_cronjob", Command::InstallCronjob),
        ("uninstall_cronjob", Command::UninstallCronjob),
        ("install_systemd_timer", Command::InstallSystemdTimer),
        ("set_default_ca", Command::SetDefaultCa),
        ("set_default_chain", Command::SetDefaultChain),
        ("list_profiles", Command::ListProfiles),
        ("set_notify", Command::SetNotify),
        ("install", Command::Install),
        ("uninstall", Command::Uninstall),
        ("upgrade", Command::Upgrade),
        ("register_account", Command::RegisterAccount),
        ("update_account", Command::UpdateAccount),
        ("deactivate_account", Command::DeactivateAccount),
        ("update_account_key", Command::UpdateAccountKey),
        ("create_account_key", Command::CreateAccountKey),
        ("create_domain_key", Command::CreateDomainKey),
        ("create_csr", Command::CreateCsr),
        ("to_pkcs12", Command::ToPkcs12),
        ("to_pkcs8", Command::ToPkcs8),
        ("help", Command::Help),
        ("version", Command::Version),
    ]
    .into_iter()
    .filter(|(id, _)| m.get_flag(id))
    .chain(
        [
            ("import_home", Command::ImportHome),
            ("export_home", Command::ExportHome),
        ]
        .into_iter()
        .filter(|(id, _)| m.contains_id(id)),
    )
    .filter_map(|(id, cmd)| m.index_of(id).map(|i| (i, cmd)))
    .collect();
    given.sort_by_key(|(i, _)| *i);
    given.into_iter().map(|(_, cmd)| cmd).collect()
}

fn modes_in_order(m: &ArgMatches, args: &Args) -> Vec<ModeArg> {
    let mut modes: Vec<(usize, ModeArg)> = m
        .indices_of("webroot")
        .into_iter()
        .flatten()
        .zip(args.webroot.iter().cloned().map(ModeArg::Webroot))
        .collect();
    modes.extend(
        m.indices_of("standalone")
            .into_iter()
            .flatten()
            .map(|i| (i, ModeArg::Standalone)),
    );
    modes.extend(
        m.indices_of("alpn")
            .into_iter()
            .flatten()
            .map(|i| (i, ModeArg::Alpn)),
    );
    modes.extend(
        m.indices_of("dns")
            .into_iter()
            .flatten()
            .zip(args.dns.iter().cloned().map(ModeArg::Dns)),
    );
    for (id, mode) in [
        ("stateless", ModeArg::Stateless),
        ("apache", ModeArg::Apache),
    ] {
        let at = m.indices_of(id).into_iter().flatten();
        modes.extend(at.map(|i| (i, mode.clone())));
    }
    modes.extend(
        m.indices_of("nginx")
            .into_iter()
            .flatten()
            .zip(args.nginx.iter().cloned().map(ModeArg::Nginx)),
    );
    modes.sort_by_key(|(i, _)| *i);
    modes.into_iter().map(|(_, mode)| mode).collect()
}

fn aliases_in_order(m: &ArgMatches, args: &Args) -> Vec<String> {
    let mut aliases: Vec<(usize, String)> = m
        .indices_of("challenge_alias")
        .into_iter()
        .flatten()
        .zip(args.challenge_alias.iter().cloned())
        .collect();
    aliases.extend(
        m.indices_of("domain_alias")
            .into_iter()
            .flatten()
            .zip(args.domain_alias.iter().map(|d| format!("={d}"))),
    );
    aliases.sort_by_key(|(i, _)| *i);
    aliases.into_iter().map(|(_, alias)| alias).collect()
}

/// The completions for `shell`, from the one command-line definition.
pub(crate) fn completions(shell: clap_complete::Shell) -> String {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Args::command(), "acmers", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The man page (roff), from the one command-line definition.
pub(crate) fn man_page() -> String {
    let mut out = Vec::new();
    // Writing into a Vec cannot fail.
    let _ = clap_mangen::Man::new(Args::command()).render(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// The help text.
pub(crate) fn help() -> String {
    let mut help = Args::command().render_help().to_string();
    help.push_str("\nDNS providers (`--dns NAME`; variables from the environment, else saved in account.conf):\n");
    for spec in crate::dns::registry::PROVIDERS {
        let vars: Vec<String> = spec
            .vars
            .iter()
            .map(|v| {
                if v.required {
                    v.name.to_owned()
                } else {
                    format!("[{}]", v.name)
                }
            })
            .collect();
        help.push_str(&format!(
            "  {:<18} {}: {}\n",
            spec.name,
            spec.title,
            vars.join(" ")
        ));
    }
    help.push_str(
        "  other dns_<name>   an acme.sh dnsapi plugin (<home>/dnsapi/dns_<name>.sh), or a path to one\n",
    );
    help
}

#[cfg(test)]
#[path = "args_tests.rs"]
mod tests;
