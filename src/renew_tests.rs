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
    assert_eq!(
        decide(T0, &record(""), false, true, false),
        Decision::NeverIssued
    );
    assert_eq!(
        decide(T0, &record(""), true, true, false),
        Decision::NeverIssued
    );
}

#[test]
fn due_skip_and_force() {
    let later = issued(T0 + 10, "");
    assert_eq!(
        decide(T0, &later, false, true, false),
        Decision::Skip {
            at: T0 + 10,
            at_str: time_str(T0 + 10)
        }
    );
    assert_eq!(
        decide(T0 + 10, &later, false, true, false),
        Decision::Renew(Because::Due)
    );
    assert_eq!(
        decide(T0, &later, true, true, false),
        Decision::Renew(Because::Forced)
    );
    // No readable renewal time: due.
    let odd = record(&format!("Le_CertCreateTime='{T0}'\nLe_NextRenewTime='x'\n"));
    assert_eq!(
        decide(T0, &odd, false, true, false),
        Decision::Renew(Because::Due)
    );
}

#[test]
fn unfinished_work_comes_first() {
    let order = issued(
        T0 + 10,
        "Le_LinkOrder='https://ca.test/order/9'\nLe_LinkCert=''\n",
    );
    assert_eq!(
        decide(T0, &order, true, true, false),
        Decision::Finish(Unfinished::Order("https://ca.test/order/9".into()))
    );
    let install = issued(T0 + 10, "Acmers_InstallPending='1'\n");
    assert_eq!(
        decide(T0, &install, false, true, false),
        Decision::Finish(Unfinished::Install)
    );
    // Due anyway: the renewal installs too.
    assert_eq!(
        decide(T0 + 10, &install, false, true, false),
        Decision::Renew(Because::Due)
    );
    let deploy = issued(T0 + 10, "Acmers_DeployPending='1'\n");
    assert_eq!(
        decide(T0, &deploy, false, true, false),
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
        decide(T0, &later, false, true, false),
        Decision::Skip {
            at: T0 + 50,
            at_str: time_str(T0 + 50)
        }
    );
    // NO_ARI: the window is ignored.
    assert_eq!(
        decide(T0, &later, false, false, false),
        Decision::Renew(Because::Due)
    );
    // The chosen time has passed, the lifetime rule says later: due, because of the window.
    let early = issued(T0 + DAY, &window(T0 - 1));
    assert_eq!(
        decide(T0, &early, false, true, false),
        Decision::Renew(Because::RenewalWindow)
    );
    assert!(matches!(
        decide(T0, &early, false, false, false),
        Decision::Skip { .. }
    ));
    // A chosen time without a readable window is no window.
    let broken = issued(T0 + DAY, "Acmers_ARI_RenewAt='1'\n");
    assert!(matches!(
        decide(T0, &broken, false, true, false),
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

#[test]
fn backoff_schedule_then_daily() {
    let waits: Vec<i64> = (1..=6)
        .map(|n| next_attempt(T0, n, None, None) - T0)
        .collect();
    assert_eq!(waits, [60, 600, 6000, DAY, DAY, DAY]);
    // A count that was never saved right still waits a day.
    assert_eq!(next_attempt(T0, u32::MAX, None, None), T0 + DAY);
}

#[test]
fn retry_after_wins_when_later() {
    let hour = Some(Duration::from_secs(3600));
    assert_eq!(next_attempt(T0, 1, hour, None), T0 + 3600);
    assert_eq!(next_attempt(T0, 4, hour, None), T0 + DAY);
    let week = Some(Duration::from_secs(7 * 86_400));
    assert_eq!(next_attempt(T0, 4, week, None), T0 + 7 * DAY);
}

#[test]
fn last_tenth_of_the_lifetime_is_retried_hourly() {
    // A 90-day certificate: its last tenth starts 81 days after notBefore.
    let (nb, na) = (T0 - 70 * DAY, T0 + 20 * DAY);
    let last_tenth = na - 9 * DAY;
    // Far from it: the schedule.
    assert_eq!(next_attempt(T0, 5, None, Some((nb, na))), T0 + DAY);
    // Half a day before it: not later than its start.
    let before = last_tenth - DAY / 2;
    assert_eq!(next_attempt(before, 5, None, Some((nb, na))), last_tenth);
    // Inside it, and after expiry: at most an hour apart; shorter steps stay shorter.
    for now in [last_tenth, na - 60, na + DAY] {
        assert_eq!(next_attempt(now, 9, None, Some((nb, na))), now + 3600);
    }
    assert_eq!(next_attempt(na - 60, 1, None, Some((nb, na))), na);
    // The CA's Retry-After is still honoured.
    let day = Some(Duration::from_secs(86_400));
    assert_eq!(next_attempt(na - 60, 9, day, Some((nb, na))), na - 60 + DAY);
    // A 6-day certificate: the last 14.4 hours.
    let (nb, na) = (T0, T0 + 6 * DAY);
    assert_eq!(
        next_attempt(T0 + 5 * DAY, 5, None, Some((nb, na))),
        na - 6 * DAY / 10
    );
}

#[test]
fn fleet_skips_a_backed_off_lineage_until_its_next_attempt() {
    let failed = format!(
        "Acmers_NextAttempt='{}'\nAcmers_FailedAttempts='2'\n",
        T0 + 600
    );
    let due = issued(T0 - 10, &failed);
    let backed_off = Decision::BackedOff {
        at: T0 + 600,
        attempts: 2,
    };
    assert_eq!(decide(T0, &due, false, true, true), backed_off);
    // The time has come; force; a user's own run (no backoff asked).
    assert_eq!(
        decide(T0 + 600, &due, false, true, true),
        Decision::Renew(Because::Due)
    );
    assert_eq!(
        decide(T0, &due, true, true, true),
        Decision::Renew(Because::Forced)
    );
    assert_eq!(
        decide(T0, &due, false, true, false),
        Decision::Renew(Because::Due)
    );
    // A saved order waits too, unless forced.
    let order = issued(
        T0 + DAY,
        &format!("Le_LinkOrder='https://ca.test/order/1'\nLe_LinkCert=''\n{failed}"),
    );
    assert_eq!(decide(T0, &order, false, true, true), backed_off);
    assert_eq!(
        decide(T0, &order, true, true, true),
        Decision::Finish(Unfinished::Order("https://ca.test/order/1".into()))
    );
    // Not due: the usual skip (the backoff does not change when it is due); never issued
    // stays never issued.
    assert!(matches!(
        decide(T0, &issued(T0 + DAY, &failed), false, true, true),
        Decision::Skip { .. }
    ));
    assert_eq!(
        decide(T0, &record(&failed), false, true, true),
        Decision::NeverIssued
    );
}

#[test]
fn next_due_is_the_first_time_a_pass_has_work() {
    let server = "https://ca.test/dir";
    let base = || {
        let mut r = issued(T0 + DAY, "");
        r.set_api(server);
        r
    };
    assert_eq!(next_due(&record(""), true), None, "never issued");
    assert_eq!(next_due(&base(), false), Some(T0 + DAY));
    // ARI: the check time when earlier; the chosen time in the window replaces the rule.
    let mut ari = base();
    ari.set_ari_next_check(T0 + 10);
    assert_eq!(next_due(&ari, true), Some(T0 + 10));
    assert_eq!(next_due(&ari, false), Some(T0 + DAY));
    ari.set_ari_next_check(T0 + 3 * DAY);
    ari.set_ari_window((T0 + 2 * DAY, T0 + 4 * DAY), T0 + 2 * DAY + 5, None);
    assert_eq!(next_due(&ari, true), Some(T0 + 2 * DAY + 5));
    // A failure waits; an unfinished order is due at once, unless waiting; a deploy too.
    let mut failed = base();
    failed.set_backoff(T0 + 2 * DAY, 3);
    assert_eq!(next_due(&failed, false), Some(T0 + 2 * DAY));
    let mut order = base();
    order.set_new_order("https://ca.test/order/1", "https://ca.test/finalize/1");
    assert_eq!(next_due(&order, false), Some(0));
    order.set_backoff(T0 + 60, 1);
    assert_eq!(next_due(&order, false), Some(T0 + 60));
    let mut deploy = base();
    deploy.set_deploy_pending(true);
    assert_eq!(next_due(&deploy, false), Some(0));
    // A check while backed off, or with an order to finish, waits with the renewal.
    let mut check_then_backoff = base();
    check_then_backoff.set_ari_next_check(T0 + 2 * DAY);
    check_then_backoff.set_backoff(T0 + 3 * DAY, 2);
    assert_eq!(next_due(&check_then_backoff, true), Some(T0 + 3 * DAY));
    let mut order_and_check = base();
    order_and_check.set_new_order("https://ca.test/order/2", "https://ca.test/finalize/2");
    order_and_check.set_ari_next_check(T0 - 10);
    order_and_check.set_backoff(T0 + 600, 1);
    assert_eq!(next_due(&order_and_check, true), Some(T0 + 600));
    // The pass's rule: ask for the window first, or act on the decision.
    let works = |now: i64, r: &DomainRecord, ari_on: bool| {
        let decision = decide(now, r, false, ari_on, true);
        let check = ari_on
            && ari_check_due(now, r)
            && matches!(
                decision,
                Decision::Skip { .. } | Decision::Renew(Because::Due)
            );
        check
            || !matches!(
                decision,
                Decision::Skip { .. } | Decision::BackedOff { .. } | Decision::NeverIssued
            )
    };
    // Never later than the first time the pass has work, and it has work then.
    let records = [
        base(),
        ari,
        failed,
        order,
        deploy,
        check_then_backoff,
        order_and_check,
    ];
    for r in records {
        for ari_on in [false, true] {
            let due = next_due(&r, ari_on).expect("issued");
            assert!(works(due, &r, ari_on), "no work at {due}: {:?}", r.conf());
            for now in [
                T0,
                T0 + 61,
                T0 + 601,
                T0 + DAY,
                T0 + 2 * DAY + 5,
                T0 + 5 * DAY,
            ] {
                assert!(
                    !works(now, &r, ari_on) || now >= due,
                    "{now} before {due}: {:?}",
                    r.conf()
                );
            }
        }
    }
}
