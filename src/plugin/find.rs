//! Where a plugin file is, in acme.sh's order (`_findHook`), and whether root may run it.
//!
//! For a category (`dnsapi`, `deploy`, `notify`) and a name (`dns_foo`) the first regular file
//! of these is used, each tried as `<name>` then `<name>.sh`:
//!
//! 1. `<folder of the running acmers>/<category>/` (acme.sh's own folder: plugins installed
//!    beside the program),
//! 2. `<home>/<domain>/` (`LE_WORKING_DIR`; only when a domain is given),
//! 3. `<home>/`,
//! 4. `<home>/<category>/`.
//!
//! A name containing `/` is a path, used as is. Running as root, the file found must pass the
//! trust rule of [`crate::store::trust`] (docs/security.md): root's, not writable by group or
//! others, in folders nobody else controls; a plugin is code root runs.

use std::fmt;
use std::path::{Path, PathBuf};

use super::Error;
use crate::store::trust::{Origin, Policy};

/// The kinds of acme.sh plugin, each looked up in a folder of its name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Category {
    /// DNS providers (`dns_cf`), for dns-01.
    Dnsapi,
    /// Deploy hooks (`--deploy-hook`).
    Deploy,
    /// Notify hooks (`--notify-hook`).
    Notify,
}

impl Category {
    /// The folder name (`dnsapi`).
    pub fn dir(self) -> &'static str {
        match self {
            Self::Dnsapi => "dnsapi",
            Self::Deploy => "deploy",
            Self::Notify => "notify",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.dir())
    }
}

/// Where to look.
#[derive(Clone, Copy, Debug)]
pub struct Lookup<'a> {
    /// The folder of the running acmers executable (`None` when unknown).
    pub bin_dir: Option<&'a Path>,
    /// `LE_WORKING_DIR`.
    pub home: &'a Path,
    /// The domain the plugin is for, if any (its folder under the home is searched).
    pub domain: Option<&'a str>,
}

impl Lookup<'_> {
    /// Every path tried for `name`, in order (just `name` for a path).
    pub fn candidates(&self, category: Category, name: &str) -> Vec<PathBuf> {
        if name.contains('/') {
            return vec![PathBuf::from(name)];
        }
        let folders = [
            self.bin_dir.map(|dir| dir.join(category.dir())),
            self.domain.map(|domain| self.home.join(domain)),
            Some(self.home.to_owned()),
            Some(self.home.join(category.dir())),
        ];
        folders
            .into_iter()
            .flatten()
            .flat_map(|dir| [dir.join(name), dir.join(format!("{name}.sh"))])
            .collect()
    }
}

/// The plugin `name` of `category`: the first regular file of [`Lookup::candidates`], with
/// symbolic links resolved (the path returned is the file that was judged).
///
/// # Errors
///
/// [`Error::NotFound`] listing every path tried; [`Error::Untrusted`] when, running as root,
/// the file or a folder or link on its way is another user's or writable by others.
pub fn find(category: Category, name: &str, lookup: &Lookup<'_>) -> Result<PathBuf, Error> {
    let searched = lookup.candidates(category, name);
    let Some(found) = searched.iter().find(|path| path.is_file()) else {
        return Err(Error::NotFound {
            category,
            name: name.to_owned(),
            searched,
        });
    };
    trusted(found, Policy::current())
}

/// `path` resolved through [`Policy::locate`] and judged by [`Policy::check_file`].
fn trusted(path: &Path, policy: Policy) -> Result<PathBuf, Error> {
    let untrusted = |e: crate::store::Error| Error::Untrusted {
        path: path.to_owned(),
        reason: match std::error::Error::source(&e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    };
    let located = policy.locate(path).map_err(untrusted)?;
    let resolved = located.path();
    let Some(stat) = located.existing else {
        // Removed since it was seen: as missing as before.
        return Err(untrusted(crate::store::Error::Read {
            path: resolved,
            source: std::io::ErrorKind::NotFound.into(),
        }));
    };
    policy
        .check_file(&resolved, Origin::of(&stat))
        .map_err(untrusted)?;
    Ok(resolved)
}

#[cfg(test)]
#[path = "find_tests.rs"]
mod tests;
