//! Handing an issued certificate to the user's system: copying the files to the install
//! targets (acme.sh `--install-cert`) and running the user's shell commands (`--reloadcmd`,
//! pre/post/renew hooks).
//!
//! - [`install`] copies `<d>.cer`, `ca.cer`, `<d>.key` and `fullchain.cer` to the configured
//!   targets, each replaced atomically relative to its opened directory, keeping an existing
//!   target's mode and owner. As root it refuses a target that another user could redirect
//!   or receive (their file, their symlink, a directory they own or can write).
//! - [`hook`] runs one shell command with a timeout that ends its whole process group, and
//!   captures its (bounded) output.
//!
//! Neither prints: the command layer reports what was installed and what a hook printed.

pub mod hook;
pub mod install;

pub use crate::store::files::{Files, Kind};
pub use hook::{HookError, HookOutput};
pub use install::{InstallError, Installed, Targets};
