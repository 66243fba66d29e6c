use super::*;

/// A self-signed CA certificate (DER) and a leaf for `name` it signed.
fn ca_and_leaf(name: &str) -> (CertificateDer<'static>, CertificateDer<'static>) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let leaf_key = rcgen::KeyPair::generate().unwrap();
    let leaf = rcgen::CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&leaf_key, &issuer)
        .unwrap();
    (ca.der().clone(), leaf.der().clone())
}

fn verify(v: &BundleFirst, leaf: &CertificateDer<'_>, name: &str) -> Result<(), rustls::Error> {
    let name = ServerName::try_from(name.to_owned()).unwrap();
    v.verify_server_cert(leaf, &[], &name, &[], UnixTime::now())
        .map(drop)
}

#[test]
fn the_bundle_verifies_without_loading_the_platform_store() {
    let (ca, leaf) = ca_and_leaf("ca.test");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let v = BundleFirst::new(vec![ca], provider).unwrap();
    verify(&v, &leaf, "ca.test").unwrap();
    assert!(
        v.platform.get().is_none(),
        "the platform store was not needed"
    );
}

#[test]
fn a_chain_neither_trusts_is_refused_after_asking_the_platform() {
    let (ca, _) = ca_and_leaf("ca.test");
    let (_, stranger) = ca_and_leaf("ca.test");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let v = BundleFirst::new(vec![ca], provider.clone()).unwrap();
    assert!(verify(&v, &stranger, "ca.test").is_err());
    assert!(v.platform.get().is_some(), "the platform store was asked");
    // A leaf of the bundle's own CA for another name is refused too (names are checked).
    let (ca, leaf) = ca_and_leaf("other.test");
    let v = BundleFirst::new(vec![ca], provider).unwrap();
    assert!(verify(&v, &leaf, "ca.test").is_err());
}

#[test]
fn another_protocol_gets_the_same_trust_with_its_own_alpn() {
    let (ca, _) = ca_and_leaf("db.test");
    let pem = pem::encode(&pem::Pem::new("CERTIFICATE", ca.to_vec()));
    let config = HttpConfig::standard(Some(pem.into_bytes()));
    let tls = client_config_for(&config, vec![b"postgresql".to_vec()]).unwrap();
    assert_eq!(tls.alpn_protocols, [b"postgresql".to_vec()]);
    let not_pem = HttpConfig::standard(Some(b"not a certificate".to_vec()));
    assert!(matches!(
        client_config_for(&not_pem, Vec::new()),
        Err(BuildError::BadRoots(_))
    ));
}
