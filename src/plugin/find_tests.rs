use std::fs;
use std::os::unix::fs::{PermissionsExt as _, symlink};

use super::*;

/// The uid of `nobody`, the "other user" of the root tests.
const NOBODY: u32 = 65_534;

struct Places {
    _top: tempfile::TempDir,
    bin: PathBuf,
    home: PathBuf,
}

fn places() -> Places {
    let top = tempfile::tempdir().expect("tempdir");
    let bin = top.path().join("bin");
    let home = top.path().join("home");
    fs::create_dir_all(&bin).expect("mkdir bin");
    fs::create_dir_all(&home).expect("mkdir home");
    Places {
        bin,
        home,
        _top: top,
    }
}

impl Places {
    fn lookup(&self, domain: Option<&'static str>) -> Lookup<'_> {
        Lookup {
            bin_dir: Some(&self.bin),
            home: &self.home,
            domain,
        }
    }
}

fn write(path: &Path) {
    fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs::write(path, "dns_x_add() { :; }\n").expect("write plugin");
}

#[test]
fn candidates_follow_acme_sh_s_find_hook_order() {
    let p = places();
    let expected: Vec<PathBuf> = [
        p.bin.join("dnsapi/dns_x"),
        p.bin.join("dnsapi/dns_x.sh"),
        p.home.join("example.test/dns_x"),
        p.home.join("example.test/dns_x.sh"),
        p.home.join("dns_x"),
        p.home.join("dns_x.sh"),
        p.home.join("dnsapi/dns_x"),
        p.home.join("dnsapi/dns_x.sh"),
    ]
    .into();
    assert_eq!(
        p.lookup(Some("example.test"))
            .candidates(Category::Dnsapi, "dns_x"),
        expected
    );
    // No domain, no folder of the executable: those places are skipped.
    let lookup = Lookup {
        bin_dir: None,
        ..p.lookup(None)
    };
    assert_eq!(
        lookup.candidates(Category::Deploy, "ssh"),
        [
            p.home.join("ssh"),
            p.home.join("ssh.sh"),
            p.home.join("deploy/ssh"),
            p.home.join("deploy/ssh.sh"),
        ]
    );
}

#[test]
fn the_first_regular_file_in_that_order_is_used() {
    let p = places();
    let lookup = p.lookup(Some("example.test"));
    let order = lookup.candidates(Category::Dnsapi, "dns_x");
    // A folder of the plugin's name is not a plugin.
    fs::create_dir_all(&order[0]).expect("mkdir in the way");
    for path in &order[1..] {
        write(path);
    }
    for expected in &order[1..] {
        let found = find(Category::Dnsapi, "dns_x", &lookup).expect("found");
        assert_eq!(&found, expected);
        fs::remove_file(expected).expect("remove");
    }
    match find(Category::Dnsapi, "dns_x", &lookup) {
        Err(e @ Error::NotFound { .. }) => {
            let text = e.to_string();
            for path in &order {
                assert!(text.contains(&path.display().to_string()), "{text}");
            }
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
}

#[test]
fn a_name_with_a_slash_is_a_path_and_links_are_resolved() {
    let p = places();
    let real = p.home.join("elsewhere/dns_custom.sh");
    write(&real);
    let lookup = p.lookup(None);
    let path = real.display().to_string();
    assert_eq!(
        lookup.candidates(Category::Dnsapi, &path),
        vec![real.clone()]
    );
    assert_eq!(find(Category::Dnsapi, &path, &lookup).expect("path"), real);
    // A link in the home is followed to the file that is judged and run.
    fs::create_dir_all(p.home.join("dnsapi")).expect("mkdir");
    symlink(&real, p.home.join("dnsapi/dns_custom.sh")).expect("symlink");
    assert_eq!(
        find(Category::Dnsapi, "dns_custom", &lookup).expect("link"),
        real
    );
}

fn give_away(path: &Path) {
    rustix::fs::chownat(
        rustix::fs::CWD,
        path,
        Some(rustix::fs::Uid::from_raw(NOBODY)),
        None,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .expect("chown to nobody");
}

fn refused(result: Result<PathBuf, Error>) -> String {
    match result {
        Err(e @ Error::Untrusted { .. }) => e.to_string(),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn as_root_a_plugin_another_user_controls_is_refused() {
    if !rustix::process::geteuid().is_root() {
        // Only root runs under the strict policy, and only root can give files away.
        return;
    }
    let p = places();
    let lookup = p.lookup(None);
    let plugin = p.home.join("dnsapi/dns_x.sh");
    write(&plugin);
    find(Category::Dnsapi, "dns_x", &lookup).expect("root's own plugin runs");

    // Writable by others.
    fs::set_permissions(&plugin, fs::Permissions::from_mode(0o666)).expect("chmod");
    let text = refused(find(Category::Dnsapi, "dns_x", &lookup));
    assert!(text.contains("other users can write to it"), "{text}");
    fs::set_permissions(&plugin, fs::Permissions::from_mode(0o644)).expect("chmod");

    // Owned by another user.
    give_away(&plugin);
    let text = refused(find(Category::Dnsapi, "dns_x", &lookup));
    assert!(text.contains("owned by another user (uid 65534)"), "{text}");
    assert!(text.contains("chown root"), "says what to do: {text}");
    rustix::fs::chown(&plugin, Some(rustix::process::geteuid()), None).expect("chown back");

    // A folder on its path another user owns.
    give_away(&p.home.join("dnsapi"));
    let text = refused(find(Category::Dnsapi, "dns_x", &lookup));
    assert!(text.contains("dnsapi"), "names the folder: {text}");
}
