use super::*;

#[test]
fn saved_settings_prefer_saved_and_replace_legacy_lines() {
    let mut conf = AccountConf::parse("CF_Key='legacy'\nSAVED_CF_Token='tok'\nOTHER='kept'\n");
    assert_eq!(conf.saved("CF_Token").as_deref(), Some("tok"));
    assert_eq!(conf.saved("CF_Key").as_deref(), Some("legacy"));
    assert_eq!(conf.saved("CF_Email"), None);
    assert!(!conf.set_saved("CF_Token", "tok"), "unchanged");
    assert!(conf.set_saved("CF_Key", "new"));
    let text = conf.conf().render();
    assert!(
        !text.contains("\nCF_Key=") && !text.starts_with("CF_Key="),
        "{text}"
    );
    assert!(text.contains("SAVED_CF_Key='new'"), "{text}");
    assert!(text.contains("OTHER='kept'"), "{text}");
}
