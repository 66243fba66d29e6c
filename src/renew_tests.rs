use super::*;
use crate::store::record::time_str;

const T0: i64 = 1_795_898_536; // 2026-11-28T20:42:16Z, fixture a.example.test

#[test]
fn acmesh_days_rules() {
    // Fixture b.example.test: --days 20 → 19 days after creation.
    assert_eq!(
        next_renew_time(T0, T0, T0 + 90 * DAY, Some(20)),
        T0 + 19 * DAY
    );
    assert_eq!(
        next_renew_time(T0, T0, T0 + 90 * DAY, Some(30)),
        T0 + 29 * DAY
    );
    assert_eq!(
        next_renew_time(T0, T0, T0 + 90 * DAY, Some(-10)),
        T0 + 80 * DAY
    );
}

#[test]
fn lifetime_aware_default() {
    assert_eq!(next_renew_time(T0, T0, T0 + 90 * DAY, None), T0 + 60 * DAY);
    assert_eq!(next_renew_time(T0, T0, T0 + 45 * DAY, None), T0 + 30 * DAY);
    assert_eq!(next_renew_time(T0, T0, T0 + 6 * DAY, None), T0 + 3 * DAY);
    // Backdated notBefore (Let's Encrypt backdates by an hour) counts from notBefore.
    assert_eq!(
        next_renew_time(T0, T0 - 3600, T0 - 3600 + 90 * DAY, None),
        T0 - 3600 + 60 * DAY
    );
}

#[test]
fn time_strings_match_acmesh() {
    assert_eq!(time_str(T0), "2026-11-28T20:42:16Z");
    assert_eq!(time_str(1_798_404_136), "2026-12-27T20:42:16Z");
}

fn record(extra: &str) -> DomainRecord {
    DomainRecord::parse(&format!(
        "Le_Domain='a.test'\nLe_Alt='no'\nLe_API='https://ca.test/dir'\n{extra}"
    ))
}

fn issued(next: i64, extra: &str) -> DomainRecord {
    record(&format!(
        "Le_LinkCert='https://ca.test/cert/1'\nLe_CertCreateTime='{T0}'\n\
         Le_NextRenewTime='{next}'\nLe_NextRenewTimeStr='{}'\n{extra}",
        time_str(next)
    ))
}

#[test]
fn never_issued_whatever_else() {
    assert_eq!(decide(T0, &record(""), false), Decision::NeverIssued);
    assert_eq!(decide(T0, &record(""), true), Decision::NeverIssued);
}

#[test]
fn due_skip_and_force() {
    let later = issued(T0 + 10, "");
    assert_eq!(
        decide(T0, &later, false),
        Decision::Skip {
            at: T0 + 10,
            at_str: time_str(T0 + 10)
        }
    );
    assert_eq!(
        decide(T0 + 10, &later, false),
        Decision::Renew(Because::Due)
    );
    assert_eq!(decide(T0, &later, true), Decision::Renew(Because::Forced));
    // No readable renewal time: due.
    let odd = record(&format!("Le_CertCreateTime='{T0}'\nLe_NextRenewTime='x'\n"));
    assert_eq!(decide(T0, &odd, false), Decision::Renew(Because::Due));
}

#[test]
fn unfinished_work_comes_first() {
    let order = issued(
        T0 + 10,
        "Le_LinkOrder='https://ca.test/order/9'\nLe_LinkCert=''\n",
    );
    assert_eq!(
        decide(T0, &order, true),
        Decision::Finish(Unfinished::Order("https://ca.test/order/9".into()))
    );
    let install = issued(T0 + 10, "Acmers_InstallPending='1'\n");
    assert_eq!(
        decide(T0, &install, false),
        Decision::Finish(Unfinished::Install)
    );
    // Due anyway: the renewal installs too.
    assert_eq!(
        decide(T0 + 10, &install, false),
        Decision::Renew(Because::Due)
    );
    let deploy = issued(T0 + 10, "Acmers_DeployPending='1'\n");
    assert_eq!(
        decide(T0, &deploy, false),
        Decision::Finish(Unfinished::Install),
        "a failed deploy is retried without a new order"
    );
}
