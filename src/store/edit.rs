//! Conf edits that parallel runs cannot interleave: a conf file (`account.conf`, a domain
//! conf) is read, changed and written under an exclusive `flock` on `.<name>.lock` beside it,
//! so renewals running at once (and their dnsapi plugins), each saving its own key, all keep
//! their key. The
//! lock dies with the process (see [`crate::store::lock`]); the lock file stays, hidden from
//! acme.sh's `*.*` globs by its leading dot.

use std::path::{Path, PathBuf};

use super::trust::Policy;
use super::{Conf, Error, lock};

/// The lock file of the conf `path`: `.<name>.lock` in its folder.
pub fn lock_path(path: &Path) -> PathBuf {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    folder(path).join(format!(".{name}.lock"))
}

/// Apply `change` to the conf at `path` (empty when missing) and write it back atomically
/// (0600) if it changed, holding the conf's lock throughout. Running as root, a conf or folder
/// another user controls is refused ([`Conf::load_trusted`]).
///
/// # Errors
///
/// [`Error::Untrusted`], [`Error::Lock`], and the read and write errors of [`Conf`].
pub fn edit(path: &Path, change: impl FnOnce(&mut Conf)) -> Result<(), Error> {
    let policy = Policy::current();
    policy.check_dir(folder(path))?;
    let _lock = lock::hold(lock_path(path))?;
    let mut conf = Conf::load_trusted(path, policy)?.unwrap_or_default();
    let before = conf.render_bytes();
    change(&mut conf);
    if conf.render_bytes() != before {
        conf.save(path)?;
    }
    Ok(())
}

fn folder(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
