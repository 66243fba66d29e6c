//! A real Apache (Debian's `apache2`) on a loopback port with its own config folder, for
//! `--apache` issuance. Started as `apache2 -d <folder> -f apache2.conf -DFOREGROUND`, so
//! Debian's `apache2ctl` with `APACHE_CONFDIR=<folder>` reaches it (`-t`, `graceful`).

use std::fs;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::process::Subprocess;

const MODULES: &str = "/usr/lib/apache2/modules";

/// A running Apache; stopped on drop.
pub(crate) struct Apache {
    _process: Subprocess,
    conf: PathBuf,
}

impl Apache {
    /// Write `<dir>/apache2.conf` (ServerRoot, PidFile and logs in `dir`, `Listen
    /// 127.0.0.1:port`, workers as `nobody`) and start Apache on it. `dir` must be
    /// traversable by others (the workers read the challenge folder as `nobody`).
    pub(crate) fn start(dir: &Path, port: u16) -> Self {
        assert!(
            Path::new("/usr/sbin/apache2").is_file(),
            "apache2 not found: run scripts/test, which installs it"
        );
        let d = dir.display();
        fs::create_dir_all(dir.join("htdocs")).expect("mkdir htdocs");
        let conf = dir.join("apache2.conf");
        fs::write(
            &conf,
            format!(
                "ServerRoot \"{d}\"\n\
                 ServerName 127.0.0.1\n\
                 Listen 127.0.0.1:{port}\n\
                 PidFile {d}/apache2.pid\n\
                 ErrorLog {d}/error.log\n\
                 DefaultRuntimeDir {d}\n\
                 LoadModule mpm_event_module {MODULES}/mod_mpm_event.so\n\
                 LoadModule authz_core_module {MODULES}/mod_authz_core.so\n\
                 LoadModule alias_module {MODULES}/mod_alias.so\n\
                 User nobody\n\
                 Group nogroup\n\
                 DocumentRoot {d}/htdocs\n"
            ),
        )
        .expect("write apache2.conf");
        let mut cmd = Command::new("/usr/sbin/apache2");
        cmd.arg("-d")
            .arg(dir)
            .args(["-f", "apache2.conf", "-DFOREGROUND"]);
        let mut process = Subprocess::spawn("apache2", cmd, dir);
        process.wait_listening(SocketAddr::from(([127, 0, 0, 1], port)));
        Self {
            _process: process,
            conf,
        }
    }

    /// The main config file.
    pub(crate) fn conf(&self) -> &Path {
        &self.conf
    }
}
