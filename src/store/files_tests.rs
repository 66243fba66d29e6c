use std::path::Path;

use super::*;

#[test]
fn values_follow_acmesh_order() {
    let lineage = Lineage::at(Path::new("/h"), "a.example", true).unwrap();
    let issued = Files::issued(&lineage);
    let names: Vec<_> = issued
        .iter()
        .map(|(kind, path)| format!("{kind}={}", path.display()))
        .collect();
    assert_eq!(
        names,
        [
            "cert=/h/a.example_ecc/a.example.cer",
            "CA=/h/a.example_ecc/ca.cer",
            "key=/h/a.example_ecc/a.example.key",
            "full chain=/h/a.example_ecc/fullchain.cer",
        ]
    );
    let file_names = issued.map(|path| path.file_name().unwrap().to_owned());
    assert_eq!(
        file_names,
        Files {
            cert: "a.example.cer".into(),
            ca: "ca.cer".into(),
            key: "a.example.key".into(),
            fullchain: "fullchain.cer".into(),
        }
    );
}
