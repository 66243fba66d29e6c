//! acme.sh's `--nginx [conf]` (its `_setNginx`, `_checkConf`, `_isRealNginxConf`,
//! `_restoreNginx`): for each name, the config file whose `server` block names it (with a
//! plain-HTTP `listen`) gets a location that answers every token with
//! `<token>.<account thumbprint>`, right after the `server_name` line; then `nginx -t` and a
//! reload. Cleanup restores every file byte for byte and reloads again.
//!
//! nginx is run as `nginx -c <main config>`: the main config is `NGINX_CONF` when set (the
//! variable acme.sh reads), else the `--conf-path` `nginx -V` reports. The search for a
//! name's `server` block starts at the `--nginx` conf, else at the main config, and follows
//! `include`s (a relative one from the main config's folder, as nginx resolves it; `*` and
//! `?` in the file name).

use std::collections::HashSet;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use tokio::sync::Mutex;

use super::command::{find, run};
use super::{Active, Edits, Error, Place, Server, lock, thumbprint, workers};
use crate::acme::types::ChallengeType;
use crate::challenge::{self, BoxFuture, Challenge, Solver};

/// The first line of the block acmers inserts (acme.sh's marker, so either tool sees it).
const START: &str = "#ACME_NGINX_START";
const END: &str = "#ACME_NGINX_END";
/// How many includes deep the search goes.
const MAX_DEPTH: usize = 16;

/// An http-01 solver through nginx's config. See the [module docs](self).
#[derive(Debug)]
pub struct Nginx {
    start: Option<PathBuf>,
    place: Place,
    active: Mutex<Option<Active>>,
}

impl Nginx {
    /// A solver searching from `start` (the `--nginx` conf) or the main config.
    pub fn new(start: Option<PathBuf>, place: Place) -> Self {
        Self {
            start,
            place,
            active: Mutex::new(None),
        }
    }

    async fn set_up(&self, batch: &[Challenge]) -> Result<(), Error> {
        let mut active = self.active.lock().await;
        if active.is_some() {
            return Ok(());
        }
        let thumb = thumbprint(batch)?;
        let binary = binary()?;
        let main = main_config(&binary).await?;
        let lock = lock(&self.place.cert_home, self.place.lock_timeout).await?;
        let state = active.insert(Active {
            edits: Edits::new(&self.place.lineage, Server::Nginx(main.clone())),
            _lock: lock,
        });
        run(&binary, &args(&main, &["-t"]))
            .await
            .map_err(|e| Error::BrokenBefore("nginx", e.to_string()))?;
        let start = absolute(self.start.as_deref().unwrap_or(&main));
        let mut changed = false;
        for domain in names(batch) {
            let (file, line) = find_server(&domain, &start, &main)?;
            changed |= state
                .edits
                .change(&file, |text| insert(text, line, &thumb))?;
        }
        if !changed {
            return Ok(());
        }
        run(&binary, &args(&main, &["-t"])).await?;
        reload(&main).await
    }
}

impl Solver for Nginx {
    fn kind(&self) -> ChallengeType {
        ChallengeType::Http01
    }

    fn present<'a>(
        &'a self,
        batch: &'a [Challenge],
    ) -> BoxFuture<'a, Result<(), challenge::Error>> {
        Box::pin(async move { Ok(self.set_up(batch).await?) })
    }

    /// Restores every config file and reloads nginx, once for all batches.
    fn cleanup<'a>(&'a self, _: &'a [Challenge]) -> BoxFuture<'a, Result<(), challenge::Error>> {
        Box::pin(async move {
            match self.active.lock().await.take() {
                Some(active) => Ok(active.restore().await?),
                None => Ok(()),
            }
        })
    }
}

/// The distinct names of a batch (a wildcard never gets here: it needs dns-01).
fn names(batch: &[Challenge]) -> Vec<String> {
    let mut seen = HashSet::new();
    batch
        .iter()
        .map(|c| c.identifier.value().to_owned())
        .filter(|n| seen.insert(n.clone()))
        .collect()
}

fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}

fn binary() -> Result<PathBuf, Error> {
    find(&["nginx"]).ok_or(Error::NotFound("nginx"))
}

/// `-c <main>` and `extra`.
fn args(main: &Path, extra: &[&str]) -> Vec<OsString> {
    let mut args = vec![OsString::from("-c"), main.as_os_str().to_owned()];
    args.extend(extra.iter().map(OsString::from));
    args
}

/// `nginx -c <main> -s reload`, returning once the new config serves every request.
///
/// # Errors
///
/// [`Error::NotFound`] or [`Error::Command`].
pub async fn reload(main: &Path) -> Result<(), Error> {
    let binary = binary()?;
    let before = workers::before(pid_file(&binary, main).await.as_deref());
    run(&binary, &args(main, &["-s", "reload"])).await?;
    before.reloaded().await;
    Ok(())
}

/// `NGINX_CONF`, else the `--conf-path` of `nginx -V`.
async fn main_config(binary: &PathBuf) -> Result<PathBuf, Error> {
    if let Some(conf) = std::env::var_os("NGINX_CONF").filter(|c| !c.is_empty()) {
        return Ok(absolute(Path::new(&conf)));
    }
    let version = run(binary, &["-V"]).await?;
    configure_value(&version, "--conf-path=")
        .map(PathBuf::from)
        .ok_or_else(|| Error::NoConfig {
            server: "nginx",
            why: "`nginx -V` shows no --conf-path and NGINX_CONF is not set".into(),
        })
}

/// The value of a `./configure` argument in `nginx -V`'s output.
fn configure_value<'a>(version: &'a str, key: &str) -> Option<&'a str> {
    version
        .split_whitespace()
        .find_map(|arg| arg.strip_prefix(key))
        .filter(|v| !v.is_empty())
}

/// The master's pid file: the main config's top-level `pid`, else `nginx -V`'s `--pid-path`.
async fn pid_file(binary: &PathBuf, main: &Path) -> Option<PathBuf> {
    let text = String::from_utf8(Edits::read(main).ok()?).ok()?;
    let directive = text.lines().find_map(|line| {
        let value = line.trim().strip_prefix("pid")?;
        value
            .starts_with(char::is_whitespace)
            .then(|| value.trim().trim_end_matches(';').trim().to_owned())
    });
    match directive {
        Some(path) => Some(PathBuf::from(path)),
        None => {
            configure_value(&run(binary, &["-V"]).await.ok()?, "--pid-path=").map(PathBuf::from)
        }
    }
}

/// The config file and the (1-based) `server_name` line of the plain-HTTP `server` block for
/// `domain`, searched from `start` through `include`s (acme.sh's `_checkConf`).
fn find_server(domain: &str, start: &Path, main: &Path) -> Result<(PathBuf, usize), Error> {
    let base = main.parent().unwrap_or_else(|| Path::new("/"));
    let mut seen = HashSet::new();
    search(domain, start, base, 0, &mut seen)?.ok_or_else(|| Error::NoServerBlock {
        domain: domain.to_owned(),
        start: start.to_owned(),
    })
}

fn search(
    domain: &str,
    file: &Path,
    base: &Path,
    depth: usize,
    seen: &mut HashSet<PathBuf>,
) -> Result<Option<(PathBuf, usize)>, Error> {
    if depth > MAX_DEPTH || !seen.insert(file.to_owned()) || !file.is_file() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&Edits::read(file)?).into_owned();
    if let Some(line) = server_name_line(&text, domain) {
        return Ok(Some((file.to_owned(), line)));
    }
    for pattern in includes(&text) {
        let pattern = base.join(pattern);
        for included in expand(&pattern) {
            if let Some(found) = search(domain, &included, base, depth + 1, seen)? {
                return Ok(Some(found));
            }
        }
    }
    Ok(None)
}

/// The values of the `include` lines of a config.
fn includes(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("include")?;
            let value = rest.starts_with(char::is_whitespace).then_some(rest)?;
            let value = value.split(';').next()?.trim().trim_matches(['"', '\'']);
            (!value.is_empty()).then(|| value.to_owned())
        })
        .collect()
}

/// The files a pattern names: itself, or with `*`/`?` in its file name, the matching files of
/// its folder in name order.
fn expand(pattern: &Path) -> Vec<PathBuf> {
    let name = pattern.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if !name.contains(['*', '?']) {
        return vec![pattern.to_owned()];
    }
    let Some(dir) = pattern.parent() else {
        return Vec::new();
    };
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| {
            let file = e.ok()?.file_name();
            let file = file.to_str()?;
            (!file.starts_with('.') && glob(name.as_bytes(), file.as_bytes()))
                .then(|| dir.join(file))
        })
        .collect();
    found.sort();
    found
}

/// Whether `text` matches the shell pattern `pattern` (`*` and `?` only).
fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(_)) => glob(&pattern[1..], &text[1..]),
        (Some(p), Some(t)) if p == t => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

/// Whether a line opens a `server` block (not `server_name`, `server_tokens`, …).
fn opens_server(line: &str) -> bool {
    line.trim_start()
        .strip_prefix("server")
        .is_some_and(|rest| rest.is_empty() || rest.starts_with([' ', '\t', '{']))
}

/// The 1-based line of the `server_name` naming `domain` in a `server` block with at least
/// one `listen` without `ssl` (acme.sh's `_isRealNginxConf`; the name is matched exactly).
fn server_name_line(text: &str, domain: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    lines.iter().enumerate().find_map(|(i, line)| {
        let names = line.trim_start().strip_prefix("server_name")?;
        let names = names.split(';').next()?;
        if !names
            .split_whitespace()
            .any(|n| n.eq_ignore_ascii_case(domain))
        {
            return None;
        }
        let start = lines[..=i].iter().rposition(|l| opens_server(l))?;
        let end = lines[start + 1..]
            .iter()
            .position(|l| opens_server(l))
            .map_or(lines.len(), |p| start + 1 + p);
        let plain = lines[start + 1..end].iter().any(|l| {
            l.trim_start()
                .strip_prefix("listen")
                .is_some_and(|v| v.starts_with(char::is_whitespace) && !v.contains("ssl"))
        });
        plain.then_some(i + 1)
    })
}

/// The config with the challenge location inserted after line `line`, or `None` when it is
/// there already (acme.sh: "already configured").
fn insert(text: &[u8], line: usize, thumb: &str) -> Option<Vec<u8>> {
    let lines: Vec<&[u8]> = text.split_inclusive(|b| *b == b'\n').collect();
    if lines
        .get(line)
        .is_some_and(|l| l.trim_ascii() == START.as_bytes())
    {
        return None;
    }
    let block = format!(
        "{START}\n\
         location ~ \"^/\\.well-known/acme-challenge/([-_a-zA-Z0-9]+)$\" {{\n\
         \x20 default_type text/plain;\n\
         \x20 return 200 \"$1.{thumb}\";\n\
         }}\n\
         {END}\n"
    );
    let mut out = Vec::with_capacity(text.len() + block.len() + 1);
    let (head, tail) = lines.split_at(line.min(lines.len()));
    out.extend(head.concat());
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out.extend_from_slice(block.as_bytes());
    out.extend(tail.concat());
    Some(out)
}

#[cfg(test)]
#[path = "nginx_tests.rs"]
mod tests;
