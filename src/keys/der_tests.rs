use super::*;

fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match value.len() {
        n @ 0..=0x7f => out.push(n as u8),
        n @ 0x80..=0xff => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
    out
}

fn pkcs8(oid: &[u8], key: &[u8]) -> Vec<u8> {
    let mut alg = tlv(OID, oid);
    alg.extend(tlv(0x05, &[]));
    let mut body = tlv(INTEGER, &[0]);
    body.extend(tlv(SEQUENCE, &alg));
    body.extend(tlv(OCTET_STRING, key));
    tlv(SEQUENCE, &body)
}

#[test]
fn extracts_the_octet_string() {
    let inner = vec![0xAB; 300];
    let der = pkcs8(RSA_ENCRYPTION, &inner);
    assert_eq!(pkcs8_rsa_private_key(&der).unwrap(), &inner[..]);
    let short = pkcs8(RSA_ENCRYPTION, &[1, 2, 3]);
    assert_eq!(pkcs8_rsa_private_key(&short).unwrap(), &[1, 2, 3]);
}

#[test]
fn refuses_bad_input() {
    let der = pkcs8(RSA_ENCRYPTION, &[0xAB; 300]);
    for cut in 0..der.len() {
        assert!(pkcs8_rsa_private_key(&der[..cut]).is_err(), "cut at {cut}");
    }
    let mut trailing = der.clone();
    trailing.push(0);
    assert_eq!(
        pkcs8_rsa_private_key(&trailing),
        Err(DerError::TrailingData)
    );
    let ec_oid = [0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01];
    assert_eq!(
        pkcs8_rsa_private_key(&pkcs8(&ec_oid, &[1])),
        Err(DerError::NotRsa)
    );
    // Indefinite length, non-minimal long form, length larger than the input.
    assert_eq!(
        pkcs8_rsa_private_key(&[0x30, 0x80]),
        Err(DerError::BadLength)
    );
    assert_eq!(
        pkcs8_rsa_private_key(&[0x30, 0x81, 0x01, 0x00]),
        Err(DerError::BadLength)
    );
    assert_eq!(
        pkcs8_rsa_private_key(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
        Err(DerError::Truncated)
    );
    assert_eq!(
        pkcs8_rsa_private_key(&[0x31, 0x00]),
        Err(DerError::UnexpectedTag {
            expected: SEQUENCE,
            found: 0x31
        })
    );
}
