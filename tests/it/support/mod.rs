//! What the integration tests share (docs/testing.md): the servers they talk to, the `acmers`
//! runner, and checks of what a run leaves behind. No tests live here.

pub(crate) mod acmers;
pub(crate) mod certs;
pub(crate) mod fake_acme;
pub(crate) mod lineage;
pub(crate) mod net;
pub(crate) mod nginx;
pub(crate) mod pebble;
