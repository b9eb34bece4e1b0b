//! Text forms of times and durations used in reports and messages.
//!
//! Formatting an RFC 3339 UTC timestamp takes a few lines of calendar
//! arithmetic, far less than a date-time dependency would cost every user's build.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Displays a time as RFC 3339 in UTC with milliseconds: `2026-11-21T10:30:00.123Z`.
/// Serializing one outside the years 0000 to 9999, which RFC 3339 cannot write,
/// is an error.
pub(crate) struct Rfc3339(pub SystemTime);

impl Rfc3339 {
    /// Whole seconds since the epoch (negative before it) and the milliseconds
    /// within that second, counted forward.
    fn seconds_and_millis(&self) -> (i128, u32) {
        let nanos = match self.0.duration_since(UNIX_EPOCH) {
            Ok(after) => after.as_nanos() as i128,
            Err(before) => -(before.duration().as_nanos() as i128),
        };
        (nanos.div_euclid(1_000_000_000), (nanos.rem_euclid(1_000_000_000) / 1_000_000) as u32)
    }

    /// The date and time of day, or `None` outside the years 0000 to 9999.
    fn parts(&self) -> Option<(i64, u32, u32, i64, u32)> {
        let (secs, millis) = self.seconds_and_millis();
        // Years 0000 to 9999 lie within ±2^38 seconds of the epoch.
        let secs = i64::try_from(secs).ok().filter(|s| s.unsigned_abs() < 1 << 38)?;
        let (year, month, day) = civil_from_days(secs.div_euclid(86_400));
        (0..=9999).contains(&year).then_some((year, month, day, secs.rem_euclid(86_400), millis))
    }
}

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (year, month, day, day_secs, millis) = self.parts().ok_or(fmt::Error)?;
        write!(
            f,
            "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{millis:03}Z",
            day_secs / 3600,
            day_secs % 3600 / 60,
            day_secs % 60
        )
    }
}

impl serde::Serialize for Rfc3339 {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.parts().is_none() {
            return Err(serde::ser::Error::custom(
                "the timestamp is outside the years 0000 to 9999 that RFC 3339 can write",
            ));
        }
        serializer.collect_str(self)
    }
}

/// The proleptic Gregorian date of a day counted from 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Displays a duration the way it is written in attributes: `100ms`, `2s`, `1m`,
/// or `1500ms` when it is not a whole number of the larger unit.
pub(crate) struct ShortDuration(pub Duration);

impl fmt::Display for ShortDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = self.0.as_millis();
        if !self.0.subsec_nanos().is_multiple_of(1_000_000) {
            write!(f, "{:?}", self.0)
        } else if millis != 0 && millis.is_multiple_of(60_000) {
            write!(f, "{}m", millis / 60_000)
        } else if millis != 0 && millis.is_multiple_of(1000) {
            write!(f, "{}s", millis / 1000)
        } else {
            write!(f, "{millis}ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64, millis: u32) -> String {
        let offset = Duration::from_secs(secs.unsigned_abs());
        let time = if secs >= 0 { UNIX_EPOCH + offset } else { UNIX_EPOCH - offset };
        Rfc3339(time + Duration::from_millis(millis.into())).to_string()
    }

    #[test]
    fn rounds_down_to_the_millisecond_before_the_epoch() {
        let before = |nanos: u64| Rfc3339(UNIX_EPOCH - Duration::from_nanos(nanos)).to_string();
        assert_eq!(before(500_000), "1969-12-31T23:59:59.999Z");
        assert_eq!(before(1_500_000), "1969-12-31T23:59:59.998Z");
        assert_eq!(before(1_000_000), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn refuses_years_rfc_3339_cannot_write_without_panicking() {
        let far = Duration::from_secs(400 * 366 * 86_400 * 25);
        for time in [UNIX_EPOCH + far, UNIX_EPOCH - far] {
            assert!(serde_json::to_string(&Rfc3339(time)).is_err());
        }
        let year_zero = UNIX_EPOCH - Duration::from_secs(62_167_219_200);
        assert_eq!(Rfc3339(year_zero).to_string(), "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(at(0, 0), "1970-01-01T00:00:00.000Z");
        assert_eq!(at(951_782_400, 5), "2000-02-29T00:00:00.005Z");
        assert_eq!(at(1_795_257_000, 123), "2026-11-21T10:30:00.123Z");
        assert_eq!(at(4_107_542_399, 999), "2100-02-28T23:59:59.999Z");
        assert_eq!(at(-1, 0), "1969-12-31T23:59:59.000Z");
        assert_eq!(at(-1, 250), "1969-12-31T23:59:59.250Z");
    }

    #[test]
    fn agrees_with_day_count_over_four_centuries() {
        // Every day from 1900 to 2300 must follow the previous one.
        let mut previous = civil_from_days(-25_567);
        assert_eq!(previous, (1900, 1, 1));
        for days in -25_566..120_000 {
            let (y, m, d) = civil_from_days(days);
            let (py, pm, pd) = previous;
            let next_day = (y, m, d) == (py, pm, pd + 1);
            let next_month = (y, m, d) == (py, pm + 1, 1) && pd == days_in_month(py, pm);
            let next_year = (y, m, d) == (py + 1, 1, 1) && (pm, pd) == (12, 31);
            assert!(next_day || next_month || next_year, "{previous:?} -> {:?}", (y, m, d));
            previous = (y, m, d);
        }
    }

    fn days_in_month(year: i64, month: u32) -> u32 {
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        match month {
            2 if leap => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    #[test]
    fn short_durations() {
        let cases = [(100, "100ms"), (2000, "2s"), (60_000, "1m"), (1500, "1500ms"), (90_000, "90s")];
        for (millis, text) in cases {
            assert_eq!(ShortDuration(Duration::from_millis(millis)).to_string(), text);
        }
        assert_eq!(ShortDuration(Duration::from_micros(1500)).to_string(), "1.5ms");
    }
}
