//! `<d>.conf`: the domain record of one lineage (acme.sh's `_savedomainconf` /
//! `_readdomainconf`).
//!
//! A [`DomainRecord`] is a typed view over the parsed [`Conf`]: every accessor names its key
//! here and nowhere else, and a setter changes only its own line, so unknown keys, comments
//! and the order of lines survive a round trip byte for byte.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use crate::acme::http::IpFamily;
use crate::acme::types::Identifier;
use crate::names::{self, NameError};
use crate::store::trust::Policy;
use crate::store::{Conf, Error};

use super::{Hooks, Install, InstallFiles, Invalid, Mode, OrderOptions, time_str};

const DOMAIN: &str = "Le_Domain";
const ALT: &str = "Le_Alt";
const WEBROOT: &str = "Le_Webroot";
const PRE_HOOK: &str = "Le_PreHook";
const POST_HOOK: &str = "Le_PostHook";
const RENEW_HOOK: &str = "Le_RenewHook";
const API: &str = "Le_API";
const KEYLENGTH: &str = "Le_Keylength";
const HTTP_PORT: &str = "Le_HTTPPort";
const LOCAL_ADDRESS: &str = "Le_LocalAddress";
const TLS_PORT: &str = "Le_TLSPort";
const LISTEN_V4: &str = "Le_Listen_V4";
const LISTEN_V6: &str = "Le_Listen_V6";
const RENEWAL_DAYS: &str = "Le_RenewalDays";
const ORDER_FINALIZE: &str = "Le_OrderFinalize";
const LINK_ORDER: &str = "Le_LinkOrder";
const LINK_CERT: &str = "Le_LinkCert";
const CERT_CREATE_TIME: &str = "Le_CertCreateTime";
const CERT_CREATE_TIME_STR: &str = "Le_CertCreateTimeStr";
const NEXT_RENEW_TIME: &str = "Le_NextRenewTime";
const NEXT_RENEW_TIME_STR: &str = "Le_NextRenewTimeStr";
const REAL_CERT: &str = "Le_RealCertPath";
const REAL_CA: &str = "Le_RealCACertPath";
const REAL_KEY: &str = "Le_RealKeyPath";
const REAL_FULLCHAIN: &str = "Le_RealFullChainPath";
const RELOAD_CMD: &str = "Le_ReloadCmd";
const CERT_PROFILE: &str = "Le_Certificate_Profile";
const FORCE_NEW_DOMAIN_KEY: &str = "Le_ForceNewDomainKey";
const PREFERRED_CHAIN: &str = "Le_Preferred_Chain";
const VALID_FROM: &str = "Le_Valid_From";
const VALID_TO: &str = "Le_Valid_To";
const OCSP_STAPLE: &str = "Le_OCSP_Staple";
const EXT_KEY_USE: &str = "Le_ExtKeyUse";
const DNS_SLEEP: &str = "Le_DNSSleep";
const CHALLENGE_ALIAS: &str = "Le_ChallengeAlias";
const VLIST: &str = "Le_Vlist";
const PFX_PASSWORD: &str = "Le_PFXPassword";
/// acmers' `--dns-resolver`, saved so renewals ask the same server.
const DNS_RESOLVER: &str = "Acmers_DNSResolver";
/// Files that still have to be installed: set with a new certificate, cleared after the
/// install targets and the reload command succeeded (acmers' own key).
const INSTALL_PENDING: &str = "Acmers_InstallPending";
/// The lineage's own CA when its certificate came from a fallback CA: renewals start there
/// again, while `Le_API` names the CA that issued the certificate (acmers' own key;
/// docs/failover.md).
const PRIMARY_API: &str = "Acmers_PrimaryAPI";
/// `--fallback-server` as `--issue` was given it: directory URLs, comma-separated (acmers'
/// own key; docs/failover.md).
const FALLBACK_SERVERS: &str = "Acmers_FallbackServers";
/// Set while a renewed certificate still has to go through its deploy hooks (acmers' own key).
const DEPLOY_PENDING: &str = "Acmers_DeployPending";
/// The last failure's message (base64-wrapped), cleared on success (acmers' own key).
const LAST_ERROR: &str = "Acmers_LastError";
/// The last failure's time, unix seconds (acmers' own key).
const LAST_ERROR_TIME: &str = "Acmers_LastErrorTime";
/// When the next attempt after a failure is allowed, unix seconds (acmers' own key;
/// docs/renewal.md, "Backoff").
const NEXT_ATTEMPT: &str = "Acmers_NextAttempt";
/// How many attempts in a row failed (acmers' own key).
const FAILED_ATTEMPTS: &str = "Acmers_FailedAttempts";
/// The failure keys: a success removes them all.
const FAILURE_KEYS: [&str; 4] = [LAST_ERROR, LAST_ERROR_TIME, NEXT_ATTEMPT, FAILED_ATTEMPTS];
/// The certificate's ARI renewal window (RFC 9773), unix seconds (acmers' own keys;
/// docs/ari.md).
const ARI_START: &str = "Acmers_ARI_Start";
/// See [`ARI_START`].
const ARI_END: &str = "Acmers_ARI_End";
/// The time chosen in the window, unix seconds (acmers' own key).
const ARI_RENEW_AT: &str = "Acmers_ARI_RenewAt";
/// When to ask the CA for the window again, unix seconds (acmers' own key).
const ARI_NEXT_CHECK: &str = "Acmers_ARI_NextCheck";
/// The CA's `explanationURL` for the window (acmers' own key).
const ARI_EXPLANATION: &str = "Acmers_ARI_Explanation";
/// Every ARI key: they describe one certificate and go with it.
const ARI_KEYS: [&str; 5] = [
    ARI_START,
    ARI_END,
    ARI_RENEW_AT,
    ARI_NEXT_CHECK,
    ARI_EXPLANATION,
];

/// The deploy hooks (`--deploy --deploy-hook`), run after every renewal.
const DEPLOY_HOOK: &str = "Le_DeployHook";

/// The domain record of a lineage, over its parsed conf.
#[derive(Clone, Debug, Default)]
pub struct DomainRecord {
    conf: Conf,
}

/// The order a run created and saved at once, so a later run can resume it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SavedOrder {
    /// `Le_LinkOrder`.
    pub url: Option<String>,
    /// `Le_OrderFinalize`.
    pub finalize: Option<String>,
    /// `Le_LinkCert`: empty while the order is pending.
    pub cert: Option<String>,
}

impl DomainRecord {
    /// The key acme.sh prints the finalize URL under while issuing.
    pub const FINALIZE_KEY: &'static str = ORDER_FINALIZE;
    /// The key acme.sh prints the certificate URL under while issuing.
    pub const CERT_KEY: &'static str = LINK_CERT;

    /// A record over an already parsed conf.
    pub fn from_conf(conf: Conf) -> Self {
        Self { conf }
    }

    /// Parse conf text (tests, fixtures).
    pub fn parse(text: &str) -> Self {
        Self::from_conf(Conf::parse(text))
    }

    /// Load `path`, `Ok(None)` when it does not exist (see [`Conf::load`]).
    ///
    /// # Errors
    ///
    /// As [`Conf::load`].
    pub fn load(path: &Path) -> Result<Option<Self>, Error> {
        Ok(Conf::load(path)?.map(Self::from_conf))
    }

    /// Load a record acmers will act on: under `policy` its folder, the folders above and
    /// the file as read must be closed to other users (see [`Conf::load_trusted`]).
    ///
    /// # Errors
    ///
    /// As [`Conf::load_trusted`].
    pub fn load_trusted(path: &Path, policy: Policy) -> Result<Option<Self>, Error> {
        Ok(Conf::load_trusted(path, policy)?.map(Self::from_conf))
    }

    /// Write the record atomically (mode 0600).
    ///
    /// # Errors
    ///
    /// As [`Conf::save`].
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        self.conf.save(path)
    }

    /// The file bytes (for a journalled write).
    pub fn render_bytes(&self) -> Vec<u8> {
        self.conf.render_bytes()
    }

    /// The conf under the record (for `--info`, which shows every key).
    pub fn conf(&self) -> &Conf {
        &self.conf
    }

    fn get(&self, key: &str) -> Option<String> {
        self.conf.get(key).filter(|v| !v.is_empty())
    }

    fn set_or_remove(&mut self, key: &str, value: Option<String>) {
        match value {
            Some(v) => self.conf.set(key, &v),
            None => self.conf.remove(key),
        }
    }

    /// `Le_Domain`, as saved (acme.sh saves the name as typed; an IDN stays in Unicode).
    pub fn main_domain(&self) -> Option<String> {
        self.get(DOMAIN)
    }

    /// `Le_Alt` as saved (`no` for none).
    pub fn alt_raw(&self) -> String {
        self.conf.get(ALT).unwrap_or_default()
    }

    /// `Le_Alt` as a list (acme.sh writes `no` for none).
    pub fn alt_names(&self) -> Vec<String> {
        self.get(ALT)
            .filter(|a| a != "no")
            .map(|a| {
                a.split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The identifiers the record is for, `Le_Domain` first, then `Le_Alt`, checked and
    /// normalized as names from the command line are; the one place a record's names are
    /// parsed.
    ///
    /// # Errors
    ///
    /// [`NameError::Empty`] without `Le_Domain`, else a name that is not valid.
    pub fn identifiers(&self) -> Result<Vec<Identifier>, NameError> {
        let main = self.main_domain().ok_or(NameError::Empty)?;
        let mut values = vec![main];
        values.extend(self.alt_names());
        names::parse_domains(&values)
    }

    /// Save the names: `Le_Domain` and `Le_Alt` (`no` when there is only the main one).
    pub fn set_names(&mut self, main: &str, alt: &[&str]) {
        self.conf.set(DOMAIN, main);
        let alt = if alt.is_empty() {
            "no".to_owned()
        } else {
            alt.join(",")
        };
        self.conf.set(ALT, &alt);
    }

    /// `Le_Webroot` as saved: the modes as typed, comma-joined.
    pub fn webroot(&self) -> Option<String> {
        self.get(WEBROOT)
    }

    /// The validation modes of `Le_Webroot`, one per entry (the i-th validates the i-th
    /// name, the last every remaining one).
    pub fn modes(&self) -> Vec<Mode> {
        self.webroot()
            .unwrap_or_default()
            .split(',')
            .filter(|e| !e.is_empty())
            .map(Mode::from_entry)
            .collect()
    }

    /// Save the validation modes as `Le_Webroot`.
    pub fn set_modes(&mut self, modes: &[Mode]) {
        let entries: Vec<String> = modes.iter().map(Mode::entry).collect();
        self.conf.set(WEBROOT, &entries.join(","));
    }

    /// `Le_DNSSleep`: seconds to sleep instead of checking DNS propagation.
    ///
    /// # Errors
    ///
    /// [`Invalid`] when it is not a number of seconds.
    pub fn dns_sleep(&self) -> Result<Option<u64>, Invalid> {
        self.parsed(DNS_SLEEP, "not a number of seconds")
    }

    /// Save or clear `Le_DNSSleep`.
    pub fn set_dns_sleep(&mut self, seconds: Option<u64>) {
        self.set_or_remove(DNS_SLEEP, seconds.map(|s| s.to_string()));
    }

    /// `Le_ChallengeAlias`: one entry per name in order (`alias.tld` for
    /// `--challenge-alias`, `=alias.tld` for `--domain-alias`, empty or `no` for none).
    pub fn challenge_aliases(&self) -> Vec<String> {
        let raw = self.get(CHALLENGE_ALIAS).unwrap_or_default();
        let mut entries: Vec<String> = raw.split(',').map(str::to_owned).collect();
        // acme.sh ends the list with a comma.
        if entries.last().is_some_and(String::is_empty) {
            entries.pop();
        }
        entries
    }

    /// Save or clear `Le_ChallengeAlias` (acme.sh's form: every entry followed by a comma).
    pub fn set_challenge_aliases(&mut self, entries: &[String]) {
        let raw: String = entries.iter().map(|e| format!("{e},")).collect();
        self.set_or_remove(CHALLENGE_ALIAS, (!raw.is_empty()).then_some(raw));
    }

    /// acmers' saved `--dns-resolver` (`IP:PORT`).
    ///
    /// # Errors
    ///
    /// [`Invalid`] when it is not an address with a port.
    pub fn dns_resolver(&self) -> Result<Option<std::net::SocketAddr>, Invalid> {
        self.parsed(DNS_RESOLVER, "not an IP address with a port")
    }

    /// Save or clear the `--dns-resolver`.
    pub fn set_dns_resolver(&mut self, resolver: Option<std::net::SocketAddr>) {
        self.set_or_remove(DNS_RESOLVER, resolver.map(|r| r.to_string()));
    }

    /// `Le_Vlist`: set while a manual-mode dns-01 order waits for the user's records
    /// (acme.sh's `d#keyauth#challenge-url#dns-01#dns#authz-url,` entries).
    pub fn manual_vlist(&self) -> Option<String> {
        self.get(VLIST)
    }

    /// Save or clear `Le_Vlist`.
    pub fn set_manual_vlist(&mut self, vlist: Option<&str>) {
        self.set_or_remove(VLIST, vlist.map(str::to_owned));
    }

    /// `Le_API`: the CA directory URL.
    pub fn api(&self) -> Option<String> {
        self.get(API)
    }

    /// `Le_API` when `usable` accepts it.
    ///
    /// # Errors
    ///
    /// [`Invalid`] with `reason` when it does not.
    pub fn api_checked(
        &self,
        usable: impl FnOnce(&str) -> bool,
        reason: &'static str,
    ) -> Result<Option<String>, Invalid> {
        match self.api() {
            Some(api) if !usable(&api) => Err(Invalid::new(API, &api, reason)),
            api => Ok(api),
        }
    }

    /// Save `Le_API`, leaving the line alone when it already holds `url`.
    pub fn set_api(&mut self, url: &str) {
        if self.api().as_deref() != Some(url) {
            self.conf.set(API, url);
        }
    }

    /// `Acmers_PrimaryAPI`: the lineage's own CA, set while its certificate comes from a
    /// fallback CA (docs/failover.md).
    pub fn primary_api(&self) -> Option<String> {
        self.get(PRIMARY_API)
    }

    /// Record which CA issues: `Le_API` becomes `issuer`, and `Acmers_PrimaryAPI` holds
    /// `primary` when that is another CA (it is removed when they are the same).
    pub fn set_issuing_api(&mut self, issuer: &str, primary: &str) {
        self.set_api(issuer);
        self.set_or_remove(PRIMARY_API, (issuer != primary).then(|| primary.to_owned()));
    }

    /// `Acmers_FallbackServers`: the fallback CAs `--issue` was given, in order.
    pub fn fallback_servers(&self) -> Vec<String> {
        super::split_list(self.get(FALLBACK_SERVERS))
    }

    /// Save `Acmers_FallbackServers` (removed when `servers` is empty).
    pub fn set_fallback_servers(&mut self, servers: &[String]) {
        self.set_or_remove(
            FALLBACK_SERVERS,
            (!servers.is_empty()).then(|| servers.join(",")),
        );
    }

    /// `Le_Keylength` as saved (`ec-256`, `2048`, …; very old confs leave it empty).
    pub fn key_length(&self) -> Option<String> {
        self.get(KEYLENGTH)
    }

    /// Save `Le_Keylength`.
    pub fn set_key_length(&mut self, value: &str) {
        self.conf.set(KEYLENGTH, value);
    }

    /// `Le_HTTPPort`.
    ///
    /// # Errors
    ///
    /// [`Invalid`] when it is not a port number.
    pub fn http_port(&self) -> Result<Option<u16>, Invalid> {
        self.parsed(HTTP_PORT, "not a port number")
    }

    /// Save or clear `Le_HTTPPort`.
    pub fn set_http_port(&mut self, port: Option<u16>) {
        self.set_or_remove(HTTP_PORT, port.map(|p| p.to_string()));
    }

    /// `Le_TLSPort`: the tls-alpn-01 listener's port.
    ///
    /// # Errors
    ///
    /// [`Invalid`] when it is not a port number.
    pub fn tls_port(&self) -> Result<Option<u16>, Invalid> {
        self.parsed(TLS_PORT, "not a port number")
    }

    /// Save or clear `Le_TLSPort`.
    pub fn set_tls_port(&mut self, port: Option<u16>) {
        self.set_or_remove(TLS_PORT, port.map(|p| p.to_string()));
    }

    /// `Le_LocalAddress`: acme.sh saves a comma-separated list (one per standalone or alpn
    /// name, each followed by a comma). Its addresses by position: an empty entry stands for
    /// the address before it (acme.sh's `_getfield`); leading empty entries are dropped.
    ///
    /// # Errors
    ///
    /// [`Invalid`] when an entry is not an IP address.
    pub fn local_addresses(&self) -> Result<Vec<IpAddr>, Invalid> {
        let Some(raw) = self.get(LOCAL_ADDRESS) else {
            return Ok(Vec::new());
        };
        let mut addresses: Vec<IpAddr> = Vec::new();
        for entry in raw.split(',') {
            let address = match (entry.is_empty(), addresses.last()) {
                (true, None) => continue,
                (true, Some(previous)) => *previous,
                (false, _) => entry
                    .parse()
                    .map_err(|_| Invalid::new(LOCAL_ADDRESS, &raw, "not an IP address"))?,
            };
            addresses.push(address);
        }
        // The empty field after acme.sh's trailing comma is no entry of its own.
        if raw.ends_with(',') {
            addresses.pop();
        }
        Ok(addresses)
    }

    /// Save `Le_LocalAddress` as acme.sh writes it (every address followed by a comma), or
    /// clear it when there is none.
    pub fn set_local_addresses(&mut self, addresses: &[IpAddr]) {
        let value: String = addresses.iter().map(|a| format!("{a},")).collect();
        self.set_or_remove(LOCAL_ADDRESS, (!value.is_empty()).then_some(value));
    }

    /// `Le_Listen_V4` / `Le_Listen_V6`: the standalone and alpn listeners use one address
    /// family only (IPv4 first when both are set, as acme.sh saves them).
    pub fn listen_family(&self) -> Option<IpFamily> {
        if self.get(LISTEN_V4).is_some_and(|v| !v.is_empty()) {
            Some(IpFamily::V4)
        } else if self.get(LISTEN_V6).is_some_and(|v| !v.is_empty()) {
            Some(IpFamily::V6)
        } else {
            None
        }
    }

    /// Save `Le_Listen_V4='1'` or `Le_Listen_V6='1'` and clear the other, or clear both.
    pub fn set_listen_family(&mut self, family: Option<IpFamily>) {
        let one = |f| (family == Some(f)).then(|| "1".to_owned());
        self.set_or_remove(LISTEN_V4, one(IpFamily::V4));
        self.set_or_remove(LISTEN_V6, one(IpFamily::V6));
    }

    /// `Le_RenewalDays`.
    ///
    /// # Errors
    ///
    /// [`Invalid`] when it is not a whole number.
    pub fn renewal_days(&self) -> Result<Option<i64>, Invalid> {
        self.parsed(RENEWAL_DAYS, "not a number of days")
    }

    /// Save or clear `Le_RenewalDays`, leaving the line alone when it holds the value.
    pub fn set_renewal_days(&mut self, days: Option<i64>) {
        if self.renewal_days().ok().flatten() != days {
            self.set_or_remove(RENEWAL_DAYS, days.map(|d| d.to_string()));
        }
    }

    fn parsed<T: std::str::FromStr>(
        &self,
        key: &'static str,
        reason: &'static str,
    ) -> Result<Option<T>, Invalid> {
        self.get(key)
            .map(|v| v.trim().parse().map_err(|_| Invalid::new(key, &v, reason)))
            .transpose()
    }

    /// The order links: `Le_LinkOrder`, `Le_OrderFinalize`, `Le_LinkCert`.
    pub fn order(&self) -> SavedOrder {
        SavedOrder {
            url: self.get(LINK_ORDER),
            finalize: self.get(ORDER_FINALIZE),
            cert: self.get(LINK_CERT),
        }
    }

    /// A new order: save its URLs at once and empty `Le_LinkCert` (emptied, not removed: the
    /// line keeps its place in the file).
    pub fn set_new_order(&mut self, url: &str, finalize: &str) {
        self.conf.set(ORDER_FINALIZE, finalize);
        self.conf.set(LINK_ORDER, url);
        self.conf.set(LINK_CERT, "");
    }

    /// Forget the saved order (its certificate was not usable): it is never resumed.
    pub fn forget_order(&mut self) {
        self.conf.remove(LINK_ORDER);
    }

    /// A pending order saved by an earlier run at `server`: `Le_LinkOrder` without a
    /// `Le_LinkCert` (acmers empties `Le_LinkCert` when it creates an order and fills it on
    /// success).
    pub fn pending_order(&self, server: &str) -> Option<String> {
        let order = self.order();
        let same_ca = self.api().as_deref() == Some(server);
        order.url.filter(|_| order.cert.is_none() && same_ca)
    }

    /// Whether a certificate was ever issued into the lineage: `Le_CertCreateTime` is set
    /// (acme.sh's test, whatever the value).
    pub fn is_issued(&self) -> bool {
        self.get(CERT_CREATE_TIME).is_some()
    }

    /// `Le_CertCreateTime` (unix seconds), when saved and readable.
    pub fn cert_create_time(&self) -> Option<i64> {
        self.get(CERT_CREATE_TIME)
            .and_then(|t| t.trim().parse().ok())
    }

    /// `Le_NextRenewTime` (unix seconds), when saved and readable.
    pub fn next_renew_time(&self) -> Option<i64> {
        self.get(NEXT_RENEW_TIME)
            .and_then(|t| t.trim().parse().ok())
    }

    /// `Le_NextRenewTimeStr`, as saved.
    pub fn next_renew_time_str(&self) -> String {
        self.get(NEXT_RENEW_TIME_STR).unwrap_or_default()
    }

    /// `Le_CertCreateTimeStr`, as saved.
    pub fn cert_create_time_str(&self) -> String {
        self.get(CERT_CREATE_TIME_STR).unwrap_or_default()
    }

    /// `Le_Certificate_Profile`, as saved.
    pub fn certificate_profile(&self) -> Option<String> {
        self.get(CERT_PROFILE)
    }

    /// The order options `--issue` saved.
    pub fn order_options(&self) -> OrderOptions {
        OrderOptions {
            preferred_chain: self.get(PREFERRED_CHAIN),
            profile: self.get(CERT_PROFILE),
            valid_from: self.get(VALID_FROM),
            valid_to: self.get(VALID_TO),
            ocsp_must_staple: self.get(OCSP_STAPLE).as_deref() == Some("1"),
            extended_key_usage: self.get(EXT_KEY_USE),
            force_new_domain_key: self.get(FORCE_NEW_DOMAIN_KEY).as_deref() == Some("1"),
        }
    }

    /// Save the order options as acme.sh's `issue` does: each key set when given, removed
    /// when not (`Le_Preferred_Chain` in the base64 wrapper); a key that already holds its
    /// value is left alone.
    pub fn set_order_options(&mut self, options: &OrderOptions) {
        let flag = |on: bool| on.then(|| "1".to_owned());
        match &options.preferred_chain {
            Some(chain) if self.get(PREFERRED_CHAIN).as_ref() != Some(chain) => {
                self.conf.set_base64(PREFERRED_CHAIN, chain);
            }
            Some(_) => {}
            None => self.conf.remove(PREFERRED_CHAIN),
        }
        for (key, value) in [
            (CERT_PROFILE, options.profile.clone()),
            (VALID_FROM, options.valid_from.clone()),
            (VALID_TO, options.valid_to.clone()),
            (OCSP_STAPLE, flag(options.ocsp_must_staple)),
            (EXT_KEY_USE, options.extended_key_usage.clone()),
            (FORCE_NEW_DOMAIN_KEY, flag(options.force_new_domain_key)),
        ] {
            if self.get(key) != value {
                self.set_or_remove(key, value);
            }
        }
    }

    /// Record an issuance: the certificate URL, the creation and next renewal times (with
    /// acme.sh's `Str` forms, [`time_str`]), and clear the last failure.
    pub fn set_issued(&mut self, cert_url: &str, created: i64, next: i64) {
        self.conf.set(LINK_CERT, cert_url);
        self.conf.set(CERT_CREATE_TIME, &created.to_string());
        self.conf.set(CERT_CREATE_TIME_STR, &time_str(created));
        self.conf.set(NEXT_RENEW_TIME_STR, &time_str(next));
        self.conf.set(NEXT_RENEW_TIME, &next.to_string());
        self.clear_failure();
        self.conf.remove(VLIST);
        // The renewal window was the old certificate's.
        for key in ARI_KEYS {
            self.conf.remove(key);
        }
    }

    fn time(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(|t| t.trim().parse().ok())
    }

    /// The saved ARI renewal window (start, end; unix seconds), when both are readable and
    /// it ends after it starts.
    pub fn ari_window(&self) -> Option<(i64, i64)> {
        Some((self.time(ARI_START)?, self.time(ARI_END)?)).filter(|(s, e)| s < e)
    }

    /// The time chosen in the saved window (unix seconds), with the window.
    pub fn ari_renew_at(&self) -> Option<i64> {
        self.ari_window().and_then(|_| self.time(ARI_RENEW_AT))
    }

    /// When the window is to be asked for again (unix seconds); `None`: never asked.
    pub fn ari_next_check(&self) -> Option<i64> {
        self.time(ARI_NEXT_CHECK)
    }

    /// The CA's `explanationURL` for the saved window.
    pub fn ari_explanation(&self) -> Option<String> {
        self.get(ARI_EXPLANATION)
    }

    /// Save a renewal window, the time chosen in it and the CA's explanation.
    pub fn set_ari_window(&mut self, (start, end): (i64, i64), renew_at: i64, why: Option<&str>) {
        self.conf.set(ARI_START, &start.to_string());
        self.conf.set(ARI_END, &end.to_string());
        self.conf.set(ARI_RENEW_AT, &renew_at.to_string());
        self.set_or_remove(ARI_EXPLANATION, why.map(str::to_owned));
    }

    /// Save when the window is to be asked for again.
    pub fn set_ari_next_check(&mut self, at: i64) {
        self.conf.set(ARI_NEXT_CHECK, &at.to_string());
    }

    /// `Le_PFXPassword`: present (even empty) when `--to-pkcs12` exported the lineage, which
    /// then exports it again after every new certificate (docs/keys.md).
    pub fn pfx_password(&self) -> Option<String> {
        self.conf.get(PFX_PASSWORD)
    }

    /// Save `Le_PFXPassword` in acme.sh's base64 wrapper (acme.sh's `_toPkcs`).
    pub fn set_pfx_password(&mut self, password: &str) {
        self.conf.set_base64(PFX_PASSWORD, password);
    }

    /// The hooks (`Le_PreHook`, `Le_PostHook`, `Le_RenewHook`; empty means none).
    pub fn hooks(&self) -> Hooks {
        Hooks {
            pre: self.get(PRE_HOOK),
            post: self.get(POST_HOOK),
            renew: self.get(RENEW_HOOK),
        }
    }

    /// Save the hooks in acme.sh's base64 wrapper. Hooks given on the command line replace
    /// the saved set; when none is given the saved ones stay (acme.sh would clear them;
    /// docs/differences.md).
    pub fn set_hooks(&mut self, given: &Hooks) {
        for (key, value) in [
            (PRE_HOOK, &given.pre),
            (POST_HOOK, &given.post),
            (RENEW_HOOK, &given.renew),
        ] {
            if *given != Hooks::default() || self.conf.get(key).is_none() {
                self.conf
                    .set_base64(key, value.as_deref().unwrap_or_default());
            }
        }
    }

    /// The install targets and reload command (old confs wrote `no` for none).
    pub fn install(&self) -> Install {
        let path = |key: &str| self.get(key).filter(|v| v != "no").map(PathBuf::from);
        Install {
            files: InstallFiles {
                cert: path(REAL_CERT),
                ca: path(REAL_CA),
                key: path(REAL_KEY),
                fullchain: path(REAL_FULLCHAIN),
            },
            reload: self.get(RELOAD_CMD),
        }
    }

    /// Save install targets and the reload command as acme.sh's `--install-cert` does: every
    /// key is written, empty when not given.
    pub fn set_install(&mut self, install: &Install) {
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let files = &install.files;
        self.conf.set(REAL_CERT, &path(&files.cert));
        self.conf.set(REAL_CA, &path(&files.ca));
        self.conf.set(REAL_KEY, &path(&files.key));
        self.conf
            .set_base64(RELOAD_CMD, install.reload.as_deref().unwrap_or_default());
        self.conf.set(REAL_FULLCHAIN, &path(&files.fullchain));
    }

    /// Whether an install is still to be done (`Acmers_InstallPending`: set with a new
    /// certificate, cleared once the targets and the reload command succeeded).
    pub fn install_pending(&self) -> bool {
        self.conf.get(INSTALL_PENDING).is_some()
    }

    /// Mark or clear a pending install.
    pub fn set_install_pending(&mut self, pending: bool) {
        if pending {
            self.conf.set(INSTALL_PENDING, "1");
        } else {
            self.conf.remove(INSTALL_PENDING);
        }
    }

    /// Whether a renewed certificate has not been through its deploy hooks yet.
    pub fn deploy_pending(&self) -> bool {
        self.conf.get(DEPLOY_PENDING).is_some()
    }

    /// Mark or clear a pending deploy.
    pub fn set_deploy_pending(&mut self, pending: bool) {
        if pending {
            self.conf.set(DEPLOY_PENDING, "1");
        } else {
            self.conf.remove(DEPLOY_PENDING);
        }
    }

    /// The last failure, for `--list --json`: its message and time (unix seconds).
    pub fn last_error(&self) -> (Option<String>, Option<i64>) {
        (
            self.get(LAST_ERROR),
            self.get(LAST_ERROR_TIME)
                .and_then(|t| t.trim().parse().ok()),
        )
    }

    /// Record a failure (the message in the base64 wrapper).
    pub fn set_last_error(&mut self, message: &str, at: i64) {
        self.conf.set_base64(LAST_ERROR, message);
        self.conf.set(LAST_ERROR_TIME, &at.to_string());
    }

    /// The backoff after failures: when the next attempt is allowed (unix seconds) and how
    /// many attempts in a row failed; `None` when no failure is recorded.
    pub fn backoff(&self) -> Option<(i64, u32)> {
        let attempts = self
            .time(FAILED_ATTEMPTS)
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(1);
        Some((self.time(NEXT_ATTEMPT)?, attempts))
    }

    /// The number of attempts in a row that failed (0 when none is recorded).
    pub fn failed_attempts(&self) -> u32 {
        self.backoff().map_or(0, |(_, n)| n)
    }

    /// Record the backoff after a failure: the next attempt's time and the failed count.
    pub fn set_backoff(&mut self, next_attempt: i64, attempts: u32) {
        self.conf.set(NEXT_ATTEMPT, &next_attempt.to_string());
        self.conf.set(FAILED_ATTEMPTS, &attempts.to_string());
    }

    /// Forget the recorded failure and its backoff (after a success). Whether there was one.
    pub fn clear_failure(&mut self) -> bool {
        let had = FAILURE_KEYS.iter().any(|k| self.conf.get(k).is_some());
        for key in FAILURE_KEYS {
            self.conf.remove(key);
        }
        had
    }

    /// The variables acme.sh exports from the domain conf to hooks and reload commands
    /// (`Le_Alt`, `Le_ForceNewDomainKey`, and an empty `Le_Next_Domain_Key`); the main
    /// domain comes from the lineage.
    pub fn hook_env(&self, main_domain: &str) -> Vec<(String, String)> {
        let get = |key: &str| self.conf.get(key).unwrap_or_default();
        vec![
            (DOMAIN.into(), main_domain.to_owned()),
            (ALT.into(), get(ALT)),
            (FORCE_NEW_DOMAIN_KEY.into(), get(FORCE_NEW_DOMAIN_KEY)),
            ("Le_Next_Domain_Key".into(), String::new()),
        ]
    }

    /// The deploy hooks saved with `--deploy-hook` (`Le_DeployHook`, comma-separated).
    pub fn deploy_hooks(&self) -> Vec<String> {
        self.get(DEPLOY_HOOK)
            .map(|v| {
                v.split(',')
                    .filter(|h| !h.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Save `Le_DeployHook` as acme.sh writes it (every name followed by a comma).
    pub fn set_deploy_hooks(&mut self, hooks: &[String]) {
        let value: String = hooks.iter().map(|h| format!("{h},")).collect();
        self.conf.set(DEPLOY_HOOK, &value);
    }
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
