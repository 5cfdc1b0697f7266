//! Text from the network made safe for a person's terminal: the one escaping function
//! that tail's pretty output, every stderr line, serve's request log and doctor's report
//! use. Control characters (C0 but newline and tab, DEL, and the C1 range U+0080 to
//! U+009F, which xterm obeys as CSI and friends) are shown as `\x1b`, `\u{9b}` and so
//! on, so no server or client can set a window title, clear the screen or ring a bell.
//! `--raw` output and `--json` (which escapes by its own rules) do not come here.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether newline and tab are kept (multi-line data) or escaped too (one-line fields:
/// a header, an event type, an id, a log line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lines {
    Keep,
    Escape,
}

/// `s` with every control character escaped; borrowed when there is none (the usual case).
pub fn controls(s: &str, lines: Lines) -> Cow<'_, str> {
    if !s.bytes().any(|b| may_need_escape(b, lines)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        push_char(&mut out, c, lines);
    }
    Cow::Owned(out)
}

/// For one-line fields: newline and tab escaped as well.
pub fn line(s: &str) -> Cow<'_, str> {
    controls(s, Lines::Escape)
}

/// A cheap byte test that never misses a character [`push_char`] escapes: C0, DEL, and
/// 0xC2, the lead byte of every UTF-8 encoded C1 control.
fn may_need_escape(b: u8, lines: Lines) -> bool {
    (b < 0x20 && (lines == Lines::Escape || (b != b'\n' && b != b'\t'))) || b == 0x7f || b == 0xc2
}

fn push_char(out: &mut String, c: char, lines: Lines) {
    match c {
        '\n' | '\t' if lines == Lines::Keep => out.push(c),
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        '\0'..='\x1f' | '\x7f' => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        '\u{80}'..='\u{9f}' => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
        _ => out.push(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(line("hello, wörld ✓"), Cow::Borrowed(_)));
        assert!(matches!(controls("a\nb\tc", Lines::Keep), Cow::Borrowed(_)));
        // 0xC2 also leads ordinary characters such as "¢" and "©": borrowed text stays equal.
        assert_eq!(line("© ¢"), "© ¢");
    }

    #[test]
    fn every_control_is_escaped() {
        assert_eq!(line("\x1b[31mred\x07"), "\\x1b[31mred\\x07");
        assert_eq!(line("a\r\nb\tc"), "a\\r\\nb\\tc");
        assert_eq!(controls("a\r\nb\tc", Lines::Keep), "a\\r\nb\tc");
        assert_eq!(line("\u{9b}2J\u{85}"), "\\u{9b}2J\\u{85}");
        assert_eq!(line("\x7f\0"), "\\x7f\\x00");
    }

    #[test]
    fn no_control_survives_any_input() {
        let mut rng = crate::testing::Rng::new(0x9e37_79b9_7f4a_7c15);
        for _ in 0..2000 {
            let mut s = String::new();
            for _ in 0..24 {
                let c = char::from_u32(rng.below(0x200) as u32).unwrap_or('?');
                s.push(c);
            }
            for (text, keep) in [(line(&s), false), (controls(&s, Lines::Keep), true)] {
                assert!(
                    text.chars()
                        .all(|c| !c.is_control() || (keep && (c == '\n' || c == '\t'))),
                    "{text:?}"
                );
            }
        }
    }
}
