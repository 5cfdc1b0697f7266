//! How durations, sizes and counts read, in one place: every line `sse` prints that
//! holds a duration or a size formats it here.

use std::time::Duration;

use unicode_width::UnicodeWidthChar;

/// `16 MiB`, `1.5 KiB`, `100 B`.
pub fn size(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else if value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// The gap before an event in the pretty view: `+0.000s` below 10 s, `+12.3s` below
/// 100 s, then `+2m03s` and `+1h05m`.
pub fn gap(d: Duration) -> String {
    format!("+{}", clock(d))
}

/// A time since something, as the status line shows it: `0.250s`, `12.3s`, `2m03s`.
pub fn clock(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 10.0 {
        format!("{secs:.3}s")
    } else if secs < 100.0 {
        format!("{secs:.1}s")
    } else {
        let whole = d.as_secs();
        if whole < 3600 {
            format!("{}m{:02}s", whole / 60, whole % 60)
        } else {
            format!("{}h{:02}m", whole / 3600, (whole % 3600) / 60)
        }
    }
}

/// A measurement with three significant digits or so: `850 µs`, `5.00 ms`, `12 ms`,
/// `1.25 s`, `2m03s` (`--stats`).
pub fn fine(d: Duration) -> String {
    let us = d.as_micros();
    if us < 1000 {
        format!("{us} µs")
    } else if us < 10_000 {
        format!("{:.2} ms", us as f64 / 1000.0)
    } else if us < 1_000_000 {
        format!("{:.0} ms", us as f64 / 1000.0)
    } else if us < 100_000_000 {
        format!("{:.2} s", us as f64 / 1e6)
    } else {
        let s = d.as_secs();
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

/// A time in doctor's report: `12 ms`, `1.50 s`.
pub fn ms(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// A duration in round figures: `800 ms`, `3 s`, `55 s`.
pub fn about(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{} s", d.as_secs_f64().round())
    }
}

/// Seconds with a tenth: `100.2 s`, `0.3 s`.
pub fn secs(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64())
}

/// A duration as a flag takes it: `10s`, `1m 30s`, `250ms`.
pub fn typed(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// `1 event`, `2 events`, `0 comments`.
pub fn count(n: u64, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// `text` cut into lines for a terminal: the first at most `first` columns wide, the
/// others at most `rest`, as [`split_at_width`] cuts them (the spaces at a cut dropped).
pub fn wrap(text: &str, first: usize, rest: usize) -> Vec<&str> {
    let mut lines = Vec::new();
    let (mut left, mut room) = (text, first);
    while !left.is_empty() {
        let (line, next) = split_at_width(left, room);
        lines.push(line.trim_end_matches(' '));
        left = next;
        room = rest;
    }
    lines
}

/// The longest prefix of `s` at most `room` columns wide, ended at a space when one
/// falls in its second half; and the rest.
pub fn split_at_width(s: &str, room: usize) -> (&str, &str) {
    let mut cols = 0;
    let mut last_space = None;
    for (i, c) in s.char_indices() {
        let w = if c == '\t' { 8 } else { c.width().unwrap_or(0) };
        if cols + w > room && i > 0 {
            let cut = match last_space {
                Some((at, col)) if col >= room / 2 => at,
                _ => i,
            };
            return (&s[..cut], &s[cut..]);
        }
        cols += w;
        if c == ' ' {
            last_space = Some((i + 1, cols));
        }
    }
    (s, "")
}

/// Whole milliseconds, saturating (for JSON numbers).
pub fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(size(16 * 1024 * 1024), "16 MiB");
        assert_eq!(size(1536), "1.5 KiB");
        assert_eq!(size(10), "10 B");
    }

    #[test]
    fn durations() {
        let ms_ = Duration::from_millis;
        assert_eq!(gap(ms_(1002)), "+1.002s");
        assert_eq!(gap(ms_(12_340)), "+12.3s");
        assert_eq!(gap(Duration::from_secs(123)), "+2m03s");
        assert_eq!(gap(Duration::from_secs(3900)), "+1h05m");
        assert_eq!(clock(ms_(250)), "0.250s");
        assert_eq!(fine(Duration::from_micros(850)), "850 µs");
        assert_eq!(fine(ms_(5)), "5.00 ms");
        assert_eq!(fine(ms_(20)), "20 ms");
        assert_eq!(fine(ms_(1250)), "1.25 s");
        assert_eq!(fine(Duration::from_secs(123)), "2m03s");
        assert_eq!(ms(ms_(12)), "12 ms");
        assert_eq!(ms(ms_(1500)), "1.50 s");
        assert_eq!(about(ms_(800)), "800 ms");
        assert_eq!(about(ms_(2990)), "3 s");
        assert_eq!(typed(Duration::from_secs(90)), "1m 30s");
        assert_eq!(secs(ms_(100_240)), "100.2 s");
        assert_eq!(count(1, "event"), "1 event");
        assert_eq!(count(2, "event"), "2 events");
        assert_eq!(millis(Duration::MAX), u64::MAX);
        assert_eq!(wrap("a bb ccc dddd", 6, 4), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("abcdefgh", 3, 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("日本語です", 4, 4), ["日本", "語で", "す"]);
        assert_eq!(wrap("short", 80, 80), ["short"]);
    }
}
