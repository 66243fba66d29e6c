//! `--install`, `--uninstall`, `--upgrade` and acme.sh's function-call form (docs/install.md).
//!
//! Every test installs into a throwaway home, with a throwaway `$HOME` for the shell profiles
//! and the **test double** of `crontab` from [`crate::schedule`] alone on `PATH` (no real
//! crontab is read or written).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::schedule::FAKE_CRONTAB;
use crate::support::acmers::{Acmers, Output};

struct Sandbox {
    top: TempDir,
    /// The acme.sh home (with a space, to check quoting).
    home: PathBuf,
    /// The only `PATH` entry.
    bin: PathBuf,
    /// Where the fake crontab keeps its content.
    crontab: PathBuf,
    /// `$HOME`: `Acmers::bare`'s `<top>/user-home`.
    user: PathBuf,
}

const OTHER_JOBS: &str = "MAILTO=root\n0 1 * * * /usr/bin/true\n";

/// A sandbox with the fake crontab (holding another job) and a `.profile`.
fn sandbox() -> Sandbox {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("acme home");
    let bin = top.path().join("bin");
    let user = top.path().join("user-home");
    fs::create_dir_all(&bin).expect("mkdir bin");
    fs::create_dir_all(&user).expect("mkdir user home");
    let crontab = top.path().join("crontab.txt");
    let path = bin.join("crontab");
    fs::write(&path, FAKE_CRONTAB).expect("write crontab");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    fs::write(&crontab, OTHER_JOBS).expect("seed crontab");
    fs::write(user.join(".profile"), "export A=1").expect("write profile");
    Sandbox {
        top,
        home,
        bin,
        crontab,
        user,
    }
}

impl Sandbox {
    /// `acmers ARGS` with no `--home` of its own; `$HOME`, `PATH` and the profile choice fixed.
    fn acmers(&self, args: &[&str]) -> Output {
        Acmers::bare(self.top.path())
            .args(args)
            .env("PATH", &self.bin.display().to_string())
            .env("FAKE_CRONTAB_FILE", &self.crontab.display().to_string())
            .env("SHELL", "/bin/sh")
            .env("PROFILE", "")
            .run()
    }

    fn home_arg(&self) -> String {
        self.home.display().to_string()
    }

    fn read(&self, path: &Path) -> String {
        fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    /// The cron line acmers added after the other jobs, without its minute and hour.
    fn our_cron_command(&self) -> String {
        let text = self.read(&self.crontab);
        let ours = text
            .strip_prefix(OTHER_JOBS)
            .expect("other jobs kept first");
        assert_eq!(ours.lines().count(), 1, "{text}");
        let fields: Vec<&str> = ours.trim_end().splitn(6, ' ').collect();
        let minute: u8 = fields[0].parse().expect("minute");
        let hour: u8 = fields[1].parse().expect("hour");
        assert!(minute < 60 && hour < 24, "{ours}");
        assert_eq!(fields[2..5], ["*", "*", "*"], "{ours}");
        fields[5].to_owned()
    }

    fn profile(&self) -> String {
        self.read(&self.user.join(".profile"))
    }

    fn env_file(&self) -> PathBuf {
        self.home.join("acme.sh.env")
    }

    /// The line of `acme.sh.env` that loads the bash completions.
    fn completion_line(&self) -> String {
        let file = self.home.join("acmers.bash");
        let file = file.display();
        format!("if [ -n \"${{BASH_VERSION-}}\" ] && [ -f \"{file}\" ]; then . \"{file}\"; fi\n")
    }

    fn copy(&self) -> PathBuf {
        self.home.join("acme.sh")
    }

    /// The copy runs and says it is acmers.
    fn assert_copy_runs(&self) {
        let out = std::process::Command::new(self.copy())
            .arg("--version")
            .output()
            .expect("run the copy");
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("v{}", env!("CARGO_PKG_VERSION"))),
            "{stdout}"
        );
    }
}

#[test]
fn install_writes_acmesh_files_and_reinstall_replaces_the_copy() {
    let sb = sandbox();
    let home = sb.home_arg();
    let out = sb.acmers(&[
        "--install",
        "--home",
        &home,
        "--accountemail",
        "a@example.com",
    ]);
    out.assert_code(0).assert_stdout_has("OK");

    assert_eq!(
        sb.our_cron_command(),
        format!("\"{home}\"/acme.sh --cron --home \"{home}\" > /dev/null")
    );
    assert_eq!(
        sb.profile(),
        format!("export A=1\n. \"{home}/acme.sh.env\"\n")
    );
    assert_eq!(
        sb.read(&sb.env_file()),
        format!(
            "export LE_WORKING_DIR=\"{home}\"\nalias acme.sh=\"{home}/acme.sh\"\n{}",
            sb.completion_line()
        )
    );
    // acme.sh's commented template, then the saved email.
    let account_conf = sb.read(&sb.home.join("account.conf"));
    assert!(
        account_conf.contains("#AUTO_UPGRADE=\"1\"\n"),
        "{account_conf}"
    );
    assert!(
        account_conf.contains("ACCOUNT_EMAIL='a@example.com'"),
        "{account_conf}"
    );
    let mode = fs::metadata(&sb.home).expect("home").permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    sb.assert_copy_runs();

    // Again, over a damaged copy: replaced in place, nothing added twice.
    let crontab = sb.read(&sb.crontab);
    let profile = sb.profile();
    fs::write(sb.copy(), "broken").expect("damage the copy");
    sb.acmers(&["--install", "--home", &home]).assert_code(0);
    sb.assert_copy_runs();
    assert_eq!(sb.read(&sb.crontab), crontab);
    assert_eq!(sb.profile(), profile);
}

#[test]
fn install_takes_the_folders_from_the_environment() {
    let sb = sandbox();
    let home = sb.home_arg();
    let config = sb.top.path().join("conf");
    let config = config.display().to_string();
    let out = Acmers::bare(sb.top.path())
        .args(["install"])
        .env("PATH", &sb.bin.display().to_string())
        .env("FAKE_CRONTAB_FILE", &sb.crontab.display().to_string())
        .env("SHELL", "/bin/sh")
        .env("LE_WORKING_DIR", &home)
        .env("LE_CONFIG_HOME", &config)
        .run();
    out.assert_code(0);
    assert_eq!(
        sb.our_cron_command(),
        format!(
            "\"{home}\"/acme.sh --cron --home \"{home}\" --config-home \"{config}\" > /dev/null"
        )
    );
    assert_eq!(
        sb.read(&sb.env_file()),
        format!(
            "export LE_WORKING_DIR=\"{home}\"\nexport LE_CONFIG_HOME=\"{config}\"\n\
             alias acme.sh=\"{home}/acme.sh --config-home '{config}'\"\n{}",
            sb.completion_line()
        )
    );
    assert!(Path::new(&config).is_dir());
    sb.assert_copy_runs();
}

#[test]
fn nocron_and_noprofile_leave_crontab_and_profile_alone() {
    let sb = sandbox();
    let home = sb.home_arg();
    fs::remove_file(sb.bin.join("crontab")).expect("no crontab at all");
    // Without a crontab acme.sh's pre-check refuses, unless told not to install the job.
    sb.acmers(&["--install", "--home", &home])
        .assert_code(1)
        .assert_stderr_has("--nocron");
    assert!(!sb.copy().exists());

    sb.acmers(&["--install", "--home", &home, "--nocron", "--noprofile"])
        .assert_code(0);
    sb.assert_copy_runs();
    assert_eq!(sb.profile(), "export A=1");
    assert!(!sb.env_file().exists());
    assert_eq!(sb.read(&sb.crontab), OTHER_JOBS);

    // `--uninstall --nocron` leaves a cron line alone too.
    fs::write(sb.bin.join("crontab"), FAKE_CRONTAB).expect("crontab back");
    fs::set_permissions(sb.bin.join("crontab"), fs::Permissions::from_mode(0o755)).expect("chmod");
    let jobs =
        format!("{OTHER_JOBS}1 2 * * * \"{home}\"/acme.sh --cron --home \"{home}\" > /dev/null\n");
    fs::write(&sb.crontab, &jobs).expect("seed our line");
    sb.acmers(&["--uninstall", "--home", &home, "--nocron"])
        .assert_code(0);
    assert_eq!(sb.read(&sb.crontab), jobs);
    assert!(!sb.copy().exists());
}

#[test]
fn uninstall_keeps_certificates_and_confs() {
    let sb = sandbox();
    let home = sb.home_arg();
    sb.acmers(&["--install", "--home", &home, "-m", "a@example.com"])
        .assert_code(0);
    let lineage = sb.home.join("example.com_ecc");
    fs::create_dir_all(&lineage).expect("mkdir lineage");
    fs::write(
        lineage.join("example.com.conf"),
        "Le_Domain='example.com'\n",
    )
    .expect("conf");
    fs::write(lineage.join("example.com.cer"), "cert").expect("cert");

    let out = sb.acmers(&["--uninstall", "--home", &home]);
    out.assert_code(0)
        .assert_stdout_has("You can remove them by yourself");
    assert_eq!(sb.read(&sb.crontab), OTHER_JOBS);
    assert_eq!(sb.profile(), "export A=1\n");
    assert!(!sb.env_file().exists());
    assert!(!sb.copy().exists());
    assert!(
        sb.read(&sb.home.join("account.conf"))
            .contains("a@example.com")
    );
    assert_eq!(sb.read(&lineage.join("example.com.cer")), "cert");
    assert!(lineage.join("example.com.conf").is_file());
}

/// bash sourcing `acme.sh.env` (as the profile line does) gets the alias and completions for
/// both names; csh and tcsh users get acme.sh's `acme.sh.csh`; the plugin folders of the
/// current directory are copied; `--uninstall` takes all of it away again.
#[test]
fn install_sets_up_bash_completion_csh_and_plugins() {
    let sb = sandbox();
    let home = sb.home_arg();
    fs::write(sb.user.join(".cshrc"), "set a=1\n").expect("cshrc");
    let checkout = sb.top.path().join("checkout");
    fs::create_dir_all(checkout.join("dnsapi")).expect("mkdir dnsapi");
    fs::write(checkout.join("dnsapi/dns_x.sh"), "dns_x_add() { :; }\n").expect("plugin");
    let out = Acmers::bare(sb.top.path())
        .args(["--install", "--home", &home])
        .current_dir(&checkout)
        .env("PATH", &sb.bin.display().to_string())
        .env("FAKE_CRONTAB_FILE", &sb.crontab.display().to_string())
        .env("SHELL", "/bin/sh")
        .env("PROFILE", "")
        .run();
    out.assert_code(0);
    assert_eq!(
        sb.read(&sb.home.join("dnsapi/dns_x.sh")),
        "dns_x_add() { :; }\n"
    );
    let csh = sb.home.join("acme.sh.csh");
    assert_eq!(
        sb.read(&csh),
        format!("setenv LE_WORKING_DIR \"{home}\"\nalias acme.sh \"{home}/acme.sh\"\n")
    );
    assert_eq!(
        sb.read(&sb.user.join(".cshrc")),
        format!("set a=1\nsource \"{}\"\n", csh.display())
    );
    let script = format!(
        ". \"{}\"; alias acme.sh; complete -p acme.sh; complete -p acmers",
        sb.env_file().display()
    );
    let bash = std::process::Command::new("bash")
        .args(["--norc", "-c", &script])
        .output()
        .expect("run bash");
    let stdout = String::from_utf8_lossy(&bash.stdout);
    assert!(bash.status.success(), "{bash:?}");
    assert!(
        stdout.contains(&format!("alias acme.sh='{home}/acme.sh'")),
        "{stdout}"
    );
    for name in ["acme.sh", "acmers"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("complete ") && l.ends_with(&format!("-F _acmers {name}"))),
            "{stdout}"
        );
    }

    sb.acmers(&["--uninstall", "--home", &home]).assert_code(0);
    assert_eq!(sb.read(&sb.user.join(".cshrc")), "set a=1\n");
    for gone in [csh, sb.home.join("acmers.bash"), sb.env_file()] {
        assert!(!gone.exists(), "{} kept", gone.display());
    }
    assert!(
        sb.home.join("dnsapi/dns_x.sh").is_file(),
        "plugins are kept"
    );
}

#[test]
fn upgrade_explains_and_touches_nothing() {
    let sb = sandbox();
    let home = sb.home_arg();
    for form in ["--upgrade", "upgrade"] {
        sb.acmers(&[form, "--home", &home])
            .assert_code(0)
            .assert_stdout_has("cargo install");
        assert!(!sb.home.exists(), "{form} created the home");
    }
}

#[test]
fn auto_upgrade_under_cron_explains_and_renews() {
    let sb = sandbox();
    let home = sb.home_arg();
    let out = Acmers::bare(sb.top.path())
        .args(["--cron", "--home", &home])
        .env("AUTO_UPGRADE", "1")
        .run();
    out.assert_code(0)
        .assert_stdout_has("cargo install")
        .assert_stdout_has("===End cron===");
}

/// `--auto-upgrade` is saved by any command and then read by `--cron`; `0` turns it off.
#[test]
fn auto_upgrade_is_saved_and_read_by_cron() {
    let sb = sandbox();
    let home = sb.home_arg();
    let cron = |extra: &[&str]| {
        Acmers::bare(sb.top.path())
            .args(["--cron", "--home", &home])
            .args(extra)
            .run()
    };
    cron(&["--auto-upgrade"]).assert_stdout_has("cargo install");
    assert!(
        sb.read(&sb.home.join("account.conf"))
            .contains("AUTO_UPGRADE='1'")
    );
    cron(&[]).assert_code(0).assert_stdout_has("cargo install");
    cron(&["--auto-upgrade", "0"]).assert_stdout_lacks("cargo install");
    cron(&[])
        .assert_code(0)
        .assert_stdout_lacks("cargo install");
}

#[test]
fn function_call_form() {
    let sb = sandbox();
    let home = sb.home_arg();
    sb.acmers(&["install", "--home", &home, "--nocron", "--noprofile"])
        .assert_code(0);
    sb.assert_copy_runs();
    sb.acmers(&["version"])
        .assert_code(0)
        .assert_stdout_has(env!("CARGO_PKG_VERSION"));
    sb.acmers(&["_date2time", "2026-01-01"])
        .assert_code(1)
        .assert_stderr_has("internal helper");
    sb.acmers(&["frobnicate"])
        .assert_code(1)
        .assert_stderr_has("`frobnicate` is not an acme.sh command");
}
