//! PLACEHOLDER until the crypt branch is merged: same interface, no sealing.
#![allow(missing_docs, clippy::unused_self, clippy::missing_errors_doc)]
use super::Error;
pub const KEY_VAR: &str = "ACMERS_STORE_KEY";
pub struct StoreKey;
impl StoreKey {
    pub fn load(_path: &std::path::Path) -> Result<Self, Error> {
        Err(Error::Key("not yet".into()))
    }
    pub fn id(&self) -> &str {
        ""
    }
    pub fn seal(&self, _aad: &[u8], plain: &[u8]) -> Vec<u8> {
        plain.to_vec()
    }
    pub fn open(&self, _aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(sealed.to_vec())
    }
}
pub fn sealed_key_id(_bytes: &[u8]) -> Option<String> {
    None
}
