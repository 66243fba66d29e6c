use std::os::unix::fs::PermissionsExt as _;

use tokio_postgres::config::SslMode;

use super::*;

/// An environment with only `vars`.
fn env_of(vars: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |key: &str| vars.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone())
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn parsed(url: &str) -> Target {
    parse(url, &no_env).unwrap()
}

fn refused(url: &str) -> String {
    match parse(url, &no_env) {
        Err(Error::BadUrl(message)) => message,
        other => panic!("`{url}` was not refused as a URL: {other:?}"),
    }
}

/// A password file holding `text` (0600) and the environment that names it.
fn pgpass(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("pgpass");
    std::fs::write(&path, text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    (dir, path)
}

#[test]
fn tls_is_required_unless_disabled() {
    for url in [
        "postgres://fleet@db.example/acmers",
        "postgresql://fleet@db.example/acmers?sslmode=prefer",
        "postgres://fleet@db.example/acmers?sslmode=allow",
        "postgres://fleet@db.example/acmers?sslmode=require",
        "postgres://fleet@db.example/acmers?sslmode=verify-ca",
        "postgres://fleet@db.example/acmers?connect_timeout=5&sslmode=verify-full",
    ] {
        let target = parsed(url);
        assert!(target.tls(), "{url}");
        assert_eq!(target.config().get_ssl_mode(), SslMode::Require, "{url}");
    }
    let plain = parsed("postgres://fleet@127.0.0.1:5433/acmers?sslmode=disable");
    assert!(!plain.tls());
    assert_eq!(plain.config().get_ssl_mode(), SslMode::Disable);
    assert_eq!(plain.config().get_ports(), [5433]);
    let message = refused("postgres://fleet@db.example/acmers?sslmode=disabled");
    assert!(message.contains("unknown sslmode `disabled`"), "{message}");
}

#[test]
fn a_socket_folder_is_never_tls_and_cannot_be_mixed_with_tls_hosts() {
    let socket = parsed("postgresql://fleet@%2Fvar%2Frun%2Fpostgresql/acmers");
    assert!(!socket.tls());
    assert_eq!(socket.config().get_ssl_mode(), SslMode::Disable);
    assert!(!parsed("postgresql:///acmers?user=fleet&host=/run/postgresql").tls());
    let message = refused("postgresql://fleet@db.example,%2Frun%2Fpostgresql/acmers");
    assert!(message.contains("mixes socket folders"), "{message}");
    assert!(!parsed("postgresql://fleet@db.example,%2Frun%2Fpostgresql/a?sslmode=disable").tls());
}

#[test]
fn the_display_hides_every_password() {
    let target = parsed("postgres://fleet:s3cret@db.example:6432/acmers?sslmode=verify-full");
    assert_eq!(
        target.display(),
        "postgres://fleet:***@db.example:6432/acmers?sslmode=verify-full"
    );
    assert_eq!(target.config().get_password(), Some(&b"s3cret"[..]));
    assert_eq!(target.config().get_user(), Some("fleet"));
    assert_eq!(target.config().get_dbname(), Some("acmers"));
    let target = parsed("postgresql://fleet@db.example/acmers?password=s3cret&connect_timeout=5");
    assert_eq!(
        target.display(),
        "postgresql://fleet@db.example/acmers?password=***&connect_timeout=5"
    );
    assert_eq!(target.config().get_password(), Some(&b"s3cret"[..]));
    // An error about a URL shows it without its password too.
    let message = refused("postgres://fleet:s3cret@db.example/acmers?port=x");
    assert!(!message.contains("s3cret"), "{message}");
    assert!(message.contains("fleet:***@db.example"), "{message}");
}

#[test]
fn an_at_sign_that_is_not_before_the_host_is_refused() {
    for url in [
        "postgres://fleet:p@ss@db.example/acmers",
        "postgres://db.example/acmers?password=p@ss",
    ] {
        let message = refused(url);
        assert!(message.contains("%40"), "{message}");
        assert!(!message.contains("p@ss"), "{message}");
    }
    let target = parsed("postgres://fleet:p%40ss@db.example/acmers");
    assert_eq!(target.config().get_password(), Some(&b"p@ss"[..]));
}

#[test]
fn other_schemes_and_urls_without_host_or_user_are_refused() {
    for url in [
        "http://db.example/acmers",
        "db.example:5432",
        "host=db.example user=fleet",
        "POSTGRES://fleet@db.example/acmers",
    ] {
        let message = refused(url);
        assert!(message.contains("postgres://"), "{url}: {message}");
    }
    assert!(refused("postgres:///acmers?user=fleet").contains("names no host"));
    // libpq options tokio-postgres cannot honour are refused, not ignored.
    assert!(refused("postgres://fleet@db.example/a?sslrootcert=/ca.pem").contains("sslrootcert"));
    assert!(refused("postgres://db.example/acmers").contains("names no user"));
    assert!(refused("postgres://fleet@a,b/acmers?port=1").contains("3 ports for 2 hosts"));
}

#[test]
fn the_user_defaults_to_the_login_and_application_name_to_acmers() {
    let env = env_of(vec![("USER", "ops".into())]);
    let target = parse("postgres://db.example", &env).unwrap();
    assert_eq!(target.config().get_user(), Some("ops"));
    assert_eq!(target.config().get_application_name(), Some("acmers"));
    let target = parsed("postgres://fleet@db.example/acmers?application_name=edge1");
    assert_eq!(target.config().get_application_name(), Some("edge1"));
}

#[test]
fn the_password_comes_from_the_url_else_the_password_file() {
    let (_dir, file) = pgpass(
        "other.example:*:*:*:wrong-host\n\
         db.example:6432:acmers:fleet:from-file\n\
         localhost:5432:acmers:fleet:from-socket\n",
    );
    let env = env_of(vec![("PGPASSFILE", file.display().to_string())]);
    let from_file = parse("postgres://fleet@db.example:6432/acmers", &env).unwrap();
    assert_eq!(from_file.config().get_password(), Some(&b"from-file"[..]));
    assert_eq!(from_file.password_file(), Some(file.as_path()));
    assert!(!from_file.display().contains("from-file"));

    let from_url = parse("postgres://fleet:given@db.example:6432/acmers", &env).unwrap();
    assert_eq!(from_url.config().get_password(), Some(&b"given"[..]));
    assert_eq!(from_url.password_file(), None);

    // The second host of the list is the first the file knows.
    let listed = parse("postgres://fleet@a.example,db.example:6432/acmers", &env).unwrap();
    assert_eq!(listed.config().get_password(), Some(&b"from-file"[..]));
    assert_eq!(listed.password_file(), Some(file.as_path()));

    // libpq's default socket folder is `localhost` in the file.
    let socket = parse("postgres://fleet@%2Fvar%2Frun%2Fpostgresql/acmers", &env).unwrap();
    assert_eq!(socket.config().get_password(), Some(&b"from-socket"[..]));

    let unknown = parse("postgres://fleet@db.example/acmers", &env).unwrap();
    assert_eq!(unknown.config().get_password(), None);
    assert_eq!(unknown.password_file(), None);
}

#[test]
fn a_password_file_others_can_read_is_refused_only_when_needed() {
    let (_dir, file) = pgpass("*:*:*:*:secret\n");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let env = env_of(vec![("PGPASSFILE", file.display().to_string())]);
    let err = parse("postgres://fleet@db.example/acmers", &env).unwrap_err();
    assert!(matches!(err, Error::Exposed { .. }), "{err:?}");
    parse("postgres://fleet:given@db.example/acmers", &env).unwrap();
}
