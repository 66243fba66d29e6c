use super::*;

const COMPLETION: &str =
    "if [ -n \"${BASH_VERSION-}\" ] && [ -f \"/h/acmers.bash\" ]; then . \"/h/acmers.bash\"; fi\n";

#[test]
fn env_text_is_acmesh_exact() {
    let home = Home::new("/h".into(), None, None);
    assert_eq!(
        env_text("", &home),
        format!("export LE_WORKING_DIR=\"/h\"\nalias acme.sh=\"/h/acme.sh\"\n{COMPLETION}")
    );
    let home = Home::new("/h".into(), Some("/c".into()), None);
    assert_eq!(
        env_text("", &home),
        format!(
            "export LE_WORKING_DIR=\"/h\"\nexport LE_CONFIG_HOME=\"/c\"\n\
             alias acme.sh=\"/h/acme.sh --config-home '/c'\"\n{COMPLETION}"
        )
    );
}

#[test]
fn env_text_keeps_other_lines_and_replaces_its_own() {
    let old = "export LE_WORKING_DIR=\"/old\"\nexport LE_CONFIG_HOME=\"/c\"\nexport MINE=1\n\
               alias acme.sh=\"/old/acme.sh --config-home '/c'\"\n";
    let home = Home::new("/h".into(), None, None);
    assert_eq!(
        env_text(old, &home),
        format!(
            "export LE_WORKING_DIR=\"/h\"\nexport MINE=1\nalias acme.sh=\"/h/acme.sh\"\n{COMPLETION}"
        )
    );
    let again = env_text(&env_text(old, &home), &home);
    assert_eq!(again, env_text(old, &home));
}

#[test]
fn csh_text_is_acmesh_exact() {
    let home = Home::new("/h".into(), Some("/c".into()), None);
    assert_eq!(
        csh_text("", &home),
        "setenv LE_WORKING_DIR \"/h\"\nsetenv LE_CONFIG_HOME \"/c\"\n\
         alias acme.sh \"/h/acme.sh --config-home '/c'\"\n"
    );
}

#[test]
fn detect_follows_acmesh_order() {
    let dir = tempfile::tempdir().unwrap();
    let user = dir.path().to_string_lossy().into_owned();
    let env = |shell: &'static str| {
        let user = user.clone();
        move |k: &str| match k {
            "HOME" => Some(user.clone()),
            "SHELL" => Some(shell.to_owned()),
            _ => None,
        }
    };
    assert_eq!(detect(&env("/bin/bash")), None);
    assert_eq!(detect(&env("/bin/zsh")), Some(dir.path().join(".zshrc")));
    std::fs::write(dir.path().join(".bash_profile"), "").unwrap();
    std::fs::write(dir.path().join(".profile"), "").unwrap();
    assert_eq!(
        detect(&env("/bin/bash")),
        Some(dir.path().join(".bash_profile"))
    );
    assert_eq!(detect(&env("/bin/sh")), Some(dir.path().join(".profile")));
}

#[test]
fn profile_line_is_added_once_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join(".profile");
    std::fs::write(&profile, "export A=1").unwrap();
    let line = ". \"/h/acme.sh.env\"";
    assert!(add_line(&profile, line).unwrap());
    assert!(!add_line(&profile, line).unwrap());
    assert_eq!(
        std::fs::read_to_string(&profile).unwrap(),
        "export A=1\n. \"/h/acme.sh.env\"\n"
    );
    assert!(remove_line(&profile, Path::new("/h/acme.sh.env")).unwrap());
    assert_eq!(std::fs::read_to_string(&profile).unwrap(), "export A=1\n");
}
