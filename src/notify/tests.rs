use super::*;

fn config(level: u8, mode: Mode) -> Config {
    Config {
        hooks: vec!["mail".into()],
        level,
        mode,
        source: "host1".into(),
    }
}

fn run() -> Vec<Event> {
    vec![
        Event::new(Kind::Skipped, "b.test"),
        Event::new(Kind::Renewed, "r.test_ecc"),
        Event::new(Kind::Failed, "f.test"),
        Event::new(Kind::Skipped, "a.test"),
    ]
}

fn subjects(messages: &[Message]) -> Vec<(&str, u8)> {
    messages
        .iter()
        .map(|m| (m.subject.as_str(), m.code))
        .collect()
}

#[test]
fn saved_settings_and_defaults() {
    let c = Config::from_saved(Some("mail,,slack"), None, None, "h".into());
    assert_eq!(c.hooks, ["mail", "slack"]);
    assert_eq!((c.level, c.mode), (LEVEL_RENEW, Mode::Bulk));
    let c = Config::from_saved(None, Some("3"), Some("1"), "h".into());
    assert!(!c.active(), "no hook");
    assert_eq!((c.level, c.mode), (3, Mode::Cert));
    assert_eq!(
        Config::from_saved(None, Some("x"), Some("7"), "h".into()).mode,
        Mode::Other
    );
    assert!(!config(LEVEL_DISABLE, Mode::Bulk).active());
}

#[test]
fn bulk_lists_every_certificate_with_acmesh_subject_and_code() {
    let messages = for_run(&config(LEVEL_RENEW, Mode::Bulk), &run());
    assert_eq!(
        subjects(&messages),
        [("Renew Error Success Skipped by host1", 1)]
    );
    assert_eq!(
        messages[0].content,
        "Errored certs:\n    f.test\n\nSuccessful certs:\n    r.test_ecc\n\nSkipped certs:\n    a.test\n    b.test\n\n"
    );
    assert_eq!(messages[0].events.len(), 4);
}

#[test]
fn bulk_is_sent_only_when_the_worst_event_reaches_the_level() {
    let renewed_and_skipped = [
        Event::new(Kind::Renewed, "r.test"),
        Event::new(Kind::Skipped, "s.test"),
    ];
    let skipped = [Event::new(Kind::Skipped, "s.test")];
    assert!(for_run(&config(LEVEL_ERROR, Mode::Bulk), &renewed_and_skipped).is_empty());
    assert_eq!(
        subjects(&for_run(
            &config(LEVEL_RENEW, Mode::Bulk),
            &renewed_and_skipped
        )),
        [("Renew Success Skipped by host1", 0)]
    );
    assert!(for_run(&config(LEVEL_RENEW, Mode::Bulk), &skipped).is_empty());
    assert_eq!(
        subjects(&for_run(&config(LEVEL_SKIP, Mode::Bulk), &skipped)),
        [("Renew Skipped by host1", 2)]
    );
    assert_eq!(
        subjects(&for_run(&config(LEVEL_SKIP, Mode::Bulk), &[])),
        [("Renew by host1", 2)]
    );
}

#[test]
fn per_certificate_mode_filters_by_level() {
    let at = |level| subjects(&for_run(&config(level, Mode::Cert), &run())).len();
    assert_eq!(at(LEVEL_ERROR), 1);
    assert_eq!(at(LEVEL_RENEW), 2);
    assert_eq!(at(LEVEL_SKIP), 4);
    let messages = for_run(&config(LEVEL_SKIP, Mode::Cert), &run());
    assert_eq!(
        subjects(&messages),
        [
            ("Renew b.test skipped by host1", 2),
            ("Renew r.test_ecc success by host1", 0),
            ("Renew f.test error by host1", 1),
            ("Renew a.test skipped by host1", 2),
        ]
    );
    assert_eq!(messages[0].content, "Good, the cert is skipped.");
    assert_eq!(messages[1].content, "Good, the cert is renewed.");
    assert_eq!(messages[2].content, "There is an error.");
    assert!(for_run(&config(LEVEL_SKIP, Mode::Other), &run()).is_empty());
}

#[test]
fn one_certificate_ignores_the_mode() {
    let c = config(LEVEL_RENEW, Mode::Other);
    let m = for_one(&c, Event::new(Kind::Renewed, "a.test")).expect("renewed at level 2");
    assert_eq!(
        (m.subject.as_str(), m.code),
        ("Renew a.test success by host1", 0)
    );
    assert!(for_one(&c, Event::new(Kind::Skipped, "a.test")).is_none());
    assert!(for_one(&config(0, Mode::Bulk), Event::new(Kind::Failed, "a.test")).is_none());
}

#[test]
fn test_message_is_acmesh_s() {
    let m = test_message(&config(LEVEL_ERROR, Mode::Bulk)).expect("level 1 sends");
    assert_eq!(
        m.subject,
        "Hello, this is a notification from acme.sh by host1"
    );
    assert_eq!(
        m.content,
        "If you receive this message, your notification works."
    );
    assert_eq!(m.code, 0);
    assert!(test_message(&config(LEVEL_DISABLE, Mode::Bulk)).is_none());
}

#[test]
fn webhook_body_has_every_field() {
    let mut event = Event::new(Kind::Failed, "f.test");
    event.error = Some("boom".into());
    event.ca = Some("https://ca.test/dir".into());
    let m = for_one(&config(LEVEL_ERROR, Mode::Bulk), event.clone()).expect("sent");
    let body = webhook::body(&m, Some(&event));
    assert_eq!(body["event"], "failed");
    assert_eq!(body["domain"], "f.test");
    assert_eq!(body["ca"], "https://ca.test/dir");
    assert_eq!(body["status"], 1);
    assert_eq!(body["error"], "boom");
    assert!(body["next_attempt"].is_null());
    assert_eq!(webhook::body(&m, None)["event"], "test");
}
