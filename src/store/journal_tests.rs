use std::fs;

use super::*;

fn read(dir: &Path, name: &str) -> String {
    fs::read_to_string(dir.join(name)).unwrap()
}

#[test]
fn commit_switches_every_file_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("a.key"), "old key").unwrap();
    fs::write(d.join("a.cer"), "old cert").unwrap();
    let mut tx = Transaction::new(d);
    tx.stage(&d.join("a.key"), b"new key", 0o600).unwrap();
    tx.stage(&d.join("a.cer"), b"new cert", 0o644).unwrap();
    // Before the commit point the old files are intact.
    assert_eq!(read(d, "a.key"), "old key");
    tx.commit().unwrap();
    assert_eq!(read(d, "a.key"), "new key");
    assert_eq!(read(d, "a.cer"), "new cert");
    let mut left: Vec<_> = fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["a.cer", "a.key"]);
    let mode = fs::metadata(d.join("a.key")).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );
}

#[test]
fn an_interrupted_commit_is_rolled_forward() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("a.key"), "old key").unwrap();
    fs::write(d.join("a.cer"), "old cert").unwrap();
    // The state a crash after the journal and the first rename leaves.
    fs::write(d.join("a.key"), "new key").unwrap();
    fs::write(d.join(staged_name("a.cer")), "new cert").unwrap();
    fs::write(d.join(JOURNAL), format!("{HEADER}\na.key\na.cer\n")).unwrap();
    assert!(roll_forward(d).unwrap());
    assert_eq!(read(d, "a.key"), "new key");
    assert_eq!(read(d, "a.cer"), "new cert");
    assert!(!d.join(JOURNAL).exists());
    assert!(!roll_forward(d).unwrap());
}

#[test]
fn staged_files_without_a_journal_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join("a.key"), "old key").unwrap();
    fs::write(d.join(staged_name("a.key")), "half").unwrap();
    assert!(!roll_forward(d).unwrap());
    assert_eq!(read(d, "a.key"), "old key");
}

#[test]
fn hostile_journals_and_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs::write(d.join(JOURNAL), format!("{HEADER}\n../../etc/passwd\n")).unwrap();
    assert!(matches!(roll_forward(d), Err(Error::BadJournal { .. })));
    fs::write(d.join(JOURNAL), "rm -rf /\n").unwrap();
    assert!(matches!(roll_forward(d), Err(Error::BadJournal { .. })));
    let mut tx = Transaction::new(d);
    assert!(tx.stage(&d.join("../x"), b"", 0o600).is_err());
    assert!(tx.stage(&d.join(".."), b"", 0o600).is_err());
    assert!(tx.stage(Path::new("/etc/passwd"), b"", 0o600).is_err());
}
