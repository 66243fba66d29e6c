use super::*;
use crate::store::Home;

const EXE: &str = "/opt/bin/renewer";

#[test]
fn line_has_acmesh_shape() {
    let cmd =
        CronCommand::new(EXE.into(), &Home::new("/root/.acme.sh".into(), None, None)).unwrap();
    assert_eq!(
        cron_line(&cmd, 61).unwrap(),
        r#"1 1 * * * "/opt/bin/renewer" --cron --home "/root/.acme.sh" > /dev/null"#
    );
}

/// The copy `--install` makes is written as acme.sh's `installcronjob` writes it.
#[test]
fn line_for_the_installed_copy_is_acmesh_exact() {
    let home = Home::new("/h".into(), Some("/c".into()), None);
    let cmd = CronCommand::new("/h/acme.sh".into(), &home).unwrap();
    assert_eq!(
        cron_line(&cmd, 61).unwrap(),
        r#"1 1 * * * "/h"/acme.sh --cron --home "/h" --config-home "/c" > /dev/null"#
    );
}

#[test]
fn quoting_survives_the_shell_and_cron() {
    assert_eq!(cron_quote("/a b/c"), r#""/a b/c""#);
    assert_eq!(cron_quote(r#"/x"$`\%"#), r#""/x\"\$\`\\\%""#);
}

/// What cron does to a command before `sh -c` sees it (Vixie cron, cronie): an unescaped
/// `%` ends the command (the rest becomes stdin), `\%` becomes `%`.
fn cron_unescape(cmd: &str) -> String {
    let mut out = String::new();
    let mut escaped = false;
    for c in cmd.chars() {
        if escaped {
            if c == '%' {
                out.pop();
            }
            out.push(c);
            escaped = false;
            continue;
        }
        if c == '%' {
            break;
        }
        escaped = c == '\\';
        out.push(c);
    }
    out
}

#[test]
fn quoted_paths_reach_the_program_unchanged() {
    for path in ["/a b/c", r#"/we"ird $HOME `id` \n \\ 100%d '"#] {
        let command = format!("printf '<%s>' {}", cron_unescape(&cron_quote(path)));
        let out = Command::new("/bin/sh")
            .arg("-c")
            .arg(&command)
            .output()
            .unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("<{path}>"));
    }
}

#[test]
fn cron_jobs_are_recognised() {
    let acmesh =
        r#"12 0 * * * "/root/.acme.sh"/acme.sh --cron --home "/root/.acme.sh" > /dev/null"#;
    assert!(is_cron_job(acmesh, EXE));
    assert!(is_cron_job(
        r#"1 2 * * * "/usr/bin/acmers" --cron --home "/h" > /dev/null"#,
        EXE
    ));
    assert!(is_cron_job(
        r#"1 2 * * * "/opt/bin/renewer" --cron --home "/h""#,
        EXE
    ));
    assert!(!is_cron_job(&format!("# {acmesh}"), EXE));
    assert!(!is_cron_job("0 3 * * * /usr/bin/acmers --list", EXE));
    assert!(!is_cron_job("0 3 * * * /usr/sbin/other --cron", EXE));
}

#[test]
fn add_keeps_other_lines_and_is_idempotent() {
    let line = r#"5 6 * * * "/opt/bin/renewer" --cron --home "/h" > /dev/null"#;
    assert_eq!(add_line("", line, EXE).unwrap(), format!("{line}\n"));
    let other = "MAILTO=root\n0 1 * * * /usr/bin/true";
    let added = add_line(other, line, EXE).unwrap();
    assert_eq!(added, format!("{other}\n{line}\n"));
    assert_eq!(add_line(&added, line, EXE).unwrap_err(), line);
}

#[test]
fn remove_drops_only_cron_jobs() {
    let text = "MAILTO=root\n\
                1 2 * * * \"/usr/bin/acmers\" --cron --home \"/h\" > /dev/null\n\
                # 1 2 * * * acme.sh --cron\n\
                12 0 * * * \"/root/.acme.sh\"/acme.sh --cron --home \"/root/.acme.sh\" > /dev/null\n\
                0 1 * * * /usr/bin/true\n";
    let (kept, removed) = remove_lines(text, EXE);
    assert_eq!(
        kept,
        "MAILTO=root\n# 1 2 * * * acme.sh --cron\n0 1 * * * /usr/bin/true\n"
    );
    assert_eq!(removed.len(), 2);
    let (same, none) = remove_lines(&kept, EXE);
    assert_eq!(same, kept);
    assert!(none.is_empty());
}
