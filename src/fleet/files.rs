//! The files of a lineage, a CA account or the home, as the store keeps them: one row per
//! file, private keys sealed with the store key when one is given (docs/fleet.md,
//! "Encrypted keys").

use std::path::Path;

use tokio_postgres::{GenericClient, Transaction};

use super::Error;
use super::crypt::StoreKey;
use crate::store::atomic::{create_private_dir_all, write_atomic};
use crate::store::layout::KEY_MODE;

/// The largest file the store keeps (a certificate chain, a conf, a PFX).
pub const MAX_FILE: u64 = 1 << 20;

/// The most files one folder may hold in the store.
pub const MAX_FILES: usize = 64;

/// Files by name (no `/`), sorted; the bytes are the plain ones.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files(pub Vec<(String, Vec<u8>)>);

impl Files {
    /// The file `name`.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.as_slice())
    }

    /// The regular files of `dir` (not its folders, lock files or temp files), read as
    /// hostile data: no symbolic link is followed and each is capped at [`MAX_FILE`].
    ///
    /// # Errors
    ///
    /// A file cannot be read, is too large, or there are more than [`MAX_FILES`].
    pub fn from_dir(dir: &Path) -> Result<Self, Error> {
        let mut files = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|source| crate::store::Error::Read {
            path: dir.to_owned(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| crate::store::Error::Read {
                path: dir.to_owned(),
                source,
            })?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let kind = entry
                .file_type()
                .map_err(|source| crate::store::Error::Read {
                    path: entry.path(),
                    source,
                })?;
            if !kind.is_file() || !keeps(&name) {
                continue;
            }
            if let Some(loaded) = crate::store::file::read(&entry.path(), MAX_FILE)? {
                files.push((name, loaded.bytes));
            }
        }
        if files.len() > MAX_FILES {
            return Err(Error::Refused(format!(
                "refusing `{}`: more than {MAX_FILES} files",
                dir.display()
            )));
        }
        files.sort();
        Ok(Self(files))
    }

    /// Write every file into `dir` (created 0700), keys 0600, the rest as acme.sh has them.
    ///
    /// # Errors
    ///
    /// A file or the folder cannot be written.
    pub fn write_dir(&self, dir: &Path) -> Result<(), Error> {
        create_private_dir_all(dir)?;
        for (name, body) in &self.0 {
            write_atomic(&dir.join(name), body, mode(name, body))?;
        }
        Ok(())
    }
}

/// Whether a file of a folder belongs in the store: not the folder's lock file, nor a temp
/// file of an atomic write, nor a file acmers keeps beside them only while a run is on.
fn keeps(name: &str) -> bool {
    !(name == crate::store::lock::LOCK_FILE
        || name.starts_with(".acmers-tmp")
        || name.ends_with(".tmp")
        || name.contains('/'))
}

/// Whether a file holds a secret, sealed when the store has a key (and written 0600): a
/// private key or PFX, or `account.conf`, where acme.sh saves the DNS API credentials.
pub fn is_secret(name: &str, body: &[u8]) -> bool {
    name.ends_with(".pfx")
        || name == "account.conf"
        || body.windows(16).any(|w| w == b"PRIVATE KEY-----")
}

/// The mode a file is written with.
fn mode(name: &str, body: &[u8]) -> u32 {
    if is_secret(name, body) || name.ends_with(".conf") {
        KEY_MODE
    } else {
        0o644
    }
}

/// A table of files: its name, the column naming the owner (none for the home's), and the
/// prefix of the associated data a sealed file is bound to.
#[derive(Clone, Copy)]
pub struct Table {
    /// The table.
    pub name: &'static str,
    /// The owner column.
    pub owner: Option<&'static str>,
    /// The first part of a sealed file's associated data.
    pub scope: &'static str,
}

/// A lineage's files.
pub const LINEAGE: Table = Table {
    name: "acmers_lineage_files",
    owner: Some("lineage"),
    scope: "lineage",
};
/// A CA account's files.
pub const ACCOUNT: Table = Table {
    name: "acmers_account_files",
    owner: Some("account"),
    scope: "account",
};
/// The home's own files (`account.conf`).
pub const HOME: Table = Table {
    name: "acmers_home_files",
    owner: None,
    scope: "home",
};

/// What a sealed file is bound to: it does not open under another owner or name.
fn aad(table: Table, owner: &str, name: &str) -> Vec<u8> {
    format!("{}:{owner}/{name}", table.scope).into_bytes()
}

/// Read the files of `owner` (ignored for [`HOME`]).
///
/// # Errors
///
/// The database fails, or a sealed file does not open with `key` (or there is none).
pub async fn load(
    db: &impl GenericClient,
    table: Table,
    owner: &str,
    key: Option<&StoreKey>,
) -> Result<Files, Error> {
    let rows = match table.owner {
        Some(col) => {
            db.query(
                &format!(
                    "SELECT name, body, sealed FROM {} WHERE {col} = $1 ORDER BY name",
                    table.name
                ),
                &[&owner],
            )
            .await?
        }
        None => {
            db.query(
                &format!(
                    "SELECT name, body, sealed FROM {} ORDER BY name",
                    table.name
                ),
                &[],
            )
            .await?
        }
    };
    if rows.len() > MAX_FILES {
        return Err(Error::Refused(format!(
            "refusing {}:{owner} from the store: more than {MAX_FILES} files",
            table.scope
        )));
    }
    let mut files = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.get(0);
        let body: Vec<u8> = row.get(1);
        // Written into a folder as they are: a name from the store is one plain file name.
        if body.len() as u64 > MAX_FILE + 64 {
            return Err(Error::Refused(format!(
                "refusing `{}` of {}:{owner} from the store: larger than {MAX_FILE} bytes",
                name.escape_debug(),
                table.scope
            )));
        }
        if !keeps(&name) || name.is_empty() || name == "." || name == ".." || name.contains('\0') {
            return Err(Error::Refused(format!(
                "refusing the file name `{}` of {}:{owner} from the store",
                name.escape_debug(),
                table.scope
            )));
        }
        let body = if row.get::<_, bool>(2) {
            let key = key.ok_or_else(|| {
                Error::Key(format!(
                    "`{name}` of {}:{owner} is sealed with store key {}; give its key file \
                     in {}",
                    table.scope,
                    super::crypt::sealed_key_id(&body).unwrap_or_default(),
                    super::crypt::KEY_VAR
                ))
            })?;
            key.open(&aad(table, owner, &name), &body)?
        } else {
            body
        };
        files.push((name, body));
    }
    Ok(Files(files))
}

/// Replace the files of `owner` by `files` within `tx`, sealing private keys with `key`.
///
/// # Errors
///
/// The database fails.
pub async fn replace(
    tx: &Transaction<'_>,
    table: Table,
    owner: &str,
    files: &Files,
    key: Option<&StoreKey>,
) -> Result<(), Error> {
    let (delete, insert) = match table.owner {
        Some(col) => (
            format!("DELETE FROM {} WHERE {col} = $1", table.name),
            format!(
                "INSERT INTO {} ({col}, name, body, sealed) VALUES ($1, $2, $3, $4)",
                table.name
            ),
        ),
        None => (
            format!("DELETE FROM {} WHERE $1::text IS NOT NULL", table.name),
            format!(
                "INSERT INTO {} (name, body, sealed) SELECT $2, $3, $4 WHERE $1::text IS NOT NULL",
                table.name
            ),
        ),
    };
    tx.execute(&delete, &[&owner]).await?;
    let insert = tx.prepare(&insert).await?;
    for (name, body) in &files.0 {
        let sealed = key.filter(|_| is_secret(name, body));
        let stored = match sealed {
            Some(key) => key.seal(&aad(table, owner, name), body)?,
            None => body.clone(),
        };
        tx.execute(&insert, &[&owner, name, &stored, &sealed.is_some()])
            .await?;
    }
    Ok(())
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
