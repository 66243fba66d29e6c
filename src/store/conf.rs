//! acme.sh conf files (`account.conf`, `ca.conf`, `<domain>.conf`), read as **data**.
//!
//! acme.sh writes one `KEY='value'` per line with `_setopt` and reads the files by sourcing
//! them. acmers never executes them (docs/security.md): [`Conf`] parses each line on its
//! own, keeps every line's bytes for rendering, and answers [`Conf::get`] like a shell that had
//! sourced the file would, minus any expansion: `$(…)`, `$VAR` and backticks stay literal text.
//!
//! Accepted on read: `KEY='v'`, `KEY="v"` (with `\"`, `\\`, `\$` and `` \` `` decoded), `KEY=v`
//! (one shell word: unquoted up to a blank, `\x` means `x`), shell-style concatenations such as
//! `KEY='it'\''s'`, an optional leading `export `, leading blanks, a trailing `# comment`, CRLF
//! line ends, a missing final newline and repeated keys (the last assignment wins). A line that
//! does not parse (garbage, an unterminated quote, `KEY=a;b`, `KEY=a b`) is kept verbatim and
//! ignored by [`Conf::get`]; so is a quoted value spanning several lines, which acme.sh never
//! writes (its base64 output is one line). Written lines are always `KEY='value'`.

use std::collections::HashSet;
use std::fmt;
use std::path::Path;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_PAD_INDIFFERENT};

use super::Error;
use super::atomic::write_atomic;
use super::file::{self, MAX_FILE};
use super::trust::{Origin, Policy};

/// Start of acme.sh's base64 wrapper (`B64CONF_START`).
const B64_START: &str = "__ACME_BASE64__START_";
/// End of acme.sh's base64 wrapper (`B64CONF_END`).
const B64_END: &str = "__ACME_BASE64__END_";
/// Mode of every conf file acmers writes.
const CONF_MODE: u32 = 0o600;

/// An acme.sh conf file: its lines in order, each kept byte for byte, with the assignments
/// parsed. Unknown keys, comments, blank lines and unparseable lines survive a round trip.
///
/// `Debug` prints only the key names, since values may be credentials.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Conf {
    lines: Vec<Line>,
    /// Whether the text ended with `\n` (acme.sh always writes one; hand edits may not).
    final_newline: bool,
    /// Owner and mode of the file it was loaded from (`None` when parsed from text).
    origin: Option<Origin>,
}

/// One line without its `\n` (a CRLF line keeps its `\r` in `raw`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Line {
    raw: Vec<u8>,
    kind: Kind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    /// Blank, comment or garbage.
    Other,
    /// `#KEY=…`: a commented default that `_setopt` replaces.
    Commented(String),
    /// `[export ]KEY=…`; `value` is `None` when the rest of the line does not parse.
    Assign { key: String, value: Option<Vec<u8>> },
}

impl Conf {
    /// Parses conf text. Never fails: what does not parse is kept verbatim.
    pub fn parse(text: &str) -> Self {
        Self::parse_bytes(text.as_bytes())
    }

    /// Parses conf bytes, which need not be UTF-8 (values are decoded lossily by
    /// [`Conf::get`]; [`Conf::render_bytes`] gives the input back unchanged).
    pub fn parse_bytes(bytes: &[u8]) -> Self {
        let (body, final_newline) = match bytes.strip_suffix(b"\n") {
            Some(body) => (body, true),
            None => (bytes, false),
        };
        let lines = if bytes.is_empty() {
            Vec::new()
        } else {
            body.split(|&b| b == b'\n')
                .map(|raw| Line {
                    kind: parse_line(raw),
                    raw: raw.to_vec(),
                })
                .collect()
        };
        Self {
            lines,
            final_newline,
            origin: None,
        }
    }

    /// Reads and parses the file at `path`; `Ok(None)` when it does not exist. Only a regular
    /// file of at most [`MAX_FILE`] bytes is read, never through a symbolic link (see
    /// [`file::read`]); its owner and mode are kept for [`Conf::origin`].
    ///
    /// # Errors
    ///
    /// As [`file::read`].
    pub fn load(path: &Path) -> Result<Option<Self>, Error> {
        Ok(file::read(path, MAX_FILE)?.map(|loaded| Self {
            origin: Some(loaded.origin),
            ..Self::parse_bytes(&loaded.bytes)
        }))
    }

    /// [`Conf::load`] for a conf whose values acmers acts on (commands to run, files to write,
    /// the CA to trust): under `policy` the folder holding it, every folder above, and the
    /// file as it was read must be closed to other users (see [`Policy`]).
    ///
    /// # Errors
    ///
    /// As [`Conf::load`] and [`Policy::check_dir`]; [`Error::Untrusted`] for the file.
    pub fn load_trusted(path: &Path, policy: Policy) -> Result<Option<Self>, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            policy.check_dir(dir)?;
        }
        let conf = Self::load(path)?;
        if let Some(origin) = conf.as_ref().and_then(Self::origin) {
            policy.check_file(path, origin)?;
        }
        Ok(conf)
    }

    /// Owner and mode of the file this conf was loaded from, as read (`None` when it was
    /// parsed from text): what decides whether commands saved in it may run as root.
    pub fn origin(&self) -> Option<Origin> {
        self.origin
    }

    /// The value of `key` as the shell would see it after sourcing the file (the last
    /// parseable assignment wins), unquoted, with acme.sh's base64 wrapper decoded. Invalid
    /// base64 inside the wrapper gives the raw text; bytes that are not UTF-8 are replaced.
    pub fn get(&self, key: &str) -> Option<String> {
        self.lines.iter().rev().find_map(|line| match &line.kind {
            Kind::Assign {
                key: k,
                value: Some(v),
            } if k == key => Some(decode_value(v)),
            _ => None,
        })
    }

    /// Sets `key` the way acme.sh's `_setopt` does: the first line assigning `key` (in any
    /// accepted form, even an unparseable one) is replaced and later ones are removed; else
    /// the first `#KEY=` line is replaced; else `KEY='value'` is appended.
    ///
    /// The value is written single-quoted, as acme.sh does, unless acme.sh could not read that
    /// back (a `'`, a newline or another control character, or text that looks like the base64
    /// wrapper): then it is written in the base64 wrapper. An invalid key name (not
    /// `[A-Za-z_][A-Za-z0-9_]*`) is refused with a warning and nothing changes.
    pub fn set(&mut self, key: &str, value: &str) {
        let looks_wrapped = value.starts_with(B64_START) && value.ends_with(B64_END);
        if looks_wrapped || value.chars().any(|c| c == '\'' || c.is_control()) {
            self.set_base64(key, value);
        } else {
            self.put(key, value);
        }
    }

    /// Sets `key` to `value` in acme.sh's base64 wrapper
    /// (`KEY='__ACME_BASE64__START_<base64>__ACME_BASE64__END_'`), as acme.sh stores hooks and
    /// reload commands; an empty value is written `KEY=''`, as acme.sh does.
    pub fn set_base64(&mut self, key: &str, value: &str) {
        if value.is_empty() {
            self.put(key, "");
        } else {
            let wrapped = format!("{B64_START}{}{B64_END}", STANDARD.encode(value));
            self.put(key, &wrapped);
        }
    }

    /// Deletes every line assigning `key` (acme.sh clears a key by deleting its line).
    pub fn remove(&mut self, key: &str) {
        self.lines
            .retain(|line| !matches!(&line.kind, Kind::Assign { key: k, .. } if k == key));
    }

    /// The keys that [`Conf::get`] answers, in file order of first appearance, each once.
    pub fn keys(&self) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut keys = Vec::new();
        for line in &self.lines {
            if let Kind::Assign {
                key,
                value: Some(_),
            } = &line.kind
                && seen.insert(key.as_str())
            {
                keys.push(key.clone());
            }
        }
        keys
    }

    /// The file text; identical to the parsed text when nothing was changed (bytes that are
    /// not UTF-8 are replaced here; use [`Conf::render_bytes`] to keep them).
    pub fn render(&self) -> String {
        String::from_utf8_lossy(&self.render_bytes()).into_owned()
    }

    /// The file bytes; byte-identical to the parsed input when nothing was changed.
    pub fn render_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.lines.iter().map(|l| l.raw.len() + 1).sum());
        for (i, line) in self.lines.iter().enumerate() {
            if i > 0 {
                out.push(b'\n');
            }
            out.extend_from_slice(&line.raw);
        }
        if self.final_newline && !self.lines.is_empty() {
            out.push(b'\n');
        }
        out
    }

    /// Writes the file atomically with mode 0600 (see [`write_atomic`]).
    ///
    /// # Errors
    ///
    /// [`Error::Write`] or [`Error::SyncDir`] from [`write_atomic`].
    pub fn save(&self, path: &Path) -> Result<(), Error> {
        write_atomic(path, &self.render_bytes(), CONF_MODE)
    }

    /// `_setopt` with an already safe value: writes `KEY='quoted'`.
    fn put(&mut self, key: &str, quoted: &str) {
        if !is_key(key.as_bytes()) {
            tracing::warn!(key = ?key, "refusing to write a conf key with an invalid name");
            return;
        }
        let raw = format!("{key}='{quoted}'").into_bytes();
        let new = Line {
            kind: parse_line(&raw),
            raw,
        };
        let assigns = |line: &Line| matches!(&line.kind, Kind::Assign { key: k, .. } if k == key);
        if let Some(first) = self.lines.iter().position(assigns) {
            self.lines[first] = new;
            let later = self.lines.split_off(first + 1);
            self.lines
                .extend(later.into_iter().filter(|line| !assigns(line)));
        } else if let Some(i) = self
            .lines
            .iter()
            .position(|line| matches!(&line.kind, Kind::Commented(k) if k == key))
        {
            self.lines[i] = new;
        } else {
            self.lines.push(new);
            self.final_newline = true;
        }
    }
}

impl fmt::Debug for Conf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Conf").field("keys", &self.keys()).finish()
    }
}

/// Unquoted value bytes → text, decoding the base64 wrapper when it holds valid base64.
fn decode_value(value: &[u8]) -> String {
    let inner = value
        .strip_prefix(B64_START.as_bytes())
        .and_then(|rest| rest.strip_suffix(B64_END.as_bytes()));
    if let Some(inner) = inner {
        let compact: Vec<u8> = inner
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace())
            .collect();
        if let Ok(decoded) = STANDARD_PAD_INDIFFERENT.decode(&compact) {
            return String::from_utf8_lossy(&decoded).into_owned();
        }
    }
    String::from_utf8_lossy(value).into_owned()
}

/// Classifies one line (without `\n`).
fn parse_line(raw: &[u8]) -> Kind {
    let line = raw.strip_suffix(b"\r").unwrap_or(raw);
    let line = trim_blanks(line);
    if let Some(commented) = line.strip_prefix(b"#") {
        return match split_key(commented) {
            Some((key, _)) => Kind::Commented(key),
            None => Kind::Other,
        };
    }
    let line = match line.strip_prefix(b"export") {
        Some(rest) if rest.first().is_some_and(|&b| is_blank(b)) => trim_blanks(rest),
        _ => line,
    };
    match split_key(line) {
        Some((key, rest)) => Kind::Assign {
            key,
            value: parse_word(rest),
        },
        None => Kind::Other,
    }
}

/// `KEY=rest` → (`KEY`, `rest`) when `KEY` is a valid name.
fn split_key(line: &[u8]) -> Option<(String, &[u8])> {
    let eq = line.iter().position(|&b| b == b'=')?;
    let (key, rest) = (&line[..eq], &line[eq + 1..]);
    is_key(key).then(|| (String::from_utf8_lossy(key).into_owned(), rest))
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_key(key: &[u8]) -> bool {
    match key.split_first() {
        Some((first, rest)) => {
            (first.is_ascii_alphabetic() || *first == b'_')
                && rest.iter().all(|b| b.is_ascii_alphanumeric() || *b == b'_')
        }
        None => false,
    }
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_blanks(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| !is_blank(b)).unwrap_or(s.len());
    &s[start..]
}

/// The value of an assignment: one shell word, unquoted but never expanded, optionally
/// followed by blanks and a `# comment`. `None` when anything else follows or a quote is open.
fn parse_word(s: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&b) = s.get(i) {
        match b {
            b'\'' => {
                let len = s[i + 1..].iter().position(|&c| c == b'\'')?;
                out.extend_from_slice(&s[i + 1..i + 1 + len]);
                i += len + 2;
            }
            b'"' => {
                i += 1;
                loop {
                    match *s.get(i)? {
                        b'"' => break,
                        b'\\' if matches!(s.get(i + 1), Some(b'"' | b'\\' | b'$' | b'`')) => {
                            out.push(s[i + 1]);
                            i += 1;
                        }
                        c => out.push(c),
                    }
                    i += 1;
                }
                i += 1;
            }
            // A trailing backslash continues the line in the shell: not something to guess at.
            b'\\' => {
                out.push(*s.get(i + 1)?);
                i += 2;
            }
            b' ' | b'\t' => break,
            // `#` starting the word is a comment: `KEY=#x` assigns the empty string.
            b'#' if i == 0 => break,
            b';' | b'&' | b'|' | b'<' | b'>' => return None,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    let tail = trim_blanks(&s[i..]);
    (tail.is_empty() || tail[0] == b'#').then_some(out)
}

#[cfg(test)]
#[path = "conf_tests.rs"]
mod tests;
