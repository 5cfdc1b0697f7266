//! The arrival time as pretty output shows it: local time of day with milliseconds,
//! in the time zone resolved once at startup (TZ, else /etc/localtime, read by jiff
//! from the system's tz database); UTC marked with a `Z` when asked for (`--utc`) or
//! when no local zone could be found, so a time is never shown in an unnamed zone.

use std::fmt::Write as _;
use std::time::SystemTime;

use jiff::tz::TimeZone;
use jiff::Timestamp;

#[derive(Debug, Clone)]
pub struct Clock {
    /// `None`: UTC, shown with a `Z`.
    zone: Option<TimeZone>,
}

impl Default for Clock {
    fn default() -> Self {
        Clock::utc()
    }
}

impl Clock {
    /// The system's time zone, or UTC (marked) when it cannot be determined.
    pub fn local() -> Clock {
        Clock {
            zone: TimeZone::try_system().ok(),
        }
    }

    pub fn utc() -> Clock {
        Clock { zone: None }
    }

    /// A clock in the given zone (tests).
    pub fn in_zone(zone: TimeZone) -> Clock {
        Clock { zone: Some(zone) }
    }

    /// `HH:MM:SS.mmm` (local) or `HH:MM:SS.mmmZ` (UTC), into `out` (cleared first).
    pub fn render(&self, wall: SystemTime, out: &mut String) {
        out.clear();
        let Ok(ts) = Timestamp::try_from(wall) else {
            out.push_str("??:??:??.???");
            return;
        };
        let (dt, marker) = match &self.zone {
            Some(zone) => (zone.to_offset(ts).to_datetime(ts), ""),
            None => (jiff::tz::Offset::UTC.to_datetime(ts), "Z"),
        };
        let _ = write!(
            out,
            "{:02}:{:02}:{:02}.{:03}{marker}",
            dt.hour(),
            dt.minute(),
            dt.second(),
            dt.subsec_nanosecond() / 1_000_000
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    /// 2026-12-08T20:31:05.123Z (winter in New York)
    fn wall() -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(1_796_761_865_123)
    }

    #[test]
    fn utc_is_marked() {
        let mut s = String::new();
        Clock::utc().render(wall(), &mut s);
        assert_eq!(s, "20:31:05.123Z");
    }

    #[test]
    fn a_zone_shifts_the_time_of_day() {
        let mut s = String::new();
        // A POSIX TZ string needs no database: New York's rules.
        let ny = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        Clock::in_zone(ny).render(wall(), &mut s);
        assert_eq!(s, "15:31:05.123");
        let summer = wall() - Duration::from_secs(150 * 86_400);
        Clock::in_zone(TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap()).render(summer, &mut s);
        assert_eq!(s, "16:31:05.123");
        Clock::in_zone(TimeZone::fixed(jiff::tz::offset(2))).render(wall(), &mut s);
        assert_eq!(s, "22:31:05.123");
    }
}
