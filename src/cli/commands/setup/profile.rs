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

/// `<home>/acme.sh.csh`: the alias file for csh and tcsh.
pub(crate) fn csh_file(home: &Home) -> PathBuf {
    home.working_dir.join(format!("{ENTRY}.csh"))
}

/// `<home>/acmers.bash`: bash completions for `acmers` and `acme.sh`, loaded by
/// `acme.sh.env` in bash (acme.sh has none).
pub(crate) fn completion_file(home: &Home) -> PathBuf {
    home.working_dir.join("acmers.bash")
}

/// The bash completion script `--install` writes: `acmers --completions bash`, registered
/// for the `acme.sh` alias too.
pub(crate) fn completion_text() -> String {
    let mut text = crate::cli::args::completions(clap_complete::Shell::Bash);
    text.push_str(&format!(
        "complete -F _acmers -o bashdefault -o default {ENTRY}\n"
    ));
    text
}

/// One line acme.sh's `_setopt` keeps in a file: the line starting with `prefix` is replaced
/// in place, else appended; `None` removes it.
type Setting = (String, Option<String>);

/// `text` with `settings` applied as acme.sh's `_setopt` applies them (a commented-out
/// `#prefix` line is replaced too); every other line is kept.
fn set_lines(text: &str, settings: &[Setting]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for (prefix, line) in settings {
        let at = lines.iter().position(|l| {
            l.strip_prefix('#')
                .unwrap_or(l)
                .starts_with(prefix.as_str())
        });
        match (at, line) {
            (Some(i), Some(line)) => lines[i].clone_from(line),
            (Some(i), None) => {
                lines.remove(i);
            }
            (None, Some(line)) => lines.push(line.clone()),
            (None, None) => {}
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// ` --config-home '<c>'` when the config home is not the working dir.
fn config_entry(home: &Home) -> Option<String> {
    (home.config_home != home.working_dir)
        .then(|| format!(" --config-home '{}'", home.config_home.display()))
}

/// `acme.sh.env` as acme.sh's `_installalias` leaves it, from its current text (empty when
/// new): `LE_WORKING_DIR`, `LE_CONFIG_HOME` when the config home differs, the `acme.sh` alias,
/// and (acmers only) the line that loads the bash completions; other lines are kept.
pub(crate) fn env_text(current: &str, home: &Home) -> String {
    let working = home.working_dir.display();
    let config = config_entry(home);
    let completion = completion_file(home);
    let completion = completion.display();
    set_lines(
        current,
        &[
            (
                "export LE_WORKING_DIR=".into(),
                Some(format!("export LE_WORKING_DIR=\"{working}\"")),
            ),
            (
                "export LE_CONFIG_HOME=".into(),
                config
                    .as_ref()
                    .map(|_| format!("export LE_CONFIG_HOME=\"{}\"", home.config_home.display())),
            ),
            (
                format!("alias {ENTRY}="),
                Some(format!(
                    "alias {ENTRY}=\"{working}/{ENTRY}{}\"",
                    config.as_deref().unwrap_or_default()
                )),
            ),
            (
                "if [ -n \"${BASH_VERSION-}\" ]".into(),
                Some(format!(
                    "if [ -n \"${{BASH_VERSION-}}\" ] && [ -f \"{completion}\" ]; then . \"{completion}\"; fi"
                )),
            ),
        ],
    )
}

/// `acme.sh.csh` as `_installalias` leaves it, from its current text.
pub(crate) fn csh_text(current: &str, home: &Home) -> String {
    let working = home.working_dir.display();
    let config = config_entry(home);
    set_lines(
        current,
        &[
            (
                "setenv LE_WORKING_DIR ".into(),
                Some(format!("setenv LE_WORKING_DIR \"{working}\"")),
            ),
            (
                "setenv LE_CONFIG_HOME ".into(),
                config
                    .as_ref()
                    .map(|_| format!("setenv LE_CONFIG_HOME \"{}\"", home.config_home.display())),
            ),
            (
                format!("alias {ENTRY} "),
                Some(format!(
                    "alias {ENTRY} \"{working}/{ENTRY}{}\"",
                    config.as_deref().unwrap_or_default()
                )),
            ),
        ],
    )
}

/// The csh profiles acme.sh's `_installalias` adds its `source` line to: `~/.cshrc` and
/// `~/.tcshrc`, each only when it exists.
pub(crate) fn csh_profiles(env: &dyn Fn(&str) -> Option<String>) -> Vec<PathBuf> {
    let Some(user_home) = env("HOME").filter(|h| !h.is_empty()) else {
        return Vec::new();
    };
    [".cshrc", ".tcshrc"]
        .into_iter()
        .map(|name| Path::new(&user_home).join(name))
        .filter(|p| p.is_file())
        .collect()
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

/// Write `file` (0600) from its current text (empty when new) through `update`.
///
/// # Errors
///
/// The file cannot be read or written.
pub(crate) fn write_alias_file(
    file: &Path,
    update: impl FnOnce(&str) -> String,
) -> anyhow::Result<()> {
    let current = match std::fs::read_to_string(file) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", file.display())),
    };
    write_atomic(file, update(&current).as_bytes(), 0o600)?;
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
