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
    assert_eq!(decide(T0, &record(""), false, true), Decision::NeverIssued);
    assert_eq!(decide(T0, &record(""), true, true), Decision::NeverIssued);
}

#[test]
fn due_skip_and_force() {
    let later = issued(T0 + 10, "");
    assert_eq!(
        decide(T0, &later, false, true),
        Decision::Skip {
            at: T0 + 10,
            at_str: time_str(T0 + 10)
        }
    );
    assert_eq!(
        decide(T0 + 10, &later, false, true),
        Decision::Renew(Because::Due)
    );
    assert_eq!(
        decide(T0, &later, true, true),
        Decision::Renew(Because::Forced)
    );
    // No readable renewal time: due.
    let odd = record(&format!("Le_CertCreateTime='{T0}'\nLe_NextRenewTime='x'\n"));
    assert_eq!(decide(T0, &odd, false, true), Decision::Renew(Because::Due));
}

#[test]
fn unfinished_work_comes_first() {
    let order = issued(
        T0 + 10,
        "Le_LinkOrder='https://ca.test/order/9'\nLe_LinkCert=''\n",
    );
    assert_eq!(
        decide(T0, &order, true, true),
        Decision::Finish(Unfinished::Order("https://ca.test/order/9".into()))
    );
    let install = issued(T0 + 10, "Acmers_InstallPending='1'\n");
    assert_eq!(
        decide(T0, &install, false, true),
        Decision::Finish(Unfinished::Install)
    );
    // Due anyway: the renewal installs too.
    assert_eq!(
        decide(T0 + 10, &install, false, true),
        Decision::Renew(Because::Due)
    );
    let deploy = issued(T0 + 10, "Acmers_DeployPending='1'\n");
    assert_eq!(
        decide(T0, &deploy, false, true),
        Decision::Finish(Unfinished::Install),
        "a failed deploy is retried without a new order"
    );
}

#[test]
fn renewal_window_rules_when_known() {
    let window = |at: i64| {
        format!(
            "Acmers_ARI_Start='{}'\nAcmers_ARI_End='{}'\nAcmers_ARI_RenewAt='{at}'\n",
            T0 - 100,
            T0 + 100
        )
    };
    // The lifetime rule says due; the window's chosen time is later: not due.
    let later = issued(T0 - 10, &window(T0 + 50));
    assert_eq!(
        decide(T0, &later, false, true),
        Decision::Skip {
            at: T0 + 50,
            at_str: time_str(T0 + 50)
        }
    );
    // NO_ARI: the window is ignored.
    assert_eq!(
        decide(T0, &later, false, false),
        Decision::Renew(Because::Due)
    );
    // The chosen time has passed, the lifetime rule says later: due, because of the window.
    let early = issued(T0 + DAY, &window(T0 - 1));
    assert_eq!(
        decide(T0, &early, false, true),
        Decision::Renew(Because::RenewalWindow)
    );
    assert!(matches!(
        decide(T0, &early, false, false),
        Decision::Skip { .. }
    ));
    // A chosen time without a readable window is no window.
    let broken = issued(T0 + DAY, "Acmers_ARI_RenewAt='1'\n");
    assert!(matches!(
        decide(T0, &broken, false, true),
        Decision::Skip { .. }
    ));
}

#[test]
fn renewal_window_check_times() {
    let never = issued(T0 + DAY, "");
    assert!(ari_check_due(T0, &never));
    let later = issued(T0 + DAY, &format!("Acmers_ARI_NextCheck='{}'\n", T0 + 1));
    assert!(!ari_check_due(T0, &later));
    assert!(ari_check_due(T0 + 1, &later));
    assert!(
        !ari_check_due(T0, &record("")),
        "never issued: nothing to ask about"
    );
    // Retry-After, bounded.
    let hours = |h: u64| Some(Duration::from_secs(h * 3600));
    assert_eq!(ari_next_check(T0, None), T0 + 6 * 3600);
    assert_eq!(ari_next_check(T0, hours(3)), T0 + 3 * 3600);
    assert_eq!(ari_next_check(T0, Some(Duration::from_secs(5))), T0 + 3600);
    assert_eq!(ari_next_check(T0, hours(24 * 30)), T0 + DAY);
    assert_eq!(ari_next_check(T0, Some(Duration::MAX)), T0 + DAY);
}

#[test]
fn window_choice() {
    let w = (T0, T0 + 1000);
    // Uniform over [start, end).
    assert_eq!(ari_renew_at(w, None, 0), T0);
    assert_eq!(ari_renew_at(w, None, 999), T0 + 999);
    assert_eq!(ari_renew_at(w, None, 1000), T0);
    assert_eq!(
        ari_renew_at(w, None, u64::MAX),
        T0 + (u64::MAX % 1000) as i64
    );
    // The same window keeps its choice; another window gets a new one.
    assert_eq!(ari_renew_at(w, Some((w, T0 + 7)), 500), T0 + 7);
    assert_eq!(
        ari_renew_at(w, Some(((T0, T0 + 999), T0 + 7)), 500),
        T0 + 500
    );
    // A saved choice outside its window is not kept.
    assert_eq!(ari_renew_at(w, Some((w, T0 + 1000)), 500), T0 + 500);
}
