//! Terminal decisions, made once at the edge: colour on or off, and a colour per event type.

use colored::Color;
use std::ffi::OsStr;

use crate::cli::ColorChoice;

/// `--color always` beats NO_COLOR (as in fd and ripgrep); `auto` needs a terminal,
/// an empty or unset NO_COLOR, and a TERM other than `dumb`.
pub fn use_color(
    choice: ColorChoice,
    is_tty: bool,
    no_color: Option<&OsStr>,
    term: Option<&OsStr>,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            is_tty && no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
        }
    }
}

/// Reads the environment and sets `colored`'s global switch; returns the decision.
pub fn init_color(choice: ColorChoice, is_tty: bool) -> bool {
    let decision = use_color(
        choice,
        is_tty,
        std::env::var_os("NO_COLOR").as_deref(),
        std::env::var_os("TERM").as_deref(),
    );
    colored::control::set_override(decision);
    decision
}

/// stdout's width in columns, when it is a terminal.
pub fn stdout_width(stdout_tty: bool) -> Option<usize> {
    if !stdout_tty {
        return None;
    }
    crossterm::terminal::size()
        .ok()
        .map(|(cols, _)| usize::from(cols))
        .filter(|&w| w > 0)
}

const PALETTE: [Color; 10] = [
    Color::Cyan,
    Color::Green,
    Color::Yellow,
    Color::Magenta,
    Color::Blue,
    Color::BrightRed,
    Color::BrightCyan,
    Color::BrightGreen,
    Color::BrightYellow,
    Color::BrightMagenta,
];

/// The same type always gets the same colour, in every run (FNV-1a of the name).
pub fn type_color(event_type: &str) -> Color {
    PALETTE[(fnv1a64(event_type.as_bytes()) % PALETTE.len() as u64) as usize]
}

/// FNV-1a, 64 bits: a stable hash for colours and `--fault etag`'s ETag (not for security).
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ColorChoice::*;

    #[test]
    fn color_decision_table() {
        let s = |v: &'static str| Some(OsStr::new(v));
        let cases = [
            // choice, tty, NO_COLOR, TERM, expected
            (Auto, true, None, s("xterm"), true),
            (Auto, false, None, s("xterm"), false),
            (Auto, true, s("1"), s("xterm"), false),
            (Auto, true, s(""), s("xterm"), true),
            (Auto, true, None, s("dumb"), false),
            (Auto, true, None, None, true),
            (Always, false, s("1"), s("dumb"), true),
            (Never, true, None, s("xterm"), false),
        ];
        for (choice, tty, no_color, term, want) in cases {
            assert_eq!(
                use_color(choice, tty, no_color, term),
                want,
                "{choice:?} tty={tty} NO_COLOR={no_color:?} TERM={term:?}"
            );
        }
    }

    #[test]
    fn type_colors_are_stable_and_varied() {
        assert_eq!(type_color("panda"), type_color("panda"));
        let names = [
            "message", "panda", "elephant", "update", "ping", "error", "delta", "done",
        ];
        let distinct: std::collections::HashSet<String> = names
            .iter()
            .map(|n| format!("{:?}", type_color(n)))
            .collect();
        assert!(distinct.len() >= 4, "{distinct:?}");
    }
}
