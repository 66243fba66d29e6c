use super::*;

#[test]
fn secret_keys() {
    for key in [
        "SAVED_CF_Token",
        "SAVED_CF_Account_ID",
        "SAVED_DEPLOY_SSH_USER",
        "CF_Key",
        "CF_Token",
        "Ali_Secret",
        "Le_PFXPassword",
        "CA_EAB_HMAC_KEY",
        "AWS_SECRET_ACCESS_KEY",
        "HE_Password",
        "DA_Api_Auth",
    ] {
        assert!(is_secret(key), "{key}");
    }
    for key in [
        "CA_KEY_HASH",
        "ACCOUNT_KEY_PATH",
        "Le_Keylength",
        "Le_RealKeyPath",
        "CA_EAB_KEY_ID",
        "DEFAULT_ACME_SERVER",
        "USER_PATH",
        "CA_BUNDLE",
        "ACCOUNT_URL",
        "Le_ReloadCmd",
        "CF_Account_ID",
    ] {
        assert!(!is_secret(key), "{key}");
    }
}

#[test]
fn masks_account_conf_lines() {
    let text = "DEFAULT_ACME_SERVER='https://x/dir'\nSAVED_CF_Token='fixture-token'\n\
                export CF_Key=\"abc\"\n  #CF_Token='old'\nCF_Token=''\n# a comment with key=1\n\
                garbage line\nHE_Password=a b";
    let want = format!(
        "DEFAULT_ACME_SERVER='https://x/dir'\nSAVED_CF_Token={HIDDEN}\nexport CF_Key={HIDDEN}\n  \
         #CF_Token={HIDDEN}\nCF_Token=''\n# a comment with key=1\ngarbage line\nHE_Password={HIDDEN}"
    );
    assert_eq!(mask_conf_text(text, false), want);
    assert_eq!(mask_conf_text(text, true), text);
}

#[test]
fn domain_conf_is_decoded_and_masked() {
    let mut conf = Conf::parse(
        "Le_Domain='a.example.test'\nLe_Keylength='ec-256'\nLe_PreHook=''\nSAVED_X='s'\n",
    );
    conf.set_base64("Le_ReloadCmd", "systemctl reload nginx");
    conf.set_base64("Le_PFXPassword", "hunter2");
    conf.set("Le_Webroot", "bad\u{1b}[0m");
    let want = format!(
        "Le_Domain=a.example.test\nLe_Keylength=ec-256\nLe_PreHook=\nSAVED_X={HIDDEN}\n\
         Le_ReloadCmd=systemctl reload nginx\nLe_PFXPassword={HIDDEN}\nLe_Webroot=bad?[0m\n"
    );
    assert_eq!(domain_conf_text(&conf, false), want);
    let open = domain_conf_text(&conf, true);
    assert!(open.contains("SAVED_X=s\n") && open.contains("Le_PFXPassword=hunter2\n"));
}
