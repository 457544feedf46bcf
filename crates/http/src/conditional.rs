//! # Conditional GET: "send me the file only if it changed"
//!
//! A browser keeps a copy of every file it fetched (its *cache*), with the
//! date the server gave in `Last-Modified`. When the page is loaded again, it
//! does not simply ask for the file: it asks for it *on a condition*, "only
//! if it was modified since the date you told me". When the file is the
//! same, the server answers `304 Not Modified`, with no body, and the browser
//! uses its copy — a few hundred bytes travel instead of the whole file.
//!
//! ```text
//! first visit                           reload
//! GET /style.css HTTP/1.1               GET /style.css HTTP/1.1
//!                                       If-Modified-Since: Tue, 24 Nov 2026 08:49:37 GMT
//!
//! HTTP/1.1 200 OK                       HTTP/1.1 304 Not Modified
//! Last-Modified: Tue, 24 Nov 2026 08:49:37 GMT
//! Content-Length: 5120                  (no body: "your copy is still good")
//! (5120 bytes of CSS)
//! ```
//!
//! The rules come from RFC 9110:
//!
//! - [`last_modified`] (§8.8.2): the date is the file's modification time,
//!   to the second (HTTP dates have no fractions), and never later than the
//!   server's own clock — the very `now` the answer's `Date` is made from
//!   (§8.8.2.1), so that `Last-Modified` is never later than `Date`;
//! - [`parse_http_date`] (§5.6.7): a date arrives in one of three formats;
//! - [`not_modified`] (§13.1.3, §13.2.2): when the answer is 304;
//! - [`precondition_failed`] (§13.1.1, §13.1.4): when it is 412, the
//!   other way round — "send it only if it did *not* change".
//!
//! Dates are jiff [`Timestamp`]s: jiff reads and writes the text, checks the
//! calendar (is 31 Feb a date? was 6 Nov 1994 a Sunday?), and compares them.
//! The server writes dates with [`crate::response::http_date`].
//!
//! Like [`crate::request`], this module never touches a socket or a file:
//! each rule is tested with plain values.

use std::time::SystemTime;

use jiff::fmt::strtime::{self, BrokenDownTime};
use jiff::tz::Offset;
use jiff::{RoundMode, Timestamp, TimestampRound, Unit};

use crate::request::Request;

/// IMF-fixdate, the format every HTTP sender uses today (the one
/// [`crate::response::http_date`] writes): `Sun, 06 Nov 1994 08:49:37 GMT`.
const IMF_FIXDATE: &str = "%a, %d %b %Y %H:%M:%S GMT";

/// rfc850-date, obsolete since 1996 (its year has two digits):
/// `Sunday, 06-Nov-94 08:49:37 GMT`.
const RFC850_DATE: &str = "%A, %d-%b-%y %H:%M:%S GMT";

/// asctime-date, obsolete: the format of C's `asctime()`, in UTC, with the
/// day padded with a space: `Sun Nov  6 08:49:37 1994`.
const ASCTIME_DATE: &str = "%a %b %e %H:%M:%S %Y";

/// The `Last-Modified` date of a file modified at `modified`, when the
/// server's clock says `now`; `None` when jiff cannot represent the time
/// (far outside years -9999 to 9999).
///
/// Two rules of RFC 9110 §8.8.2:
///
/// - whole seconds: the fraction is dropped, since an HTTP date cannot carry
///   it. (Were it kept, a file modified at 08:49:37.6 would look *later* than
///   the date `08:49:37` the browser sends back, and never get a 304.)
/// - a modification time later than `now` (a file copied from a machine
///   whose clock is ahead) is replaced by `now`: the server must not claim
///   a change that, by its own clock, has not happened yet.
pub fn last_modified(modified: SystemTime, now: Timestamp) -> Option<Timestamp> {
    let modified = Timestamp::try_from(modified).ok()?;
    let whole_seconds = TimestampRound::new()
        .smallest(Unit::Second)
        // Down, not to the nearest: 08:49:37.6 happened during second 37.
        .mode(RoundMode::Floor);
    modified.min(now).round(whole_seconds).ok()
}

/// Reads an HTTP date, in any of the three formats of RFC 9110 §5.6.7;
/// `None` when `value` is none of them (or names a day that does not exist,
/// or the wrong weekday).
///
/// `now` is needed for the obsolete two-digit years only: `94` is 1994
/// because 2094 is more than 50 years away.
pub fn parse_http_date(value: &[u8], now: Timestamp) -> Option<Timestamp> {
    let text = std::str::from_utf8(value).ok()?.trim_ascii();
    if let Ok(date) = strtime::parse(IMF_FIXDATE, text) {
        return in_gmt(&date);
    }
    if let Ok(date) = strtime::parse(ASCTIME_DATE, text) {
        return in_gmt(&date);
    }
    let mut date = strtime::parse(RFC850_DATE, text).ok()?;
    let two_digits = date.year()?.rem_euclid(100);
    let this_year = Offset::UTC.to_datetime(now).year();
    date.set_year(Some(rfc850_year(two_digits, this_year)))
        .ok()?;
    in_gmt(&date)
}

/// The full year of a two-digit year `yy`, as RFC 9110 §5.6.7 asks: the
/// latest year ending in `yy` that is at most 50 years after `this_year`.
/// In 2026, `94` is 1994 and `70` is 2070.
///
/// (jiff's `%y` has its own fixed rule — 69 to 99 are 1969 to 1999, 00 to
/// 68 are 2000 to 2068 — so the year it read is replaced by this one.)
fn rfc850_year(yy: i16, this_year: i16) -> i16 {
    let latest = this_year + 50;
    latest - (latest - yy).rem_euclid(100)
}

/// The instant of a parsed date. Its time zone was the text "GMT" (or, for
/// asctime, implied): the date and time are in UTC.
fn in_gmt(date: &BrokenDownTime) -> Option<Timestamp> {
    // Turning it into a date is also where jiff checks the weekday:
    // "Mon, 06 Nov 1994" is refused, 6 Nov 1994 was a Sunday.
    let datetime = date.to_datetime().ok()?;
    Offset::UTC.to_timestamp(datetime).ok()
}

/// Whether `request` is answered `304 Not Modified` for a resource whose
/// `Last-Modified` is `last_modified` (`None`: it has no date, as the
/// request page) (RFC 9110 §13.1.2, §13.1.3, §13.2.2 steps 3–4).
///
/// The condition is *ignored* — the client gets the normal answer, which is
/// always safe — when the method is not GET or HEAD. Otherwise:
///
/// - an `If-None-Match` header asks the question with *entity tags*
///   (`ETag`), which are more precise than dates, so it wins, and
///   `If-Modified-Since` is not looked at (§13.2.2). `If-None-Match: *`
///   ("only if you have none", §13.1.2) is false for any resource that
///   exists — a file, and the request page too: 304. This server sends no
///   tags, so no tag a client names can match: any list of tags (even an
///   empty one) is true, and the normal answer follows;
/// - otherwise `If-Modified-Since` gives 304 when the client's date is not
///   earlier than `last_modified`. It is ignored when missing, given twice
///   (a list of dates is not a date), not a valid HTTP date
///   ([`parse_http_date`]), or when the resource has no date (§13.1.3).
pub fn not_modified(request: &Request, last_modified: Option<Timestamp>, now: Timestamp) -> bool {
    if request.method != "GET" && request.method != "HEAD" {
        return false;
    }
    if let Some(tags) = request.header("if-none-match") {
        return tags.trim_ascii() == b"*";
    }
    match (
        last_modified,
        single_date(request, "if-modified-since", now),
    ) {
        // "Not later than": the browser's date is the file's own
        // Last-Modified, sent back unchanged, so equal means unchanged.
        (Some(last_modified), Some(since)) => last_modified <= since,
        _ => false,
    }
}

/// Whether `request` is answered `412 Precondition Failed` for a
/// resource whose `Last-Modified` is `last_modified` (`None`: it has no
/// date, as the request page): the client asked "only if it is still the
/// copy I know", and it is not (RFC 9110 §13.2.2, steps 1–2).
/// Used before uploads (`PUT` only if nobody changed the file since), and
/// by download tools resuming a file (`curl -z -DATE`).
///
/// - `If-Match` (§13.1.1) is checked first and alone: `*` ("if it exists")
///   is true, and any list of entity tags is false, since this server
///   sends none a client could know (with or without a date: tags are not
///   dates). An empty `If-Match:` is such a list too, of no tags (§5.6.1:
///   `#entity-tag` may be empty; §13.1.1: true only "if any of the listed
///   tags match"): false, not "no condition";
/// - otherwise `If-Unmodified-Since` (§13.1.4) is false when the file was
///   modified after its date. Missing, given twice, or not a date: ignored,
///   as `If-Modified-Since` is; and ignored by a resource with no date.
///
/// It comes before [`not_modified`], and only for answers that would be
/// 2xx (§13.2.1): a missing file is a 404 whatever the conditions say.
pub fn precondition_failed(
    request: &Request,
    last_modified: Option<Timestamp>,
    now: Timestamp,
) -> bool {
    if let Some(tags) = request.header("if-match") {
        return tags.trim_ascii() != b"*";
    }
    last_modified.is_some_and(|last_modified| {
        single_date(request, "if-unmodified-since", now).is_some_and(|date| last_modified > date)
    })
}

/// The date of the header `name`, if the request has it exactly once and it
/// is a valid HTTP date; a list of dates, or something else, is no date
/// (§13.1.3, §13.1.4: such a condition is ignored).
fn single_date(request: &Request, name: &str, now: Timestamp) -> Option<Timestamp> {
    let mut dates = request
        .headers
        .iter()
        .filter(|(header, _)| header.eq_ignore_ascii_case(name));
    let (Some((_, date)), None) = (dates.next(), dates.next()) else {
        return None;
    };
    parse_http_date(date, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{Limits, Parsed, parse};
    use crate::response::http_date;

    /// 6 Nov 1994, 08:49:37 UTC: RFC 9110's example date.
    fn rfc_example() -> Timestamp {
        "1994-11-06T08:49:37Z".parse().unwrap()
    }

    /// A day in 2026, as the server's clock.
    fn now() -> Timestamp {
        "2026-11-24T10:00:00Z".parse().unwrap()
    }

    /// A request with these header lines after `Host`.
    fn request(method: &str, headers: &str) -> Request {
        let text = format!("{method} /a.txt HTTP/1.1\r\nHost: x\r\n{headers}\r\n");
        match parse(text.as_bytes(), &Limits::default()) {
            Ok(Parsed::Complete(request)) => request,
            _ => panic!("not a complete request: {text:?}"),
        }
    }

    /// `when` as a file system's modification time.
    fn file_time(when: Timestamp) -> SystemTime {
        SystemTime::try_from(when).unwrap()
    }

    fn since(date: &str) -> String {
        format!("If-Modified-Since: {date}\r\n")
    }

    #[test]
    fn the_three_formats_give_the_same_instant() {
        for text in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_http_date(text.as_bytes(), now()),
                Some(rfc_example()),
                "{text}"
            );
        }
        // What the server writes, it reads back.
        let written = http_date(rfc_example());
        assert_eq!(
            parse_http_date(written.as_bytes(), now()),
            Some(rfc_example())
        );
    }

    #[test]
    fn anything_else_is_not_a_date() {
        for text in [
            "",
            "yesterday",
            "Mon, 06 Nov 1994 08:49:37 GMT", // 6 Nov 1994 was a Sunday
            "Sun, 31 Feb 1994 08:49:37 GMT", // no such day
            "Sun, 06 Nov 1994 08:49:37 +0200", // HTTP dates are in GMT
            "Sun, 06 Nov 1994 08:49:37 GMT, Mon, 07 Nov 1994 08:49:37 GMT",
            "1994-11-06T08:49:37Z",
        ] {
            assert_eq!(parse_http_date(text.as_bytes(), now()), None, "{text}");
        }
        assert_eq!(parse_http_date(b"\xff\xfe", now()), None);
    }

    #[test]
    fn two_digit_years_are_at_most_50_years_ahead() {
        assert_eq!(rfc850_year(94, 2026), 1994);
        assert_eq!(rfc850_year(26, 2026), 2026);
        assert_eq!(rfc850_year(76, 2026), 2076, "50 years ahead: still ahead");
        assert_eq!(rfc850_year(77, 2026), 1977, "51 years ahead: the past");
        assert_eq!(rfc850_year(70, 2026), 2070, "jiff alone would say 1970");
        // 1 Jan 2070 is a Wednesday (1 Jan 1970 was a Thursday).
        assert_eq!(
            parse_http_date(b"Wednesday, 01-Jan-70 00:00:00 GMT", now()),
            Some("2070-01-01T00:00:00Z".parse().unwrap())
        );
    }

    #[test]
    fn last_modified_is_in_whole_seconds() {
        let modified: Timestamp = "1994-11-06T08:49:37.999Z".parse().unwrap();
        assert_eq!(
            last_modified(file_time(modified), now()),
            Some(rfc_example())
        );
    }

    #[test]
    fn a_modification_time_in_the_future_becomes_now() {
        let future: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        assert_eq!(last_modified(file_time(future), now()), Some(now()));
        let now_and_a_half: Timestamp = "2026-11-24T10:00:00.5Z".parse().unwrap();
        assert_eq!(
            last_modified(file_time(future), now_and_a_half),
            Some(now()),
            "now, in whole seconds too"
        );
    }

    #[test]
    fn an_equal_or_later_date_means_not_modified() {
        let file = rfc_example();
        for date in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sun, 06 Nov 1994 08:49:38 GMT",
            "Tue, 24 Nov 2026 10:00:00 GMT",
        ] {
            assert!(
                not_modified(&request("GET", &since(date)), Some(file), now()),
                "{date}"
            );
            assert!(
                not_modified(&request("HEAD", &since(date)), Some(file), now()),
                "{date}"
            );
        }
    }

    #[test]
    fn an_earlier_date_means_modified() {
        let request = request("GET", &since("Sun, 06 Nov 1994 08:49:36 GMT"));
        assert!(!not_modified(&request, Some(rfc_example()), now()));
    }

    #[test]
    fn an_unreadable_date_is_ignored() {
        for date in ["yesterday", "Sun, 06 Nov 1994", "0"] {
            let request = request("GET", &since(date));
            assert!(
                !not_modified(&request, Some(rfc_example()), now()),
                "{date}"
            );
        }
    }

    #[test]
    fn without_a_single_if_modified_since_there_is_no_condition() {
        let date = "Sun, 06 Nov 1994 08:49:37 GMT";
        let file = Some(rfc_example());
        assert!(!not_modified(&request("GET", ""), file, now()));
        let twice = format!("{}{}", since(date), since(date));
        assert!(!not_modified(&request("GET", &twice), file, now()));
    }

    #[test]
    fn if_none_match_wins_over_if_modified_since() {
        let headers = format!(
            "{}If-None-Match: \"abc\"\r\n",
            since("Sun, 06 Nov 1994 08:49:37 GMT")
        );
        assert!(!not_modified(
            &request("GET", &headers),
            Some(rfc_example()),
            now()
        ));
    }

    #[test]
    fn if_none_match_star_means_any_copy_will_do() {
        // The file exists, so "only if you have none" is false: 304, with
        // or without a date, and whatever the date says.
        assert!(not_modified(
            &request("GET", "If-None-Match: *\r\n"),
            Some(rfc_example()),
            now()
        ));
        let older = format!(
            "{}If-None-Match: *\r\n",
            since("Sun, 06 Nov 1994 08:49:36 GMT")
        );
        assert!(not_modified(
            &request("HEAD", &older),
            Some(rfc_example()),
            now()
        ));
        assert!(!not_modified(
            &request("DELETE", "If-None-Match: *\r\n"),
            Some(rfc_example()),
            now()
        ));
    }

    /// A resource with no date (the request page) exists all the same:
    /// `If-None-Match: *` is false for it, any list of tags true, and a
    /// date has nothing to be compared with (§13.1.2, §13.1.3).
    #[test]
    fn without_a_date_only_if_none_match_star_gives_304() {
        let not_modified = |method: &str, headers: &str| {
            super::not_modified(&request(method, headers), None, now())
        };
        assert!(not_modified("GET", "If-None-Match: *\r\n"));
        assert!(not_modified("HEAD", "If-None-Match: *\r\n"));
        assert!(!not_modified("GET", "If-None-Match: \"abc\"\r\n"));
        assert!(!not_modified("GET", "If-None-Match: \"a\", *\r\n"));
        assert!(
            !not_modified("GET", "If-None-Match:\r\n"),
            "no tags: none match"
        );
        assert!(!not_modified(
            "GET",
            &since("Tue, 24 Nov 2026 10:00:00 GMT")
        ));
        assert!(!not_modified("DELETE", "If-None-Match: *\r\n"));
    }

    #[test]
    fn if_match_is_true_for_star_only_and_wins_over_if_unmodified_since() {
        let file = rfc_example();
        let failed =
            |headers: &str| precondition_failed(&request("GET", headers), Some(file), now());
        assert!(!failed(""), "no condition");
        assert!(!failed("If-Match: *\r\n"));
        assert!(failed("If-Match: \"abc\"\r\n"), "no tag can match");
        assert!(failed("If-Match: \"a\", *\r\n"), "* is only * alone");
        assert!(failed("If-Match:\r\n"), "an empty list: no tag matches");
        assert!(failed("If-Match: ,\r\n"), "empty elements are no tags");
        let older = since("Sun, 06 Nov 1994 08:49:36 GMT").replace("Modified", "Unmodified");
        assert!(!failed(&format!("If-Match: *\r\n{older}")), "If-Match wins");
    }

    #[test]
    fn without_a_date_only_if_match_can_fail() {
        let failed = |headers: &str| precondition_failed(&request("GET", headers), None, now());
        assert!(failed("If-Match: \"abc\"\r\n"), "tags are not dates");
        assert!(!failed("If-Match: *\r\n"));
        let older = since("Sun, 06 Nov 1994 08:49:36 GMT").replace("Modified", "Unmodified");
        assert!(!failed(&older), "no date to compare with: ignored");
    }

    #[test]
    fn if_unmodified_since_fails_when_the_file_changed_after_it() {
        let file = rfc_example();
        let failed = |date: &str| {
            let headers = format!("If-Unmodified-Since: {date}\r\n");
            precondition_failed(&request("GET", &headers), Some(file), now())
        };
        assert!(failed("Sun, 06 Nov 1994 08:49:36 GMT"), "modified after");
        assert!(!failed("Sun, 06 Nov 1994 08:49:37 GMT"), "the same date");
        assert!(!failed("Sun, 06 Nov 1994 08:49:38 GMT"));
        assert!(!failed("yesterday"), "not a date: ignored");
        let twice = "If-Unmodified-Since: Sun, 06 Nov 1994 08:49:36 GMT\r\n".repeat(2);
        assert!(
            !precondition_failed(&request("GET", &twice), Some(file), now()),
            "two dates: ignored"
        );
    }

    #[test]
    fn only_get_and_head_can_be_not_modified() {
        let headers = since("Sun, 06 Nov 1994 08:49:37 GMT");
        assert!(!not_modified(
            &request("DELETE", &headers),
            Some(rfc_example()),
            now()
        ));
    }
}
