//! `--issue`: resolve the lineage folder, run the engine on it, remember the CA bundle, CA
//! folder and `PATH`.

use crate::cli::error::Failure;
use crate::cli::printer::Printer;
use crate::cli::settings::{Globals, IssueSettings};
use crate::lineage::{self, Ca, Limits, Outcome, Request};
use crate::store::atomic::create_private_dir_all;
use crate::store::record::AccountConf;
use crate::store::{Home, Lineage};

/// Run `--issue`.
pub(crate) async fn run(
    settings: &IssueSettings,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let lineage = folder(&globals.home, settings)?;
    let job = (&settings.request, &settings.ca, &settings.limits);
    run_one(
        job,
        &lineage,
        settings.ca_bundle.as_deref(),
        globals,
        printer,
    )
    .await
}

/// Run the engine on one lineage in a session of its own (`--issue`, `--sign-csr`, `--renew`):
/// afterwards remember the CA bundle, CA folder and `PATH` when it issued.
pub(crate) async fn run_one(
    job: (&Request, &Ca, &Limits),
    lineage: &Lineage,
    ca_bundle: Option<&std::path::Path>,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    let session = super::session(globals, ca_bundle, false)?;
    let result = lineage::run(&session, job, lineage, printer).await;
    session.finish(printer).await?;
    let outcome = result?;
    if outcome == Outcome::Done {
        save_after_issue(globals, ca_bundle)?;
    }
    Ok(outcome)
}

/// The lineage folder: named by the main name as typed, as acme.sh names it (an IDN in
/// Unicode), unless only the folder of its `xn--` form exists (made by an older acmers).
pub(crate) fn folder(home: &Home, settings: &IssueSettings) -> Result<Lineage, Failure> {
    let ecc = settings.request.key_type.is_ecc();
    let typed = home.lineage(&settings.request.main, ecc)?;
    let ascii = settings.request.names[0].0.value();
    if ascii != settings.request.main && !typed.dir.exists() {
        let older = home.lineage(ascii, ecc)?;
        if older.dir.exists() {
            return Ok(older);
        }
    }
    Ok(typed)
}

/// After a successful issue acme.sh saves the CA bundle and CA folder in account.conf, so
/// later runs (cron) trust the same CA, and the `PATH` as `USER_PATH`, which `--cron` puts in
/// front of its own so hooks find the same programs (acme.sh's `issue`). This never runs
/// under `--cron`.
pub(crate) fn save_after_issue(
    globals: &mut Globals,
    bundle: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let absolute = |p: &std::path::Path| {
        std::path::absolute(p)
            .unwrap_or_else(|_| p.to_owned())
            .display()
            .to_string()
    };
    let bundle = bundle.map(absolute);
    let ca_path = globals.run.https.ca_path.as_deref().map(absolute);
    let user_path = std::env::var("PATH").ok().filter(|p| !p.is_empty());
    let change = |conf: &mut AccountConf| {
        let mut changed = conf.set_ca_bundle(bundle.as_deref());
        changed |= conf.set_ca_path(ca_path.as_deref());
        if let Some(path) = &user_path {
            changed |= conf.set_user_path(path);
        }
        changed
    };
    if change(&mut globals.account_conf) {
        create_private_dir_all(&globals.home.config_home)?;
        // Under the lock, over the file as it is now: the run may have saved keys in it.
        AccountConf::update(&globals.home.account_conf(), |conf| {
            change(conf);
        })?;
    }
    Ok(())
}
