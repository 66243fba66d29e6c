use super::*;

fn lookup(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

#[test]
fn environment_wins_over_saved_and_empty_is_unset() {
    let creds = Credentials::resolve(
        ["A", "B", "C", "D"],
        lookup(&[("A", "env-a"), ("C", "")]),
        lookup(&[("A", "saved-a"), ("B", "saved-b"), ("C", "saved-c")]),
    );
    assert_eq!(creds.get("A"), Some("env-a"));
    assert_eq!(creds.get("B"), Some("saved-b"));
    assert_eq!(creds.get("C"), Some("saved-c"));
    assert_eq!(creds.get("D"), None);
    assert_eq!(creds.iter().count(), 3);
}

#[test]
fn a_missing_variable_is_named_with_its_help() {
    static SPEC: Spec = Spec {
        name: "dns_x",
        title: "X",
        vars: &[super::super::Var {
            name: "X_Token",
            required: true,
            help: "API token",
        }],
        not_saved: &[],
        build: |_| Err(Error::Dns("unused".into())),
    };
    let err = Credentials::default()
        .require(&SPEC, "X_Token")
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("`X_Token` is not set"), "{text}");
    assert!(text.contains("API token"), "{text}");
}
