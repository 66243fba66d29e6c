//! The command layer: parse acme.sh's command line, resolve settings, run a command, print.

pub(crate) mod args;
pub(crate) mod commands;
pub(crate) mod error;
pub(crate) mod exit_code;
pub(crate) mod function_call;
pub(crate) mod printer;
pub(crate) mod settings;
pub(crate) mod syslog;

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

use args::{Command, Parsed};
use commands::Outcome;
use error::Failure;
use printer::Printer;
use settings::Globals;

use crate::store::atomic::create_private_dir_all;
use crate::store::trust::Policy;

/// The project page, printed by `--version` like acme.sh prints its own.
pub(crate) const PROJECT_URL: &str = "https://github.com/acmers/acmers";

/// Run acmers with `argv` (including the program name) and return the exit code.
pub fn main(argv: impl IntoIterator<Item = OsString>) -> ExitCode {
    let env = |key: &str| std::env::var(key).ok();
    let argv: Vec<OsString> = argv.into_iter().collect();
    if argv.get(1).is_some_and(|a| a == crate::plugin::HELPER_FLAG) {
        return crate::plugin::callback::main(&argv[2..]);
    }
    if argv.len() <= 1 {
        Printer::default().raw(args::help());
        return ExitCode::SUCCESS;
    }
    let argv = match function_call::rewrite(argv) {
        Ok(argv) => argv,
        Err(e) => {
            Printer::new(false, false, &env).error(format_args!("error: {e}"));
            return ExitCode::from(exit_code::ERROR);
        }
    };
    let mut parsed = match args::parse(argv) {
        Ok(parsed) => parsed,
        Err(e) => {
            let printer = Printer::new(false, false, &env);
            usage_error(&printer, &e);
            return ExitCode::from(exit_code::ERROR);
        }
    };
    let mut printer = Printer::new(parsed.args.no_color, parsed.args.force_color, &env);
    if let Some(warning) = parsed.command_warning() {
        printer.error(warning);
    }
    parsed.apply_env(&env);
    if let Some(shell) = parsed.args.completions {
        printer.raw(args::completions(shell).trim_end());
        return ExitCode::SUCCESS;
    }
    if parsed.args.man_page {
        printer.raw(args::man_page().trim_end());
        return ExitCode::SUCCESS;
    }
    let command = match parsed.command {
        None => {
            printer.raw(args::help());
            printer.error("error: no command given (for example `--issue`)");
            return ExitCode::from(exit_code::ERROR);
        }
        Some(Command::Help) => {
            printer.raw(args::help());
            return ExitCode::SUCCESS;
        }
        Some(Command::Version) => {
            printer.raw(format_args!(
                "{PROJECT_URL}\nv{}",
                env!("CARGO_PKG_VERSION")
            ));
            return ExitCode::SUCCESS;
        }
        Some(Command::Upgrade) => {
            printer.info(commands::setup::UPGRADE_NOTE);
            return ExitCode::SUCCESS;
        }
        Some(command) => command,
    };
    let mut globals = match settings::globals(&parsed.args, &env) {
        Ok(g) => g,
        Err(e) => {
            Failure::from(e).render(&printer);
            return ExitCode::from(exit_code::ERROR);
        }
    };
    crate::https::set_run_options(globals.run.https.clone());
    let syslog = match syslog::Syslog::connect(globals.run.syslog, &env) {
        Ok(syslog) => syslog,
        Err(e) => {
            printer.error(format_args!("warning: {e}"));
            None
        }
    };
    let log_file = match run_log(&parsed, &globals, &printer)
        .and_then(|file| remember(&parsed, &mut globals).map(|()| file))
    {
        Ok(file) => file,
        Err(failure) => {
            failure.render(&printer);
            return ExitCode::from(exit_code::ERROR);
        }
    };
    // Tracing and the printer append to the same open file.
    init_tracing(
        parsed.args.debug,
        log_file
            .as_ref()
            .and_then(|f| f.try_clone().ok())
            .map(|f| (f, globals.run.log_level)),
        syslog.clone(),
    );
    if let Some(file) = log_file {
        printer = printer.with_log(file);
    }
    if let Some(syslog) = syslog {
        printer = printer.with_syslog(syslog);
    }
    if globals.run.https.insecure {
        printer.error(args::INSECURE_WARNING);
    }
    for note in parsed.accepted_only() {
        tracing::debug!("{note}");
    }
    let store = commands::fleet::StoreSettings::resolve(&parsed, &globals, &env);
    let result = match store {
        Ok(Some(store)) if !commands::fleet::node_local(command) => {
            commands::fleet::run(command, &parsed, &globals, &printer, &store)
        }
        Ok(_) => run(command, &parsed, &mut globals, &printer),
        Err(failure) => Err(failure),
    };
    let code = match result {
        Ok(outcome) => commands::exit(outcome),
        Err(failure) => {
            failure.render(&printer);
            failure.code
        }
    };
    ExitCode::from(code)
}

fn run(
    command: Command,
    parsed: &Parsed,
    globals: &mut Globals,
    printer: &Printer,
) -> Result<Outcome, Failure> {
    match command {
        Command::Issue => {
            let settings = settings::IssueSettings::resolve(parsed, globals)?;
            runtime()?.block_on(commands::issue::run(&settings, globals, printer))
        }
        Command::SignCsr => runtime()?.block_on(commands::csr::sign(parsed, globals, printer)),
        Command::ShowCsr => commands::csr::show(parsed, printer),
        Command::Deactivate => {
            let settings = settings::DeactivateSettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::deactivate::run(&settings, globals, printer))
        }
        Command::Renew => {
            let settings = settings::RenewSettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::renew::run_one(&settings, globals, printer))
        }
        Command::RenewAll | Command::Cron => {
            if command == Command::Cron {
                export_user_path(globals);
            }
            let env = |key: &str| std::env::var(key).ok();
            if command == Command::Cron && commands::setup::auto_upgrade(globals, &env) {
                printer.info(commands::setup::UPGRADE_NOTE);
            }
            let settings = settings::RenewSettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::renew::run_all(
                &settings,
                globals,
                printer,
                command == Command::Cron,
            ))
        }
        Command::Deploy => {
            let settings = settings::DeploySettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::deploy::run(&settings, globals, printer))
        }
        Command::InstallCert => {
            let settings = settings::InstallSettings::resolve(&parsed.args)?;
            runtime()?.block_on(commands::install::run(&settings, globals, printer))
        }
        Command::SetDefaultCa => {
            let (server, fallbacks) = settings::set_default_ca(&parsed.args, globals)?;
            commands::set_default_ca::run(&server, &fallbacks, globals, printer)
        }
        Command::SetDefaultChain => {
            let settings = settings::AccountSettings::resolve(&parsed.args, globals)?;
            let chain = parsed.args.preferred_chain.as_deref();
            commands::set_default_chain::run(&settings.ca.server, chain, globals)
        }
        Command::ListProfiles => {
            let settings = settings::AccountSettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::list_profiles::run(&settings, printer))
        }
        Command::ImportHome | Command::ExportHome => Err(Failure::from(anyhow::anyhow!(
            "`{}` needs the fleet store: give `--store postgres://…` (or ACMERS_STORE)",
            command.flag()
        ))),
        Command::SetNotify => {
            let settings = settings::SetNotifySettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::set_notify::run(&settings, globals, printer))
        }
        Command::List => {
            let settings = settings::ListSettings::resolve(&parsed.args);
            commands::list::run(&settings, globals, printer)
        }
        Command::Info => {
            let settings = settings::InfoSettings::resolve(&parsed.args);
            commands::info::run(&settings, globals, printer)
        }
        Command::Remove => {
            let settings = settings::RemoveSettings::resolve(&parsed.args)?;
            commands::remove::run(&settings, globals, printer)
        }
        Command::Revoke => {
            let settings = settings::RevokeSettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::revoke::run(&settings, globals, printer))
        }
        Command::RegisterAccount
        | Command::UpdateAccount
        | Command::DeactivateAccount
        | Command::UpdateAccountKey => {
            let settings = settings::AccountSettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::account::run(command, &settings, globals, printer))
        }
        Command::CreateAccountKey => {
            let settings = settings::AccountSettings::resolve(&parsed.args, globals)?;
            runtime()?.block_on(commands::keys::create_account_key(
                &settings, globals, printer,
            ))
        }
        Command::CreateDomainKey | Command::CreateCsr | Command::ToPkcs12 | Command::ToPkcs8 => {
            let settings = settings::KeyFileSettings::resolve(command, &parsed.args)?;
            runtime()?.block_on(commands::keys::run(command, &settings, globals, printer))
        }
        Command::InstallCronjob => commands::schedule::cron::install(globals, printer),
        Command::UninstallCronjob => commands::schedule::cron::uninstall(printer),
        Command::InstallSystemdTimer => commands::schedule::systemd::install(globals, printer),
        Command::Install => {
            let settings = settings::SetupSettings::resolve(&parsed.args);
            commands::setup::install(&settings, globals, printer)
        }
        Command::Uninstall => {
            let settings = settings::SetupSettings::resolve(&parsed.args);
            commands::setup::uninstall(&settings, globals, printer)
        }
        // Handled before settings are resolved.
        Command::Help | Command::Version | Command::Upgrade => Ok(Outcome::Done),
    }
}

/// The run's runtime: one thread; concurrency comes from async I/O, not threads.
fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Print a command-line error the way acme.sh does, exit code 1 (never clap's 2).
fn usage_error(printer: &Printer, e: &clap::Error) {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if e.kind() == ErrorKind::UnknownArgument
        && let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg)
    {
        printer.error(format_args!("Unknown parameter: {arg}"));
    } else {
        // The first paragraph: a value may hold a line break (shown escaped by the printer).
        let text = e.render().to_string();
        let first = text.split("\n\n").next().unwrap_or_default();
        printer.error(first.trim_start_matches("error: ").trim());
    }
    printer.error("hint: see `acmers --help`");
}

/// `--cron`: put the `PATH` of the last interactive `--issue` (`USER_PATH`) in front of the
/// process's own, so hooks, reload commands and plugins find what they found then (acme.sh's
/// `_initpath` under cron). Done before the runtime starts any thread or child.
fn export_user_path(globals: &Globals) {
    let Some(user_path) = globals.account_conf.user_path() else {
        return;
    };
    let path = match std::env::var_os("PATH") {
        Some(own) if !own.is_empty() => {
            let mut joined = OsString::from(user_path);
            joined.push(":");
            joined.push(own);
            joined
        }
        _ => user_path.into(),
    };
    // SAFETY: called on the main thread before the command's runtime is built: no other
    // thread exists that could read the environment at the same time.
    unsafe { std::env::set_var("PATH", path) };
}

/// Save in account.conf what this run was given for later runs ([`settings::remember`]),
/// under the file's lock; the config home is created first (0700) as for the log.
fn remember(parsed: &Parsed, globals: &mut Globals) -> Result<(), Failure> {
    if settings::remember(&parsed.args, &mut globals.account_conf) {
        create_private_dir_all(&globals.home.config_home)?;
        crate::store::record::AccountConf::update(&globals.home.account_conf(), |conf| {
            settings::remember(&parsed.args, conf);
        })?;
    }
    Ok(())
}

/// `--log [FILE]` (empty: `<config-home>/acme.sh.log`), else `LOG_FILE` from the environment,
/// else from account.conf; `true` when it comes from `--log`.
fn log_path(parsed: &Parsed, globals: &Globals) -> Option<(PathBuf, bool)> {
    match parsed.args.log.as_deref() {
        Some("") => Some((globals.home.config_home.join("acme.sh.log"), true)),
        Some(path) => Some((PathBuf::from(path), true)),
        None => globals
            .run
            .log_file
            .clone()
            .or_else(|| globals.account_conf.log_file())
            .map(|p| (p, false)),
    }
}

/// The log file could not be opened.
#[derive(Debug, thiserror::Error)]
#[error("cannot open the log file `{}`", path.display())]
struct LogError {
    path: PathBuf,
    #[source]
    source: crate::store::Error,
}

/// The run's log file, opened after the config home exists (created 0700 first, as acme.sh's
/// `__initHome` does on every run), so a first run into a new home logs from its first line.
/// A `--log` file that is opened is saved as `LOG_FILE` (made absolute) in account.conf.
/// A `--log` file that cannot be opened (e.g. its folder does not exist: acmers creates no
/// folder for it) stops the run before it does anything; a `LOG_FILE` from account.conf only
/// warns, so a cron run is never stopped by its log.
fn run_log(
    parsed: &Parsed,
    globals: &Globals,
    printer: &Printer,
) -> Result<Option<std::fs::File>, Failure> {
    let Some((path, requested)) = log_path(parsed, globals) else {
        return Ok(None);
    };
    create_private_dir_all(&globals.home.config_home)?;
    match open_log(&path) {
        Ok(file) if requested => {
            // Later runs keep logging there, as acme.sh's `main` saves `LOG_FILE`.
            let path = std::path::absolute(&path).unwrap_or(path);
            crate::store::record::AccountConf::update(&globals.home.account_conf(), |conf| {
                conf.set_log_file(&path);
            })?;
            Ok(Some(file))
        }
        Ok(file) => Ok(Some(file)),
        Err(source) if requested => {
            let folder = path.parent().filter(|p| !p.as_os_str().is_empty());
            let hint = match folder {
                Some(folder) if !folder.is_dir() => format!(
                    "create the folder `{}` first, or choose another `--log FILE`",
                    folder.display()
                ),
                _ => "choose another `--log FILE`".into(),
            };
            Err(Failure::from(LogError { path, source }).hint(hint))
        }
        Err(e) => {
            printer.error(format_args!(
                "warning: cannot open the log file `{}`: {e}",
                path.display()
            ));
            Ok(None)
        }
    }
}

/// Open the log for appending (created 0600). As root the log is treated like any file root
/// writes: its folder, a link to it or the file itself that another user controls is refused
/// (docs/security.md), so a log path cannot make root append to a file of someone else's
/// choosing.
fn open_log(path: &std::path::Path) -> Result<std::fs::File, crate::store::Error> {
    Policy::current().open_append(path)
}

/// The tracing filter of a detail level: 1 acmers' debug lines, 2 also its finer (trace)
/// lines, 3 also the HTTP stack's own debug events; `None` at 0.
fn detail(level: u8) -> Option<tracing_subscriber::filter::Targets> {
    use tracing::level_filters::LevelFilter;
    use tracing_subscriber::filter::Targets;
    match level {
        0 => None,
        1 => Some(Targets::new().with_target("acmers", LevelFilter::DEBUG)),
        2 => Some(Targets::new().with_target("acmers", LevelFilter::TRACE)),
        _ => Some(
            Targets::new()
                .with_target("acmers", LevelFilter::TRACE)
                .with_default(LevelFilter::DEBUG),
        ),
    }
}

/// Where protocol steps go, each with its own detail: stderr at `--debug [1-3]`, the log file
/// at its `--log-level` (acme.sh's `_debug*` into `_log`, independent of `--debug`), and
/// syslog from `--syslog 7` (7: debug, 8: finer, 9: the HTTP stack's).
fn init_tracing(
    debug: Option<u8>,
    log: Option<(std::fs::File, u8)>,
    syslog: Option<std::sync::Arc<syslog::Syslog>>,
) {
    use tracing_subscriber::Layer;
    use tracing_subscriber::fmt::writer::BoxMakeWriter;
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    type Boxed = Box<dyn Layer<tracing_subscriber::Registry> + Send + Sync>;
    let lines = |writer: BoxMakeWriter, filter| -> Boxed {
        tracing_subscriber::fmt::layer()
            .with_target(false)
            .with_ansi(false)
            .with_writer(writer)
            .with_filter(filter)
            .boxed()
    };
    let mut layers: Vec<Boxed> = Vec::new();
    if let Some(filter) = debug.and_then(detail) {
        layers.push(lines(BoxMakeWriter::new(std::io::stderr), filter));
    }
    if let Some((file, level)) = log
        && let Some(filter) = detail(level)
    {
        layers.push(lines(
            BoxMakeWriter::new(std::sync::Mutex::new(file)),
            filter,
        ));
    }
    if let Some(syslog) = syslog
        && let Some(filter) = detail(syslog.level().saturating_sub(6))
    {
        // syslog stamps its own time; the line is only the message.
        let writer = move || syslog::DebugLines(syslog.clone());
        layers.push(
            tracing_subscriber::fmt::layer()
                .without_time()
                .with_level(false)
                .with_target(false)
                .with_ansi(false)
                .with_writer(writer)
                .with_filter(filter)
                .boxed(),
        );
    }
    if layers.is_empty() {
        return;
    }
    // A second init (in tests) keeps the first subscriber.
    let _ = tracing_subscriber::registry().with(layers).try_init();
}
