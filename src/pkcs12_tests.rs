use std::io::Write as _;
use std::process::{Command, Stdio};

use super::*;
use crate::keys::PrivateKey;
use crate::keys::tests::fixture;

fn hex(s: &str) -> Vec<u8> {
    s.split(':')
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect()
}

/// RFC 7292's KDF: the SHA-1 vector published with it (password `smeg`, ID 1), and SHA-256
/// vectors computed with `openssl kdf ... PKCS12KDF` (OpenSSL 3), among them one longer than
/// the hash (two rounds, so the `I_j + B + 1` step is used) and the empty password.
#[test]
fn kdf_matches_known_vectors() {
    let salt = hex("01:02:03:04:05:06:07:08");
    let password = bmp_password("password");
    assert_eq!(
        kdf(
            &digest::SHA1_FOR_LEGACY_USE_ONLY,
            KdfPurpose::Key,
            &bmp_password("smeg"),
            &hex("0A:58:CF:64:53:0D:82:3F"),
            1,
            24
        ),
        hex("8A:AA:E6:29:7B:6C:B0:46:42:AB:5B:07:78:51:28:4E:B7:12:8F:1A:2A:7F:BC:A3")
    );
    assert_eq!(
        kdf(&digest::SHA256, KdfPurpose::Mac, &password, &salt, 2048, 32),
        hex(
            "4F:51:0E:1B:54:28:CB:3A:1B:78:4C:EE:E7:B1:A9:56:70:F6:0E:82:51:99:C1:21:BD:17:52:EE:\
             9E:1C:83:F2"
        )
    );
    assert_eq!(
        kdf(
            &digest::SHA256,
            KdfPurpose::Mac,
            &bmp_password(""),
            &salt,
            2048,
            32
        ),
        hex(
            "87:8F:85:FF:6D:B5:C9:2F:2D:A8:73:FD:B0:EC:AE:4B:DC:9D:CC:3C:B5:FA:F9:22:6D:10:EE:23:\
             AF:02:54:6A"
        )
    );
    assert_eq!(
        kdf(&digest::SHA256, KdfPurpose::Key, &password, &salt, 3, 70),
        hex(
            "95:F3:F3:E8:27:CD:66:C5:59:15:11:1E:9A:E5:E8:AF:29:F6:65:71:99:E6:C5:36:03:19:73:07:\
             60:16:3B:F4:FB:EC:5A:16:81:39:8D:4D:0C:DE:47:2D:CB:26:0A:F1:AA:9B:BB:0D:34:3B:21:9A:\
             AA:F1:FF:92:15:59:61:66:2E:45:B5:4D:FE:2C"
        )
    );
}

#[test]
fn passwords_are_bmp_strings_with_a_terminator() {
    assert_eq!(bmp_password(""), [0, 0]);
    assert_eq!(bmp_password("aé"), [0, b'a', 0, 0xe9, 0, 0]);
}

#[test]
fn a_certificate_is_required() {
    assert!(matches!(
        encode(&[1, 2, 3], &[], "x"),
        Err(Pkcs12Error::NoCertificate)
    ));
}

/// `openssl pkcs12 -nodes` (OpenSSL 3, default provider only: no legacy algorithms) reading
/// `pfx` with `password`.
fn openssl(pfx: &[u8], password: &str) -> std::process::Output {
    let mut child = Command::new("openssl")
        .args(["pkcs12", "-nodes", "-passin"])
        .arg(format!("pass:{password}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run openssl");
    child.stdin.take().unwrap().write_all(pfx).unwrap();
    child.wait_with_output().unwrap()
}

/// What `openssl pkcs12 -nodes` prints for `pfx`: the key unencrypted and the certificates.
fn openssl_reads(pfx: &[u8], password: &str) -> String {
    let out = openssl(pfx, password);
    assert!(
        out.status.success(),
        "openssl pkcs12 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The DER of the PEM blocks labelled `label`, in order.
fn blocks(pem_text: &str, label: &str) -> Vec<Vec<u8>> {
    pem::parse_many(pem_text)
        .unwrap()
        .into_iter()
        .filter(|b| b.tag() == label)
        .map(|b| b.contents().to_vec())
        .collect()
}

/// An EC and an RSA lineage of acme.sh's fixture home, with an ASCII, a non-ASCII and the
/// empty password: openssl finds the same key and the same certificates, leaf first, and a
/// wrong password fails the MAC.
#[test]
fn openssl_reads_the_key_and_the_chain() {
    for dir in [
        "a.example.test_ecc/a.example.test",
        "c.example.test/c.example.test",
    ] {
        let key = PrivateKey::from_pem(&fixture(&format!("{dir}.key"))).unwrap();
        let folder = dir.split('/').next().unwrap();
        let mut certs = blocks(&fixture(&format!("{dir}.cer")), "CERTIFICATE");
        certs.extend(blocks(&fixture(&format!("{folder}/ca.cer")), "CERTIFICATE"));
        for password in ["secret", "pässwörd €", ""] {
            let pfx = encode(&key.pkcs8_der(), &certs, password).unwrap();
            let out = openssl_reads(&pfx, password);
            assert_eq!(blocks(&out, "PRIVATE KEY"), [key.pkcs8_der()], "{dir}");
            assert_eq!(blocks(&out, "CERTIFICATE"), certs, "{dir}");
            // The leaf and the key are paired by the same localKeyID.
            let ids: Vec<&str> = out.lines().filter(|l| l.contains("localKeyID")).collect();
            assert_eq!(ids.len(), 2, "{out}");
            assert_eq!(ids[0], ids[1]);
        }
        let pfx = encode(&key.pkcs8_der(), &certs, "secret").unwrap();
        assert!(!openssl(&pfx, "wrong").status.success(), "a wrong password");
    }
}
