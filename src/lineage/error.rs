//! Why the procedure of one lineage failed. The command layer turns these into messages,
//! hints and exit codes; every variant keeps its cause as `source`.

use std::path::PathBuf;

use crate::acme::{self, WaitKind};
use crate::cert::CertError;
use crate::challenge;
use crate::csr::CsrError;
use crate::deploy::{HookError, InstallError};
use crate::interrupt::Interrupted;
use crate::keys::KeyError;
use crate::store;

/// Where at the CA a protocol error happened: shown under the error as facts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AtCa {
    /// The CA's directory URL.
    pub ca: String,
    /// The resource: `("order", url)` or `("authorization", url)`.
    pub resource: Option<(&'static str, String)>,
}

/// A protocol error and where at the CA it happened. Shown as the protocol error itself
/// (same text, same causes); the command layer prints `at` as facts under it.
#[derive(Debug)]
pub struct CaError {
    /// The protocol error.
    pub error: acme::Error,
    /// Where.
    pub at: AtCa,
}

impl std::fmt::Display for CaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.error.fmt(f)
    }
}

impl std::error::Error for CaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// A failure of the lineage engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The CA refused, failed or could not be reached.
    #[error(transparent)]
    Acme(Box<CaError>),
    /// Reading or writing the home failed, or a file was refused.
    #[error(transparent)]
    Store(#[from] store::Error),
    /// A challenge could not be presented.
    #[error(transparent)]
    Challenge(#[from] challenge::Error),
    /// An install target could not be written.
    #[error(transparent)]
    Install(#[from] InstallError),
    /// A signal stopped the run.
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
    /// A hook or the reload command failed (`what`: "pre hook", "reload cmd", …), in
    /// acme.sh's words.
    #[error("{}", if *what == "reload cmd" {
        format!("Reload error for: {domain}")
    } else {
        format!("Error when running {what}.")
    })]
    Hook {
        /// Which hook.
        what: &'static str,
        /// The lineage's main domain.
        domain: String,
        /// How it failed.
        #[source]
        source: HookError,
    },
    /// A key file cannot be used.
    #[error("cannot use the {what} `{}`", path.display())]
    Key {
        /// "domain key" or "account key".
        what: &'static str,
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: KeyError,
    },
    /// A new key could not be made.
    #[error(transparent)]
    KeyGen(KeyError),
    /// The domain key has another type than asked for, and `--force` was not given.
    #[error(
        "Domain key exists, do you want to overwrite it? `{}` is {have}, but {want} was asked \
         for; add `--force` to replace it", path.display()
    )]
    KeyType {
        /// The key file.
        path: PathBuf,
        /// Its type (acme.sh's name).
        have: String,
        /// The requested type.
        want: String,
    },
    /// `--create-domain-key` found a key and `--force` was not given (acme.sh's words).
    #[error("Domain key exists, do you want to overwrite it? (`{}`)", path.display())]
    DomainKeyExists {
        /// The key file.
        path: PathBuf,
    },
    /// A file a local command needs is missing (acme.sh's words for the key file).
    #[error("This {what} was not found: {}", path.display())]
    NotFound {
        /// "key file" or "certificate".
        what: &'static str,
        /// The file.
        path: PathBuf,
    },
    /// The certificate files cannot be exported with the key.
    #[error("cannot export the certificate `{}` with `ca.cer` and the domain key", path.display())]
    Chain {
        /// `<d>.cer`.
        path: PathBuf,
        /// Why.
        #[source]
        source: CertError,
    },
    /// The PKCS#12 file could not be built.
    #[error("cannot build the PKCS#12 file `{}`", path.display())]
    Pkcs12 {
        /// `<d>.pfx`.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::pkcs12::Pkcs12Error,
    },
    /// The lineage lock stayed taken (a local command on the lineage's files).
    #[error(
        "another acmers process has held the lock `{}` for {secs} s; try again later",
        path.display()
    )]
    LineageLocked {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        secs: u64,
    },
    /// The CSR could not be built.
    #[error(transparent)]
    Csr(#[from] CsrError),
    /// A CSR made elsewhere cannot be used.
    #[error("cannot use the CSR `{}`", path.display())]
    CsrFile {
        /// The CSR file.
        path: PathBuf,
        /// Why.
        #[source]
        source: crate::csr::ReadError,
    },
    /// A lineage's saved CSR names other identifiers than its conf.
    #[error(
        "the CSR `{}` is for {csr}, but the certificate is for {saved}", path.display()
    )]
    CsrNames {
        /// The CSR file.
        path: PathBuf,
        /// The CSR's names, comma-separated.
        csr: String,
        /// The names saved in the conf, comma-separated.
        saved: String,
    },
    /// `--signcsr` into a folder whose certificate has a domain key of its own.
    #[error(
        "`{}` exists: this certificate has a domain key of its own, and `--signcsr` would leave \
         it beside a certificate for another key", path.display()
    )]
    KeyExists {
        /// The key file.
        path: PathBuf,
    },
    /// A lineage that signs a CSR made elsewhere has no private key to install.
    #[error(
        "`{}` was issued from a CSR (`--signcsr`): acmers has no private key to install at `{}`",
        lineage.display(), target.display()
    )]
    NoKeyToInstall {
        /// The lineage folder.
        lineage: PathBuf,
        /// The key target.
        target: PathBuf,
    },
    /// The issued chain failed verification; nothing was replaced.
    #[error("the CA's certificate failed verification; nothing was replaced")]
    Verify(#[source] CertError),
    /// `--valid-from` / `--valid-to` cannot be used.
    #[error(transparent)]
    Validity(#[from] super::ValidityError),
    /// `--cert-profile` names a profile the CA's directory does not offer.
    #[error("the CA `{server}` has no certificate profile `{profile}`; it offers: {offered}")]
    UnknownProfile {
        /// The profile asked for (sanitized).
        profile: String,
        /// The directory URL.
        server: String,
        /// The directory's profiles, comma-separated (`none` when it lists none).
        offered: String,
    },
    /// The account lock stayed taken.
    #[error(
        "another acmers process has held the account lock `{}` for {secs} s; try again later",
        path.display()
    )]
    AccountLocked {
        /// The lock file.
        path: PathBuf,
        /// How long we waited.
        secs: u64,
    },
    /// An account command found no registered account for the CA in this home.
    #[error("no account is registered at the CA `{server}` in this home (`{}`)", path.display())]
    NoAccount {
        /// The directory URL.
        server: String,
        /// The `ca.conf` or `account.key` that is missing or names no account.
        path: PathBuf,
    },
    /// ZeroSSL needs an email address to hand out EAB credentials.
    #[error("ZeroSSL needs an account email to register an account")]
    ZeroSslEmail,
    /// The CA's directory says `externalAccountRequired` and no binding is given or saved.
    #[error("the CA `{server}` requires external account binding for a new account")]
    EabRequired {
        /// The directory URL.
        server: String,
    },
    /// A [`super::Checkpoint`] found the lineage is no longer this run's (a fleet lease taken
    /// over by another node): the run stopped before the step.
    #[error("stopped before {step}: {why}")]
    Checkpoint {
        /// The step not taken.
        step: super::Step,
        /// Why.
        why: String,
    },
    /// The run could not be set up (the CA bundle, the TLS configuration, signal handlers).
    #[error("{what}")]
    Setup {
        /// What failed.
        what: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A deploy hook could not be found or run, or failed (acme.sh's "Error deploying for
    /// domain"); the certificate stays saved and the next run retries the deploy.
    #[error("Error deploying for domain: {domain} (deploy hook `{hook}`)")]
    Deploy {
        /// The hook's name (or path).
        hook: String,
        /// The lineage's main domain.
        domain: String,
        /// Why.
        #[source]
        source: crate::plugin::Error,
    },
    /// Manual dns-01: the records to add were printed and the order saved; the user adds
    /// them and runs `--renew` (acme.sh's exit 3, `CODE_DNS_MANUAL`).
    #[error("Please add the TXT records to the domains, and re-run with --renew.")]
    DnsManual {
        /// acme.sh's `Le_Vlist` for the saved order.
        vlist: String,
    },
    /// Manual dns-01 without `--yes-I-know-dns-manual-mode-enough-go-ahead-please`.
    #[error(
        "It seems that you are using dns manual mode. Read this link first: \
         https://github.com/acmesh-official/acme.sh/wiki/dns-manual-mode"
    )]
    DnsManualRefused,
    /// A web server config a killed run left changed could not be restored.
    #[error("cannot restore the web server config an interrupted run changed")]
    WebServer(#[from] crate::webserver::Error),
    /// Two nginx or Apache modes in one order (each takes the web server lock for the run).
    #[error("one order can use one web server mode, not both `{0}` and `{1}`")]
    TwoWebServerModes(String, String),
    /// A validation mode acmers cannot run yet.
    #[error(
        "the certificate is validated with `{0}`, which acmers does not support yet (only webroot, standalone, alpn, stateless, nginx, apache and dns)"
    )]
    UnsupportedMode(String),
}

impl From<crate::https::SetupError> for Error {
    fn from(e: crate::https::SetupError) -> Self {
        Self::Setup {
            what: e.what,
            source: e.source,
        }
    }
}

impl Error {
    /// The run could not be set up: `what` failed because of `source`.
    pub fn setup(
        what: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Self::Setup {
            what: what.into(),
            source: source.into(),
        }
    }

    /// A protocol error at `ca`.
    pub fn at_ca(error: acme::Error, ca: &str) -> Self {
        Self::Acme(Box::new(CaError {
            error,
            at: AtCa {
                ca: ca.to_owned(),
                resource: None,
            },
        }))
    }

    /// A protocol error at one resource of `ca`.
    pub fn at(error: acme::Error, ca: &str, kind: &'static str, url: &str) -> Self {
        Self::Acme(Box::new(CaError {
            error,
            at: AtCa {
                ca: ca.to_owned(),
                resource: Some((kind, url.to_owned())),
            },
        }))
    }

    /// The protocol error, if this is one.
    pub fn acme(&self) -> Option<&acme::Error> {
        match self {
            Self::Acme(e) => Some(&e.error),
            _ => None,
        }
    }

    /// Whether the run left an order the next one can finish: the CA accepted the finalize
    /// and was still processing it, a signal stopped the run after the order was saved
    /// (`order_saved`; the user runs the command again), or manual dns-01 waits for the
    /// user's records.
    pub fn resumable(&self, order_saved: bool) -> bool {
        match self {
            Self::Acme(e) => matches!(
                e.error,
                acme::Error::Timeout {
                    kind: WaitKind::Order,
                    ..
                }
            ),
            Self::Interrupted(_) => order_saved,
            Self::DnsManual { .. } => true,
            _ => false,
        }
    }
}
