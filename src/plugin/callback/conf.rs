//! The helper's conf operations, for the library's `_readaccountconf`, `_saveaccountconf`,
//! `_clearaccountconf` (and their `_mutable` and domain forms), `_migratedomainconf`, and for
//! the settings of account.conf and the domain conf as shell variables. Files are parsed as
//! data by [`crate::store::Conf`] (never sourced), written atomically with mode 0600 under
//! their lock ([`crate::store::edit::edit`]), unknown lines kept; running as root, a conf
//! another user controls is refused.

use std::path::Path;

use super::Error;
use crate::store::Conf;
use crate::store::edit::edit;
use crate::store::trust::Policy;

/// A name acme.sh's conf files and the shell accept: `[A-Za-z_][A-Za-z0-9_]*`.
fn check_key(key: &str) -> Result<(), Error> {
    let mut chars = key.chars();
    let valid = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "`{}` is not a valid conf key",
            key.escape_debug()
        )))
    }
}

fn load(file: &str) -> Result<Option<Conf>, Error> {
    Ok(Conf::load_trusted(Path::new(file), Policy::current())?)
}

/// `conf-get FILE KEY`: the value as acme.sh's `_read_conf` gives it (base64 wrapper decoded),
/// empty when missing.
pub(super) fn get(file: &str, key: &str) -> Result<String, Error> {
    check_key(key)?;
    Ok(load(file)?
        .and_then(|conf| conf.get(key))
        .unwrap_or_default())
}

/// `conf-set FILE KEY [base64]`: `KEY='value'`, in acme.sh's base64 wrapper when asked (or
/// when the value could not be read back otherwise: see [`Conf::set`]).
pub(super) fn set(file: &str, key: &str, value: &str, base64: bool) -> Result<(), Error> {
    check_key(key)?;
    edit(Path::new(file), |conf| {
        if base64 {
            conf.set_base64(key, value);
        } else {
            conf.set(key, value);
        }
    })?;
    Ok(())
}

/// `conf-clear FILE KEY`: every line assigning `KEY` removed.
pub(super) fn clear(file: &str, key: &str) -> Result<(), Error> {
    check_key(key)?;
    if !Path::new(file).exists() {
        return Ok(());
    }
    edit(Path::new(file), |conf| conf.remove(key))?;
    Ok(())
}

/// `conf-move FILE OLD NEW [base64]`: acme.sh's `_migratedomainconf` as one locked edit. `OLD`
/// is removed; its value goes to `NEW` unless it was empty or `NEW` has a value already.
/// Whether the value moved.
pub(super) fn move_key(file: &str, old: &str, new: &str, base64: bool) -> Result<bool, Error> {
    check_key(old)?;
    check_key(new)?;
    if !Path::new(file).exists() {
        return Ok(false);
    }
    let mut moved = false;
    edit(Path::new(file), |conf| {
        let value = conf.get(old).unwrap_or_default();
        conf.remove(old);
        if value.is_empty() || conf.get(new).is_some_and(|v| !v.is_empty()) {
            return;
        }
        if base64 {
            conf.set_base64(new, &value);
        } else {
            conf.set(new, &value);
        }
        moved = true;
    })?;
    Ok(moved)
}

/// `conf-vars FILE`: one `KEY='value'` line per setting of the file that the environment does
/// not set, for the library to `eval`: acme.sh sources account.conf, so plugins see its
/// settings (legacy plain credentials among them) as shell variables. Keys are checked names
/// and values single-quoted, so the text is only assignments whatever the file holds.
pub(super) fn vars(file: &str) -> Result<String, Error> {
    let Some(conf) = load(file)? else {
        return Ok(String::new());
    };
    let mut out = String::new();
    for key in conf.keys() {
        if std::env::var_os(&key).is_some() || check_key(&key).is_err() {
            continue;
        }
        let Some(value) = conf.get(&key).filter(|v| !v.contains('\0')) else {
            continue;
        };
        out.push_str(&format!("{key}='{}'\n", value.replace('\'', r"'\''")));
    }
    Ok(out)
}
