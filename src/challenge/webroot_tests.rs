use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};

use tempfile::TempDir;

use super::*;
use crate::acme::types::{Identifier, KeyAuthorization, Token};

/// A batch of one http-01 challenge for `example.com`.
fn challenge(token: &str) -> [Challenge; 1] {
    let token = Token::parse(token).unwrap();
    [Challenge {
        identifier: Identifier::Dns("example.com".into()),
        kind: ChallengeType::Http01,
        key_authorization: KeyAuthorization::new(&token, "thumbprint"),
        token,
    }]
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Every entry under `dir`, relative, sorted (symbolic links are listed, not followed).
fn tree(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            out.push(path.strip_prefix(base).unwrap().display().to_string());
            if fs::symlink_metadata(&path).unwrap().is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

const CHALLENGE_DIR: &str = ".well-known/acme-challenge";

#[tokio::test]
async fn writes_the_key_authorization_with_readable_modes() {
    let root = TempDir::new().unwrap();
    let solver = Webroot::new(root.path().to_owned());
    solver.present(&challenge("tok_en-1")).await.unwrap();

    let file = root.path().join(CHALLENGE_DIR).join("tok_en-1");
    assert_eq!(fs::read_to_string(&file).unwrap(), "tok_en-1.thumbprint");
    assert_eq!(mode(&file), 0o644);
    assert_eq!(mode(&root.path().join(".well-known")), 0o755);
    assert_eq!(mode(&root.path().join(CHALLENGE_DIR)), 0o755);

    solver.cleanup(&challenge("tok_en-1")).await.unwrap();
    assert!(tree(root.path()).is_empty(), "{:?}", tree(root.path()));
}

#[tokio::test]
async fn cleanup_removes_only_what_it_created() {
    let root = TempDir::new().unwrap();
    let well_known = root.path().join(".well-known");
    fs::create_dir(&well_known).unwrap();
    fs::set_permissions(&well_known, fs::Permissions::from_mode(0o700)).unwrap();
    fs::write(well_known.join("security.txt"), "contact").unwrap();

    let solver = Webroot::new(root.path().to_owned());
    solver.present(&challenge("a")).await.unwrap();
    assert_eq!(
        mode(&well_known),
        0o700,
        "a pre-existing directory was changed"
    );
    solver.cleanup(&challenge("a")).await.unwrap();

    assert_eq!(
        tree(root.path()),
        [".well-known", ".well-known/security.txt"]
    );
    assert_eq!(mode(&well_known), 0o700);
}

#[tokio::test]
async fn directories_go_with_the_last_token() {
    let root = TempDir::new().unwrap();
    let solver = Webroot::new(root.path().to_owned());
    let (a, b) = (challenge("a"), challenge("b"));
    solver.present(&a).await.unwrap();
    solver.present(&b).await.unwrap();

    solver.cleanup(&a).await.unwrap();
    let expected = [
        ".well-known".to_owned(),
        CHALLENGE_DIR.to_owned(),
        format!("{CHALLENGE_DIR}/b"),
    ];
    assert_eq!(tree(root.path()), expected);

    solver.cleanup(&b).await.unwrap();
    assert!(tree(root.path()).is_empty(), "{:?}", tree(root.path()));
}

#[tokio::test]
async fn a_symlinked_well_known_is_refused() {
    let root = TempDir::new().unwrap();
    let elsewhere = TempDir::new().unwrap();
    symlink(elsewhere.path(), root.path().join(".well-known")).unwrap();

    let solver = Webroot::new(root.path().to_owned());
    let err = solver.present(&challenge("a")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Symlink { path } if *path == root.path().join(".well-known")),
        "{err:?}"
    );
    solver.cleanup(&challenge("a")).await.unwrap();

    assert!(tree(elsewhere.path()).is_empty());
    assert_eq!(tree(root.path()), [".well-known"]);
    assert!(
        fs::symlink_metadata(root.path().join(".well-known"))
            .unwrap()
            .is_symlink()
    );
}

#[tokio::test]
async fn a_symlinked_acme_challenge_is_refused() {
    let root = TempDir::new().unwrap();
    let elsewhere = TempDir::new().unwrap();
    fs::create_dir(root.path().join(".well-known")).unwrap();
    symlink(elsewhere.path(), root.path().join(CHALLENGE_DIR)).unwrap();

    let solver = Webroot::new(root.path().to_owned());
    let err = solver.present(&challenge("a")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Symlink { path } if *path == root.path().join(CHALLENGE_DIR)),
        "{err:?}"
    );
    assert!(err.to_string().contains(CHALLENGE_DIR), "{err}");
    solver.cleanup(&challenge("a")).await.unwrap();

    assert!(tree(elsewhere.path()).is_empty());
    assert_eq!(tree(root.path()), [".well-known", CHALLENGE_DIR]);
}

#[tokio::test]
async fn a_symlinked_token_file_is_refused_and_its_target_untouched() {
    let root = TempDir::new().unwrap();
    let elsewhere = TempDir::new().unwrap();
    let target = elsewhere.path().join("passwd");
    fs::write(&target, "root:x:0:0").unwrap();
    fs::create_dir_all(root.path().join(CHALLENGE_DIR)).unwrap();
    symlink(&target, root.path().join(CHALLENGE_DIR).join("a")).unwrap();

    let solver = Webroot::new(root.path().to_owned());
    let err = solver.present(&challenge("a")).await.unwrap_err();
    assert!(matches!(err, Error::Symlink { .. }), "{err:?}");
    solver.cleanup(&challenge("a")).await.unwrap();

    assert_eq!(fs::read_to_string(&target).unwrap(), "root:x:0:0");
    assert!(
        fs::symlink_metadata(root.path().join(CHALLENGE_DIR).join("a"))
            .unwrap()
            .is_symlink()
    );
}

#[tokio::test]
async fn an_existing_token_file_is_replaced_not_truncated() {
    let root = TempDir::new().unwrap();
    let elsewhere = TempDir::new().unwrap();
    let target = elsewhere.path().join("shadow");
    fs::write(&target, "secret").unwrap();
    fs::create_dir_all(root.path().join(CHALLENGE_DIR)).unwrap();
    let file = root.path().join(CHALLENGE_DIR).join("a");
    fs::hard_link(&target, &file).unwrap();

    let solver = Webroot::new(root.path().to_owned());
    solver.present(&challenge("a")).await.unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "a.thumbprint");
    assert_eq!(fs::read_to_string(&target).unwrap(), "secret");

    solver.cleanup(&challenge("a")).await.unwrap();
    assert_eq!(tree(root.path()), [".well-known", CHALLENGE_DIR]);
}

#[tokio::test]
async fn a_directory_at_the_token_name_is_refused() {
    let root = TempDir::new().unwrap();
    fs::create_dir_all(root.path().join(CHALLENGE_DIR).join("a")).unwrap();
    let solver = Webroot::new(root.path().to_owned());
    let err = solver.present(&challenge("a")).await.unwrap_err();
    assert!(matches!(err, Error::NotAFile { .. }), "{err:?}");
    solver.cleanup(&challenge("a")).await.unwrap();
    assert!(root.path().join(CHALLENGE_DIR).join("a").is_dir());
}

#[tokio::test]
async fn the_webroot_must_be_an_existing_directory() {
    let parent = TempDir::new().unwrap();
    let missing = parent.path().join("missing");
    let err = Webroot::new(missing.clone())
        .present(&challenge("a"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Webroot { path, source, .. }
            if *path == missing && source.kind() == io::ErrorKind::NotFound),
        "{err:?}"
    );
    assert!(err.to_string().contains(&missing.display().to_string()));
    assert!(tree(parent.path()).is_empty());

    let file = parent.path().join("file");
    fs::write(&file, "").unwrap();
    let err = Webroot::new(file.clone())
        .present(&challenge("a"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::NotADirectory { path } if *path == file),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_failed_present_then_cleanup_leaves_no_trace() {
    let root = TempDir::new().unwrap();
    let solver = Webroot::new(root.path().to_owned());
    solver.state.lock().unwrap().fail_before_file = true;
    solver.present(&challenge("a")).await.unwrap_err();
    // The directories were made before the failure.
    assert_eq!(tree(root.path()), [".well-known", CHALLENGE_DIR]);
    solver.cleanup(&challenge("a")).await.unwrap();
    assert!(tree(root.path()).is_empty(), "{:?}", tree(root.path()));
}

#[tokio::test]
async fn a_file_replaced_after_present_is_left_alone() {
    let root = TempDir::new().unwrap();
    let solver = Webroot::new(root.path().to_owned());
    solver.present(&challenge("a")).await.unwrap();
    let file = root.path().join(CHALLENGE_DIR).join("a");
    // Keep the original alive (renamed), so the replacement cannot reuse its inode number.
    fs::rename(&file, root.path().join("moved")).unwrap();
    fs::write(&file, "someone else's").unwrap();

    solver.cleanup(&challenge("a")).await.unwrap();
    assert_eq!(fs::read_to_string(&file).unwrap(), "someone else's");
}

#[tokio::test]
async fn cleanup_without_present_is_harmless() {
    let root = TempDir::new().unwrap();
    fs::create_dir_all(root.path().join(CHALLENGE_DIR)).unwrap();
    fs::write(root.path().join(CHALLENGE_DIR).join("a"), "not ours").unwrap();
    let solver = Webroot::new(root.path().to_owned());
    solver.cleanup(&challenge("a")).await.unwrap();
    assert_eq!(tree(root.path()).len(), 3);
}

#[tokio::test]
async fn a_batch_is_presented_and_cleaned_up_as_one() {
    let root = TempDir::new().unwrap();
    let solver = Webroot::new(root.path().to_owned());
    let [a] = challenge("a");
    let [b] = challenge("b");
    let batch = [a, b];
    solver.present(&batch).await.unwrap();
    assert_eq!(
        tree(root.path()),
        [
            ".well-known",
            ".well-known/acme-challenge",
            ".well-known/acme-challenge/a",
            ".well-known/acme-challenge/b"
        ]
    );
    solver.cleanup(&batch).await.unwrap();
    assert!(tree(root.path()).is_empty(), "{:?}", tree(root.path()));
}
