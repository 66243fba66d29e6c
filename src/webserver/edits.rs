//! Web server config changes that survive a crash (docs/webservers.md, "Crash safety").
//!
//! Before a config file is changed, its exact bytes go to a backup in the lineage folder
//! (`.acmers-webserver.<n>.bak`, 0600) and a marker (`.acmers.webserver`) names the server,
//! the file, its mode and owner, the backup, and the SHA-256 of the content about to be
//! written — in the style of [`crate::store::journal`]. Only then is the config replaced
//! (atomically, keeping its mode and owner). [`Edits::restore`] puts every file back, newest
//! change first; a run killed before that leaves the marker, and the next run for the lineage
//! restores from it ([`super::repair`]). A file whose content is neither the original nor what
//! acmers wrote was changed by someone else since: it is left alone and its backup kept.

use std::path::{Path, PathBuf};

use super::Error;
use crate::store::atomic::{write_atomic, write_atomic_in};
use crate::store::file;
use crate::store::trust::Policy;

/// The marker's name inside the lineage folder.
pub const MARKER: &str = ".acmers.webserver";
const HEADER: &str = "acmers-webserver-v1";
/// Config files larger than this are refused.
const MAX_CONF: u64 = 16 << 20;

/// Which server the changes are for: what reloads it after a restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Server {
    /// nginx, run with `-c <main config>`.
    Nginx(PathBuf),
    /// Apache, through `apachectl`/`apache2ctl`.
    Apache,
}

/// One changed file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry {
    backup: String,
    mode: u32,
    uid: u32,
    gid: u32,
    changed: String,
    path: PathBuf,
}

/// The config files changed for one run, recorded in a lineage folder.
#[derive(Debug)]
pub struct Edits {
    dir: PathBuf,
    server: Server,
    entries: Vec<Entry>,
}

fn sha256_hex(data: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

impl Edits {
    /// No changes yet, for `server`, recorded in the lineage folder `dir`.
    pub fn new(dir: &Path, server: Server) -> Self {
        Self {
            dir: dir.to_owned(),
            server,
            entries: Vec::new(),
        }
    }

    /// The server the changes are for.
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The changed files, oldest change first.
    pub fn paths(&self) -> Vec<PathBuf> {
        self.entries.iter().map(|e| e.path.clone()).collect()
    }

    /// Whether nothing was changed (or everything was restored).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Read the config `path` (as root: a regular file root owns that no other user can
    /// write, in folders no other user controls).
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when it cannot be read or is not trusted.
    pub fn read(path: &Path) -> Result<Vec<u8>, Error> {
        match Policy::current().read_file(path, MAX_CONF)? {
            Some(loaded) => Ok(loaded.bytes),
            None => Err(Error::Missing(path.to_owned())),
        }
    }

    /// Replace the config `path` by `change(current content)`: backup and marker first, then
    /// the file (same mode and owner). `change` returning `None` leaves the file alone.
    /// Returns whether the file was changed.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the file cannot be read, is not trusted, or a write fails.
    pub fn change(
        &mut self,
        path: &Path,
        change: impl FnOnce(&[u8]) -> Option<Vec<u8>>,
    ) -> Result<bool, Error> {
        if path.as_os_str().as_encoded_bytes().contains(&b'\n') {
            return Err(Error::BadPath(path.to_owned()));
        }
        let policy = Policy::current();
        let located = policy.locate(path)?;
        let Some(loaded) = policy.read_file(path, MAX_CONF)? else {
            return Err(Error::Missing(path.to_owned()));
        };
        let Some(new) = change(&loaded.bytes) else {
            return Ok(false);
        };
        let stat = located
            .existing
            .ok_or_else(|| Error::Missing(path.to_owned()))?;
        let (mode, owner) = (stat.st_mode & 0o7777, (stat.st_uid, stat.st_gid));
        let backup = format!(".acmers-webserver.{}.bak", self.entries.len());
        write_atomic(&self.dir.join(&backup), &loaded.bytes, 0o600)?;
        self.entries.push(Entry {
            backup,
            mode,
            uid: owner.0,
            gid: owner.1,
            changed: sha256_hex(&new),
            path: located.path(),
        });
        self.save()?;
        let (dir, dir_path, name) = (&located.dir, &located.dir_path, &located.name);
        write_atomic_in(dir, dir_path, name, &new, mode, Some(owner))?;
        Ok(true)
    }

    /// Put every changed file back, newest change first, then remove the backups and the
    /// marker. Stops at the first file it cannot restore, keeping the marker for a later run.
    ///
    /// # Errors
    ///
    /// [`Error::ChangedSince`] for a file someone else changed, [`Error::Store`] when a read
    /// or write fails.
    pub fn restore(&mut self) -> Result<(), Error> {
        while let Some(entry) = self.entries.last() {
            let backup_path = self.dir.join(&entry.backup);
            let original = file::read(&backup_path, MAX_CONF)?
                .ok_or_else(|| Error::Missing(backup_path.clone()))?
                .bytes;
            let policy = Policy::current();
            let located = policy.locate(&entry.path)?;
            let current = policy.read_file(&entry.path, MAX_CONF)?.map(|l| l.bytes);
            match current {
                Some(bytes) if bytes == original => {}
                Some(bytes) if sha256_hex(&bytes) == entry.changed => {
                    let owner = Some((entry.uid, entry.gid));
                    write_atomic_in(
                        &located.dir,
                        &located.dir_path,
                        &located.name,
                        &original,
                        entry.mode,
                        owner,
                    )?;
                }
                _ => {
                    return Err(Error::ChangedSince {
                        path: entry.path.clone(),
                        backup: backup_path,
                    });
                }
            }
            self.entries.pop();
            self.save()?;
            file::remove(&backup_path)?;
        }
        Ok(())
    }

    /// Write the marker (or remove it when nothing is changed).
    fn save(&self) -> Result<(), Error> {
        let marker = self.dir.join(MARKER);
        if self.entries.is_empty() {
            return Ok(file::remove(&marker)?);
        }
        let server = match &self.server {
            Server::Nginx(main) => format!("nginx {}", main.display()),
            Server::Apache => "apache".to_owned(),
        };
        let mut text = format!("{HEADER}\n{server}\n");
        for e in &self.entries {
            text.push_str(&format!(
                "{} {:o} {} {} {} {}\n",
                e.backup,
                e.mode,
                e.uid,
                e.gid,
                e.changed,
                e.path.display()
            ));
        }
        Ok(write_atomic(&marker, text.as_bytes(), 0o600)?)
    }

    /// The changes a run left in the lineage folder `dir`, if any.
    ///
    /// # Errors
    ///
    /// [`Error::BadMarker`] for a marker acmers did not write, [`Error::Store`] when it cannot
    /// be read.
    pub fn left_in(dir: &Path) -> Result<Option<Self>, Error> {
        let marker = dir.join(MARKER);
        let Some(loaded) = file::read(&marker, file::MAX_FILE)? else {
            return Ok(None);
        };
        let bad = || Error::BadMarker(marker.clone());
        let text = String::from_utf8(loaded.bytes).map_err(|_| bad())?;
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(bad());
        }
        let server = match lines.next().ok_or_else(bad)? {
            "apache" => Server::Apache,
            line => match line.strip_prefix("nginx ") {
                Some(main) => Server::Nginx(PathBuf::from(main)),
                None => return Err(bad()),
            },
        };
        let entries = lines
            .map(|line| parse_entry(line).ok_or_else(bad))
            .collect::<Result<_, _>>()?;
        Ok(Some(Self {
            dir: dir.to_owned(),
            server,
            entries,
        }))
    }
}

fn parse_entry(line: &str) -> Option<Entry> {
    let mut fields = line.splitn(6, ' ');
    let backup = fields.next()?;
    let ok = backup.starts_with(".acmers-webserver.") && !backup.contains('/');
    Some(Entry {
        backup: ok.then(|| backup.to_owned())?,
        mode: u32::from_str_radix(fields.next()?, 8).ok()?,
        uid: fields.next()?.parse().ok()?,
        gid: fields.next()?.parse().ok()?,
        changed: fields.next()?.to_owned(),
        path: PathBuf::from(fields.next().filter(|p| p.starts_with('/'))?),
    })
}

#[cfg(test)]
#[path = "edits_tests.rs"]
mod tests;
