//! `--install-cronjob`, `--uninstall-cronjob` and `--install-systemd-timer`, without touching
//! the machine's scheduler.
//!
//! The cron tests put a **test double** of `crontab` first (and alone) on `PATH`: a shell
//! script that keeps "the crontab" in a file of the test's temp dir. No real crontab is read
//! or written. The systemd test writes into `ACMERS_SYSTEMD_DIR`, where acmers runs no
//! `systemctl` (a fake one on `PATH` records any call).

use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

use crate::support::acmers::Acmers;

/// The fake `crontab`: `-l` prints the stored file (or "no crontab for <user>", exit 1),
/// `-` stores stdin. `FAKE_CRONTAB_LIST_FAILS` makes `-l` fail another way.
pub(crate) const FAKE_CRONTAB: &str = r#"#!/bin/sh
# Test double for crontab(1): the crontab lives in $FAKE_CRONTAB_FILE only.
case "$1" in
-l)
    if [ -n "$FAKE_CRONTAB_LIST_FAILS" ]; then
        echo "crontab: cannot open the spool: Permission denied" >&2
        exit 1
    fi
    if [ -f "$FAKE_CRONTAB_FILE" ]; then
        /bin/cat "$FAKE_CRONTAB_FILE"
    else
        echo "no crontab for tester" >&2
        exit 1
    fi
    ;;
-)
    /bin/cat > "$FAKE_CRONTAB_FILE"
    ;;
*)
    echo "fake crontab: unexpected arguments: $*" >&2
    exit 2
    ;;
esac
"#;

/// A fake `systemctl` that only records its arguments.
const FAKE_SYSTEMCTL: &str = r#"#!/bin/sh
echo "$*" >> "$FAKE_SYSTEMCTL_LOG"
"#;

struct Sandbox {
    top: TempDir,
    /// The acme.sh home (with a space, to check quoting).
    home: PathBuf,
    /// The only `PATH` entry.
    bin: PathBuf,
    /// Where the fake crontab keeps its content.
    crontab: PathBuf,
}

fn sandbox() -> Sandbox {
    let top = tempfile::tempdir().expect("tempdir");
    let home = top.path().join("acme home");
    let bin = top.path().join("bin");
    fs::create_dir_all(&home).expect("mkdir home");
    fs::create_dir_all(&bin).expect("mkdir bin");
    let crontab = top.path().join("crontab.txt");
    Sandbox {
        top,
        home,
        bin,
        crontab,
    }
}

impl Sandbox {
    fn install(&self, name: &str, script: &str) {
        let path = self.bin.join(name);
        fs::write(&path, script).expect("write script");
        fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).expect("chmod");
    }

    fn acmers(&self, args: &[&str]) -> Acmers {
        Acmers::new(&self.home)
            .args(args)
            .env("PATH", &self.bin.display().to_string())
            .env("FAKE_CRONTAB_FILE", &self.crontab.display().to_string())
    }

    fn crontab(&self) -> String {
        fs::read_to_string(&self.crontab).expect("crontab file")
    }
}

fn exe() -> &'static str {
    env!("CARGO_BIN_EXE_acmers")
}

/// `M H * * * "<exe>" --cron --home "<home>" > /dev/null` with M < 60 and H < 24.
fn assert_cron_line(line: &str, home: &Path, config_home: Option<&Path>) {
    let fields: Vec<&str> = line.splitn(6, ' ').collect();
    assert_eq!(fields.len(), 6, "{line}");
    let minute: u8 = fields[0].parse().expect("minute");
    let hour: u8 = fields[1].parse().expect("hour");
    assert!(minute < 60 && hour < 24, "{line}");
    assert_eq!(fields[2..5], ["*", "*", "*"], "{line}");
    let mut command = format!("\"{}\" --cron --home \"{}\"", exe(), home.display());
    if let Some(dir) = config_home {
        command += &format!(" --config-home \"{}\"", dir.display());
    }
    assert_eq!(fields[5], format!("{command} > /dev/null"));
}

#[test]
fn cronjob_is_added_once_next_to_other_jobs() {
    let sb = sandbox();
    sb.install("crontab", FAKE_CRONTAB);
    let other = "MAILTO=root\n0 1 * * * /usr/bin/true\n";
    fs::write(&sb.crontab, other).expect("seed crontab");

    let out = sb.acmers(&["--install-cronjob"]).run();
    out.assert_code(0);
    out.assert_stdout_has("Installing cron job");
    let text = sb.crontab();
    let ours = text.strip_prefix(other).expect("other jobs kept, in order");
    assert!(ours.ends_with('\n'), "{text:?}");
    assert_eq!(ours.lines().count(), 1, "{text}");
    assert_cron_line(ours.trim_end(), &sb.home, None);

    let out = sb.acmers(&["--install-cronjob"]).run();
    out.assert_code(0);
    out.assert_stdout_has("A cron job exists already");
    assert_eq!(sb.crontab(), text, "a second install changes nothing");
}

#[test]
fn cronjob_without_a_crontab_yet_and_with_a_config_home() {
    let sb = sandbox();
    sb.install("crontab", FAKE_CRONTAB);
    let config = sb.top.path().join("config home");
    let out = sb
        .acmers(&["--install-cronjob", "--config-home"])
        .arg(&config)
        .run();
    out.assert_code(0);
    let text = sb.crontab();
    assert_eq!(text.lines().count(), 1, "{text}");
    assert_cron_line(text.trim_end(), &sb.home, Some(&config));
}

#[test]
fn an_acmesh_cronjob_counts_as_installed_and_uninstall_removes_both() {
    let sb = sandbox();
    sb.install("crontab", FAKE_CRONTAB);
    let acmesh =
        "17 0 * * * \"/root/.acme.sh\"/acme.sh --cron --home \"/root/.acme.sh\" > /dev/null";
    let text = format!("0 1 * * * /usr/bin/true\n{acmesh}\n# 5 5 * * * acme.sh --cron\n");
    fs::write(&sb.crontab, &text).expect("seed crontab");

    let out = sb.acmers(&["--install-cronjob"]).run();
    out.assert_code(0);
    out.assert_stdout_has(acmesh);
    assert_eq!(sb.crontab(), text);

    // Add ours too (as if installed earlier), then remove every --cron job.
    let ours = format!(
        "3 4 * * * \"{}\" --cron --home \"{}\" > /dev/null",
        exe(),
        sb.home.display()
    );
    fs::write(&sb.crontab, format!("{text}{ours}\n")).expect("seed crontab");
    let out = sb.acmers(&["--uninstall-cronjob"]).run();
    out.assert_code(0);
    out.assert_stdout_has(&format!("Removed: {acmesh}"));
    out.assert_stdout_has(&format!("Removed: {ours}"));
    assert_eq!(
        sb.crontab(),
        "0 1 * * * /usr/bin/true\n# 5 5 * * * acme.sh --cron\n",
        "other jobs and comments stay"
    );

    let out = sb.acmers(&["--uninstall-cronjob"]).run();
    out.assert_code(0);
    out.assert_stdout_has("No cron job found.");
}

#[test]
fn missing_crontab_fails_with_a_hint() {
    let sb = sandbox();
    let out = sb.acmers(&["--install-cronjob"]).run();
    out.assert_code(1);
    out.assert_stderr_has("crontab/fcrontab doesn't exist");
    out.assert_stderr_has("--install-systemd-timer");
    assert!(!sb.crontab.exists());
}

#[test]
fn a_crontab_that_cannot_be_listed_is_not_overwritten() {
    let sb = sandbox();
    sb.install("crontab", FAKE_CRONTAB);
    fs::write(&sb.crontab, "0 1 * * * /usr/bin/true\n").expect("seed crontab");
    let out = sb
        .acmers(&["--install-cronjob"])
        .env("FAKE_CRONTAB_LIST_FAILS", "1")
        .run();
    out.assert_code(1);
    out.assert_stderr_has("Permission denied");
    out.assert_stderr_has("crontab -e");
    assert_eq!(sb.crontab(), "0 1 * * * /usr/bin/true\n");
}

#[test]
fn systemd_timer_goes_to_acmers_systemd_dir() {
    let sb = sandbox();
    sb.install("systemctl", FAKE_SYSTEMCTL);
    let log = sb.top.path().join("systemctl.log");
    let units = sb.top.path().join("units");
    let out = sb
        .acmers(&["--install-systemd-timer"])
        .env("ACMERS_SYSTEMD_DIR", &units.display().to_string())
        .env("FAKE_SYSTEMCTL_LOG", &log.display().to_string())
        .run();
    out.assert_code(0);
    assert!(
        !log.exists(),
        "systemctl ran although ACMERS_SYSTEMD_DIR is set"
    );
    let mut names: Vec<String> = fs::read_dir(&units)
        .expect("units dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["acmers.service", "acmers.timer"]);
    for name in &names {
        let mode = fs::metadata(units.join(name))
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{name}");
    }

    let service = fs::read_to_string(units.join("acmers.service")).expect("service");
    let lines: Vec<&str> = service.lines().collect();
    for expected in [
        "[Service]".to_owned(),
        "Type=oneshot".to_owned(),
        format!(
            "ExecStart=\"{}\" --cron --home \"{}\"",
            exe(),
            sb.home.display()
        ),
        "SuccessExitStatus=0 2".to_owned(),
    ] {
        assert!(
            lines.contains(&expected.as_str()),
            "{expected:?} not in:\n{service}"
        );
    }
    let timer = fs::read_to_string(units.join("acmers.timer")).expect("timer");
    let on_calendar = timer
        .lines()
        .find_map(|l| l.strip_prefix("OnCalendar=*-*-* "))
        .unwrap_or_else(|| panic!("no daily OnCalendar in:\n{timer}"));
    let (hour, rest) = on_calendar.split_once(':').expect("HH:MM:SS");
    let (minute, _) = rest.split_once(':').expect("HH:MM:SS");
    assert!(hour.parse::<u8>().expect("hour") < 24, "{timer}");
    assert!(minute.parse::<u8>().expect("minute") < 60, "{timer}");
    for expected in [
        "[Timer]",
        "Persistent=true",
        "[Install]",
        "WantedBy=timers.target",
    ] {
        assert!(
            timer.lines().any(|l| l == expected),
            "{expected:?} not in:\n{timer}"
        );
    }
    out.assert_stdout_has("systemctl enable --now acmers.timer");
}
