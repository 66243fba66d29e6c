//! Table tests of the command line (G11): valid lines and rejected ones, no process needed.

use std::path::PathBuf;

use clap::error::ErrorKind;

use super::*;

fn line(s: &str) -> Result<Parsed, clap::Error> {
    parse(
        std::iter::once("acmers")
            .chain(s.split_whitespace())
            .map(OsString::from),
    )
}

#[test]
fn issue_lines() {
    let p = line("--issue -d example.com -d www.example.com --standalone").unwrap();
    assert_eq!(p.command, Some(Command::Issue));
    assert_eq!(p.args.domains, ["example.com", "www.example.com"]);
    assert_eq!(p.modes, [ModeArg::Standalone]);

    let p = line("--issue -d example.com -w /var/www/html").unwrap();
    assert_eq!(p.modes, [ModeArg::Webroot(PathBuf::from("/var/www/html"))]);

    let p = line("-d a.com --webroot /a --issue -d b.com --standalone -d c.com -w /c").unwrap();
    assert_eq!(p.command, Some(Command::Issue));
    assert_eq!(
        p.modes,
        [
            ModeArg::Webroot("/a".into()),
            ModeArg::Standalone,
            ModeArg::Webroot("/c".into())
        ]
    );

    let p = line("--issue -d a.com --standalone -k 2048 -ak ec-384 -m me@a.com --httpport 8080 --local-address 127.0.0.1 --days -10 -f").unwrap();
    assert_eq!(p.args.key_length.as_deref(), Some("2048"));
    assert_eq!(p.args.account_key_length.as_deref(), Some("ec-384"));
    assert_eq!(p.args.email.as_deref(), Some("me@a.com"));
    assert_eq!(p.args.http_port, Some(8080));
    assert_eq!(p.args.local_address, ["127.0.0.1"]);
    assert_eq!(p.args.days, Some(-10));
    assert!(p.args.force);

    let p = line("--issue -d a.com --standalone --order-timeout 3 --validation-timeout 7").unwrap();
    assert_eq!(p.args.order_timeout, 3);
    assert_eq!(p.args.validation_timeout, 7);
    let p = line("--issue -d a.com -d b.com --standalone -w /b --standalone").unwrap();
    assert_eq!(
        p.modes,
        [
            ModeArg::Standalone,
            ModeArg::Webroot("/b".into()),
            ModeArg::Standalone
        ]
    );
    let p = line("--issue -d a.com --standalone").unwrap();
    assert_eq!(
        (p.args.order_timeout, p.args.validation_timeout),
        (300, 300)
    );
}

#[test]
fn set_default_ca_and_server_forms() {
    let p = line("--set-default-ca --server letsencrypt").unwrap();
    assert_eq!(p.command, Some(Command::SetDefaultCa));
    assert_eq!(p.args.server.as_deref(), Some("letsencrypt"));
    assert!(
        line("--issue -d a.com --standalone --test")
            .unwrap()
            .args
            .staging
    );
    assert!(
        line("--issue -d a.com --standalone --staging")
            .unwrap()
            .args
            .staging
    );
}

#[test]
fn last_command_wins_as_in_acmesh() {
    assert_eq!(
        line("--issue --set-default-ca --server x").unwrap().command,
        Some(Command::SetDefaultCa)
    );
    assert_eq!(
        line("--set-default-ca --server x --issue").unwrap().command,
        Some(Command::Issue)
    );
    assert_eq!(line("-d a.com").unwrap().command, None);
    assert_eq!(line("-h").unwrap().command, Some(Command::Help));
    assert_eq!(line("--version").unwrap().command, Some(Command::Version));
    assert_eq!(line("-v").unwrap().command, Some(Command::Version));
}

#[test]
fn several_commands_warn_and_the_last_one_runs() {
    let cases: &[(&str, Option<Command>, &[Command])] = &[
        ("--issue -d a.com", Some(Command::Issue), &[]),
        ("--issue --issue -d a.com", Some(Command::Issue), &[]),
        (
            "--issue -d a.com --renew",
            Some(Command::Renew),
            &[Command::Issue],
        ),
        (
            "--renew-all --issue --list",
            Some(Command::List),
            &[Command::RenewAll, Command::Issue],
        ),
        // A repeated command counts where it was given last.
        (
            "--issue --list --issue",
            Some(Command::Issue),
            &[Command::List],
        ),
    ];
    for (text, command, overridden) in cases {
        let p = line(text).unwrap();
        assert_eq!(p.command, *command, "{text}");
        assert_eq!(p.overridden, *overridden, "{text}");
        assert_eq!(
            p.command_warning().is_some(),
            !overridden.is_empty(),
            "{text}"
        );
    }
    let warning = line("--issue -d a.com -r")
        .unwrap()
        .command_warning()
        .unwrap();
    assert_eq!(
        warning,
        "warning: 2 commands given (`--issue`, `--renew`); only the last one, `--renew`, runs \
         (as in acme.sh)"
    );
}

#[test]
fn a_repeated_option_keeps_its_last_value_and_lists_accumulate() {
    let p = line("--issue -d a.com -d b.com --server x --server y -w /a -w /b -f -f").unwrap();
    assert_eq!(p.args.server.as_deref(), Some("y"));
    assert_eq!(p.args.domains, ["a.com", "b.com"]);
    assert_eq!(p.args.webroot, [PathBuf::from("/a"), PathBuf::from("/b")]);
    assert!(p.args.force);
}

#[test]
fn waits_and_levels_in_range() {
    let p = line("--cron --lock-timeout 0 --hook-timeout 1 --debug 3").unwrap();
    assert_eq!((p.args.lock_timeout, p.args.hook_timeout), (0, 1));
    assert_eq!(p.args.debug, Some(3));
    let p =
        line("--issue --validation-timeout 604800 --order-timeout 604800 --httpport 1").unwrap();
    assert_eq!(
        (p.args.validation_timeout, p.args.order_timeout),
        (MAX_SECONDS, MAX_SECONDS)
    );
    assert_eq!(p.args.http_port, Some(1));
}

#[test]
fn optional_values() {
    assert_eq!(line("--issue --debug").unwrap().args.debug, Some(1));
    assert_eq!(line("--issue --debug 2").unwrap().args.debug, Some(2));
    assert_eq!(line("--debug --issue").unwrap().args.debug, Some(1));
    assert_eq!(line("--issue --debug 0").unwrap().args.debug, Some(0));
    // acme.sh's `SYSLOG_LEVEL_DEFAULT`: errors.
    assert_eq!(line("--issue --syslog").unwrap().args.syslog, Some(3));
    assert_eq!(line("--issue --syslog 7").unwrap().args.syslog, Some(7));
    assert_eq!(
        line("--issue --syslog --debug").unwrap().args.syslog,
        Some(3)
    );
    assert_eq!(line("--issue --log").unwrap().args.log.as_deref(), Some(""));
    assert_eq!(
        line("--issue --log /tmp/x.log")
            .unwrap()
            .args
            .log
            .as_deref(),
        Some("/tmp/x.log")
    );
}

#[test]
fn rejected_lines() {
    let cases: &[(&str, ErrorKind)] = &[
        ("--issue --bogus", ErrorKind::UnknownArgument),
        ("--issue -d", ErrorKind::InvalidValue),
        ("--issue -d -x.com", ErrorKind::UnknownArgument),
        ("--issue --httpport 99999", ErrorKind::ValueValidation),
        ("--issue --httpport http", ErrorKind::ValueValidation),
        ("--issue --order-timeout soon", ErrorKind::ValueValidation),
        ("--issue --server", ErrorKind::InvalidValue),
        ("--issue --httpport 0", ErrorKind::ValueValidation),
        ("--issue --validation-timeout 0", ErrorKind::ValueValidation),
        ("--issue --order-timeout 0", ErrorKind::ValueValidation),
        ("--issue --hook-timeout 0", ErrorKind::ValueValidation),
        ("--issue --hook-timeout -5", ErrorKind::ValueValidation),
        ("--issue --order-timeout 604801", ErrorKind::ValueValidation),
        ("--cron --lock-timeout 604801", ErrorKind::ValueValidation),
        (
            "--issue --validation-timeout 99999999999999999999",
            ErrorKind::ValueValidation,
        ),
        ("--issue --debug 4", ErrorKind::ValueValidation),
        ("--issue --debug 9", ErrorKind::ValueValidation),
        ("issue -d a.com", ErrorKind::UnknownArgument),
    ];
    for (args, kind) in cases {
        match line(args) {
            Ok(p) => panic!("{args:?} was accepted: {p:?}"),
            Err(e) => assert_eq!(e.kind(), *kind, "{args:?}: {e}"),
        }
    }
}

#[test]
fn help_lists_the_flags() {
    let h = help();
    for flag in [
        "--issue",
        "--set-default-ca",
        "--webroot",
        "--standalone",
        "--server",
        "--order-timeout",
    ] {
        assert!(h.contains(flag), "{flag} missing from help");
    }
}

#[test]
fn lifecycle_lines() {
    let p = line("--renew -d a.com --ecc --force").unwrap();
    assert_eq!(p.command, Some(Command::Renew));
    assert!(p.args.ecc && p.args.force);
    assert_eq!(line("-r -d a.com").unwrap().command, Some(Command::Renew));
    for (text, command) in [
        ("--renew-all", Command::RenewAll),
        ("--renewAll", Command::RenewAll),
        ("--renewall", Command::RenewAll),
        ("--cron", Command::Cron),
        ("--installcert -d a.com", Command::InstallCert),
        ("-i -d a.com", Command::InstallCert),
        ("--list", Command::List),
        ("--info", Command::Info),
        ("--remove -d a.com", Command::Remove),
        ("--revoke -d a.com", Command::Revoke),
        ("--install-cronjob", Command::InstallCronjob),
        ("--uninstall-cronjob", Command::UninstallCronjob),
        ("--install-systemd-timer", Command::InstallSystemdTimer),
    ] {
        assert_eq!(line(text).unwrap().command, Some(command), "{text}");
    }
    let p = line("--renew-all -se --parallel 8 --lock-timeout 5 --treat-skip-as-success").unwrap();
    assert!(p.args.stop_renew_on_error && p.args.treat_skip_as_success);
    assert_eq!((p.args.parallel, p.args.lock_timeout), (8, 5));
    let p = line("--cron").unwrap();
    assert_eq!(
        (p.args.parallel, p.args.lock_timeout, p.args.hook_timeout),
        (4, 60, 300)
    );
    assert!(line("--cron --parallel 0").is_err());
    assert!(line("--revoke -d a.com --revoke-reason 11").is_err());
    assert_eq!(
        line("--revoke -d a.com --revoke-reason 4")
            .unwrap()
            .args
            .revoke_reason,
        Some(4)
    );
    let p = line("--install-cert -d a.com --certpath /c --keypath /k --capath /ca --fullchainpath /f --reloadCmd true").unwrap();
    assert_eq!(
        p.args.cert_file.as_deref(),
        Some(std::path::Path::new("/c"))
    );
    assert_eq!(p.args.key_file.as_deref(), Some(std::path::Path::new("/k")));
    assert_eq!(p.args.ca_file.as_deref(), Some(std::path::Path::new("/ca")));
    assert_eq!(
        p.args.fullchain_file.as_deref(),
        Some(std::path::Path::new("/f"))
    );
    assert_eq!(p.args.reloadcmd.as_deref(), Some("true"));
    let p = line("--issue -d a.com --standalone --pre-hook true --post-hook true --renew-hook true --hook-timeout 9").unwrap();
    assert_eq!(p.args.pre_hook.as_deref(), Some("true"));
    assert_eq!(p.args.hook_timeout, 9);
    let p = line("--list --listraw --json --info --output-insecure").unwrap();
    assert_eq!(p.command, Some(Command::Info));
    assert!(p.args.listraw && p.args.json && p.args.output_insecure);
}

/// Every spelling acme.sh's `_process` accepts for a command acmers has.
#[test]
fn acmesh_command_aliases() {
    for (text, command) in [
        ("--installcronjob", Command::InstallCronjob),
        ("--uninstallcronjob", Command::UninstallCronjob),
        ("--installcert -d a.com", Command::InstallCert),
        ("--renewAll", Command::RenewAll),
        ("--renewall", Command::RenewAll),
        ("-r -d a.com", Command::Renew),
        ("-i -d a.com", Command::InstallCert),
        ("-h", Command::Help),
        ("-v", Command::Version),
        ("--create-account-key", Command::CreateAccountKey),
        ("--createAccountKey", Command::CreateAccountKey),
        ("--createaccountkey", Command::CreateAccountKey),
        ("-cak -ak 2048", Command::CreateAccountKey),
        ("--create-domain-key -d a.com", Command::CreateDomainKey),
        ("--createDomainKey -d a.com", Command::CreateDomainKey),
        ("--createdomainkey -d a.com", Command::CreateDomainKey),
        ("-cdk -d a.com -k 2048", Command::CreateDomainKey),
        ("--create-csr -d a.com", Command::CreateCsr),
        ("--createCSR -d a.com", Command::CreateCsr),
        ("--createcsr -d a.com", Command::CreateCsr),
        ("-ccr -d a.com", Command::CreateCsr),
        ("--to-pkcs12 -d a.com", Command::ToPkcs12),
        ("--to-pkcs -d a.com", Command::ToPkcs12),
        ("--toPkcs -d a.com", Command::ToPkcs12),
        ("--to-pkcs8 -d a.com", Command::ToPkcs8),
        ("--toPkcs8 -d a.com", Command::ToPkcs8),
        ("--sign-csr --csr a.csr -w /w", Command::SignCsr),
        ("--signcsr --csr a.csr --standalone", Command::SignCsr),
        ("--show-csr --csr a.csr", Command::ShowCsr),
        ("--showcsr --csr a.csr", Command::ShowCsr),
        ("--deactivate -d a.com -d b.com", Command::Deactivate),
    ] {
        assert_eq!(line(text).unwrap().command, Some(command), "{text}");
    }
    let p = line("--signcsr --csr /tmp/a.csr --dns dns_cf").unwrap();
    assert_eq!(p.args.csr, Some(PathBuf::from("/tmp/a.csr")));
    assert_eq!(p.modes, [ModeArg::Dns("dns_cf".into())]);
}

/// Every spelling acme.sh's `_process` accepts for an option acmers has.
#[test]
fn acmesh_option_aliases() {
    for text in [
        "-se",
        "--stop-renew-on-error",
        "--stopRenewOnError",
        "--stoprenewonerror",
    ] {
        let p = line(&format!("--renew-all {text}")).unwrap();
        assert!(p.args.stop_renew_on_error, "{text}");
    }
    for text in ["--treat-skip-as-success", "--treatskipassuccess"] {
        let p = line(&format!("--renew-all {text}")).unwrap();
        assert!(p.args.treat_skip_as_success, "{text}");
    }
    for text in ["-m", "--email", "--accountemail"] {
        let p = line(&format!("--issue {text} me@a.com")).unwrap();
        assert_eq!(p.args.email.as_deref(), Some("me@a.com"), "{text}");
    }
    for text in ["-k", "--keylength"] {
        let p = line(&format!("--issue {text} ec-384")).unwrap();
        assert_eq!(p.args.key_length.as_deref(), Some("ec-384"), "{text}");
    }
    for text in ["-ak", "--accountkeylength"] {
        let p = line(&format!("--issue {text} 2048")).unwrap();
        assert_eq!(p.args.account_key_length.as_deref(), Some("2048"), "{text}");
    }
    for text in ["--log", "--logfile"] {
        let p = line(&format!("--issue {text} /l")).unwrap();
        assert_eq!(p.args.log.as_deref(), Some("/l"), "{text}");
    }
    for text in ["--cert-home", "--certhome"] {
        let p = line(&format!("--list {text} /h")).unwrap();
        assert_eq!(p.args.cert_home, Some(PathBuf::from("/h")), "{text}");
    }
    for text in ["--staging", "--test"] {
        assert!(
            line(&format!("--issue {text}")).unwrap().args.staging,
            "{text}"
        );
    }
    for text in ["-d", "--domain"] {
        let p = line(&format!("--issue {text} a.com")).unwrap();
        assert_eq!(p.args.domains, ["a.com"], "{text}");
    }
    for text in ["-w", "--webroot"] {
        let p = line(&format!("--issue {text} /w")).unwrap();
        assert_eq!(p.args.webroot, [PathBuf::from("/w")], "{text}");
    }
    for text in ["-f", "--force"] {
        assert!(
            line(&format!("--issue {text}")).unwrap().args.force,
            "{text}"
        );
    }
    // A password may start with a dash.
    for password in ["s3cret", "-x-"] {
        let p = line(&format!("--to-pkcs12 -d a.com --password {password}")).unwrap();
        assert_eq!(p.args.password.as_deref(), Some(password));
    }
    for text in ["--reloadcmd", "--reloadCmd"] {
        let p = line(&format!("--install-cert {text} true")).unwrap();
        assert_eq!(p.args.reloadcmd.as_deref(), Some("true"), "{text}");
    }
}

/// acme.sh options acmers does not need are accepted, and each is explained at `--debug`.
#[test]
fn acmesh_flags_acmers_does_not_need_are_accepted() {
    let p = line(
        "--issue --openssl-bin /usr/bin/openssl --use-wget -b dev --force-color --no-color \
         --insecure --useragent UA --ca-path /etc/ssl/certs --log-level 2 --syslog 6 \
         --accountconf /a.conf --accountkey /a.key --request-v4 --treat-skip-as-success",
    )
    .unwrap();
    let a = &p.args;
    assert_eq!(a.openssl_bin.as_deref(), Some("/usr/bin/openssl"));
    assert_eq!(a.branch.as_deref(), Some("dev"));
    assert_eq!(a.useragent.as_deref(), Some("UA"));
    assert_eq!(a.ca_path, Some(PathBuf::from("/etc/ssl/certs")));
    assert_eq!((a.log_level, a.syslog), (Some(2), Some(6)));
    assert_eq!(a.account_conf, Some(PathBuf::from("/a.conf")));
    assert_eq!(a.account_key, Some(PathBuf::from("/a.key")));
    assert!(a.use_wget && a.force_color && a.no_color && a.insecure && a.request_v4);
    // `--openssl-bin`, `--use-wget`, `--branch`, `--treat-skip-as-success`: the others work.
    assert_eq!(p.accepted_only().len(), 4);
    assert_eq!(
        line("--branch x").unwrap().args.branch.as_deref(),
        Some("x")
    );
    assert!(line("--issue -d a.com").unwrap().accepted_only().is_empty());
}

/// An option given twice: the last value wins; the options acme.sh appends keep appending.
#[test]
fn repeated_options_as_in_acmesh() {
    let p = line(
        "--issue --server a --server b -m a@x -m b@x -k 2048 -k ec-384 --days 1 --days 2 \
         --httpport 81 --httpport 82 --debug 2 --debug 1 --log /a --log /b --home /a --home /b \
         --reloadcmd a --reloadcmd b --cert-file /a --cert-file /b --useragent a --useragent b \
         --notify-level 1 --notify-level 2 --dns-timeout 5 --dns-timeout 6",
    )
    .unwrap();
    let a = &p.args;
    assert_eq!(a.server.as_deref(), Some("b"));
    assert_eq!(a.email.as_deref(), Some("b@x"));
    assert_eq!(a.key_length.as_deref(), Some("ec-384"));
    assert_eq!((a.days, a.http_port, a.debug), (Some(2), Some(82), Some(1)));
    assert_eq!(a.log.as_deref(), Some("/b"));
    assert_eq!(a.home, Some(PathBuf::from("/b")));
    assert_eq!(a.reloadcmd.as_deref(), Some("b"));
    assert_eq!(a.cert_file, Some(PathBuf::from("/b")));
    assert_eq!(a.useragent.as_deref(), Some("b"));
    assert_eq!((a.notify_level, a.dns_timeout), (Some(2), 6));

    let p = line(
        "--issue -d a -d b -w /a -w /b --standalone --standalone --local-address 127.0.0.1 \
         --local-address ::1 --dns dns_cf --dns --challenge-alias c --domain-alias d \
         --deploy-hook x --deploy-hook y --notify-hook mail --notify-hook slack",
    )
    .unwrap();
    let a = &p.args;
    assert_eq!(a.domains, ["a", "b"]);
    assert_eq!(a.webroot.len() + a.standalone.len() + a.dns.len(), 6);
    assert_eq!(a.local_address, ["127.0.0.1", "::1"]);
    assert_eq!(a.dns, ["dns_cf", "dns"]);
    assert_eq!(p.aliases, ["c", "=d"]);
    assert_eq!(a.deploy_hook, ["x", "y"]);
    assert_eq!(a.notify_hook, ["mail", "slack"]);
}

/// The environment variables acme.sh reads in place of options; the command line wins.
#[test]
fn environment_as_in_acmesh() {
    let vars = [
        ("DEBUG", "2"),
        ("ACCOUNT_EMAIL", "env@a.com"),
        ("CA_BUNDLE", "/env.pem"),
        ("ACME_DIRECTORY", "https://ca.example/dir"),
        ("STAGE", "1"),
    ];
    let env = |key: &str| {
        vars.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    };
    let mut p = line("--issue -d a.com").unwrap();
    p.apply_env(&env);
    let a = &p.args;
    assert_eq!(a.debug, Some(2));
    assert_eq!(a.email.as_deref(), Some("env@a.com"));
    assert_eq!(a.ca_bundle, Some(PathBuf::from("/env.pem")));
    assert_eq!(a.server.as_deref(), Some("https://ca.example/dir"));
    assert!(!a.staging, "ACME_DIRECTORY wins over STAGE");

    let mut p = line("--issue --debug 0 -m cli@a.com --ca-bundle /cli.pem --staging").unwrap();
    p.apply_env(&env);
    let a = &p.args;
    assert_eq!(a.debug, None, "--debug 0 is off");
    assert_eq!(a.email.as_deref(), Some("cli@a.com"));
    assert_eq!(a.ca_bundle, Some(PathBuf::from("/cli.pem")));
    assert_eq!((a.server.as_deref(), a.staging), (None, true));

    // A renewal keeps its saved CA.
    let mut p = line("--renew -d a.com").unwrap();
    p.apply_env(&env);
    assert_eq!((p.args.server.as_deref(), p.args.staging), (None, false));

    let stage = |key: &str| (key == "STAGE").then(|| "1".to_owned());
    let mut p = line("--issue -d a.com").unwrap();
    p.apply_env(&stage);
    assert!(p.args.staging);
}

/// The table of docs/commands.md ("Every acme.sh 3.1.4 command and option") lists every
/// spelling acme.sh 3.1.4's `_process` accepts (tests/fixtures/acmesh-3.1.4-options.txt),
/// and tells the truth about each: a spelling marked "not yet" is refused as unknown, any
/// other is accepted by the parser.
#[test]
fn commands_md_lists_every_acmesh_option_truthfully() {
    let doc = include_str!("../../docs/commands.md");
    let table = doc
        .split("## Every acme.sh 3.1.4 command and option")
        .nth(1)
        .expect("the table section");
    let mut states = std::collections::HashMap::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let state = cells[2];
        assert!(
            ["done", "different", "n/a", "not yet"].contains(&state),
            "{row}"
        );
        for spelling in cells[1].split('`').skip(1).step_by(2) {
            states.insert(spelling.to_owned(), state);
        }
    }
    let spellings = include_str!("../../tests/fixtures/acmesh-3.1.4-options.txt");
    let mut wrong = Vec::new();
    for spelling in spellings.lines().filter(|l| !l.is_empty()) {
        let Some(state) = states.get(spelling) else {
            wrong.push(format!("{spelling} is not in docs/commands.md"));
            continue;
        };
        let unknown = line(spelling)
            .err()
            .is_some_and(|e| e.kind() == ErrorKind::UnknownArgument);
        if unknown != (*state == "not yet") {
            wrong.push(format!("{spelling}: docs/commands.md says {state}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The run-environment variables fill their options; the command line wins; an empty or `0`
/// switch is off; IPv6 wins over IPv4 as in acme.sh's `_processAccountConf`.
#[test]
fn run_environment_variables_fill_their_options() {
    let vars = [
        ("CA_PATH", "/env-certs"),
        ("USER_AGENT", "env-agent"),
        ("HTTPS_INSECURE", "1"),
        ("ACME_USE_IPV4_REQUESTS", "1"),
        ("ACME_USE_IPV6_REQUESTS", "1"),
    ];
    let env = |key: &str| {
        vars.iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    };
    let mut p = line("--cron").unwrap();
    p.apply_env(&env);
    let a = &p.args;
    assert_eq!(a.ca_path, Some(PathBuf::from("/env-certs")));
    assert_eq!(a.useragent.as_deref(), Some("env-agent"));
    assert!(a.insecure && a.request_v6 && !a.request_v4);

    let mut p = line("--cron --ca-path /cli --useragent cli --request-v4").unwrap();
    p.apply_env(&env);
    let a = &p.args;
    assert_eq!(a.ca_path, Some(PathBuf::from("/cli")));
    assert_eq!(a.useragent.as_deref(), Some("cli"));
    assert!(a.request_v4 && !a.request_v6);

    let off = |key: &str| (key == "HTTPS_INSECURE").then(|| "0".to_owned());
    let mut p = line("--cron").unwrap();
    p.apply_env(&off);
    assert!(!p.args.insecure);

    // The last of `--request-v4`/`--request-v6` wins.
    let p = line("--cron --request-v4 --request-v6").unwrap();
    assert!(p.args.request_v6 && !p.args.request_v4);
}

#[test]
fn web_server_modes_in_order() {
    let p =
        line("--issue -d a -d b -d c -d d --nginx --stateless --apache --nginx /etc/nginx/x.conf")
            .unwrap();
    assert_eq!(
        p.modes,
        [
            ModeArg::Nginx(String::new()),
            ModeArg::Stateless,
            ModeArg::Apache,
            ModeArg::Nginx("/etc/nginx/x.conf".into())
        ]
    );
    // `--nginx` takes no value that starts with `-`, as in acme.sh.
    let p = line("--issue --nginx -d a").unwrap();
    assert_eq!(p.modes, [ModeArg::Nginx(String::new())]);
    assert_eq!(p.args.domains, ["a"]);
}

#[test]
fn order_option_spellings() {
    let p = line("--issue -d a.com --standalone --always-force-new-domain-key --ocsp --certificate-profile shortlived --preferred-chain X1").unwrap();
    assert_eq!(p.args.always_force_new_domain_key.as_deref(), Some("1"));
    assert!(p.args.ocsp_must_staple);
    assert_eq!(p.args.cert_profile.as_deref(), Some("shortlived"));
    assert_eq!(p.args.preferred_chain.as_deref(), Some("X1"));
    let p = line("--issue -d a.com --always-force-new-domain-key 0 --standalone").unwrap();
    assert_eq!(p.args.always_force_new_domain_key.as_deref(), Some("0"));
    assert_eq!(p.modes, [ModeArg::Standalone]);
    assert!(line("--issue -d a.com --always-force-new-domain-key 2").is_err());
    let p = line("--preferred-chain X1 --set-default-chain").unwrap();
    assert_eq!(p.command, Some(Command::SetDefaultChain));
    assert_eq!(
        line("--list-profiles").unwrap().command,
        Some(Command::ListProfiles)
    );
}
