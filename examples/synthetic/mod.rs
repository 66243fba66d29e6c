//! What the bench generators (`bench_home`, `fleet_store`) share: one throwaway CA per run,
//! and for lineage `i` a P-256 key, a CSR and a certificate for its own name signed by that
//! CA, as `acme.sh --issue` leaves them. Nothing trusts the CA.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use acmers::acme::types::Identifier;
use acmers::keys::{KeyType, PrivateKey};
use acmers::renew::DAY;
use anyhow::{Result, anyhow};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose, SerialNumber, SubjectPublicKeyInfo,
};

/// Validity of every generated certificate, as Pebble's and Let's Encrypt's.
pub(crate) const LIFETIME: i64 = 90 * DAY;

/// The throwaway CA of a run.
pub(crate) struct Issuer {
    ca: CertifiedIssuer<'static, KeyPair>,
    /// The CA certificate (`ca.cer`).
    pub(crate) ca_pem: String,
    /// Random per run, the high half of every serial number.
    serial_prefix: [u8; 8],
}

/// One lineage's key material.
pub(crate) struct Issued {
    /// The domain key.
    pub(crate) key: PrivateKey,
    /// `<d>.csr`.
    pub(crate) csr_pem: String,
    /// `<d>.csr.conf`, as acme.sh writes it.
    pub(crate) csr_conf: String,
    /// `<d>.cer`.
    pub(crate) cert_pem: String,
}

impl Issuer {
    /// A new CA named `name`, valid from a day ago to twice a certificate's lifetime ahead.
    pub(crate) fn new(name: &str) -> Result<Self> {
        let mut params = CertificateParams::default();
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let now = unix_now()?;
        set_validity(&mut params, now - DAY, now + 2 * LIFETIME)?;
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)?;
        let ca = CertifiedIssuer::self_signed(params, key)?;
        let mut serial_prefix = [0; 8];
        aws_lc_rs::rand::fill(&mut serial_prefix).map_err(|_| anyhow!("no random bytes"))?;
        Ok(Self {
            ca_pem: ca.pem(),
            ca,
            serial_prefix,
        })
    }

    /// Lineage `i` for `domain`: a new key, its CSR, and a certificate valid from `created`
    /// for [`LIFETIME`], with a serial number unique in the run.
    pub(crate) fn lineage(&self, i: u64, domain: &str, created: i64) -> Result<Issued> {
        let key = PrivateKey::generate(KeyType::Ec256)?;
        let csr = acmers::csr::build(&key, &[Identifier::Dns(domain.to_owned())])?;
        let mut params = CertificateParams::new(vec![domain.to_owned()])?;
        params.distinguished_name = DistinguishedName::new();
        params.distinguished_name.push(DnType::CommonName, domain);
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        params.use_authority_key_identifier_extension = true;
        let mut serial = self.serial_prefix.to_vec();
        serial.extend_from_slice(&i.to_be_bytes());
        serial[0] &= 0x7f;
        params.serial_number = Some(SerialNumber::from(serial));
        set_validity(&mut params, created, created + LIFETIME)?;
        let spki = SubjectPublicKeyInfo::from_der(&key.spki_der())?;
        let cert_pem = params.signed_by(&spki, &self.ca)?.pem();
        let csr_conf = format!(
            "[ req_distinguished_name ]\n[ req ]\ndistinguished_name = req_distinguished_name\n\
             req_extensions = v3_req\n[ v3_req ]\nextendedKeyUsage=serverAuth,clientAuth\n\n\
             subjectAltName=DNS:{domain}"
        );
        Ok(Issued {
            key,
            csr_pem: csr.pem,
            csr_conf,
            cert_pem,
        })
    }
}

/// Now, in unix seconds.
pub(crate) fn unix_now() -> Result<i64> {
    let secs = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    Ok(i64::try_from(secs)?)
}

/// Sets the validity of `params` to `from..to` (unix seconds). rcgen does not re-export the
/// `time` crate, so the dates are built as the epoch plus a duration.
fn set_validity(params: &mut CertificateParams, from: i64, to: i64) -> Result<()> {
    let secs = |t: i64| u64::try_from(t).map(Duration::from_secs);
    params.not_before = rcgen::date_time_ymd(1970, 1, 1) + secs(from)?;
    params.not_after = rcgen::date_time_ymd(1970, 1, 1) + secs(to)?;
    Ok(())
}
