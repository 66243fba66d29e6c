//! Entry points for fuzzing (docs/fuzzing.md): one function per parser that reads outside
//! data, each taking arbitrary bytes. The `cargo fuzz` targets in `fuzz/` and the corpus test
//! `tests/fuzz_corpus.rs` call these and nothing else.
//!
//! None of them may panic, whatever the input; a panic is a bug in the parser, or a broken
//! property (the conf round trip, which these functions check with `assert!`). They are not
//! part of the crate's interface.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::{HeaderMap, HeaderValue};
use x509_parser::prelude::{FromDer as _, X509Certificate};

use crate::acme::client::problem_of;
use crate::acme::http::Response;
use crate::acme::types::{
    AccountObject, AuthorizationObject, ChallengeObject, Directory, KeyAuthorization, OrderObject,
    Problem, Token, check_url,
};
use crate::dns::{propagation, wire};
use crate::store::conf::Conf;

/// One fuzz target: it takes any bytes and panics only on a bug.
pub type Target = fn(&[u8]);

/// Every target by name: the name is the `fuzz/` target and its `fuzz/corpus/<name>/` folder.
pub const TARGETS: &[(&str, Target)] = &[
    ("conf", conf),
    ("acme_json", acme_json),
    ("retry_after", retry_after),
    ("link", link),
    ("pem_chain", pem_chain),
    ("csr", csr),
    ("renewal_info", renewal_info),
    ("dns_answer", dns_answer),
];

/// An acme.sh conf file (`store::conf`): the bytes render back unchanged, every key listed
/// has a value, and a value set (or a key removed) reads back after a render and a new
/// parse with every other key unchanged.
pub fn conf(data: &[u8]) {
    let parsed = Conf::parse_bytes(data);
    assert_eq!(parsed.render_bytes(), data, "the conf does not round-trip");
    let keys = parsed.keys();
    let before: Vec<(String, String)> = keys
        .iter()
        .map(|k| {
            let value = parsed.get(k);
            assert!(value.is_some(), "a listed key has no value");
            (k.clone(), value.unwrap_or_default())
        })
        .collect();
    // A value taken from the input, so every kind of byte gets written.
    let value = String::from_utf8_lossy(&data[..data.len().min(64)]).into_owned();
    let key = keys.first().map_or("Le_Fuzz", String::as_str);
    for key in [key, "Le_Fuzz"] {
        let mut changed = parsed.clone();
        changed.set(key, &value);
        let reread = Conf::parse_bytes(&changed.render_bytes());
        assert_eq!(
            reread.get(key),
            Some(value.clone()),
            "a set value reads back"
        );
        let mut removed = reread.clone();
        removed.remove(key);
        let removed = Conf::parse_bytes(&removed.render_bytes());
        assert_eq!(removed.get(key), None, "a removed key is gone");
        for (other, old) in before.iter().filter(|(k, _)| k != key) {
            assert_eq!(reread.get(other).as_ref(), Some(old), "set kept other keys");
            assert_eq!(
                removed.get(other).as_ref(),
                Some(old),
                "remove kept other keys"
            );
        }
    }
}

/// A CA's JSON body as each RFC 8555 object and as a problem document, with the checks the
/// client runs on what it takes from them (URLs, tokens) and the text it prints.
pub fn acme_json(data: &[u8]) {
    let url = |u: &str| drop(check_url(u, "https"));
    if let Ok(d) = serde_json::from_slice::<Directory>(data) {
        let optional = [&d.revoke_cert, &d.key_change, &d.renewal_info];
        [&d.new_nonce, &d.new_account, &d.new_order]
            .into_iter()
            .chain(optional.into_iter().flatten())
            .for_each(|u| url(u));
    }
    if let Ok(order) = serde_json::from_slice::<OrderObject>(data) {
        order
            .authorizations
            .iter()
            .chain(&order.certificate)
            .chain([&order.finalize])
            .for_each(|u| url(u));
        let _ = order.error.map(|p| p.to_string());
        let _ = order.identifiers.iter().map(ToString::to_string).count();
    }
    if let Ok(authz) = serde_json::from_slice::<AuthorizationObject>(data) {
        let _ = authz.identifier.to_string();
        authz.challenges.iter().for_each(challenge);
    }
    if let Ok(c) = serde_json::from_slice::<ChallengeObject>(data) {
        challenge(&c);
    }
    let _ = serde_json::from_slice::<AccountObject>(data);
    if let Ok(problem) = serde_json::from_slice::<Problem>(data) {
        let _ = problem.is("badNonce");
        let _ = problem.to_string();
    }
    let response = Response {
        status: 400,
        headers: HeaderMap::new(),
        body: data.to_vec(),
        elapsed: Duration::ZERO,
    };
    let _ = problem_of(&response).to_string();
}

fn challenge(c: &ChallengeObject) {
    let _ = (c.kind.to_string(), c.status.to_string());
    drop(check_url(&c.url, "https"));
    if let Some(Ok(token)) = c.token.as_deref().map(Token::parse) {
        let _ = KeyAuthorization::new(&token, "thumbprint").dns_value();
    }
    let _ = c.error.as_ref().map(ToString::to_string);
}

/// A `Retry-After` header value, against three clocks.
pub fn retry_after(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for now in [
        UNIX_EPOCH,
        UNIX_EPOCH + Duration::from_secs(1_700_000_000),
        SystemTime::now(),
    ] {
        let _ = crate::acme::poll::parse_retry_after(text, now);
    }
}

/// `Link` headers, one per input line, as a certificate download carries them: the
/// `rel="alternate"` targets (RFC 8288).
pub fn link(data: &[u8]) {
    let mut headers = HeaderMap::new();
    for line in data.split(|&b| b == b'\n') {
        if let Ok(value) = HeaderValue::from_bytes(line) {
            headers.append("link", value);
        }
    }
    let response = Response {
        status: 200,
        headers,
        body: Vec::new(),
        elapsed: Duration::ZERO,
    };
    let _ = crate::acme::order::alternate_links(&response).count();
}

/// A PEM chain as the CA sends it or as read back from disk (`cert`): the leaf read, and
/// the whole chain verified against the leaf's own key and names so the checks past the key
/// match run too.
pub fn pem_chain(data: &[u8]) {
    let now = 1_700_000_000;
    let leaf = crate::cert::read_leaf(data);
    let spki = first_spki(data).unwrap_or_default();
    let requested = leaf.map(|l| l.sans).unwrap_or_default();
    let _ = crate::cert::verify_chain(data, &spki, &requested, now).map(|c| c.matches_issuer("R3"));
    let _ = crate::cert::check_installed(data, &spki, now);
    let _ = crate::cert::chain_for_key(data, &spki);
}

/// The SubjectPublicKeyInfo of the first `CERTIFICATE` block, when it parses.
fn first_spki(data: &[u8]) -> Option<Vec<u8>> {
    let blocks = pem::parse_many(data).ok()?;
    let block = blocks.iter().find(|b| b.tag() == "CERTIFICATE")?;
    let (_, cert) = X509Certificate::from_der(block.contents()).ok()?;
    Some(cert.public_key().raw.to_vec())
}

/// A CSR file for `--sign-csr` (`csr::CsrFile`), PEM or DER, and the names taken from it.
pub fn csr(data: &[u8]) {
    if let Ok(csr) = crate::csr::CsrFile::parse(data) {
        let _ = csr.main_and_others();
        let _ = csr.alt_names_line();
    }
}

/// An ARI renewalInfo body (RFC 9773) and, from the same bytes split in two, a CertID.
pub fn renewal_info(data: &[u8]) {
    let _ = crate::acme::ari::parse_renewal_info(data, Some(Duration::from_secs(60)));
    let (aki, serial) = data.split_at(data.len() / 2);
    let _ = crate::acme::ari::cert_id(aki, serial);
}

/// A DNS response to the propagation check's TXT query for `_acme-challenge.example.com`:
/// checked as the answer to that query, its records taken and judged, and the zone walk's
/// test on its SOA owner.
pub fn dns_answer(data: &[u8]) {
    let Ok(qname) = wire::parse_name("_acme-challenge.example.com") else {
        return;
    };
    let request = wire::question(&qname, wire::Type::Txt, false);
    let _ = wire::reply(SocketAddr::from(([127, 0, 0, 1], 53)), &request, data);
    let Ok(reply) = hickory_proto::op::Message::from_vec(data) else {
        return;
    };
    let answer = wire::answer(&qname, &reply);
    let values: BTreeSet<&str> = ["token-value", "other"].into_iter().collect();
    let _ = propagation::judge(&answer, &values);
    let _ = answer.rcode.to_string();
    if let Some(zone) = &answer.authority_soa {
        let _ = propagation::within("_acme-challenge.example.com", zone);
    }
}
