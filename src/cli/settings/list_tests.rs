use super::*;

#[test]
fn first_domain_is_the_first_name() {
    let args = |d: &[&str]| Args {
        domains: d.iter().map(|s| (*s).to_owned()).collect(),
        ..Args::default()
    };
    assert_eq!(first_domain(&args(&[])), None);
    assert_eq!(
        first_domain(&args(&[" ,a.example.test,b", "c"])).as_deref(),
        Some("a.example.test")
    );
    assert_eq!(
        first_domain(&args(&["*.Example.test"])).as_deref(),
        Some("*.Example.test")
    );
}
