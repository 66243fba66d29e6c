use super::*;

const INFO: &str = "Server version: Apache/2.4.62 (Debian)\n\
Server built:   2024-10-04T15:21:08\n \
-D HTTPD_ROOT=\"/etc/apache2\"\n \
-D DEFAULT_PIDLOG=\"/run/apache2.pid\"\n \
-D SERVER_CONFIG_FILE=\"apache2.conf\"\n";

#[test]
fn the_main_config_and_version_come_from_dash_v() {
    assert_eq!(define(INFO, "SERVER_CONFIG_FILE"), Some("apache2.conf"));
    assert_eq!(define(INFO, "HTTPD_ROOT"), Some("/etc/apache2"));
    assert!(version_at_least_24(INFO));
    assert!(!version_at_least_24(
        "Server version: Apache/2.2.34 (Unix)\n"
    ));
}
