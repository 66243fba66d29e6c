use super::*;

/// The variables a plugin gets give its helper the run's options back.
#[test]
fn plugin_env_round_trips() {
    let run = RunOptions {
        user_agent: Some("agent/1".into()),
        insecure: true,
        ca_path: Some(PathBuf::from("/certs")),
        family: Some(Family::V6),
    };
    let env = run.plugin_env();
    let back =
        RunOptions::from_env(&|key| env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()));
    assert_eq!(back, run);
    assert!(RunOptions::default().plugin_env().is_empty());
    let off = RunOptions::from_env(&|key| (key == "HTTPS_INSECURE").then(|| "0".into()));
    assert!(!off.insecure);
}

/// `--ca-path`: the certificates of every file, in name order; other files and sub-folders
/// skipped; a folder without any is refused when the client is configured.
#[test]
fn ca_path_reads_the_certificates_of_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let cert = |n: u8| format!("-----BEGIN CERTIFICATE-----\n{n}\n-----END CERTIFICATE-----\n");
    std::fs::write(dir.path().join("b.pem"), cert(2)).unwrap();
    std::fs::write(dir.path().join("a.crt"), cert(1)).unwrap();
    std::fs::write(dir.path().join("README"), "no certificate\n").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    let pem = String::from_utf8(read_ca_path(dir.path()).unwrap()).unwrap();
    assert_eq!(pem, format!("{}\n{}\n", cert(1), cert(2)));

    let empty = tempfile::tempdir().unwrap();
    let run = RunOptions {
        ca_path: Some(empty.path().to_owned()),
        ..RunOptions::default()
    };
    let error = config_for(None, &run).unwrap_err();
    assert_eq!(error.source.to_string(), "it holds no PEM certificate");
}
