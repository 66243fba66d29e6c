use super::*;

const CONF: &str = "http {\n\
    server {\n\
        listen 443 ssl;\n\
        server_name a.test;\n\
    }\n\
    server {\n\
        listen 80;\n\
        server_name  b.test a.test;\n\
        root /srv;\n\
    }\n\
    server_tokens off;\n\
}\n";

#[test]
fn the_plain_http_server_block_is_found_and_ssl_only_ones_skipped() {
    assert_eq!(server_name_line(CONF, "a.test"), Some(8));
    assert_eq!(server_name_line(CONF, "b.test"), Some(8));
    // Matched exactly, not as a substring.
    assert_eq!(server_name_line(CONF, "b.tes"), None);
    assert_eq!(server_name_line(CONF, "c.test"), None);
}

#[test]
fn the_location_goes_after_the_server_name_line_once() {
    let changed = insert(CONF.as_bytes(), 8, "THUMB").unwrap();
    let text = String::from_utf8(changed.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[7].trim(), "server_name  b.test a.test;");
    assert_eq!(lines[8], START);
    assert!(text.contains("return 200 \"$1.THUMB\";"), "{text}");
    assert_eq!(lines[14].trim(), "root /srv;");
    // Already there: nothing to change.
    assert_eq!(insert(&changed, 8, "THUMB"), None);
}

#[test]
fn includes_and_globs() {
    let text = "include mime.types;\n  include\t/etc/nginx/sites-enabled/*;\n# include x;\n";
    assert_eq!(includes(text), ["mime.types", "/etc/nginx/sites-enabled/*"]);
    assert!(glob(b"*.conf", b"a.conf"));
    assert!(glob(b"a?c", b"abc"));
    assert!(!glob(b"*.conf", b"a.conf~"));
}

#[test]
fn the_search_follows_includes_from_the_main_configs_folder() {
    let dir = tempfile::tempdir().unwrap();
    let main = dir.path().join("nginx.conf");
    std::fs::create_dir(dir.path().join("sites")).unwrap();
    std::fs::write(&main, "http {\n  include sites/*.conf;\n}\n").unwrap();
    std::fs::write(
        dir.path().join("sites/a.conf"),
        "server {\n listen 80;\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("sites/b.conf"),
        "server {\n listen 80;\n server_name b.test;\n}\n",
    )
    .unwrap();
    let found = find_server("b.test", &main, &main).unwrap();
    assert_eq!(found, (dir.path().join("sites/b.conf"), 3));
    assert!(matches!(
        find_server("c.test", &main, &main),
        Err(Error::NoServerBlock { .. })
    ));
}
