//! A renewal pass against a CA that cannot be reached: the first failure is remembered for
//! the run, so the other lineages of that CA fail at once with the same cause instead of
//! each trying again, in turn.

use std::fs;
use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;

use crate::support::acmers::Acmers;
use crate::support::conf::read_conf;
use crate::support::home::site;

/// A loopback port that accepts TCP connections and closes each at once, counting them. A
/// fake, because it is what a dead CA behind a live load balancer looks like, and no real
/// component does that on demand.
struct BlackHole {
    port: u16,
    connections: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl BlackHole {
    fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind black hole");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("local addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (count, stopped) = (connections.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::SeqCst) {
                match listener.accept() {
                    // Dropped at once: closed before the TLS handshake.
                    Ok(_) => {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Self {
            port,
            connections,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for BlackHole {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A due EC lineage for `name` whose CA is `api`, written by hand.
fn due_lineage(home: &Path, name: &str, api: &str) {
    let dir = home.join(format!("{name}_ecc"));
    fs::create_dir(&dir).expect("mkdir lineage");
    fs::write(
        dir.join(format!("{name}.conf")),
        format!(
            "Le_Domain='{name}'\nLe_Alt='no'\nLe_Webroot='no'\nLe_API='{api}'\n\
             Le_Keylength='ec-256'\nLe_CertCreateTime='1700000000'\nLe_NextRenewTime='1700000001'\n"
        ),
    )
    .expect("write conf");
}

/// The failure a lineage recorded in its conf.
fn last_error(home: &Path, name: &str) -> String {
    let conf = read_conf(&home.join(format!("{name}_ecc/{name}.conf")));
    let wrapped = &conf["Acmers_LastError"];
    let b64 = wrapped
        .strip_prefix("__ACME_BASE64__START_")
        .and_then(|v| v.strip_suffix("__ACME_BASE64__END_"))
        .expect("base64-wrapped");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .expect("base64");
    String::from_utf8(bytes).expect("UTF-8")
}

#[test]
fn renew_all_against_an_unreachable_ca_tries_it_once() {
    let hole = BlackHole::start();
    let site = site();
    let api = format!("https://127.0.0.1:{}/dir", hole.port);
    // More lineages than `--parallel`: the fifth starts after the first failure.
    let names = ["a", "b", "c", "d", "e"].map(|n| format!("{n}.blackhole.test"));
    for name in &names {
        due_lineage(&site.home, name, &api);
    }

    let out = Acmers::new(&site.home)
        .args(["--renew-all", "--parallel", "4"])
        .timeout(Duration::from_secs(90))
        .run();
    out.assert_code(1);

    // One lineage's directory GET and its 3 retries; no lineage tried again.
    assert_eq!(hole.connections.load(Ordering::SeqCst), 4);
    for name in &names {
        out.assert_stderr_has(&format!("Error renewing {name}."));
    }
    // Every lineage failed with the same cause: one found it, the others were told it.
    let errors: Vec<String> = names.iter().map(|n| last_error(&site.home, n)).collect();
    let (found, told): (Vec<&String>, Vec<&String>) = errors
        .iter()
        .partition(|e| !e.contains("remembered from an earlier attempt in this run"));
    assert_eq!(found.len(), 1, "{errors:#?}");
    assert!(
        found[0].starts_with(&format!("request to `{api}` failed: ")),
        "{errors:#?}"
    );
    let remembered = format!(
        "the CA is unreachable (remembered from an earlier attempt in this run): {}",
        found[0]
    );
    assert!(told.iter().all(|e| **e == remembered), "{errors:#?}");
}
