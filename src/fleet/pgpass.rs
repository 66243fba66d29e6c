//! libpq's password file (PostgreSQL documentation, "The Password File"): the password of a
//! store URL that has none, so it need not be written in `account.conf` or a crontab.
//!
//! The file is `PGPASSFILE`, else `~/.pgpass`. Each line is
//! `hostname:port:database:username:password`; a field `*` matches anything, `\:` and `\\`
//! stand for `:` and `\`, a line starting with `#` is a comment, and the first line that
//! matches wins. Like libpq, a file group or other users can access is not used; unlike libpq,
//! which ignores it with a warning, acmers refuses it with an error, so the user sees why the
//! password is not used (docs/fleet.md).

use std::path::{Path, PathBuf};

use super::Error;
use crate::store::file::MAX_FILE;
use crate::store::trust::Policy;

/// The password file: `PGPASSFILE`, else `$HOME/.pgpass`; `None` when neither is set.
pub fn path(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    let set = |key: &str| env(key).filter(|v| !v.is_empty());
    set("PGPASSFILE")
        .map(PathBuf::from)
        .or_else(|| set("HOME").map(|home| Path::new(&home).join(".pgpass")))
}

/// The password of the first line of the password file `path` that matches `host`, `port`,
/// `database` and `user`; `Ok(None)` when none does or the file does not exist.
///
/// `host` is what libpq matches: the host name or address of the URL, `localhost` for the
/// default socket folder, else the socket folder's path.
///
/// # Errors
///
/// [`Error::Store`] when the file cannot be read or (as root) is not trusted,
/// [`Error::Exposed`] when group or other users can access it, [`Error::Store`] too when the
/// matching password is not UTF-8.
pub fn lookup(
    path: &Path,
    host: &str,
    port: u16,
    database: &str,
    user: &str,
) -> Result<Option<String>, Error> {
    let Some(bytes) = read_private(path, MAX_FILE)? else {
        return Ok(None);
    };
    let port = port.to_string();
    let wanted = [host, &port, database, user];
    for line in bytes.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() || line.starts_with(b"#") {
            continue;
        }
        let fields = fields(line);
        // A line without a password field (four separators) matches nothing.
        if fields.len() < 5 {
            continue;
        }
        let matches = fields
            .iter()
            .zip(wanted)
            .all(|(field, want)| field.raw == b"*" || field.value == want.as_bytes());
        if matches {
            let password = fields[4].value.clone();
            return String::from_utf8(password).map(Some).map_err(|_| {
                Error::Store(crate::store::Error::Read {
                    path: path.to_owned(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        "the password of the matching line is not UTF-8",
                    ),
                })
            });
        }
    }
    Ok(None)
}

/// One field of a line: as written (to tell the wildcard `*` from an escaped `\*`), and
/// with its escapes removed.
struct Field<'a> {
    raw: &'a [u8],
    value: Vec<u8>,
}

/// The fields of a line, split at each `:` that no `\` escapes. A `\` before any character
/// stands for that character; one at the end of the line stands for itself (as libpq reads
/// it).
fn fields(line: &[u8]) -> Vec<Field<'_>> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut value = Vec::new();
    let mut bytes = line.iter().enumerate();
    while let Some((i, &b)) = bytes.next() {
        match b {
            b'\\' => value.push(bytes.next().map_or(b, |(_, &next)| next)),
            b':' => {
                fields.push(Field {
                    raw: &line[start..i],
                    value: std::mem::take(&mut value),
                });
                start = i + 1;
            }
            _ => value.push(b),
        }
    }
    fields.push(Field {
        raw: &line[start..],
        value,
    });
    fields
}

/// Read a secret file of the store (this password file, the store key file): through the
/// root trust policy (capped, a regular file, as root owned by root and not writable by
/// others), and refused when group or other users can access it at all; `Ok(None)` when it
/// does not exist.
///
/// # Errors
///
/// [`Error::Store`] when it cannot be read or is not trusted, [`Error::Exposed`] when its
/// group or others have any access.
pub(super) fn read_private(path: &Path, limit: u64) -> Result<Option<Vec<u8>>, Error> {
    let Some(loaded) = Policy::current().read_file(path, limit)? else {
        return Ok(None);
    };
    let mode = loaded.origin.mode;
    if mode & 0o077 != 0 {
        return Err(Error::Exposed {
            path: path.to_owned(),
            mode,
        });
    }
    Ok(Some(loaded.bytes))
}

#[cfg(test)]
#[path = "pgpass_tests.rs"]
mod tests;
