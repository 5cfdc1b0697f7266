//! stderr for people: lifecycle lines, and (on a terminal) a live one-line status that
//! shows a silent stream is still alive. It never touches stdout, and it steps aside
//! while stdout writes to the same terminal.

use crossterm::{cursor, queue, style, terminal};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::output::format_gap;
use crate::parser::format_size;

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
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    connected_at: Option<Instant>,
    last_event: Option<Instant>,
    drawn: bool,
}

impl Console {
    pub fn new(live: bool, stdout_tty: bool) -> Self {
        let console = Console {
            shared: Arc::new(Shared {
                live,
                stdout_tty,
                events: AtomicU64::new(0),
                bytes: AtomicU64::new(0),
                stopped: AtomicBool::new(false),
                state: Mutex::new(State::default()),
            }),
        };
        if live {
            let ticker = console.clone();
            // A detached ticker: it ends with the process.
            let _ = thread::Builder::new()
                .name("status".into())
                .stack_size(64 * 1024)
                .spawn(move || {
                    while !ticker.shared.stopped.load(Ordering::Relaxed) {
                        thread::sleep(Duration::from_millis(250));
                        let mut state = ticker.lock();
                        ticker.draw(&mut state);
                    }
                });
        }
        console
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A line on stderr, above the status line.
    pub fn line(&self, text: &str) {
        let mut state = self.lock();
        let mut err = io::stderr().lock();
        clear(&mut err, &mut state);
        let _ = writeln!(err, "{text}");
        let _ = err.flush();
        drop(err);
        self.draw(&mut state);
    }

    pub fn connected(&self) {
        let mut state = self.lock();
        state.connected_at = Some(Instant::now());
    }

    pub fn disconnected(&self) {
        self.lock().connected_at = None;
    }

    /// Counts what arrived; cheap enough for every read.
    pub fn arrived(&self, bytes: usize, events: u64, at: Instant) {
        if !self.shared.live {
            return;
        }
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
        clear(&mut io::stderr().lock(), &mut state);
        let result = write();
        self.draw(&mut state);
        result
    }

    /// Removes the status line for good (before exit).
    pub fn finish(&self) {
        self.shared.stopped.store(true, Ordering::Relaxed);
        let mut state = self.lock();
        clear(&mut io::stderr().lock(), &mut state);
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
                    Some(t) => format!(
                        "last event {} ago",
                        format_gap(now - t).trim_start_matches('+')
                    ),
                    None => "no events yet".into(),
                };
                format!(
                    "● connected {} · {events} event{} · {} · {last}",
                    format_gap(now - at).trim_start_matches('+'),
                    if events == 1 { "" } else { "s" },
                    format_size(bytes)
                )
            }
            None => "○ not connected".into(),
        };
        // Some ptys (`script`, CI runners) report a width of 0: take the usual 80.
        let width = terminal::size()
            .ok()
            .map(|(w, _)| usize::from(w))
            .filter(|&w| w > 0)
            .unwrap_or(80)
            .saturating_sub(1);
        let text: String = text.chars().take(width).collect();
        let mut err = io::stderr().lock();
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

fn clear(err: &mut impl Write, state: &mut State) {
    if state.drawn {
        let _ = queue!(
            err,
            cursor::MoveToColumn(0),
            terminal::Clear(terminal::ClearType::CurrentLine)
        );
        let _ = err.flush();
        state.drawn = false;
    }
}
