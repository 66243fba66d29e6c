use super::*;

const NOW: i64 = 1_900_000_000;

fn at(text: &str) -> i64 {
    text.parse::<jiff::Timestamp>().unwrap().as_second()
}

#[test]
fn relative_values_count_from_now_and_the_end_from_the_start() {
    let w = window(Some("+2d"), Some("+12h"), NOW).unwrap();
    assert_eq!(w.not_before, Some(NOW + 2 * DAY));
    assert_eq!(w.not_after, Some(NOW + 2 * DAY + 12 * HOUR));
    let w = window(None, Some("+7d"), NOW).unwrap();
    assert_eq!(
        w,
        Window {
            not_before: None,
            not_after: Some(NOW + 7 * DAY)
        }
    );
}

#[test]
fn times_are_read_as_utc_and_sent_in_acmesh_form() {
    let w = window(Some("2030-05-01T10:00:00+02:00"), Some("2030-06-01"), NOW).unwrap();
    assert_eq!(w.not_before, Some(at("2030-05-01T08:00:00Z")));
    assert_eq!(w.not_after, Some(at("2030-06-01T00:00:00Z")));
    assert_eq!(
        w.rfc3339(),
        (
            Some("2030-05-01T08:00:00Z".into()),
            Some("2030-06-01T00:00:00Z".into())
        )
    );
    let w = window(None, Some("2030-06-01 12:30:00"), NOW).unwrap();
    assert_eq!(w.not_after, Some(at("2030-06-01T12:30:00Z")));
}

#[test]
fn bad_and_past_values_are_refused() {
    for bad in ["+3", "+d", "+-1d", "+1w", "tomorrow", "", "+1.5d"] {
        assert!(
            matches!(
                window(None, Some(bad), NOW),
                Err(ValidityError::Format { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        window(Some("2001-01-01T00:00:00Z"), None, NOW),
        Err(ValidityError::Past { .. })
    ));
}

#[test]
fn renewal_time_follows_acmesh() {
    assert_eq!(next_renew_time(NOW, NOW + 10 * DAY, "+10d"), NOW + 9 * DAY);
    assert_eq!(next_renew_time(NOW, NOW + 6 * HOUR, "+6h"), NOW + 5 * HOUR);
    let end = at("2030-06-01T00:00:00Z");
    assert_eq!(next_renew_time(NOW, end, "2030-06-01"), end);
}
