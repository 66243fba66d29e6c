//! acmers integration tests: one binary (docs/testing.md).
//!
//! - [`support`]: what the tests share — the servers they talk to (Pebble, nginx, the fake
//!   CA, all on loopback), the `acmers` runner and its assertions, test homes, conf files;
//!   [`smoke`] checks them without acmers.
//! - [`alpn`]: tls-alpn-01 (`--alpn`) against Pebble for a DNS and an IP name, renewal, an
//!   acme.sh alpn lineage, a busy port, a failed validation, a signal (fake CA) with a TLS
//!   client probing the listener; `--listen-v4`/`--listen-v6`; `--local-address` lists.
//! - [`issue`]: `--issue` against a real Pebble (standalone, webroot via nginx, RSA/EC,
//!   skip/force, badNonce recovery, wildcard refusal).
//!   [`support::lineage`] checks everything a successful issuance leaves in the home.
//! - [`csr`]: `--sign-csr` (EC and RSA CSRs from `openssl req`, renewal from the saved CSR,
//!   an acme.sh-made CSR lineage, the refused `--key-file`), `--show-csr`, and `--deactivate`
//!   against a Pebble that reuses valid authorizations.
//! - [`revoke`]: `--revoke` against Pebble (account key, reason, domain-key fallback).
//! - [`schedule`]: `--install-cronjob`/`--uninstall-cronjob` with a fake `crontab`, and
//!   `--install-systemd-timer` into `ACMERS_SYSTEMD_DIR`.
//! - [`install`]: `--install`/`--uninstall`/`--upgrade` and the function-call form, into
//!   throwaway homes with the fake `crontab` and a throwaway `$HOME`.
//! - [`stuck_order`]: an order stuck in `processing` on the fake server, then resumed.
//! - [`cli`]: help, version, usage errors, `--set-default-ca` and the output format (no CA).
//! - [`account`]: the default CA from account.conf, a forgotten account registered again,
//!   and acme.sh's fixture home moved to a new Pebble.
//! - [`account_commands`]: `--register-account` and external account binding against a
//!   Pebble that requires it.
//! - [`inspect`]: `--list`, `--info`, `--remove` on acme.sh's fixture home, against acme.sh's
//!   outputs.
//! - [`ari`]: ACME Renewal Information (RFC 9773) against the fake CA's scripted
//!   `renewalInfo`: the window saved after issuance, `replaces` and its retry, one check per
//!   interval, `NO_ARI`, a failing endpoint.
//! - [`blackhole`]: `--renew-all` against an unreachable CA tries it once for the run.
//! - [`deploy`]: `--deploy` and deploy hooks after renewals: acme.sh's arguments, the new
//!   files after a renewal with an empty environment, a failed deploy retried alone, a hang.
//! - [`notify`]: `--set-notify`, notifications of `--cron`/`--renew` at each level and mode
//!   through test hooks (a fake `sendmail` on PATH), and the native `webhook` over HTTPS.
//! - [`keys`]: the local key and format commands (`--create-account-key`,
//!   `--create-domain-key`, `--create-csr`, `--to-pkcs12` read back by `openssl pkcs12` and
//!   exported again by a renewal, `--to-pkcs8`).
//! - [`dns01`]: dns-01 issuance end to end with BIND 9 and PowerDNS as Pebble's DNS:
//!   apex + wildcard, renewal from the saved conf alone, manual mode, cleanup on failure and
//!   on a signal.
//! - [`dns_bind`]: the `dns_nsupdate` provider and the propagation check against a real
//!   BIND 9 ([`support::bind`]).
//! - [`dns_pdns`]: the native `dns_pdns` provider against a real PowerDNS
//!   ([`support::pdns`]): values side by side at one name, removal by value, a wrong key.
//! - [`run_env`]: the run environment: syslog lines on a test socket, the log's detail,
//!   `LOG_FILE` from the environment, `--ca-path` and `--insecure` against an untrusted
//!   Pebble, a saved `USER_AGENT`, `--accountconf`/`--accountkey`, `USER_PATH` under cron.
//! - [`faults_protocol`]: protocol faults from a real Pebble behind the fault-injecting proxy
//!   (`processing` orders, `Retry-After` forms, stuck or invalid authorizations, badNonce,
//!   503, 429).
//! - [`hostile`] and [`bad_cert`]: hostile CA data from the fake server (tokens, directory,
//!   rate limit, failed or endless validation, certificates that must not be installed).
//! - [`faults_transport`]: the transport and response rows of the fault matrix
//!   (docs/reliability.md) against the fake CA's route faults: resets, stalls, slow-loris,
//!   TLS failures, redirects, malformed answers, missing headers, bad authorization lists.
//! - [`faults_disk`]: the home on a small tmpfs filled mid-renewal, or remounted read-only.
//!
//! The Pebble and nginx tests need `pebble`, `pebble-challtestsrv` and `nginx` installed;
//! `scripts/test` installs them. They fail (never skip) when the binaries are missing.

#![expect(
    clippy::expect_used,
    reason = "test harness code: a failed setup step should panic with its message"
)]

mod account;
mod account_commands;
mod acmesh_home;
mod alpn;
mod ari;
mod backoff;
mod bad_cert;
mod blackhole;
mod cli;
mod crash;
mod csr;
mod damaged;
mod deploy;
mod dns01;
mod dns_bind;
mod dns_pdns;
mod failover;
mod faults_disk;
mod faults_protocol;
mod faults_transport;
mod first_issue;
mod fleet;
mod fleet_claim;
mod hostile;
mod inspect;
mod install;
mod issue;
mod keys;
mod notify;
mod order_options;
mod pg_cluster;
mod plugin;
mod plugin_deploy;
mod renew;
mod revoke;
mod run_env;
mod saved_settings;
mod schedule;
mod signals;
mod smoke;
mod stuck_order;
mod support;
mod trust;
mod webservers;
