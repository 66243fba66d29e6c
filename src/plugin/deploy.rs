//! Running one acme.sh deploy hook for a lineage (docs/plugins.md, "Deploy hooks"), as
//! acme.sh's `_deploy` does: the hook is found in the `deploy` category with the domain's
//! folder searched, the domain conf's settings are shell variables in it (acme.sh's `deploy`
//! sources the conf), and `<name>_deploy <domain> <keyfile> <certfile> <cafile> <fullchain>
//! <pfxfile>` is called. Splitting `--deploy-hook a,b` and recording `Le_DeployHook` are the
//! caller's.

use std::path::{Path, PathBuf};

use super::{Category, Error, Lookup, Output, Runner, find};

/// The lineage's files a deploy hook is given, in the order of its arguments.
#[derive(Clone, Debug)]
pub struct DeployFiles {
    /// The domain key (`<d>.key`).
    pub key: PathBuf,
    /// The certificate (`<d>.cer`).
    pub cert: PathBuf,
    /// The issuer chain (`ca.cer`).
    pub ca: PathBuf,
    /// The full chain (`fullchain.cer`).
    pub fullchain: PathBuf,
    /// The PKCS#12 file (`<d>.pfx`), when there is one; else the argument is empty.
    pub pfx: Option<PathBuf>,
}

/// Find the deploy hook `hook` (a name, or a path when it contains `/`) and call its
/// `<name>_deploy` for `domain` with `files`; `<name>` is the file's name without `.sh`
/// (`ssh` for `deploy/ssh.sh`).
///
/// The hook is looked up as [`find()`] does for [`Category::Deploy`], in `bin_dir` (the folder
/// of the acmers executable), `<home>/<domain>/`, `<home>/` and `<home>/deploy/`. It runs with
/// `runner`, which should have the lineage's conf as
/// [`domain_conf`](Runner::domain_conf): its settings are shell variables in the hook (this
/// call sets [`domain_vars`](Runner::domain_vars)), and `_getdeployconf` / `_savedeployconf`
/// read and write its `SAVED_*` keys.
///
/// # Errors
///
/// [`Error::NotFound`] or [`Error::Untrusted`] from the lookup; [`Error::Failed`] when the hook
/// fails (its `_err` lines) or has no `<name>_deploy` (acme.sh's message `It seems that your
/// API file is not correct. Make sure it has a function named: <name>_deploy`);
/// [`Error::TimedOut`] at the runner's time limit; [`Error::Spawn`].
pub async fn deploy(
    runner: &Runner,
    bin_dir: Option<&Path>,
    hook: &str,
    domain: &str,
    files: &DeployFiles,
) -> Result<Output, Error> {
    let lookup = Lookup {
        bin_dir,
        home: &runner.home.working_dir,
        domain: Some(domain),
    };
    let script = find(Category::Deploy, hook, &lookup)?;
    let function = format!("{}_deploy", super::function_prefix(&script));
    let path = |p: &Path| p.to_string_lossy().into_owned();
    let args = [
        domain.to_owned(),
        path(&files.key),
        path(&files.cert),
        path(&files.ca),
        path(&files.fullchain),
        files.pfx.as_deref().map(path).unwrap_or_default(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let runner = Runner {
        domain_vars: true,
        ..runner.clone()
    };
    runner.call(&script, &function, &args).await
}
