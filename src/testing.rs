//! What tests share across the crate: one seeded random generator for the unit tests'
//! random inputs, a writer that keeps what was written ([`Captured`]), and the invariants that both the fuzz targets (`tests/fuzz`) and the
//! seeded property tests below check, so the two can never check different things.
//! Compiled for `cargo test` and for the fuzz targets (`--cfg fuzzing`, which
//! cargo-fuzz sets), never into the shipped binary.
//!
//! The invariants:
//! - [`check_splits`]: the event-stream parser gives the same items, and the same
//!   size-limit error at the same point, however the bytes are cut into reads.
//! - [`check_round_trip`]: the events of any stream the parser accepts, recorded by
//!   `--record`, parsed as a script and sent as `sse serve` sends it, parse back to the
//!   same event type, data and id sequence.
//! - [`check_json_splits`]: a JSON stream reader (NDJSON, JSON text sequence, array)
//!   gives the same values, and the same error, however the bytes are cut into reads,
//!   its end included; it never panics.
//! - [`check_head`]: the request-head reader gives the same request (or the same
//!   refusal) however the head is cut into reads; it never panics.
//! - [`check_script`]: the script parser never panics on any text.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::event::Event;
use crate::parser::json_stream::{Format, JsonStream};
use crate::parser::{Flow, Item, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE};
use crate::record::Recorder;
use crate::serve::http::{self, SetTimeout};
use crate::serve::script::{self, Step};

/// A small seeded generator (xorshift64, shifts 13/7/17): the same seed gives the same
/// inputs on every machine, so a failing random case can be rerun.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started at `seed` (xorshift stays at 0 forever, so 0 is replaced).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// A writer that keeps what is written (a console's stderr, for a test), shared by its
/// clones.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        crate::sync::lock(&self.0).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// What was written so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&crate::sync::lock(&self.0)).into_owned()
    }
}

/// A parser item, kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owned {
    Event(Event),
    Comment(String),
    Retry(u64),
    Id(String),
    Ignored(String),
}

fn own(item: Item<'_>) -> Owned {
    match item {
        Item::Event(e) => Owned::Event(Event::from(&e)),
        Item::Comment(c) => Owned::Comment(c.to_string()),
        Item::Retry(ms) => Owned::Retry(ms),
        Item::Id(id) => Owned::Id(id.to_string()),
        Item::Ignored(line) => Owned::Ignored(line.to_string()),
    }
}

/// What a stream gave: the items, and the error that stopped it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub items: Vec<Owned>,
    pub error: Option<ParseError>,
}

/// Feeds `pieces` in order to a parser with limit `max`, stopping at the first error
/// as `sse tail` does.
pub fn parse_pieces(pieces: &[&[u8]], max: usize) -> Outcome {
    let mut parser = Parser::new(max);
    let mut items = Vec::new();
    for piece in pieces {
        if let Err(e) = parser.feed_each(piece, |item| items.push(own(item))) {
            return Outcome {
                items,
                error: Some(e),
            };
        }
    }
    Outcome { items, error: None }
}

/// `bytes` cut at `cuts` (any order, clamped to its length).
pub fn cut<'a>(bytes: &'a [u8], cuts: &[usize]) -> Vec<&'a [u8]> {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(bytes.len())).collect();
    cuts.sort_unstable();
    let mut pieces = Vec::with_capacity(cuts.len() + 1);
    let mut last = 0;
    for c in cuts {
        pieces.push(&bytes[last..c]);
        last = c;
    }
    pieces.push(&bytes[last..]);
    pieces
}

/// The parser invariant: `bytes` whole, byte by byte, and cut at `cuts` give the same
/// outcome, items and size-limit error alike. Returns the outcome.
pub fn check_splits(bytes: &[u8], cuts: &[usize], max: usize) -> Outcome {
    let whole = parse_pieces(&[bytes], max);
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        parse_pieces(&singles, max),
        whole,
        "byte by byte vs whole, limit {max}: {bytes:?}"
    );
    let pieces = cut(bytes, cuts);
    assert_eq!(
        parse_pieces(&pieces, max),
        whole,
        "cut vs whole, limit {max}: {pieces:?}"
    );
    whole
}

/// The parser invariant for the events alone: as [`check_splits`], but an outcome is
/// compared only up to the first error (the items emitted before it). For a stream
/// that stays within its limit both are the same check.
pub fn check_splits_items(bytes: &[u8], cuts: &[usize], max: usize) {
    let whole = parse_pieces(&[bytes], max);
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    let pieces = cut(bytes, cuts);
    for (how, split) in [("byte by byte", &singles), ("cut", &pieces)] {
        let got = parse_pieces(split, max);
        if whole.error.is_none() && got.error.is_none() {
            assert_eq!(got, whole, "{how} vs whole, limit {max}: {split:?}");
        } else {
            let n = whole.items.len().min(got.items.len());
            assert_eq!(
                got.items[..n],
                whole.items[..n],
                "{how} vs whole, limit {max}: {split:?}"
            );
        }
    }
}

/// Reads one fuzz input as a parser case: a size limit, cut points and the stream.
/// The first byte picks the limit (below 128: the default, which a short input never
/// reaches; else a small one, 1 to 512 bytes, from the second byte too), the third the
/// number of cuts (up to 15), then two bytes per cut; the rest is the stream.
pub fn split_case(data: &[u8]) -> (usize, Vec<usize>, &[u8]) {
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let max = if byte(0) < 128 {
        DEFAULT_MAX_EVENT_SIZE
    } else {
        1 + (usize::from(byte(0) & 0x7f) << 8 | usize::from(byte(1))) % 512
    };
    let count = usize::from(byte(2) % 16);
    let stream = data.get(3 + 2 * count..).unwrap_or_default();
    let cuts = (0..count)
        .map(|k| {
            let raw = usize::from(byte(3 + 2 * k)) << 8 | usize::from(byte(4 + 2 * k));
            raw % (stream.len() + 1)
        })
        .collect();
    (max, cuts, stream)
}

/// What a JSON stream gave: each value's data, then how it ended (`None`: fine; else
/// the error, or `mid` when it stopped inside a value or an array).
pub type JsonOutcome = (Vec<String>, Option<String>);

/// Feeds `pieces` to a JSON stream reader of `format` with limit `max`, then its end,
/// stopping at the first error as `sse tail` does.
pub fn read_json(format: Format, pieces: &[&[u8]], max: usize) -> JsonOutcome {
    let mut reader = JsonStream::new(format, max);
    let mut values = Vec::new();
    let mut take = |item: Item<'_>| {
        if let Item::Event(ev) = item {
            values.push(ev.data.to_string());
        }
        Ok::<_, ParseError>(Flow::Continue)
    };
    for piece in pieces {
        if let Err(e) = reader.feed(piece, &mut take) {
            return (values, Some(e.to_string()));
        }
    }
    if let Err(e) = reader.finish(&mut take) {
        return (values, Some(e.to_string()));
    }
    let end = reader.mid_event().then(|| "mid".to_string());
    (values, end)
}

/// The JSON stream invariant: `bytes` whole, byte by byte, and cut at `cuts` give the
/// same outcome. Returns it.
pub fn check_json_splits(format: Format, bytes: &[u8], cuts: &[usize], max: usize) -> JsonOutcome {
    let whole = read_json(format, &[bytes], max);
    let singles: Vec<&[u8]> = bytes.chunks(1).collect();
    assert_eq!(
        read_json(format, &singles, max),
        whole,
        "{format:?} byte by byte vs whole, limit {max}: {bytes:?}"
    );
    let pieces = cut(bytes, cuts);
    assert_eq!(
        read_json(format, &pieces, max),
        whole,
        "{format:?} cut vs whole, limit {max}: {pieces:?}"
    );
    whole
}

/// Reads one fuzz input as a JSON stream case: [`split_case`], the format chosen by the
/// stream's first byte (which stays part of the stream).
pub fn json_split_case(data: &[u8]) -> (Format, usize, Vec<usize>, &[u8]) {
    let (max, cuts, stream) = split_case(data);
    let format = match stream.first().map_or(0, |b| b % 3) {
        0 => Format::Ndjson,
        1 => Format::JsonSeq,
        _ => Format::Array,
    };
    (format, max, cuts, stream)
}

/// The (event type, data, id) of each event in an outcome.
fn events(outcome: &Outcome) -> Vec<(String, String, String)> {
    outcome
        .items
        .iter()
        .filter_map(|item| match item {
            Owned::Event(e) => Some((e.event_type.clone(), e.data.clone(), e.id.clone())),
            _ => None,
        })
        .collect()
}

/// What `sse serve` sends for one connection of a script: its events and raw lines in
/// order, until an `@close` (the sleeps only set the pace).
pub fn script_body(script: &script::Script) -> Vec<u8> {
    let mut body = Vec::new();
    for step in &script.steps {
        match step {
            Step::Event { text, .. } | Step::Raw(text) => body.extend_from_slice(text),
            Step::Sleep(_) => {}
            Step::Close => break,
        }
    }
    body
}

/// The recording invariant: for a stream the parser accepts (read whole, default
/// limit), record its items as `sse tail --record` does, parse the recording as a
/// script, and parse what `sse serve` would send for it: the same event type, data and
/// id sequence. Streams the parser refuses are skipped.
pub fn check_round_trip(bytes: &[u8]) {
    static FILES: AtomicUsize = AtomicUsize::new(0);
    let path = std::env::temp_dir().join(format!(
        "sse-round-trip-{}-{}.txt",
        std::process::id(),
        FILES.fetch_add(1, Ordering::Relaxed)
    ));
    let mut recorder = Recorder::create(&path).expect("create a recording");
    recorder.connected(&[]).expect("record a connection");
    let mut parser = Parser::default();
    let mut items = Vec::new();
    let now = Instant::now();
    let mut written = Ok(());
    let parsed = parser.feed_each(bytes, |item| {
        // What tail's pump hands the recorder.
        let result = recorder.item(&item, now);
        if written.is_ok() {
            written = result;
        }
        items.push(own(item));
    });
    written.expect("write the recording");
    recorder.finish().expect("finish the recording");
    drop(recorder);
    let text = std::fs::read_to_string(&path).expect("read the recording back");
    let _ = std::fs::remove_file(&path);
    if parsed.is_err() {
        return;
    }
    let original = Outcome { items, error: None };
    let script = script::parse(text.as_bytes(), Path::new("recording"))
        .unwrap_or_else(|e| panic!("the recording is not a valid script: {e}\n{text}"));
    let replay = parse_pieces(&[&script_body(&script)], usize::MAX);
    assert_eq!(replay.error, None, "{text}");
    assert_eq!(
        events(&replay),
        events(&original),
        "recorded from {bytes:?} as:\n{text}"
    );
}

/// A reader that hands out its pieces one read at a time, then the end.
struct Pieces<'a> {
    pieces: Vec<&'a [u8]>,
    next: usize,
    offset: usize,
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while let Some(piece) = self.pieces.get(self.next) {
            let rest = &piece[self.offset..];
            if rest.is_empty() {
                self.next += 1;
                self.offset = 0;
                continue;
            }
            let n = rest.len().min(buf.len());
            buf[..n].copy_from_slice(&rest[..n]);
            self.offset += n;
            return Ok(n);
        }
        Ok(0)
    }
}

impl SetTimeout for Pieces<'_> {
    fn set_timeout(&self, _: Option<Duration>) -> io::Result<()> {
        Ok(())
    }
}

/// The request-head invariant: `parse_head` never panics, and the reader gives the
/// same request, or the same refusal, for `bytes` sent whole, byte by byte, or cut at
/// `cuts`. (Only inputs within `MAX_HEAD`: past it the reader stops at a read boundary.)
pub fn check_head(bytes: &[u8], cuts: &[usize]) {
    let _ = http::parse_head(bytes);
    if bytes.len() > http::MAX_HEAD {
        return;
    }
    let read = |pieces: Vec<&[u8]>| {
        http::Reader::new(Pieces {
            pieces,
            next: 0,
            offset: 0,
        })
        .head(true)
    };
    let whole = read(vec![bytes]);
    assert_eq!(
        read(bytes.chunks(1).collect()),
        whole,
        "byte by byte: {bytes:?}"
    );
    let pieces = cut(bytes, cuts);
    assert_eq!(read(pieces.clone()), whole, "cut: {pieces:?}");
}

/// The script invariant: any text parses to a script or to an error of one line, and
/// what a script offers the server (resuming, the page's event types) does not panic
/// either. Returns the error's message, if any.
pub fn check_script(text: &str) -> Option<String> {
    match script::parse(text.as_bytes(), Path::new("fuzz.txt")) {
        Ok(script) => {
            let _ = script.event_types();
            let _ = script.events();
            let _ = script.resume_after("1");
            let _ = script_body(&script);
            None
        }
        Err(e) => {
            let message = e.to_string();
            assert!(!message.contains(['\n', '\r']), "{message:?}");
            Some(message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces of streams, chosen for the cases that broke parsers and recordings: field
    /// names cut anywhere, every line end, a BOM, UTF-8 cut or invalid, NUL, ids and
    /// retries alone in a block, and lines a script would read as its own.
    const PIECES: [&[u8]; 32] = [
        b"data",
        b"data:",
        b"data: ",
        b"data: x",
        b"data:  two spaces",
        b"event: t",
        b"event",
        b"id: ",
        b"id: 7",
        b"id",
        b"id: a\0b",
        b"retry: 12",
        b"retry: x",
        b":",
        b": note",
        b" ",
        b"\r",
        b"\n",
        b"\r\n",
        b"\n\n",
        b"\xEF\xBB\xBF",
        b"\xF0\x9F\x90\xBC",
        b"\xE2\x82",
        b"\xFF",
        b"\0",
        b"x",
        b"@sleep 1s",
        b"@close",
        b"#",
        b"data: @header X: y",
        b"data: # not a comment",
        b"\x1b[2J",
    ];

    /// Script lines, good and bad.
    const SCRIPT_LINES: [&str; 16] = [
        "data: x\n",
        "\n",
        "@sleep 10ms\n",
        "@sleep\n",
        "@sleep 1e19s\n",
        "@close\n",
        "@status 204\n",
        "@status 99999\n",
        "@header X-A: b\n",
        "@header Bad\n",
        "@\n",
        "@nope\u{1b}[2J\n",
        "# comment\n",
        "id: 1\n",
        "event: e\n",
        "\r\n",
    ];

    fn random_stream(rng: &mut Rng, max_pieces: usize) -> Vec<u8> {
        let mut bytes = Vec::new();
        for _ in 0..rng.below(max_pieces) {
            let piece = *rng.pick(&PIECES);
            bytes.extend_from_slice(piece);
        }
        bytes
    }

    fn random_cuts(rng: &mut Rng, len: usize) -> Vec<usize> {
        (0..rng.below(8)).map(|_| rng.below(len + 1)).collect()
    }

    #[test]
    fn parser_items_agree_however_the_stream_is_cut() {
        let mut rng = Rng::new(0x5EED_0001);
        for _ in 0..3000 {
            let bytes = random_stream(&mut rng, 40);
            let cuts = random_cuts(&mut rng, bytes.len());
            check_splits(&bytes, &cuts, DEFAULT_MAX_EVENT_SIZE);
            // With a small limit, the items before the limit was hit.
            check_splits_items(&bytes, &cuts, 1 + rng.below(64));
        }
    }

    #[test]
    fn the_size_limit_is_a_property_of_the_bytes_not_of_the_reads() {
        let mut rng = Rng::new(0x5EED_0002);
        for _ in 0..3000 {
            let bytes = random_stream(&mut rng, 40);
            let cuts = random_cuts(&mut rng, bytes.len());
            check_splits(&bytes, &cuts, 1 + rng.below(64));
        }
    }

    #[test]
    fn recordings_replay_the_same_events() {
        let mut rng = Rng::new(0x5EED_0003);
        for _ in 0..1000 {
            check_round_trip(&random_stream(&mut rng, 30));
        }
    }

    /// What the fuzzers found, kept as cases.
    #[test]
    fn fuzz_findings_stay_fixed() {
        // parser_splits before 23e2b0d: the limit counted "data:" only when the line
        // arrived whole, so this failed whole and passed byte by byte.
        let (max, cuts, stream) =
            split_case(&[138, 4, 2, 138, 0, 2, 10, 100, 97, 116, 97, 58, 28, 0, 0, 0]);
        assert_eq!((max, stream), (5, &b"data:\x1c\0\0\0"[..]));
        check_splits(stream, &cuts, max);
        // record_round_trip before 1a95c86: an id-only block was not recorded.
        check_round_trip(b"\xef\xef\xef\r:\xffd\ni\xe4:\n\n\ndaat:\nid:d:\n\n\ndata::i\nd\n\na:");
    }

    #[test]
    fn request_heads_read_the_same_however_they_are_cut() {
        const HEAD: [&[u8]; 14] = [
            b"GET /events HTTP/1.1\r\n",
            b"POST /events?x=1 HTTP/1.0\r\n",
            b"GET http://h/p HTTP/1.1\r\n",
            b"Host: x\r\n",
            b"Last-Event-ID: 5\r\n",
            b"X: \xFF\xC2\x9B\r\n",
            b"Bad Header\r\n",
            b"\r\n",
            b"\n",
            b"\r",
            b"GET",
            b" ",
            b"HTTP/2.0",
            b"\0",
        ];
        let mut rng = Rng::new(0x5EED_0004);
        for _ in 0..2000 {
            let mut bytes = Vec::new();
            for _ in 0..rng.below(8) {
                let piece = *rng.pick(&HEAD);
                bytes.extend_from_slice(piece);
            }
            let cuts = random_cuts(&mut rng, bytes.len());
            check_head(&bytes, &cuts);
        }
    }

    #[test]
    fn scripts_parse_or_fail_in_one_line() {
        let mut rng = Rng::new(0x5EED_0005);
        for _ in 0..3000 {
            let text: String = (0..rng.below(12))
                .map(|_| *rng.pick(&SCRIPT_LINES))
                .collect();
            check_script(&text);
        }
    }

    #[test]
    fn script_errors_carry_no_control_characters() {
        let mut rng = Rng::new(0x5EED_0006);
        for _ in 0..3000 {
            let text: String = (0..rng.below(12))
                .map(|_| *rng.pick(&SCRIPT_LINES))
                .collect();
            if let Some(message) = check_script(&text) {
                assert!(!message.chars().any(char::is_control), "{message:?}");
            }
        }
    }

    #[test]
    fn the_generator_is_seeded_and_covers_its_range() {
        let a: Vec<u64> = {
            let mut rng = Rng::new(7);
            (0..4).map(|_| rng.next_u64()).collect()
        };
        let mut rng = Rng::new(7);
        assert_eq!(a, (0..4).map(|_| rng.next_u64()).collect::<Vec<_>>());
        let mut seen = [false; 10];
        for _ in 0..1000 {
            seen[rng.below(10)] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_ne!(Rng::new(0).next_u64(), 0);
    }
}
