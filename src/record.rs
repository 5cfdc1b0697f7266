//! `sse tail --record FILE`: what arrives, written as a script `sse serve` replays with
//! the same gaps (`@sleep`), the same headers where they matter (`@header`), and an
//! `@close` where a connection ended.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use crate::error::Error;
use crate::escape;
use crate::event::Event;
use crate::parser::{EventRef, Item};
use crate::tail::Input;

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

/// The `@header` line for one response header, or, when `sse serve` would refuse it
/// (a control character in the value: a hostile or broken server), a `#` comment
/// showing it escaped, so that every recording replays.
fn header_line(name: &str, value: &str) -> String {
    let line = format!("{name}: {value}");
    match crate::value::parse_header(&line) {
        Ok(_) => format!("@header {line}\n"),
        Err(why) => format!(
            "# not replayed: @header {}: {} ({})\n",
            escape::line(name),
            escape::line(value),
            escape::line(&why)
        ),
    }
}

/// `replay with: sse serve FILE --path /v1/chat, then: sse tail -X POST URL`: commands
/// that serve the recording where the original was (the URL's path, without its query)
/// and ask for it as it was asked (the method). Each word is quoted for a POSIX shell.
fn replay_line(file: &str, request: Option<(&str, &str)>) -> String {
    let mut line = format!("replay with: sse serve {}", shell_word(file));
    let Some((method, url)) = request else {
        return line;
    };
    let path = url_path(url);
    if path != "/events" {
        line.push_str(&format!(" --path {}", shell_word(path)));
    }
    line.push_str(", then: sse tail ");
    if method != "GET" {
        line.push_str(&format!("-X {} ", shell_word(method)));
    }
    line.push_str(&shell_word(&format!("http://127.0.0.1:8080{path}")));
    line
}

/// The path of a URL (`/` when it has none), without query or fragment.
fn url_path(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |i| &url[i + 3..]);
    let path = after_scheme.find('/').map_or("/", |i| &after_scheme[i..]);
    path.split(['?', '#']).next().unwrap_or("/")
}

/// `s` as one word for a POSIX shell, on one line (control characters escaped).
fn shell_word(s: &str) -> String {
    let s = escape::line(s);
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./:@%+=,".contains(c);
    if !s.is_empty() && s.chars().all(plain) {
        s.into_owned()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

pub struct Recorder {
    path: PathBuf,
    out: BufWriter<File>,
    connections: u32,
    last: Instant,
    /// A `retry:` line was written since the last block ended.
    retry_open: bool,
}

impl Recorder {
    /// A recording with no request to replay (the unit tests' streams).
    #[cfg(any(test, fuzzing))]
    pub fn create(path: &Path) -> Result<Self, Error> {
        Self::open(path, None)
    }

    /// A recording of `input`: for a URL, its replay line serves the same path and
    /// tails it with the same method.
    pub fn for_input(path: &Path, input: &Input) -> Result<Self, Error> {
        match input {
            Input::Url(request) => Self::open(path, Some((&request.method, &request.url))),
            Input::Stdin => Self::open(path, None),
        }
    }

    fn open(path: &Path, request: Option<(&str, &str)>) -> Result<Self, Error> {
        let file =
            File::create(path).map_err(|e| Error::io(format!("creating {}", path.display()), e))?;
        let mut recorder = Recorder {
            path: path.to_path_buf(),
            out: BufWriter::new(file),
            connections: 0,
            last: Instant::now(),
            retry_open: false,
        };
        let now = humantime::format_rfc3339_seconds(SystemTime::now());
        let header = format!(
            "# recorded by sse tail at {now}; {}\n",
            replay_line(&path.display().to_string(), request)
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
        let other_type = crate::http::find_header(headers, "content-type")
            .filter(|t| crate::http::media_type(t) != "text/event-stream");
        if let Some(content_type) = other_type {
            // An NDJSON or JSON stream (or anything `--raw` took): its events replay as SSE.
            let line = format!(
                "# the response was Content-Type: {}; this recording replays its events as text/event-stream\n",
                escape::line(content_type)
            );
            self.out
                .write_all(line.as_bytes())
                .map_err(|e| self.error(e))?;
        }
        for (name, value) in headers {
            if !SKIPPED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                let line = header_line(&canonical(name), value);
                self.out
                    .write_all(line.as_bytes())
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

    /// Records one parser item as it arrived, so that the replay's parser sees the same
    /// events, ids and reconnection times: events, comments, `retry:` lines (written
    /// where they came, not again in their event), and blocks that only set the id.
    /// Nothing written starts a line with `@` or `#`: every line begins with a field
    /// name or a colon, so the script reader takes all of it as stream text.
    pub fn item(&mut self, item: &Item<'_>, at: Instant) -> io::Result<()> {
        self.sleep_since_last(at)?;
        match item {
            Item::Event(ev) => self.event(ev),
            Item::Comment(text) => writeln!(self.out, ":{text}"),
            Item::Retry(ms) => {
                self.retry_open = true;
                writeln!(self.out, "retry: {ms}")
            }
            Item::Id(id) => {
                self.retry_open = false;
                match *id {
                    "" => self.out.write_all(b"id\n\n"),
                    id => write!(self.out, "id: {id}\n\n"),
                }
            }
            // Nothing a client does with it: a replay without it is the same stream.
            Item::Ignored(_) => Ok(()),
        }
    }

    fn event(&mut self, ev: &EventRef<'_>) -> io::Result<()> {
        if std::mem::take(&mut self.retry_open) && ev.retry.is_none() {
            // The retry line came in an earlier block without data: end that block here,
            // so this event does not take it as its own.
            self.out.write_all(b"\n")?;
        }
        let event = Event {
            // Written when it arrived (`Item::Retry`).
            retry: None,
            ..Event::from(ev)
        };
        self.out.write_all(event.to_wire().as_bytes())
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
    use crate::parser::Parser;
    use crate::serve::script;
    use crate::testing::{script_body, Rng};

    /// Every item of a stream, kept: events whole (type, data, id, whether the block set
    /// the id, its retry), comments, retries and id-only blocks.
    fn items(bytes: &[u8]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        Parser::default()
            .feed_each(bytes, |item| out.push(format!("{item:?}")))
            .ok()?;
        Some(out)
    }

    /// Records `bytes` as `sse tail --record` does and returns the recording's text.
    fn record(bytes: &[u8], name: &str) -> String {
        let path =
            std::env::temp_dir().join(format!("sse-record-{}-{name}.txt", std::process::id()));
        let mut recorder = Recorder::create(&path).unwrap();
        recorder.connected(&[]).unwrap();
        let now = Instant::now();
        let mut written = Ok(());
        let _ = Parser::default().feed_each(bytes, |item| {
            if written.is_ok() {
                written = recorder.item(&item, now);
            }
        });
        written.unwrap();
        recorder.finish().unwrap();
        drop(recorder);
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        text
    }

    /// record -> script parse -> what `sse serve` sends -> stream parse: the very same
    /// items (so the same event, data and id sequence, and the same retries).
    fn assert_round_trip(bytes: &[u8], name: &str) {
        let Some(original) = items(bytes) else {
            return; // a stream the parser refuses is not recorded
        };
        let text = record(bytes, name);
        let script = script::parse(text.as_bytes(), Path::new("recording"))
            .unwrap_or_else(|e| panic!("not a valid script: {e}\n{text}"));
        // Item offsets (`end`) differ between the two streams: compare without them.
        let strip = |items: Vec<String>| -> Vec<String> {
            items
                .into_iter()
                .map(|i| match i.find(", end: ") {
                    Some(at) => i[..at].to_string(),
                    None => i,
                })
                .collect()
        };
        let replayed = items(&script_body(&script)).expect("the replay parses");
        assert_eq!(
            strip(replayed),
            strip(original),
            "recorded from {bytes:?} as:\n{text}"
        );
    }

    #[test]
    fn hostile_streams_replay_the_same_items() {
        let cases: [&[u8]; 10] = [
            // Blocks that only set the id or the reconnection time.
            b"id: 1\n\ndata: a\n\nretry: 50\n\nid\n\ndata: b\n\n",
            b"data: a\nid: 7\nretry: 9\n\nid: 8\n: c\n\ndata: b\n\nid: 9\n\n",
            // CR-only and mixed line ends, a BOM.
            b"\xEF\xBB\xBFevent: t\rdata: a\r\rid: 2\r\ndata: b\r\n\r\n",
            // Invalid UTF-8 and NUL in data, type, comment; NUL in an id (ignored).
            b"event: \xFF\ndata: a\xE2\x82\0b\n:\xFF\0\nid: x\0y\n\n",
            // Lines a script would take as its own, as values and as stream lines.
            b"data: @close\ndata: #x\nevent: @sleep 1s\n\n@close\n#x\n:@sleep 9s\n\ndata: y\n\n",
            // Spaces the parser strips once.
            b"data:  two\nid:  3\n\ndata:\n\n",
            // An unfinished last block with a retry and a comment in it.
            b"data: a\n\nretry: 5\n: c\ndata: lost",
            // A BOM that is not at the start, and control characters.
            b"data: a\n\n\xEF\xBB\xBFdata: b\n\ndata: \x1b[2J\x07\n\n",
            b"",
            b"\n\n\n",
        ];
        for (n, case) in cases.iter().enumerate() {
            assert_round_trip(case, &format!("case{n}"));
        }
    }

    #[test]
    fn random_streams_replay_the_same_items() {
        const PIECES: [&[u8]; 22] = [
            b"data",
            b"data: x",
            b"data:  y",
            b"event: t",
            b"id: 5",
            b"id",
            b"id: a\0b",
            b"retry: 12",
            b"retry: z",
            b": c",
            b"\r",
            b"\n",
            b"\r\n",
            b"\n\n",
            b"\xEF\xBB\xBF",
            b"\xF0\x9F",
            b"\xFF",
            b"\0",
            b"@close",
            b"#",
            b"data: @sleep 1s",
            b" ",
        ];
        let mut rng = Rng::new(0x5EED_0107);
        for n in 0..400 {
            let mut bytes = Vec::new();
            for _ in 0..rng.below(30) {
                let piece = *rng.pick(&PIECES);
                bytes.extend_from_slice(piece);
            }
            assert_round_trip(&bytes, &format!("random{n}"));
        }
    }

    #[test]
    fn headers_a_script_refuses_become_comments() {
        assert_eq!(header_line("X-A", "b c"), "@header X-A: b c\n");
        for value in ["a\u{9b}31mb", "a\x1b[2Jb", "a\x7fb", "a\rb"] {
            let line = header_line("X-Evil", value);
            assert!(
                line.starts_with("# not replayed: @header X-Evil: a\\"),
                "{line}"
            );
            assert_eq!(line.matches('\n').count(), 1, "{line}");
            assert!(!line.trim_end().chars().any(char::is_control), "{line}");
            let script = script::parse(line.as_bytes(), Path::new("r")).unwrap();
            assert!(script.headers.is_empty());
        }
    }

    #[test]
    fn replay_lines_serve_the_same_path_and_ask_the_same_way() {
        assert_eq!(replay_line("r.txt", None), "replay with: sse serve r.txt");
        assert_eq!(
            replay_line("r.txt", Some(("GET", "http://h:1/events?x=1"))),
            "replay with: sse serve r.txt, then: sse tail http://127.0.0.1:8080/events"
        );
        assert_eq!(
            replay_line("my rec.txt", Some(("POST", "https://api.x/v1/chat#f"))),
            "replay with: sse serve 'my rec.txt' --path /v1/chat, then: sse tail -X POST http://127.0.0.1:8080/v1/chat"
        );
        assert_eq!(
            replay_line("it's", Some(("GET", "http://h:1"))),
            "replay with: sse serve 'it'\\''s' --path /, then: sse tail http://127.0.0.1:8080/"
        );
        assert_eq!(shell_word("a\nb"), "'a\\nb'");
    }

    #[test]
    fn header_names_get_their_usual_case() {
        assert_eq!(canonical("x-accel-buffering"), "X-Accel-Buffering");
        assert_eq!(canonical("cache-control"), "Cache-Control");
        assert_eq!(canonical("ETAG"), "Etag");
    }
}
