//! Switching several files of one folder as a unit (docs/renewal.md, "Crash safety").
//!
//! Files cannot be renamed together atomically, and acme.sh's fixed names (`<d>.key`,
//! `<d>.cer`, …) rule out certbot's symlink scheme. So a [`Transaction`]:
//!
//! 1. writes every new file completely under a staged name (`.<name>.acmers-staged`,
//!    atomically and durably), leaving the current files alone;
//! 2. writes a small journal (`.acmers.journal`) naming the files, atomically — the commit
//!    point: before it the old set is intact, after it the new set is complete on disk;
//! 3. renames the staged files over the current ones in the order they were staged, syncs the
//!    folder, deletes the journal.
//!
//! A crash in step 3 leaves a journal; [`roll_forward`] (called before any work on the
//! folder) finishes the renames. Staged files without a journal are leftovers of a run that
//! died before its commit point; they are overwritten by the next transaction.

use std::fs::File;
use std::path::{Path, PathBuf};

use super::atomic::write_atomic;
use super::{Error, file};

/// The journal's name inside the folder.
pub const JOURNAL: &str = ".acmers.journal";
const HEADER: &str = "acmers-journal-v1";

fn staged_name(name: &str) -> String {
    format!(".{name}.acmers-staged")
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.contains('/')
        && !name.chars().any(char::is_control)
}

/// New files for one folder, switched together by [`commit`](Self::commit).
#[derive(Debug)]
pub struct Transaction {
    dir: PathBuf,
    names: Vec<String>,
}

impl Transaction {
    /// A transaction on the files of `dir`.
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            names: Vec::new(),
        }
    }

    /// Write the new content of `path` (a file directly in the transaction's folder) under
    /// its staged name. Files are renamed in staging order.
    pub fn stage(&mut self, path: &Path, data: &[u8], mode: u32) -> Result<(), Error> {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .filter(|n| valid_name(n) && path.parent() == Some(self.dir.as_path()))
            .ok_or_else(|| self.bad(format!("`{}` is not a file in this folder", path.display())))?
            .to_owned();
        write_atomic(&self.dir.join(staged_name(&name)), data, mode)?;
        self.names.retain(|n| *n != name);
        self.names.push(name);
        Ok(())
    }

    /// Write the journal (the commit point), then switch the files and remove the journal.
    pub fn commit(self) -> Result<(), Error> {
        let mut text = format!("{HEADER}\n");
        for name in &self.names {
            text.push_str(name);
            text.push('\n');
        }
        write_atomic(&self.dir.join(JOURNAL), text.as_bytes(), 0o600)?;
        roll_forward(&self.dir).map(|_| ())
    }

    fn bad(&self, reason: String) -> Error {
        Error::BadJournal {
            path: self.dir.join(JOURNAL),
            reason,
        }
    }
}

/// Finish a transaction that a crash interrupted: rename the staged files the journal of
/// `dir` names (those already renamed are skipped), then delete the journal. `Ok(false)`
/// when there was no journal.
pub fn roll_forward(dir: &Path) -> Result<bool, Error> {
    let path = dir.join(JOURNAL);
    let Some(loaded) = file::read(&path, file::MAX_FILE)? else {
        return Ok(false);
    };
    let bad = |reason: &str| Error::BadJournal {
        path: path.clone(),
        reason: reason.to_owned(),
    };
    let text = std::str::from_utf8(&loaded.bytes).map_err(|_| bad("unknown format"))?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(bad("unknown format"));
    }
    let names: Vec<&str> = lines.collect();
    if !names.iter().all(|n| valid_name(n)) {
        return Err(bad("it names a file outside its folder"));
    }
    for name in names {
        let staged = dir.join(staged_name(name));
        match std::fs::rename(&staged, dir.join(name)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::Write {
                    path: dir.join(name),
                    source,
                });
            }
        }
    }
    sync_dir(dir)?;
    std::fs::remove_file(&path).map_err(|source| Error::Write {
        path: path.clone(),
        source,
    })?;
    sync_dir(dir)?;
    Ok(true)
}

fn sync_dir(dir: &Path) -> Result<(), Error> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| Error::SyncDir {
            path: dir.to_owned(),
            source,
        })
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
