use super::*;

#[test]
fn only_relative_plain_folders_are_safe() {
    assert!(safe_folder("acme-v02.api.letsencrypt.org/directory"));
    assert!(safe_folder("localhost/dir"));
    for bad in [
        "", "/etc", "a//b", "a/../b", "..", ".", "a/", "a\\b", "a\nb",
    ] {
        assert!(!safe_folder(bad), "{bad:?}");
    }
}
