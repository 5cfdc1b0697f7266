//! stderr for people: lifecycle lines, and (on a terminal) a live one-line status that
//! shows a silent stream is still alive. It never touches stdout, and it steps aside
//! while stdout writes to the same terminal.

use crossterm::{cursor, queue, style, terminal};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::format;
use crate::sync::lock;

/// Where the lines go (stderr), and how wide the terminal is (asked at each draw: it
/// may be resized).
type Writer = Box<dyn Write + Send>;
type Width = Box<dyn Fn() -> Option<usize> + Send + Sync>;

#[derive(Clone)]
pub struct Console {
    shared: Arc<Shared>,
}

struct Shared {
    /// Draw the status line (stderr is a terminal).
    live: bool,
    /// stdout is a terminal too: clear the status line before writing events.
    stdout_tty: bool,
    events: AtomicU64,
    bytes: AtomicU64,
    stopped: AtomicBool,
    unended: AtomicBool,
    width: Width,
    state: Mutex<State>,
}

struct State {
    err: Writer,
    connected_at: Option<Instant>,
    last_event: Option<Instant>,
    drawn: bool,
}

impl Console {
    /// The console on stderr, with a ticker redrawing the status line when `live`.
    pub fn new(live: bool, stdout_tty: bool) -> Self {
        let width: Width = Box::new(|| terminal::size().ok().map(|(w, _)| usize::from(w)));
        let console = Console::to(Box::new(io::stderr()), width, live, stdout_tty);
        if live {
            let ticker = console.clone();
            // A detached ticker: it ends with the process.
            let _ = thread::Builder::new()
                .name("status".into())
                .stack_size(64 * 1024)
                .spawn(move || {
                    while !ticker.shared.stopped.load(Ordering::Relaxed) {
                        thread::sleep(Duration::from_millis(250));
                        ticker.tick();
                    }
                });
        }
        console
    }

    /// A console writing to `err`, with the terminal `width` (tests), and no ticker:
    /// the status line is drawn after each line and by [`Console::tick`].
    pub fn to(err: Writer, width: Width, live: bool, stdout_tty: bool) -> Self {
        Console {
            shared: Arc::new(Shared {
                live,
                stdout_tty,
                events: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                stopped: AtomicBool::new(false),
                unended: AtomicBool::new(false),
                width,
                state: Mutex::new(State {
                    err,
                    connected_at: None,
                    last_event: None,
                    drawn: false,
                }),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.shared.state)
    }

    /// Redraws the status line (what the ticker does four times a second).
    pub fn tick(&self) {
        let mut state = self.lock();
        self.draw(&mut state);
    }

    /// A line on stderr, above the status line.
    pub fn line(&self, text: &str) {
        let mut state = self.lock();
        clear(&mut state);
        let _ = writeln!(state.err, "{text}");
        let _ = state.err.flush();
        self.draw(&mut state);
    }

    /// Text on stderr as it is: it may end mid-line (`--text`'s reasoning, which has no
    /// status line to draw); the status line is drawn again after a line end.
    pub fn text(&self, text: &str) {
        let mut state = self.lock();
        clear(&mut state);
        let _ = state.err.write_all(text.as_bytes());
        let _ = state.err.flush();
        if text.ends_with('\n') {
            self.draw(&mut state);
        }
    }

    pub fn connected(&self) {
        let mut state = self.lock();
        state.connected_at = Some(Instant::now());
    }

    pub fn disconnected(&self) {
        self.lock().connected_at = None;
    }

    /// Counts what arrived; cheap enough for every read. `unended`: after it, the
    /// parser holds lines that no blank line has ended into an event.
    pub fn arrived(&self, bytes: usize, events: u64, at: Instant, unended: bool) {
        if !self.shared.live {
            return;
        }
        self.shared.unended.store(unended, Ordering::Relaxed);
        self.shared.bytes.fetch_add(bytes as u64, Ordering::Relaxed);
        if events > 0 {
            self.shared.events.fetch_add(events, Ordering::Relaxed);
            self.lock().last_event = Some(at);
        }
    }

    /// Runs `write` (which writes to stdout) with the status line out of its way.
    pub fn with_stdout<R>(&self, write: impl FnOnce() -> R) -> R {
        if !(self.shared.live && self.shared.stdout_tty) {
            return write();
        }
        let mut state = self.lock();
        clear(&mut state);
        let result = write();
        self.draw(&mut state);
        result
    }

    /// Removes the status line for good (before exit).
    pub fn finish(&self) {
        self.shared.stopped.store(true, Ordering::Relaxed);
        let mut state = self.lock();
        clear(&mut state);
    }

    fn draw(&self, state: &mut State) {
        if !self.shared.live || self.shared.stopped.load(Ordering::Relaxed) {
            return;
        }
        let now = Instant::now();
        let text = match state.connected_at {
            Some(at) => {
                let events = self.shared.events.load(Ordering::Relaxed);
                let bytes = self.shared.bytes.load(Ordering::Relaxed);
                let last = match state.last_event {
                    Some(t) => format!("last event {} ago", format::clock(now - t)),
                    // The server's commonest bug: `\n` after each message, not `\n\n`.
                    None if self.shared.unended.load(Ordering::Relaxed) => {
                        "no events yet: lines arrived, and no blank line has ended one".into()
                    }
                    None => "no events yet".into(),
                };
                format!(
                    "● connected {} · {} · {} · {last}",
                    format::clock(now - at),
                    format::count(events, "event"),
                    format::size(bytes)
                )
            }
            None => "○ not connected".into(),
        };
        // Some ptys (`script`, CI runners) report a width of 0: take the usual 80.
        let width = (self.shared.width)()
            .filter(|&w| w > 0)
            .unwrap_or(80)
            .saturating_sub(1);
        let text: String = text.chars().take(width).collect();
        let err = &mut state.err;
        let _ = queue!(
            err,
            cursor::MoveToColumn(0),
            terminal::Clear(terminal::ClearType::CurrentLine),
            style::SetAttribute(style::Attribute::Dim),
            style::Print(text),
            style::SetAttribute(style::Attribute::Reset)
        );
        let _ = err.flush();
        state.drawn = true;
    }
}

fn clear(state: &mut State) {
    if state.drawn {
        let err = &mut state.err;
        let _ = queue!(
            err,
            cursor::MoveToColumn(0),
            terminal::Clear(terminal::ClearType::CurrentLine)
        );
        let _ = state.err.flush();
        state.drawn = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::testing::Captured;

    fn captured(width: usize, live: bool) -> (Console, Captured) {
        let err = Captured::default();
        let console = Console::to(
            Box::new(err.clone()),
            Box::new(move || Some(width)),
            live,
            true,
        );
        (console, err)
    }

    #[test]
    fn the_status_line_counts_what_arrived_and_fits_the_terminal() {
        let (console, err) = captured(200, true);
        console.tick();
        assert!(
            err.text().ends_with("○ not connected\u{1b}[0m"),
            "{:?}",
            err.text()
        );
        console.connected();
        console.arrived(1536, 2, Instant::now(), false);
        console.tick();
        let text = err.text();
        let drawn = text.rsplit("\u{1b}[2m").next().unwrap();
        assert!(drawn.starts_with("● connected 0.0"), "{drawn:?}");
        assert!(
            drawn.contains(" · 2 events · 1.5 KiB · last event 0.0"),
            "{drawn:?}"
        );

        let (narrow, err) = captured(20, true);
        narrow.connected();
        narrow.tick();
        let drawn = err.text();
        let drawn = drawn.rsplit("\u{1b}[2m").next().unwrap();
        assert_eq!(
            drawn.trim_end_matches("\u{1b}[0m").chars().count(),
            19,
            "{drawn:?}"
        );
    }

    #[test]
    fn lines_without_a_blank_line_are_told_on_the_status_line() {
        let (console, err) = captured(200, true);
        console.connected();
        console.arrived(30, 0, Instant::now(), true);
        console.tick();
        assert!(
            err.text().ends_with(
                "· no events yet: lines arrived, and no blank line has ended one\u{1b}[0m"
            ),
            "{:?}",
            err.text()
        );
    }

    #[test]
    fn a_line_clears_the_status_first_and_finish_takes_it_away() {
        let (console, err) = captured(80, true);
        console.tick();
        console.line("* connected");
        let text = err.text();
        let clear = "\u{1b}[1G\u{1b}[2K";
        let line_at = text.find("* connected\n").unwrap();
        assert!(text[..line_at].ends_with(clear), "{text:?}");
        assert!(
            !text.ends_with(clear),
            "drawn again below the line: {text:?}"
        );
        console.finish();
        assert!(err.text().ends_with(clear), "{:?}", err.text());
        console.tick();
        assert!(err.text().ends_with(clear), "nothing drawn after finish");
    }

    #[test]
    fn without_a_terminal_only_lines_are_written() {
        let (console, err) = captured(80, false);
        console.connected();
        console.arrived(10, 1, Instant::now(), false);
        console.tick();
        console.line("* the server closed the stream");
        assert_eq!(err.text(), "* the server closed the stream\n");
    }
}
