//! The shell side of `--install`: `<home>/acme.sh.env` and the line that loads it from the
//! user's shell profile (acme.sh's `_installalias`, `_uninstallalias`, `_detect_profile`).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::cli::commands::schedule::ENTRY;
use crate::store::Home;
use crate::store::atomic::write_atomic;

/// `<home>/acme.sh.env`.
pub(crate) fn env_file(home: &Home) -> PathBuf {
    home.working_dir.join(format!("{ENTRY}.env"))
}

/// The text of `acme.sh.env` as acme.sh's `_installalias` writes it into a new file:
/// `LE_WORKING_DIR`, `LE_CONFIG_HOME` when the config home differs, and the `acme.sh` alias.
pub(crate) fn env_text(home: &Home) -> String {
    let working = home.working_dir.display();
    let mut text = format!("export LE_WORKING_DIR=\"{working}\"\n");
    let mut config_entry = String::new();
    if home.config_home != home.working_dir {
        let config = home.config_home.display();
        text.push_str(&format!("export LE_CONFIG_HOME=\"{config}\"\n"));
        config_entry = format!(" --config-home '{config}'");
    }
    text.push_str(&format!(
        "alias {ENTRY}=\"{working}/{ENTRY}{config_entry}\"\n"
    ));
    text
}

/// The profile line: `. "<home>/acme.sh.env"`.
pub(crate) fn profile_line(home: &Home) -> String {
    format!(". \"{}\"", env_file(home).display())
}

/// The profile acme.sh's `_detect_profile` picks from `PROFILE`, `SHELL` and `HOME`: `$PROFILE`
/// when it is a file; for bash `.bashrc`, else `.bash_profile`; for zsh `.zshrc`; otherwise
/// the first existing of `.profile`, `.bashrc`, `.bash_profile`, `.zshrc`.
pub(crate) fn detect(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    if let Some(profile) = env("PROFILE").filter(|p| !p.is_empty() && Path::new(p).is_file()) {
        return Some(PathBuf::from(profile));
    }
    let user_home = PathBuf::from(env("HOME").filter(|h| !h.is_empty())?);
    let existing = |name: &str| Some(user_home.join(name)).filter(|p| p.is_file());
    let shell = env("SHELL").unwrap_or_default();
    let by_shell = match shell.rsplit('/').next().unwrap_or_default() {
        "bash" => existing(".bashrc").or_else(|| existing(".bash_profile")),
        "zsh" => Some(user_home.join(".zshrc")),
        _ => None,
    };
    by_shell.or_else(|| {
        [".profile", ".bashrc", ".bash_profile", ".zshrc"]
            .into_iter()
            .find_map(existing)
    })
}

/// Write `acme.sh.env` (0600, replaced whole).
///
/// # Errors
///
/// The file cannot be written.
pub(crate) fn write_env(home: &Home) -> anyhow::Result<()> {
    write_atomic(&env_file(home), env_text(home).as_bytes(), 0o600)?;
    Ok(())
}

/// Append `line` to `profile` unless it holds that line already (acme.sh's `_setopt`); a new
/// profile is created 0600. `false` when the line was there.
///
/// # Errors
///
/// The profile cannot be read or appended to.
pub(crate) fn add_line(profile: &Path, line: &str) -> anyhow::Result<bool> {
    use std::os::unix::fs::OpenOptionsExt as _;
    let text = match std::fs::read_to_string(profile) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", profile.display())),
    };
    if text.lines().any(|l| l == line) {
        return Ok(false);
    }
    let separator = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .mode(0o600)
        .open(profile)
        .and_then(|mut f| f.write_all(format!("{separator}{line}\n").as_bytes()))
        .with_context(|| format!("cannot add the alias line to `{}`", profile.display()))?;
    Ok(true)
}

/// Remove every line of `profile` that loads `env_file` (acme.sh's `_uninstallalias`: a line
/// ending in `"<env_file>"`). `false` when there was none (or no profile).
///
/// # Errors
///
/// The profile cannot be read or written back.
pub(crate) fn remove_line(profile: &Path, env_file: &Path) -> anyhow::Result<bool> {
    let Ok(text) = std::fs::read_to_string(profile) else {
        return Ok(false);
    };
    let quoted = format!("\"{}\"", env_file.display());
    let kept: Vec<&str> = text.lines().filter(|l| !l.ends_with(&quoted)).collect();
    if kept.len() == text.lines().count() {
        return Ok(false);
    }
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    // Written in place, so the profile keeps its mode, owner and any link to it.
    std::fs::write(profile, out)
        .with_context(|| format!("cannot remove the alias line from `{}`", profile.display()))?;
    Ok(true)
}

#[cfg(test)]
#[path = "profile_tests.rs"]
mod tests;
