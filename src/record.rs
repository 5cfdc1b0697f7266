//! `sse tail --record FILE`: what arrives, written as a script `sse serve` replays with
//! the same gaps (`@sleep`), the same headers where they matter (`@header`), and an
//! `@close` where a connection ended.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::error::Error;
use crate::event::Event;
use crate::parser::EventRef;

/// Response headers a replay should not repeat: framing, the connection, things
/// `sse serve` sets itself, and encodings the replay does not apply.
const SKIPPED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "content-encoding",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "date",
    "server",
    "via",
    "etag",
    "last-modified",
    "set-cookie",
    "age",
    "x-forwarded-for",
];

/// `x-accel-buffering` → `X-Accel-Buffering` (HTTP/1 clients lowercase header names).
fn canonical(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars.next().map_or(String::new(), |c| {
                c.to_ascii_uppercase().to_string() + &chars.as_str().to_ascii_lowercase()
            })
        })
        .collect::<Vec<_>>()
        .join("-")
}

pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    connections: u32,
    last: Instant,
}

impl Recorder {
    pub fn create(path: &Path) -> Result<Self, Error> {
        let file =
            File::create(path).map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut recorder = Recorder {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            connections: 0,
            last: Instant::now(),
        };
        let now = humantime::format_rfc3339_seconds(SystemTime::now());
        let header = format!(
            "# recorded by sse tail at {now}; replay with: sse serve {}\n",
            path.display()
        );
        recorder
            .out
            .write_all(header.as_bytes())
            .map_err(|e| recorder.error(e))?;
        Ok(recorder)
    }

    fn error(&self, e: io::Error) -> Error {
        Error::io(format!("writing {}", self.path.display()), e)
    }

    /// A connection was established; the first one's headers become `@header` lines.
    pub fn connected(&mut self, headers: &[(String, String)]) -> Result<(), Error> {
        self.connections += 1;
        self.last = Instant::now();
        if self.connections > 1 {
            return Ok(());
        }
        for (name, value) in headers {
            if !SKIPPED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                writeln!(self.out, "@header {}: {value}", canonical(name))
                    .map_err(|e| self.error(e))?;
            }
        }
        Ok(())
    }

    fn sleep_since_last(&mut self, now: Instant) -> io::Result<()> {
        let gap = now.saturating_duration_since(self.last);
        self.last = now;
        if gap >= Duration::from_millis(1) {
            writeln!(self.out, "@sleep {}ms", gap.as_millis())?;
        }
        Ok(())
    }

    pub fn event(&mut self, ev: &EventRef<'_>, at: Instant) -> io::Result<()> {
        self.sleep_since_last(at)?;
        self.out.write_all(Event::from(ev).to_wire().as_bytes())
    }

    pub fn comment(&mut self, text: &str, at: Instant) -> io::Result<()> {
        self.sleep_since_last(at)?;
        writeln!(self.out, ":{text}")
    }

    /// The connection ended: the replay ends it at the same point.
    pub fn closed(&mut self, why: &str) -> Result<(), Error> {
        let now = Instant::now();
        self.sleep_since_last(now).map_err(|e| self.error(e))?;
        writeln!(self.out, "# {why}\n@close").map_err(|e| self.error(e))
    }

    /// Called after each read, so an interrupted recording keeps what arrived.
    pub fn flush(&mut self) -> Result<(), Error> {
        self.out.flush().map_err(|e| self.error(e))
    }

    pub fn finish(&mut self) -> Result<(), Error> {
        self.flush()
    }

    pub fn write_error(&self, e: io::Error) -> Error {
        self.error(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_names_get_their_usual_case() {
        assert_eq!(canonical("x-accel-buffering"), "X-Accel-Buffering");
        assert_eq!(canonical("cache-control"), "Cache-Control");
        assert_eq!(canonical("ETAG"), "Etag");
    }
}
