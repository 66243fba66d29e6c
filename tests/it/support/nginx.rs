//! A real nginx serving a webroot on a loopback port, for webroot-mode issuance.
//!
//! Workers run as nginx's unprivileged default user when the tests run as root, like a real
//! deployment, so the webroot (and the challenge files acmers writes into it) must be
//! readable by others. [`Nginx::serve`] makes the webroot's temp-dir ancestors traversable.

use std::fs;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use crate::support::process::Subprocess;

/// A running nginx; killed on drop.
pub(crate) struct Nginx {
    _process: Subprocess,
    _dir: TempDir,
}

/// `nginx` from PATH or the usual sbin location; panics (never skips) when absent.
fn nginx_binary() -> String {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).find(|dir| dir.join("nginx").is_file()))
        .unwrap_or_default();
    match on_path {
        Some(dir) => dir.join("nginx").display().to_string(),
        None if Path::new("/usr/sbin/nginx").is_file() => "/usr/sbin/nginx".to_owned(),
        None => panic!("nginx not found: run scripts/test, which installs it"),
    }
}

/// Make `path` readable and traversable by everyone (temp dirs are created 0700).
pub(crate) fn open_up(path: &Path) {
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|e| panic!("chmod 755 {}: {e}", path.display()));
}

impl Nginx {
    /// Answer every http-01 challenge on `127.0.0.1:port` in acme.sh's stateless mode:
    /// `<token>.<thumbprint>` for any token (the location of acme.sh's wiki), as every web
    /// server of a fleet sharing one account would (docs/fleet.md).
    pub(crate) fn stateless(port: u16, thumbprint: &str) -> Self {
        Self::start(
            port,
            &format!(
                "location ~ ^/\\.well-known/acme-challenge/([-_a-zA-Z0-9]+)$ {{\n\
                 \tdefault_type text/plain;\n\treturn 200 \"$1.{thumbprint}\";\n}}"
            ),
        )
    }

    /// Serve `root` on `127.0.0.1:port`. The caller should create `root` inside a temp dir
    /// it passed to [`open_up`] (or any world-traversable path).
    pub(crate) fn serve(root: &Path, port: u16) -> Self {
        Self::start(port, &format!("root {};", root.display()))
    }

    /// Run nginx on `127.0.0.1:port` with `server` inside its one `server` block.
    fn start(port: u16, server: &str) -> Self {
        let binary = nginx_binary();
        let dir = tempfile::Builder::new()
            .prefix("nginx-")
            .tempdir()
            .expect("tempdir");
        let d = dir.path().display();
        let config = format!(
            "worker_processes 1;\n\
             pid {d}/nginx.pid;\n\
             error_log {d}/error.log info;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
             \x20   access_log off;\n\
             \x20   client_body_temp_path {d}/client_body;\n\
             \x20   proxy_temp_path {d}/proxy;\n\
             \x20   fastcgi_temp_path {d}/fastcgi;\n\
             \x20   uwsgi_temp_path {d}/uwsgi;\n\
             \x20   scgi_temp_path {d}/scgi;\n\
             \x20   server {{\n\
             \x20       listen 127.0.0.1:{port};\n\
             \x20       {server}\n\
             \x20   }}\n\
             }}\n",
        );
        let conf_path = dir.path().join("nginx.conf");
        fs::write(&conf_path, config).expect("write nginx.conf");
        let mut cmd = Command::new(binary);
        cmd.arg("-p")
            .arg(dir.path())
            .arg("-e")
            .arg(dir.path().join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"]);
        let mut process = Subprocess::spawn("nginx", cmd, dir.path());
        process.wait_listening(SocketAddr::from(([127, 0, 0, 1], port)));
        Self {
            _process: process,
            _dir: dir,
        }
    }
}

/// Run nginx in the foreground on the main config `conf` (its folder is the prefix and gets
/// the logs) and wait until it listens on `127.0.0.1:port`; stopped when dropped.
pub(crate) fn run_config(conf: &Path, port: u16) -> Subprocess {
    let dir = conf.parent().expect("config folder");
    let mut cmd = Command::new(nginx_binary());
    cmd.arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(conf)
        .args(["-g", "daemon off;"]);
    let mut process = Subprocess::spawn("nginx", cmd, dir);
    process.wait_listening(SocketAddr::from(([127, 0, 0, 1], port)));
    process
}
