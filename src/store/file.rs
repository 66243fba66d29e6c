//! Reading the small files of a home (confs, keys) as data that may be hostile: regular files
//! only, opened without following a symbolic link and without blocking on a pipe, and never
//! more than a size limit, so a conf linked to `/dev/zero` or replaced by a FIFO fails with a
//! clear error instead of eating memory or hanging the run.
//!
//! A file that may be absent is read with [`read`] (`Ok(None)`) and removed with [`remove`]
//! (nothing to do); every other error names the file.

use std::fs::File;
use std::io::{self, Read as _};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use rustix::fs::OFlags;

use super::Error;
use super::trust::Origin;

/// The largest conf, key or certificate file acmers reads (acme.sh's are a few KiB).
pub const MAX_FILE: u64 = 1024 * 1024;

/// A file's bytes and the owner and mode of the handle they were read through.
#[derive(Debug)]
pub struct Loaded {
    /// The content.
    pub bytes: Vec<u8>,
    /// Who owned the file as it was read, and its mode.
    pub origin: Origin,
}

/// Read the regular file `path` (at most `limit` bytes); `Ok(None)` when it does not exist.
///
/// # Errors
///
/// [`Error::NotRegular`] for a symbolic link, folder, device or pipe; [`Error::TooLarge`];
/// [`Error::Read`] for any other I/O error.
pub fn read(path: &Path, limit: u64) -> Result<Option<Loaded>, Error> {
    let read_err = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags((OFlags::NOFOLLOW | OFlags::NONBLOCK).bits() as i32)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        // ELOOP: the last component is a symbolic link.
        Err(e) if e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error()) => {
            return Err(Error::NotRegular {
                path: path.to_owned(),
            });
        }
        Err(e) => return Err(read_err(e)),
    };
    read_opened(file, path, limit).map(Some)
}

/// The checks and the capped read of [`read`], for a file opened by the caller (`path` names it
/// in errors).
///
/// # Errors
///
/// As [`read`].
pub fn read_opened(file: File, path: &Path, limit: u64) -> Result<Loaded, Error> {
    let read_err = |source| Error::Read {
        path: path.to_owned(),
        source,
    };
    let stat = rustix::fs::fstat(&file).map_err(|e| read_err(e.into()))?;
    if rustix::fs::FileType::from_raw_mode(stat.st_mode) != rustix::fs::FileType::RegularFile {
        return Err(Error::NotRegular {
            path: path.to_owned(),
        });
    }
    let too_large = || Error::TooLarge {
        path: path.to_owned(),
        limit,
    };
    let size = u64::try_from(stat.st_size).unwrap_or(0);
    if size > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // One byte more than the limit tells a file that grew while being read.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(read_err)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(Loaded {
        bytes,
        origin: Origin::of(&stat),
    })
}

/// Remove the file `path`; a file that does not exist is not an error.
///
/// # Errors
///
/// [`Error::Remove`] for any other I/O error (a folder, no permission).
pub fn remove(path: &Path) -> Result<(), Error> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(Error::Remove {
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
#[path = "file_tests.rs"]
mod tests;
