use std::collections::HashMap;

use super::*;
use crate::store::Home;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
    let map: HashMap<String, OsString> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), OsString::from(v)))
        .collect();
    move |k| map.get(k).cloned()
}

#[test]
fn unit_dir_precedence() {
    let given = env_of(&[
        ("ACMERS_SYSTEMD_DIR", "/pkg/lib/systemd/system"),
        ("HOME", "/home/u"),
    ]);
    assert_eq!(
        UnitDir::choose(&given, Some(0)).unwrap(),
        UnitDir::Given("/pkg/lib/systemd/system".into())
    );
    let plain = env_of(&[("HOME", "/home/u")]);
    assert_eq!(
        UnitDir::choose(&plain, Some(0)).unwrap(),
        UnitDir::System("/etc/systemd/system".into())
    );
    assert_eq!(
        UnitDir::choose(&plain, Some(1000)).unwrap(),
        UnitDir::User("/home/u/.config/systemd/user".into())
    );
    let xdg = env_of(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "/cfg")]);
    assert_eq!(
        UnitDir::choose(&xdg, Some(1000)).unwrap(),
        UnitDir::User("/cfg/systemd/user".into())
    );
    // A relative XDG_CONFIG_HOME is ignored (XDG Base Directory spec).
    let relative = env_of(&[("HOME", "/home/u"), ("XDG_CONFIG_HOME", "cfg")]);
    assert_eq!(
        UnitDir::choose(&relative, Some(1000)).unwrap().path(),
        Path::new("/home/u/.config/systemd/user")
    );
    assert!(UnitDir::choose(&env_of(&[]), Some(1000)).is_err());
}

#[test]
fn user_units_use_systemctl_user() {
    let user = UnitDir::User("/u".into());
    assert_eq!(
        user.systemctl_args(&["daemon-reload"]),
        ["--user", "daemon-reload"]
    );
    let system = UnitDir::System("/s".into());
    assert_eq!(system.systemctl_args(&["daemon-reload"]), ["daemon-reload"]);
}

#[test]
fn unit_quoting_escapes_specifiers_and_variables() {
    assert_eq!(unit_quote("/a b/acmers"), r#""/a b/acmers""#);
    assert_eq!(unit_quote(r#"/x%$"\"#), r#""/x%%$$\"\\""#);
}

#[test]
fn service_runs_cron_once_and_accepts_skip() {
    let home = Home::new("/var/lib/acme home".into(), None, None);
    let cmd = CronCommand::new("/usr/bin/acmers".into(), &home).unwrap();
    let unit = service_unit(&cmd, true).unwrap();
    assert!(unit.contains("\nType=oneshot\n"), "{unit}");
    assert!(
        unit.contains("\nExecStart=\"/usr/bin/acmers\" --cron --home \"/var/lib/acme home\"\n"),
        "{unit}"
    );
    assert!(unit.contains("\nSuccessExitStatus=0 2\n"), "{unit}");
    assert!(unit.contains("After=network-online.target"), "{unit}");
    assert!(
        !service_unit(&cmd, false)
            .unwrap()
            .contains("network-online")
    );
}

#[test]
fn timer_is_daily_at_the_spread_time_and_persistent() {
    let timer = timer_unit(25 * 60 + 7);
    assert!(timer.contains("\nOnCalendar=*-*-* 01:07:00\n"), "{timer}");
    assert!(timer.contains("\nPersistent=true\n"), "{timer}");
    assert!(timer.contains("\nRandomizedDelaySec=1h\n"), "{timer}");
    assert!(
        timer.contains("\n[Install]\nWantedBy=timers.target\n"),
        "{timer}"
    );
}
