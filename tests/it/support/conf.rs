//! acme.sh conf files as the tests see them: a reader and a one-key rewriter.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use crate::support::home::read;

/// A parsed acme.sh conf file. Indexing with a missing key panics with the file's path
/// and contents.
#[derive(Debug)]
pub(crate) struct Conf {
    path: PathBuf,
    map: BTreeMap<String, String>,
}

impl Conf {
    /// The value of `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&String> {
        self.map.get(key)
    }

    /// How many keys the file sets.
    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }
}

impl std::ops::Index<&str> for Conf {
    type Output = String;

    fn index(&self, key: &str) -> &String {
        self.map
            .get(key)
            .unwrap_or_else(|| panic!("no {key} in {}: {:#?}", self.path.display(), self.map))
    }
}

/// Read an acme.sh conf file (`KEY='value'` lines; `'\''` escapes, double quotes and bare
/// values are accepted too). Panics if the file is missing.
pub(crate) fn read_conf(path: &Path) -> Conf {
    let text = fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read conf {}: {e}", path.display()));
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        let line = line.strip_prefix("export ").unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, raw)) = line.split_once('=') else {
            continue;
        };
        let value = if let Some(v) = raw.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
            v.replace("'\\''", "'")
        } else if let Some(v) = raw.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
            v.to_owned()
        } else {
            raw.to_owned()
        };
        map.insert(key.to_owned(), value);
    }
    Conf {
        path: path.to_owned(),
        map,
    }
}

/// Rewrite one `KEY='value'` line of a conf (as a user or a clock change would).
pub(crate) fn set_conf(conf: &Path, key: &str, value: &str) {
    let text = read(conf);
    let prefix = format!("{key}=");
    let mut found = false;
    let mut out: String = text
        .lines()
        .map(|line| {
            if line.starts_with(&prefix) {
                found = true;
                format!("{key}='{value}'\n")
            } else {
                format!("{line}\n")
            }
        })
        .collect();
    if !found {
        out.push_str(&format!("{key}='{value}'\n"));
    }
    fs::write(conf, out).expect("write conf");
}
