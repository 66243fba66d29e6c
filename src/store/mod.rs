//! The acme.sh home as a serialization format.
//!
//! acmers reads and writes the same `~/.acme.sh` tree as acme.sh, so a user can switch in either
//! direction. This module treats that tree like a file format:
//!
//! - [`layout`] computes paths only (the home, CA folders, certificate lineages); no I/O.
//! - [`conf`] parses and writes acme.sh's `KEY='value'` shell fragments as **data**. They are
//!   never sourced or evaluated, unknown lines survive a round trip byte for byte, and values
//!   that acme.sh could not read back safely are written in its base64 wrapper.
//! - [`edit`] changes a conf under a lock, so parallel runs and their plugins keep each
//!   other's keys.
//! - [`scan`] finds the lineage folders of a home, as acme.sh's `--list` and renew loop do.
//! - [`atomic`] writes files durably (temp file with the final mode, fsync, rename, directory
//!   fsync) and creates private directories.
//!
//! acme.sh's `_initpath`, `_setopt` and `_readdomainconf` define the layout and the format;
//! docs/security.md and docs/renewal.md ("Crash safety") give the rules these modules follow.

use std::io;
use std::path::PathBuf;

pub mod atomic;
pub mod conf;
pub mod edit;
pub mod file;
pub mod files;
pub mod journal;
pub mod layout;
pub mod lock;
pub mod record;
pub mod scan;
pub mod trust;

pub use conf::Conf;
pub use layout::{CaDir, Home, Lineage};

/// Errors of the store: every I/O variant names the file it was about.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading a file failed (a missing file is not an error where absence is expected).
    #[error("failed to read `{}`", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Writing a file failed: creating its temp file, writing, syncing or renaming it. The
    /// previous content of `path` is untouched and no temp file is left behind.
    #[error("failed to write `{}`", path.display())]
    Write {
        /// The file that was to be written.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Giving a new file the owner of the file it replaces failed (typically `EPERM`: only
    /// root may give a file away). Nothing was replaced and no temp file is left behind.
    #[error("failed to give `{}` the owner {uid}:{gid}", path.display())]
    Chown {
        /// The file that was to be written.
        path: PathBuf,
        /// The wanted owner.
        uid: u32,
        /// The wanted group.
        gid: u32,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Removing a file failed (a missing file is not an error).
    #[error("failed to remove `{}`", path.display())]
    Remove {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Syncing a directory after a rename failed. The new file is already in place but may not
    /// survive a crash.
    #[error("failed to sync directory `{}`", path.display())]
    SyncDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// Creating a directory failed, or a non-directory is in the way.
    #[error("failed to create directory `{}`", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A CA directory URL cannot be mapped to a folder under `ca/` safely (no `scheme://host`,
    /// an empty host, `.` or `..` segments, a backslash or a control character).
    #[error("refusing CA directory URL `{}` as a folder name", url.escape_debug())]
    BadCaUrl {
        /// The URL as given.
        url: String,
    },
    /// A lock file could not be opened or locked.
    #[error("cannot lock `{}`", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: io::Error,
    },
    /// A journal names a file outside its folder, or is not a journal.
    #[error("refusing the journal `{}`: {reason}", path.display())]
    BadJournal {
        /// The journal.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file that must be a regular file is a symbolic link, a folder, a device or a pipe.
    #[error("refusing `{}`: it is not a regular file (a symbolic link, folder, device or pipe)", path.display())]
    NotRegular {
        /// The file.
        path: PathBuf,
    },
    /// A file is larger than acmers reads for its kind.
    #[error("refusing `{}`: it is larger than {limit} bytes", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The limit.
        limit: u64,
    },
    /// Running as root, a file or folder another user owns or can write (see [`trust`]).
    #[error("refusing `{}` as root: {why}", path.display())]
    Untrusted {
        /// The file, folder or link.
        path: PathBuf,
        /// What is wrong with it.
        why: trust::Why,
    },
    /// A main domain cannot be used as a lineage folder name (empty, `.`, `..`, or containing
    /// `/` or a control character).
    #[error("refusing domain `{}` as a folder name", domain.escape_debug())]
    BadDomainDir {
        /// The domain as given.
        domain: String,
    },
}
