use std::os::unix::fs::PermissionsExt as _;

use super::*;

fn home(working: &str, config: Option<&str>) -> Home {
    Home::new(working.into(), config.map(PathBuf::from), None)
}

fn dq(s: &str) -> String {
    format!("\"{s}\"")
}

#[test]
fn config_home_is_given_only_when_it_differs() {
    let exe = PathBuf::from("/usr/bin/acmers");
    let same = CronCommand::new(exe.clone(), &home("/h", Some("/h"))).unwrap();
    assert_eq!(
        same.render(dq).unwrap(),
        r#""/usr/bin/acmers" --cron --home "/h""#
    );
    let other = CronCommand::new(exe, &home("/h", Some("/etc/acme"))).unwrap();
    assert_eq!(
        other.render(dq).unwrap(),
        r#""/usr/bin/acmers" --cron --home "/h" --config-home "/etc/acme""#
    );
}

#[test]
fn relative_paths_become_absolute() {
    let cmd = CronCommand::new("bin/acmers".into(), &home("rel-home", None)).unwrap();
    assert!(cmd.exe.is_absolute() && cmd.home.is_absolute(), "{cmd:?}");
    assert!(cmd.home.ends_with("rel-home"));
}

#[test]
fn control_characters_are_refused() {
    let cmd = CronCommand::new("/bin/acmers".into(), &home("/a\nb", None)).unwrap();
    assert!(cmd.render(dq).is_err());
}

#[test]
fn spread_is_acmesh_minute_and_hour() {
    // acme.sh: minute = epoch % 60, hour = epoch / 60 % 24 (minutes, not the hour of day).
    assert_eq!(spread(0), (0, 0));
    assert_eq!(spread(61), (1, 1));
    assert_eq!(spread(25 * 60 + 7), (7, 1));
    assert_eq!(spread(1_704_116_239), (19, 1));
}

#[test]
fn find_program_takes_the_first_executable_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    // Not executable: skipped.
    std::fs::write(a.join("crontab"), "").unwrap();
    std::fs::write(b.join("crontab"), "").unwrap();
    std::fs::set_permissions(b.join("crontab"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::join_paths([&a, &b]).unwrap();
    assert_eq!(
        find_program("crontab", Some(&path)),
        Some(b.join("crontab"))
    );
    assert_eq!(find_program("fcrontab", Some(&path)), None);
    assert_eq!(find_program("crontab", None), None);
}
