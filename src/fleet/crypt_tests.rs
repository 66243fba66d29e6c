use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;

use super::*;

const AAD: &[u8] = b"lineage:example.com_ecc/example.com.key";
const PLAIN: &[u8] = b"-----BEGIN EC PRIVATE KEY-----\nMHcC...\n-----END EC PRIVATE KEY-----\n";

fn key(byte: u8) -> StoreKey {
    StoreKey::new(&[byte; KEY_LEN]).unwrap()
}

/// A key file holding `content` with `mode`.
fn key_file(content: &[u8], mode: u32) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.key");
    std::fs::write(&path, content).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    (dir, path)
}

fn message(result: Result<Vec<u8>, Error>) -> String {
    match result {
        Err(Error::Key(message)) => message,
        other => panic!("expected a key error, got {other:?}"),
    }
}

#[test]
fn a_sealed_value_opens_with_its_key_and_aad() {
    let key = key(1);
    let sealed = key.seal(AAD, PLAIN).unwrap();
    assert!(is_sealed(&sealed));
    assert!(!is_sealed(PLAIN));
    assert_eq!(sealed_key_id(&sealed), Some(key.id()));
    assert_eq!(sealed_key_id(PLAIN), None);
    assert!(
        !sealed.windows(PLAIN.len()).any(|w| w == PLAIN),
        "the plain text is not in the sealed value"
    );
    assert_eq!(key.open(AAD, &sealed).unwrap(), PLAIN);
    // A fresh nonce each time: sealing twice gives two different values.
    assert_ne!(key.seal(AAD, PLAIN).unwrap(), sealed);
}

#[test]
fn another_key_is_refused_naming_both_ids() {
    let (one, two) = (key(1), key(2));
    assert_ne!(one.id(), two.id());
    let sealed = one.seal(AAD, PLAIN).unwrap();
    let message = message(two.open(AAD, &sealed));
    assert!(message.contains(&one.id()), "{message}");
    assert!(message.contains(&two.id()), "{message}");
}

#[test]
fn another_place_or_a_changed_byte_does_not_open() {
    let key = key(1);
    let sealed = key.seal(AAD, PLAIN).unwrap();
    let message = message(key.open(b"lineage:other.example_ecc/other.example.key", &sealed));
    assert!(message.contains("other.example"), "{message}");
    // Every byte after the magic is covered: header, nonce, ciphertext and tag.
    for i in MAGIC.len()..sealed.len() {
        let mut changed = sealed.clone();
        changed[i] ^= 0x01;
        assert!(key.open(AAD, &changed).is_err(), "byte {i} changed");
    }
    assert!(key.open(AAD, &sealed[..sealed.len() - 1]).is_err());
    assert!(key.open(AAD, PLAIN).is_err(), "a plain value is not opened");
}

#[test]
fn the_id_is_stable_and_is_not_the_key() {
    let key = key(0xab);
    assert_eq!(key.id().len(), 16);
    assert_eq!(key.id(), self::key(0xab).id());
    assert!(!key.id().contains("abab"), "{}", key.id());
    assert!(!format!("{key:?}").contains("abab"));
}

#[test]
fn each_key_file_form_gives_the_same_key() {
    let raw: Vec<u8> = (0u8..32).map(|b| b.wrapping_mul(37) ^ 0x80).collect();
    let expected = StoreKey::new(raw.as_slice().try_into().unwrap())
        .unwrap()
        .id();
    let hex = hex(&raw);
    let b64 = base64::engine::general_purpose::STANDARD.encode(&raw);
    let forms: [Vec<u8>; 5] = [
        raw.clone(),
        format!("{hex}\n").into_bytes(),
        format!("  {}\n", hex.to_uppercase()).into_bytes(),
        format!("{b64}\n").into_bytes(),
        format!("\n{b64}\r\n").into_bytes(),
    ];
    for form in forms {
        let (_dir, path) = key_file(&form, 0o600);
        let loaded = StoreKey::load(&path).unwrap();
        assert_eq!(
            loaded.id(),
            expected,
            "{:?}",
            form.escape_ascii().to_string()
        );
    }
}

#[test]
fn a_short_or_malformed_key_is_refused() {
    let forms: [&[u8]; 6] = [
        &[0x80; 16],
        // 16 bytes as 32 hex digits: a file of 32 bytes of text is not a raw key.
        b"000102030405060708090a0b0c0d0e0f",
        b"000102030405060708090a0b0c0d0e0f\n",
        b"AAECAwQFBgcICQoLDA0ODw==\n",
        b"not a key at all\n",
        b"",
    ];
    for form in forms {
        let (_dir, path) = key_file(form, 0o600);
        let err = StoreKey::load(&path).unwrap_err();
        assert!(
            matches!(&err, Error::Key(m) if m.contains("holds no store key")),
            "{:?}: {err:?}",
            form.escape_ascii().to_string()
        );
    }
}

#[test]
fn a_key_file_others_can_read_is_refused() {
    let (_dir, path) = key_file(&[0x80; 32], 0o644);
    let err = StoreKey::load(&path).unwrap_err();
    assert!(matches!(err, Error::Exposed { .. }), "{err:?}");
    assert!(err.to_string().contains("chmod 600"), "{err}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o400)).unwrap();
    StoreKey::load(&path).unwrap();
}

#[test]
fn a_missing_key_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = StoreKey::load(&dir.path().join("none")).unwrap_err();
    assert!(matches!(err, Error::Store(_)), "{err:?}");
}
