//! Streams of JSON values that are not event streams, read incrementally and purely:
//! NDJSON (one value per line, as Ollama streams), RFC 7464 JSON text sequences (each
//! record starts with 0x1E and ends with LF) and a JSON array whose elements arrive one
//! by one (Gemini without `?alt=sse`: `[{...}\r\n,{...}\r\n]`).
//!
//! Each value becomes one event of type `message`, with no id, whose data is the value's
//! JSON text as received but compact (whitespace outside strings removed; keys, numbers
//! and escapes untouched). So the printers, `--jq`, `--text`, `--stats` and `--record`
//! see the same items as for an event stream.
//!
//! Only boundaries are found here: an NDJSON value ends at its line's LF, a JSON text
//! sequence record at the first LF outside a string where its brackets balance, an array
//! element as soon as its brackets balance outside strings (a number or `true` at the
//! `,` or `]` after it), so an element is handed out when its last byte arrives, not
//! when the next one begins. serde_json then checks each value's bytes. Memory holds one
//! value, at most the size limit (`--max-event-size`), never the whole array; every
//! split of the same bytes into reads gives the same items.
//!
//! A value that is not JSON ends the stream with a [`ParseError::NotJson`] naming its
//! line (NDJSON), record (JSON text sequence) or element (array) and showing its start,
//! escaped: a producer that writes one broken line cannot be trusted with the next (a
//! proxy's HTML error page in the middle of a stream looks exactly like this).

use super::{EventRef, Fed, Flow, Item, ParseError};
use crate::escape;

/// The record separator that starts each record of a JSON text sequence.
const RS: u8 = 0x1E;

/// Characters of a value that is not JSON shown in the error.
const SHOWN: usize = 80;

/// How the values of a JSON stream are framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One value per line (`application/x-ndjson`, JSON Lines).
    Ndjson,
    /// RFC 7464 (`application/json-seq`): 0x1E, a value, LF.
    JsonSeq,
    /// One JSON array, each element an event (`application/json`); a body that is not
    /// an array is read as values one after another (a plain object is one event).
    Array,
}

impl Format {
    /// The format a response's media type (lowercased, without parameters) announces.
    pub fn of_media_type(media_type: &str) -> Option<Format> {
        match media_type {
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/jsonlines" => Some(Format::Ndjson),
            "application/json-seq" => Some(Format::JsonSeq),
            "application/json" => Some(Format::Array),
            _ => None,
        }
    }

    /// What a value is called in messages.
    fn unit(self) -> &'static str {
        match self {
            Format::Ndjson => "line",
            Format::JsonSeq => "record",
            Format::Array => "element",
        }
    }

    /// How the format is named to a person.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ndjson => "NDJSON",
            Format::JsonSeq => "a JSON text sequence",
            Format::Array => "a JSON array",
        }
    }
}

/// Where an array stream is, between values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// Nothing but whitespace yet.
    Start,
    /// Inside the array, where an element (or the closing `]`) may begin.
    BeforeElement,
    /// After an element: `,` or `]` comes next.
    AfterElement,
    /// Values not in an array, between two of them.
    BetweenValues,
    /// After the array's `]`: only whitespace may follow.
    Closed,
}

/// An incremental reader of one JSON stream.
#[derive(Debug, Clone)]
pub struct JsonStream {
    format: Format,
    max: usize,
    /// The value so far, as received (its leading whitespace skipped, so that it is
    /// empty while nothing but whitespace came: checked after every read, in O(1)).
    value: Vec<u8>,
    /// The value being read, compacted when it is complete.
    compact: Vec<u8>,
    /// A value (line, record or element) has begun and not ended.
    open: bool,
    /// Where the value's strings and brackets are.
    nesting: Nesting,
    /// The number of the current line, record or element (from 1), for messages.
    number: u64,
    /// For arrays: where the stream is between values.
    place: Place,
    /// For arrays: the value is inside `[...]` (else it is a value on its own).
    in_array: bool,
}

/// What one byte did to the value being read.
enum Step {
    /// Taken; the value goes on.
    Taken,
    /// The value is complete; `consumed`: the bytes the step read were its last (else
    /// the byte comes after it and is read again, between values).
    Complete { consumed: bool },
}

impl JsonStream {
    /// A reader for a new stream; `max` caps one value, in bytes.
    pub fn new(format: Format, max: usize) -> Self {
        JsonStream {
            format,
            max: max.max(1),
            value: Vec::new(),
            compact: Vec::new(),
            open: false,
            nesting: Nesting::default(),
            number: 0,
            place: Place::Start,
            in_array: false,
        }
    }

    pub fn format(&self) -> Format {
        self.format
    }

    /// Whether the stream stopped inside a value, or inside an array not closed yet.
    pub fn mid_event(&self) -> bool {
        (self.open && !self.value.is_empty())
            || matches!(self.place, Place::BeforeElement | Place::AfterElement)
    }

    /// How the stream stopped short, when it did ([`Self::mid_event`]): for a message.
    pub fn unfinished(&self) -> Option<&'static str> {
        if !self.mid_event() {
            return None;
        }
        Some(match (self.format, self.open) {
            (Format::Ndjson, _) => "inside an NDJSON line",
            (Format::JsonSeq, _) => "inside a JSON text sequence record (no LF after it)",
            (Format::Array, true) => "inside an element of the JSON array",
            (Format::Array, false) => "before the JSON array's closing `]`",
        })
    }

    /// As [`super::Parser::feed`]: each complete value is given to `emit` as an event;
    /// a `Stop` ends `feed` just past that value's last byte (for NDJSON, its LF).
    pub fn feed<E, F>(&mut self, chunk: &[u8], mut emit: F) -> Result<Fed, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        let mut i = 0;
        while i < chunk.len() {
            // How many bytes the step read (an NDJSON line's at once; else one).
            let (step, read) = match self.format {
                Format::Ndjson => self.ndjson(&chunk[i..])?,
                Format::JsonSeq => (self.json_seq(chunk[i])?, 1),
                Format::Array => (self.array(chunk[i])?, 1),
            };
            match step {
                Step::Taken => i += read,
                Step::Complete { consumed } => {
                    i += if consumed { read } else { 0 };
                    if self.dispatch(i, &mut emit)? == Flow::Stop {
                        return Ok(Fed::Stopped(i));
                    }
                }
            }
        }
        Ok(Fed::All)
    }

    /// The stream ended (not lost): a last NDJSON line without its LF is a line all the
    /// same, and so is a value on its own that nothing followed (`42` ending an
    /// `application/json` body). Anything else unfinished stays so ([`Self::mid_event`]);
    /// a `Stop` is `Fed::Stopped(0)`.
    pub fn finish<E, F>(&mut self, mut emit: F) -> Result<Fed, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        let pending = self.open && !self.value.is_empty();
        let last_line = self.format == Format::Ndjson;
        let last_value =
            self.format == Format::Array && !self.in_array && self.nesting.depth() == 0;
        if pending && (last_line || last_value) && self.dispatch(0, &mut emit)? == Flow::Stop {
            return Ok(Fed::Stopped(0));
        }
        Ok(Fed::All)
    }

    /// NDJSON: a line ends at LF; a line of whitespace alone (a blank line) is skipped.
    fn ndjson(&mut self, rest: &[u8]) -> Result<(Step, usize), ParseError> {
        if !self.open {
            self.begin();
        }
        // The line's bytes up to its LF (or the chunk's end) in one go, its leading
        // whitespace left out: a value is never held in part as blank.
        let line = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
        let mut bytes = &rest[..line];
        if self.value.is_empty() {
            let start = bytes.iter().position(|b| !b.is_ascii_whitespace());
            bytes = &bytes[start.unwrap_or(bytes.len())..];
        }
        if self.value.len() + bytes.len() > self.max {
            return Err(ParseError::TooLarge { limit: self.max });
        }
        self.value.extend_from_slice(bytes);
        if line == rest.len() {
            return Ok((Step::Taken, line));
        }
        if self.value.is_empty() {
            self.reset();
            return Ok((Step::Taken, line + 1));
        }
        Ok((Step::Complete { consumed: true }, line + 1))
    }

    /// RFC 7464: 0x1E starts a record, which ends at an LF outside a string once its
    /// brackets balance. A record that a new 0x1E cuts short is not JSON.
    fn json_seq(&mut self, b: u8) -> Result<Step, ParseError> {
        if b == RS {
            if self.open && !self.value.is_empty() {
                return Err(self.not_json("it was cut short by the next record's 0x1E"));
            }
            self.begin();
            return Ok(Step::Taken);
        }
        if !self.open {
            if b.is_ascii_whitespace() {
                return Ok(Step::Taken);
            }
            return Err(ParseError::NotJson(format!(
                "the JSON text sequence has {} outside a record (each record must start with 0x1E)",
                shown_byte(b)
            )));
        }
        if self.value.is_empty() && b.is_ascii_whitespace() {
            return Ok(Step::Taken);
        }
        if b == b'\n' && self.nesting.balanced() && !self.value.is_empty() {
            return Ok(Step::Complete { consumed: true });
        }
        self.push(b)?;
        self.track(b);
        Ok(Step::Taken)
    }

    /// A JSON array, element by element; or values one after another.
    fn array(&mut self, b: u8) -> Result<Step, ParseError> {
        if self.open {
            return self.element_byte(b);
        }
        if b.is_ascii_whitespace() {
            return Ok(Step::Taken);
        }
        match (self.place, b) {
            (Place::Start, b'[') => {
                self.in_array = true;
                self.place = Place::BeforeElement;
                Ok(Step::Taken)
            }
            (Place::BeforeElement, b']') | (Place::AfterElement, b']') => {
                self.place = Place::Closed;
                Ok(Step::Taken)
            }
            (Place::AfterElement, b',') => {
                self.place = Place::BeforeElement;
                Ok(Step::Taken)
            }
            (Place::Start | Place::BeforeElement | Place::BetweenValues, _) => {
                self.begin();
                self.element_byte(b)
            }
            (Place::AfterElement, _) => Err(ParseError::NotJson(format!(
                "the JSON array stream is malformed after element {}: {} where `,` or `]` must come",
                self.number,
                shown_byte(b)
            ))),
            (Place::Closed, _) => Err(ParseError::NotJson(format!(
                "the JSON array stream goes on after its closing `]`: {}",
                shown_byte(b)
            ))),
        }
    }

    /// One byte of an array element (or of a value on its own).
    fn element_byte(&mut self, b: u8) -> Result<Step, ParseError> {
        let scalar = |first: u8| !matches!(first, b'{' | b'[' | b'"');
        if self.value.first().is_some_and(|&first| scalar(first))
            && (b.is_ascii_whitespace() || b == b',' || b == b']')
        {
            // A number, `true`, `false` or `null` ends where something else begins.
            return Ok(Step::Complete { consumed: false });
        }
        self.push(b)?;
        self.track(b);
        let bracketed = self.value.first().is_some_and(|&first| !scalar(first));
        if bracketed && self.nesting.balanced() {
            return Ok(Step::Complete { consumed: true });
        }
        Ok(Step::Taken)
    }

    /// A new value begins.
    fn begin(&mut self) {
        self.reset();
        self.open = true;
        self.number += 1;
    }

    /// Between values.
    fn reset(&mut self) {
        self.value.clear();
        self.open = false;
        self.nesting = Nesting::default();
    }

    /// A byte of the value, within the limit.
    fn push(&mut self, b: u8) -> Result<(), ParseError> {
        if self.value.len() >= self.max {
            return Err(ParseError::TooLarge { limit: self.max });
        }
        self.value.push(b);
        Ok(())
    }

    /// Strings and brackets: where a value's brackets balance.
    fn track(&mut self, b: u8) {
        self.nesting.take(b);
    }

    /// The value is complete: checked, compacted and handed out as an event that ends
    /// at `end` in the chunk.
    fn dispatch<E, F>(&mut self, end: usize, emit: &mut F) -> Result<Flow, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(&self.value) {
            return Err(self.not_json(&e.to_string()).into());
        }
        compact(&self.value, &mut self.compact);
        self.reset();
        if self.in_array {
            self.place = Place::AfterElement;
        } else if self.format == Format::Array {
            self.place = Place::BetweenValues;
        }
        // serde_json has checked the strings are UTF-8, and only whitespace was taken out.
        let data = std::str::from_utf8(&self.compact).map_err(|e| self.not_json(&e.to_string()))?;
        emit(Item::Event(EventRef {
            event_type: "message",
            data,
            id: "",
            id_set: false,
            retry: None,
            end,
        }))
    }

    /// The current value is not JSON, because `why`.
    fn not_json(&self, why: &str) -> ParseError {
        let text = String::from_utf8_lossy(&self.value);
        let shown = match text.char_indices().nth(SHOWN) {
            Some((at, _)) => format!("{}...", &text[..at]),
            None => text.into_owned(),
        };
        ParseError::NotJson(format!(
            "{} {} of the {} stream is not JSON ({}): {}",
            self.format.unit(),
            self.number,
            self.format.name_short(),
            escape::line(why),
            escape::line(&shown)
        ))
    }
}

impl Format {
    /// The format's name inside a sentence: "the NDJSON stream".
    fn name_short(self) -> &'static str {
        match self {
            Format::Ndjson => "NDJSON",
            Format::JsonSeq => "JSON text sequence",
            Format::Array => "JSON array",
        }
    }
}

/// A byte out of place, quoted and escaped.
fn shown_byte(b: u8) -> String {
    format!("`{}`", escape::line(&String::from_utf8_lossy(&[b])))
}

/// `json` without the whitespace outside its strings, into `out`.
fn compact(json: &[u8], out: &mut Vec<u8>) {
    out.clear();
    let mut nesting = Nesting::default();
    for &b in json {
        if nesting.take(b) || !b.is_ascii_whitespace() {
            out.push(b);
        }
    }
}

/// Where JSON text is, byte by byte: inside a string (escapes followed) or not, and how
/// many arrays and objects are open outside strings. A scan, not validation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Nesting {
    depth: usize,
    in_string: bool,
    escaped: bool,
}

impl Nesting {
    /// Takes the next byte; whether it belongs to a string (its quotes included).
    pub fn take(&mut self, b: u8) -> bool {
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return true;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            _ => return false,
        }
        b == b'"'
    }

    /// Arrays and objects open now.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// Outside any string, with every bracket closed.
    pub fn balanced(&self) -> bool {
        self.depth == 0 && !self.in_string
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a stream gave: each value's data, and the error that stopped it.
    fn read(format: Format, pieces: &[&[u8]], max: usize) -> (Vec<String>, Option<ParseError>) {
        let mut reader = JsonStream::new(format, max);
        let mut values = Vec::new();
        for piece in pieces {
            let fed = reader.feed(piece, |item| {
                if let Item::Event(ev) = item {
                    assert_eq!((ev.event_type, ev.id, ev.id_set), ("message", "", false));
                    values.push(ev.data.to_string());
                }
                Ok::<_, ParseError>(Flow::Continue)
            });
            if let Err(e) = fed {
                return (values, Some(e));
            }
        }
        (values, None)
    }

    /// `bytes` whole, byte by byte and cut at every one and (short inputs) every two
    /// points give the same values and the same error.
    fn every_split(format: Format, bytes: &[u8], max: usize) -> (Vec<String>, Option<ParseError>) {
        let whole = read(format, &[bytes], max);
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(read(format, &singles, max), whole, "byte by byte");
        for a in 0..=bytes.len() {
            let (x, y) = bytes.split_at(a);
            assert_eq!(read(format, &[x, y], max), whole, "cut at {a}");
            if bytes.len() <= 80 {
                for b in a..=bytes.len() {
                    let pieces = crate::testing::cut(bytes, &[a, b]);
                    assert_eq!(read(format, &pieces, max), whole, "cut at {a} and {b}");
                }
            }
        }
        whole
    }

    fn ok(values: &[&str]) -> (Vec<String>, Option<ParseError>) {
        (values.iter().map(|v| v.to_string()).collect(), None)
    }

    #[test]
    fn ndjson_lines_are_events_however_the_stream_is_cut() {
        let ollama = b"{\"message\":{\"role\":\"assistant\",\"content\":\"Hel\"},\"done\":false}\n\
            {\"message\":{\"content\":\"lo\"},\"done\":false}\r\n\n  \n\
            \t  [1, 2]\n\
            { \"done\" : true , \"s\": \"a [ { \\\" b\" }\n";
        assert_eq!(
            every_split(Format::Ndjson, ollama, 1 << 20),
            ok(&[
                r#"{"message":{"role":"assistant","content":"Hel"},"done":false}"#,
                r#"{"message":{"content":"lo"},"done":false}"#,
                "[1,2]",
                r#"{"done":true,"s":"a [ { \" b"}"#,
            ])
        );
    }

    #[test]
    fn a_json_array_gives_each_element_when_its_brackets_balance() {
        // Gemini without ?alt=sse: pretty-printed elements, CRLF before each comma.
        let gemini = b"[{\r\n  \"candidates\": [{\"content\": {\"parts\": [{\"text\": \"a]}\\\"[{\"}]}}]\r\n}\r\n,\
            {\"candidates\": [{\"finishReason\": \"STOP\"}]}\r\n]";
        assert_eq!(
            every_split(Format::Array, gemini, 1 << 20),
            ok(&[
                r#"{"candidates":[{"content":{"parts":[{"text":"a]}\"[{"}]}}]}"#,
                r#"{"candidates":[{"finishReason":"STOP"}]}"#,
            ])
        );
        let scalars = b" [ 1 , true,\"s ,]\", [2, [3]] ,null,-2.5e3] \n";
        assert_eq!(
            every_split(Format::Array, scalars, 1 << 20),
            ok(&["1", "true", r#""s ,]""#, "[2,[3]]", "null", "-2.5e3"])
        );
        assert_eq!(every_split(Format::Array, b"[ ]", 64), ok(&[]));
        // Not an array: the values one after another (one object: one event).
        assert_eq!(
            every_split(Format::Array, b"{\"a\": 1}\n{\"b\": [2]}", 64),
            ok(&[r#"{"a":1}"#, r#"{"b":[2]}"#])
        );
    }

    #[test]
    fn an_element_is_given_out_when_its_last_byte_arrives() {
        let mut reader = JsonStream::new(Format::Array, 64);
        let mut n = 0;
        let mut feed = |bytes: &[u8]| {
            reader
                .feed(bytes, |_| {
                    n += 1;
                    Ok::<_, ParseError>(Flow::Continue)
                })
                .unwrap();
            n
        };
        assert_eq!(feed(b"[{\"a\":1}"), 1, "not held until the comma");
        assert_eq!(feed(b"\r\n,{\"a\":2}"), 2);
        let mut reader = JsonStream::new(Format::Array, 64);
        reader.feed_all(b"[{\"a\":1}");
        assert!(reader.mid_event(), "an array not closed is cut");
        assert_eq!(
            reader.unfinished(),
            Some("before the JSON array's closing `]`")
        );
        reader.feed_all(b",{");
        assert_eq!(
            reader.unfinished(),
            Some("inside an element of the JSON array")
        );
        reader.feed_all(b"}]");
        assert!(!reader.mid_event());
        assert_eq!(reader.unfinished(), None);
    }

    #[test]
    fn at_the_end_a_last_line_without_its_lf_is_a_line() {
        let finish = |format, bytes: &[u8]| {
            let mut reader = JsonStream::new(format, 64);
            let mut values = Vec::new();
            let mut take = |item: Item<'_>| {
                if let Item::Event(ev) = item {
                    values.push(ev.data.to_string());
                }
                Ok::<_, ParseError>(Flow::Continue)
            };
            reader.feed(bytes, &mut take).unwrap();
            let end = reader.finish(&mut take).map_err(|e| e.to_string());
            (values, end, reader.mid_event())
        };
        let (values, end, mid) = finish(Format::Ndjson, b"{\"a\":1}\n{\"a\": 2}");
        assert_eq!(
            (values, end, mid),
            (
                vec![r#"{"a":1}"#.into(), r#"{"a":2}"#.into()],
                Ok(Fed::All),
                false
            )
        );
        // A line cut short is not JSON: said, with the line.
        let (values, end, _) = finish(Format::Ndjson, b"{\"a\":1}\n{\"a\": ");
        assert_eq!(values, [r#"{"a":1}"#]);
        assert!(end
            .unwrap_err()
            .starts_with("line 2 of the NDJSON stream is not JSON (EOF while parsing"));
        // A blank last line is nothing.
        assert_eq!(finish(Format::Ndjson, b"{}\n  ").1, Ok(Fed::All));
        let (values, _, mid) = finish(Format::Array, b"{\"a\":1} 42");
        assert_eq!(
            (values, mid),
            (vec![r#"{"a":1}"#.into(), "42".into()], false)
        );
        // Inside an array, or a record without its LF, stays unfinished.
        let (values, _, mid) = finish(Format::Array, b"[1, 2");
        assert_eq!((values, mid), (vec!["1".into()], true));
        let (values, _, mid) = finish(Format::JsonSeq, b"\x1e{\"a\":1}");
        assert_eq!((values.len(), mid), (0, true));
    }

    #[test]
    fn a_stop_ends_feed_just_past_the_value() {
        let bytes = b"{\"a\":1}\n{\"a\":2}\n";
        let mut reader = JsonStream::new(Format::Ndjson, 64);
        let fed = reader.feed(bytes, |_| Ok::<_, ParseError>(Flow::Stop));
        assert_eq!(fed, Ok(Fed::Stopped(8)));
        let mut reader = JsonStream::new(Format::Array, 64);
        let fed = reader.feed(b"[1,{\"b\":2}]", |_| Ok::<_, ParseError>(Flow::Stop));
        // A number is complete at the comma after it, which is left unread.
        assert_eq!(fed, Ok(Fed::Stopped(2)));
        let fed = reader.feed(b",{\"b\":2}]", |_| Ok::<_, ParseError>(Flow::Stop));
        assert_eq!(fed, Ok(Fed::Stopped(8)));
    }

    #[test]
    fn json_text_sequences_start_records_with_0x1e() {
        let seq = b"\x1e{\"a\": 1}\n\x1e[1,\n 2]\n\x1e\"x\\\"]\"\n\x1e42\n\n";
        assert_eq!(
            every_split(Format::JsonSeq, seq, 64),
            ok(&[r#"{"a":1}"#, "[1,2]", r#""x\"]""#, "42"])
        );
        // A record cut short by the next one's 0x1E.
        let (values, err) = every_split(Format::JsonSeq, b"\x1e{\"a\":1}\n\x1e{\"a\":\x1e{}\n", 64);
        assert_eq!(values, [r#"{"a":1}"#]);
        let msg = err.unwrap().to_string();
        assert!(
            msg.starts_with(
                "record 2 of the JSON text sequence stream is not JSON (it was cut short"
            ),
            "{msg}"
        );
        let (_, err) = every_split(Format::JsonSeq, b"{\"a\":1}\n", 64);
        assert!(err
            .unwrap()
            .to_string()
            .contains("`{` outside a record (each record must start with 0x1E)"));
    }

    #[test]
    fn a_line_that_is_not_json_ends_the_stream_naming_it() {
        let bytes = b"{\"a\":1}\n\n<html>\x1b[31m bad gateway</html>\n{\"a\":2}\n";
        let (values, err) = every_split(Format::Ndjson, bytes, 1024);
        assert_eq!(values, [r#"{"a":1}"#]);
        assert_eq!(
            err.unwrap().to_string(),
            "line 3 of the NDJSON stream is not JSON (expected value at line 1 column 1): \
             <html>\\x1b[31m bad gateway</html>"
        );
        let (values, err) = every_split(Format::Array, b"[{\"a\":1} {\"a\":2}]", 1024);
        assert_eq!(values, [r#"{"a":1}"#]);
        assert_eq!(
            err.unwrap().to_string(),
            "the JSON array stream is malformed after element 1: `{` where `,` or `]` must come"
        );
        let (_, err) = every_split(Format::Array, b"[{\"a\":}]", 1024);
        assert!(err
            .unwrap()
            .to_string()
            .starts_with("element 1 of the JSON array stream is not JSON (expected value"));
    }

    #[test]
    fn a_value_over_the_limit_ends_the_stream_and_nothing_holds_more() {
        let big = format!("[{{\"a\":\"{}\"}},1]", "x".repeat(100));
        let (values, err) = every_split(Format::Array, big.as_bytes(), 100);
        assert!(values.is_empty());
        assert_eq!(err, Some(ParseError::TooLarge { limit: 100 }));
        // Just at the limit is fine.
        let (values, err) = every_split(Format::Ndjson, b"[1, 2]\n[1,  2]\n", 6);
        assert_eq!(values, ["[1,2]"]);
        assert_eq!(err, Some(ParseError::TooLarge { limit: 6 }));
        // An array of any length is never held whole: one element at a time.
        let mut reader = JsonStream::new(Format::Array, 16);
        reader.feed_all(b"[");
        for _ in 0..10_000 {
            reader.feed_all(b"{\"n\": 12345},");
        }
        assert!(reader.value.capacity() <= 16 && reader.compact.capacity() <= 16);
    }

    /// A random JSON value: nested arrays and objects, strings holding brackets,
    /// quotes, backslashes, controls and non-ASCII, numbers of every form.
    fn random_value(rng: &mut crate::testing::Rng, depth: usize) -> serde_json::Value {
        use serde_json::Value;
        let pick = if depth == 0 {
            rng.below(4)
        } else {
            rng.below(6)
        };
        match pick {
            0 => Value::from(*rng.pick(&[0.0, -1.5, 2e-7, 1e300, 42.0])),
            1 => Value::from(*rng.pick(&[0i64, -7, i64::MAX])),
            2 => rng
                .pick(&[Value::Null, Value::Bool(true), Value::Bool(false)])
                .clone(),
            3 => {
                let parts = [
                    "a", "[", "]", "{", "}", "\"", "\\", ",", "\n", "\u{1e}", "é", " ", "😀",
                ];
                let n = rng.below(6);
                Value::from((0..n).map(|_| *rng.pick(&parts)).collect::<String>())
            }
            4 => Value::Array(
                (0..rng.below(4))
                    .map(|_| random_value(rng, depth - 1))
                    .collect(),
            ),
            _ => Value::Object(
                (0..rng.below(4))
                    .map(|k| (format!("k{k}]\""), random_value(rng, depth - 1)))
                    .collect(),
            ),
        }
    }

    #[test]
    fn random_values_in_every_format_and_random_cuts_agree() {
        let mut rng = crate::testing::Rng::new(17);
        for _ in 0..300 {
            let values: Vec<serde_json::Value> = (0..1 + rng.below(5))
                .map(|_| random_value(&mut rng, 3))
                .collect();
            let compact: Vec<String> = values.iter().map(|v| v.to_string()).collect();
            let mut pretty = |v: &serde_json::Value| {
                let text = serde_json::to_string_pretty(v).unwrap();
                if rng.below(2) == 0 {
                    text.replace('\n', "\r\n")
                } else {
                    text
                }
            };
            let ndjson: String = compact.iter().map(|c| format!("{c}\n")).collect();
            let seq: String = values
                .iter()
                .map(|v| format!("\u{1e}{}\n", pretty(v)))
                .collect();
            let array = format!(
                "[{}]",
                values
                    .iter()
                    .map(&mut pretty)
                    .collect::<Vec<_>>()
                    .join("\r\n,")
            );
            for (format, bytes) in [
                (Format::Ndjson, ndjson),
                (Format::JsonSeq, seq),
                (Format::Array, array),
            ] {
                let bytes = bytes.as_bytes();
                let whole = read(format, &[bytes], 1 << 20);
                assert_eq!(whole, (compact.clone(), None), "{format:?} {bytes:?}");
                let cuts: Vec<usize> = (0..rng.below(8))
                    .map(|_| rng.below(bytes.len() + 1))
                    .collect();
                let pieces = crate::testing::cut(bytes, &cuts);
                assert_eq!(
                    read(format, &pieces, 1 << 20),
                    whole,
                    "{format:?} {pieces:?}"
                );
                let singles: Vec<&[u8]> = bytes.chunks(1).collect();
                assert_eq!(
                    read(format, &singles, 1 << 20),
                    whole,
                    "{format:?} byte by byte"
                );
            }
        }
    }

    #[test]
    fn any_bytes_give_the_same_outcome_however_cut_and_never_panic() {
        // JSON's own bytes, 0x1E and a few that are not JSON, in random order.
        let alphabet = b"{}[]\",:\\ \r\n\x1e0123-.eEtruefalsnx\xc3\xa9\xff";
        let mut rng = crate::testing::Rng::new(7);
        for _ in 0..2000 {
            let bytes: Vec<u8> = (0..rng.below(40)).map(|_| *rng.pick(alphabet)).collect();
            let cuts: Vec<usize> = (0..rng.below(5))
                .map(|_| rng.below(bytes.len() + 1))
                .collect();
            let max = *rng.pick(&[4, 16, 1 << 20]);
            for format in [Format::Ndjson, Format::JsonSeq, Format::Array] {
                crate::testing::check_json_splits(format, &bytes, &cuts, max);
            }
        }
    }

    #[test]
    fn media_types_name_their_format() {
        assert_eq!(
            Format::of_media_type("application/x-ndjson"),
            Some(Format::Ndjson)
        );
        assert_eq!(
            Format::of_media_type("application/json-seq"),
            Some(Format::JsonSeq)
        );
        assert_eq!(
            Format::of_media_type("application/json"),
            Some(Format::Array)
        );
        assert_eq!(Format::of_media_type("text/event-stream"), None);
        assert_eq!(Format::of_media_type("text/html"), None);
    }

    impl JsonStream {
        fn feed_all(&mut self, bytes: &[u8]) {
            self.feed(bytes, |_| Ok::<_, ParseError>(Flow::Continue))
                .unwrap();
        }
    }
}
