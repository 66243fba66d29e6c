use std::os::unix::fs::PermissionsExt as _;

use super::*;

/// A password file holding `text`, mode 0600.
fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pgpass");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    (dir, path)
}

fn find(path: &Path, host: &str, port: u16, db: &str, user: &str) -> Option<String> {
    lookup(path, host, port, db, user).unwrap()
}

#[test]
fn the_path_is_pgpassfile_else_the_home_file() {
    let env = |vars: &'static [(&'static str, &'static str)]| {
        move |key: &str| {
            vars.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        }
    };
    let both = env(&[("PGPASSFILE", "/etc/acmers/pgpass"), ("HOME", "/home/a")]);
    assert_eq!(path(&both), Some(PathBuf::from("/etc/acmers/pgpass")));
    let home = env(&[("PGPASSFILE", ""), ("HOME", "/home/a")]);
    assert_eq!(path(&home), Some(PathBuf::from("/home/a/.pgpass")));
    assert_eq!(path(&env(&[])), None);
}

#[test]
fn the_first_matching_line_wins_and_star_matches_anything() {
    let (_dir, path) = file(
        "# the fleet's store\n\
         db.example:5432:acmers:fleet:first\n\
         db.example:5432:acmers:fleet:second\n\
         *:*:*:fleet:any-host\n\
         db.example:6432:*:*:other-port\n",
    );
    let p = &path;
    assert_eq!(
        find(p, "db.example", 5432, "acmers", "fleet").unwrap(),
        "first"
    );
    assert_eq!(find(p, "other", 1, "x", "fleet").unwrap(), "any-host");
    assert_eq!(find(p, "db.example", 6432, "x", "y").unwrap(), "other-port");
    assert_eq!(find(p, "db.example", 5432, "acmers", "someone"), None);
}

#[test]
fn escapes_comments_and_short_lines() {
    let (_dir, path) = file(
        "#db:5432:acmers:fleet:commented\n\
         db:5432:acmers\n\
         \n\
         \\*:5432:acmers:fleet:literal-star\r\n\
         db\\:1:5432:acmers:fle\\\\et:pa\\:ss\\\\word:ignored\n",
    );
    let p = &path;
    // `\:` and `\\` in a field and in the password; the password ends at the next `:`.
    assert_eq!(
        find(p, "db:1", 5432, "acmers", "fle\\et").unwrap(),
        "pa:ss\\word"
    );
    // `\*` is a host named `*`, not the wildcard; a CR before the newline is not kept.
    assert_eq!(
        find(p, "*", 5432, "acmers", "fleet").unwrap(),
        "literal-star"
    );
    // A line starting with `#` is a comment, even where a host could be named `#db`.
    assert_eq!(find(p, "#db", 5432, "acmers", "fleet"), None);
    assert_eq!(find(p, "db", 5432, "acmers", "fleet"), None);
}

#[test]
fn a_missing_file_gives_no_password() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(find(&dir.path().join("none"), "db", 5432, "a", "b"), None);
}

#[test]
fn a_file_others_can_read_is_refused_with_the_fix() {
    let (_dir, path) = file("*:*:*:*:secret\n");
    for mode in [0o640, 0o604, 0o610] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let err = lookup(&path, "db", 5432, "a", "b").unwrap_err();
        assert!(matches!(err, Error::Exposed { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("chmod 600"), "{message}");
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    assert_eq!(find(&path, "db", 5432, "a", "b").unwrap(), "secret");
}

#[test]
fn a_symbolic_link_to_a_device_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pgpass");
    std::os::unix::fs::symlink("/dev/zero", &path).unwrap();
    assert!(lookup(&path, "db", 5432, "a", "b").is_err());
}
