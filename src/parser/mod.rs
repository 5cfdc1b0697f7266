//! The WHATWG "event stream interpretation", incremental and pure: bytes in, items out.
//!
//! Chunk boundaries may fall anywhere (inside CRLF, inside a UTF-8 sequence, inside a
//! field name); every split of the same bytes gives the same items. Complete lines are
//! read straight from the caller's chunk: an event whose data is one line in the chunk
//! is handed out without a copy, and the chunk's complete lines are checked as UTF-8
//! once, together. Only a line cut by a chunk boundary is copied, and a long `data:`
//! line is appended to the data buffer as it arrives, so nothing is scanned twice and
//! memory stays within the size limit.
//!
//! The caller's callback decides after each item whether to go on, stop or fail, as
//! ripgrep's `Sink` does: a stop ends `feed` at that item's line end and says where,
//! so the caller can cut raw output there, and nothing after it is parsed.
//!
//! The size limit is a property of the bytes, not of how they were read: no line
//! (without its line end; the stream's BOM excluded) may be longer than the limit, and
//! no event's data (its `data:` values joined with LF) either. The items handed out
//! before a `TooLarge` are the same however the stream is cut into chunks.

pub mod json_stream;
mod scan;

use memchr::{memchr, memrchr2};
use std::fmt;
use std::ops::Range;

use scan::LineEnds;

/// Largest line or event accepted by default (`--max-event-size`).
pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 * 1024 * 1024;

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What the parser hands out. Borrowed from the parser: copy what you keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item<'a> {
    Event(EventRef<'a>),
    /// A comment line, without its leading `:`.
    Comment(&'a str),
    /// A valid `retry:` field: the new reconnection time in milliseconds.
    Retry(u64),
    /// A block with no data (so no event) that set the last event ID to this: what a
    /// reconnection would send changed without an event to show it.
    Id(&'a str),
    /// A line the standard ignores: a field name other than data, event, id and retry
    /// (`evnet: x`), a `retry:` that is not all digits, an id holding NULL. Only from a
    /// parser [`Parser::reporting_ignored`].
    Ignored(&'a str),
}

/// A dispatched event, as a browser's `MessageEvent` would see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRef<'a> {
    /// `message` when the stream named none.
    pub event_type: &'a str,
    pub data: &'a str,
    /// The last event ID string in force at dispatch ("" when none).
    pub id: &'a str,
    /// Whether this event's own block set the ID (an `id:` line since the last dispatch).
    pub id_set: bool,
    /// A `retry:` value given in this event's block.
    pub retry: Option<u64>,
    /// Offset in the chunk just fed, just past the blank line that dispatched this event.
    pub end: usize,
}

impl<'a> EventRef<'a> {
    /// An event made outside the parser (from a recording, a test, another format):
    /// its block set no id and no retry, and it has no place in a chunk.
    pub fn with(event_type: &'a str, data: &'a str, id: &'a str) -> Self {
        EventRef {
            event_type,
            data,
            id,
            id_set: false,
            retry: None,
            end: 0,
        }
    }
}

/// What a callback tells the parser after each item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    /// Take no more of this chunk: `feed` returns `Fed::Stopped` at this item's line end.
    Stop,
}

/// How far `feed` got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// Every byte of the chunk was taken in.
    All,
    /// The callback stopped after an item whose line ends just before this offset in
    /// the chunk (for an event, just past its blank line). The bytes before it were
    /// taken in and the rest were not: feeding them later goes on where it stopped.
    Stopped(usize),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseError {
    /// A line or an event's data grew past the limit.
    TooLarge { limit: usize },
    /// A line, record or element of a JSON stream ([`json_stream`]) that is not JSON,
    /// or bytes where none may be: the whole message, its text escaped.
    NotJson(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TooLarge { limit } => write!(
                f,
                "a line or an event is larger than the {} limit (raise it with --max-event-size)",
                crate::format::size(*limit as u64)
            ),
            ParseError::NotJson(msg) => f.write_str(msg),
        }
    }
}

/// Where the bytes of a line cut by a chunk boundary are going.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Partial {
    /// In `Parser::line` (field name, or a line that is not `data`).
    Line,
    /// Straight into the data buffer: the line began with `data:`.
    /// `at_value_start` while the optional space after the colon may still come;
    /// `len`: the line's bytes so far, field name included (for the limit).
    Data { at_value_start: bool, len: usize },
}

#[derive(Debug, Clone)]
pub struct Parser {
    max: usize,
    /// Leading bytes held while they may still be a BOM (`None` once decided).
    bom_seen: Option<usize>,
    /// The previous chunk ended in CR: a leading LF of the next one belongs to it.
    skip_lf: bool,
    line: Vec<u8>,
    partial: Partial,
    data: Vec<u8>,
    /// While a chunk is being parsed: the event's data so far is this one line of the
    /// chunk (then an LF), not yet copied into `data`.
    data_in_chunk: Option<Range<usize>>,
    event_type: String,
    /// An `id` line since the last dispatch, and where its value is.
    id_pending: Option<IdAt>,
    /// The pending ID's value when it is `IdAt::Buffer`.
    id_buffer: String,
    /// The last event ID string, except while a chunk is parsed and `last_id_in_chunk`
    /// is set: then the ID is that (valid UTF-8) range of the chunk, copied here only
    /// when the chunk is done, so that a stream with an id per event copies one per read.
    last_event_id: String,
    last_id_in_chunk: Option<Range<usize>>,
    retry: Option<u64>,
    scratch: String,
    /// Emit [`Item::Ignored`] for the lines the standard ignores (`-v`).
    report_ignored: bool,
}

/// Where the value of an `id` line waiting for dispatch is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum IdAt {
    /// This range of the chunk being parsed, valid UTF-8.
    Chunk(Range<usize>),
    /// `Parser::id_buffer`.
    Buffer,
}

impl Default for Parser {
    fn default() -> Self {
        Parser::new(DEFAULT_MAX_EVENT_SIZE)
    }
}

impl Parser {
    /// A parser for a new stream; `max` caps a line and an event's data, in bytes.
    pub fn new(max: usize) -> Self {
        Parser {
            max: max.max(1),
            bom_seen: Some(0),
            skip_lf: false,
            line: Vec::new(),
            partial: Partial::Line,
            data: Vec::new(),
            data_in_chunk: None,
            event_type: String::new(),
            id_pending: None,
            id_buffer: String::new(),
            last_event_id: String::new(),
            last_id_in_chunk: None,
            retry: None,
            scratch: String::new(),
            report_ignored: false,
        }
    }

    /// Also tells of the lines the standard ignores, as [`Item::Ignored`].
    pub fn reporting_ignored(mut self, on: bool) -> Self {
        self.report_ignored = on;
        self
    }

    /// Starts the last event ID where the previous connection left it, as browsers do.
    pub fn with_last_event_id(mut self, id: &str) -> Self {
        self.last_event_id = id.to_string();
        self
    }

    /// Whether the stream stopped inside an event: a line begun, or fields that no
    /// blank line has dispatched yet (at the end of a stream the standard discards them).
    pub fn mid_event(&self) -> bool {
        !self.line.is_empty()
            || !self.data.is_empty()
            || !self.event_type.is_empty()
            || self.id_pending.is_some()
    }

    /// The last event ID string: what a reconnection sends as `Last-Event-ID`.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Feeds the next bytes of the stream; `emit` gets each item as it completes and
    /// says whether to go on. An error from `emit` ends `feed` at once and is returned;
    /// so is a `ParseError` (converted into `E`), after which the parser is done.
    #[inline]
    pub fn feed<E, F>(&mut self, chunk: &[u8], mut emit: F) -> Result<Fed, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        let mut start = 0;
        if let Some(seen) = self.bom_seen {
            // The BOM may be split across chunks: hold its prefix until it is decided.
            let mut matched = seen;
            let mut used = 0;
            while matched < BOM.len() && used < chunk.len() && chunk[used] == BOM[matched] {
                matched += 1;
                used += 1;
            }
            if matched < BOM.len() && used == chunk.len() {
                self.bom_seen = Some(matched);
                return Ok(Fed::All);
            }
            self.bom_seen = None;
            if matched < BOM.len() {
                // Not a BOM after all: the bytes held are ordinary (invalid UTF-8) line bytes.
                self.line.extend_from_slice(&BOM[..matched]);
            }
            start = used;
        }
        self.feed_lines(chunk, start, &mut emit)
    }

    /// `feed` for a callback that takes every item and cannot fail.
    pub fn feed_each<F>(&mut self, chunk: &[u8], mut each: F) -> Result<(), ParseError>
    where
        F: FnMut(Item<'_>),
    {
        self.feed(chunk, |item| {
            each(item);
            Ok::<_, ParseError>(Flow::Continue)
        })
        .map(|_| ())
    }

    /// The lines of `bytes` from `start` (past a BOM).
    fn feed_lines<E, F>(&mut self, bytes: &[u8], start: usize, emit: &mut F) -> Result<Fed, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        let chunk = Chunk::new(bytes);
        let mut pos = start;
        if self.skip_lf && pos < bytes.len() {
            self.skip_lf = false;
            if bytes[pos] == b'\n' {
                pos += 1;
            }
        }
        let flow = self.complete_lines(&chunk, &mut pos, emit);
        self.release(&chunk);
        if flow? == Flow::Stop {
            return Ok(Fed::Stopped(pos));
        }
        let rest = &bytes[pos..];
        if rest.is_empty() {
            return Ok(Fed::All);
        }
        match self.partial {
            Partial::Data {
                at_value_start,
                len,
            } => {
                let len = len + rest.len();
                if len > self.max {
                    return Err(ParseError::TooLarge { limit: self.max }.into());
                }
                let value = if at_value_start {
                    strip_space(rest)
                } else {
                    rest
                };
                self.partial = Partial::Data {
                    at_value_start: false,
                    len,
                };
                self.append_data(value)?;
            }
            Partial::Line => {
                self.grow_line(rest)?;
                if self.line.starts_with(b"data:") {
                    let value = &self.line[5..];
                    self.partial = Partial::Data {
                        at_value_start: value.is_empty(),
                        len: self.line.len(),
                    };
                    let value = strip_space(value);
                    if self.data.len() + value.len() > self.max {
                        return Err(ParseError::TooLarge { limit: self.max }.into());
                    }
                    self.data.extend_from_slice(value);
                    self.line.clear();
                }
            }
        }
        Ok(Fed::All)
    }

    /// Copies what is still borrowed from `chunk` before the chunk goes away.
    fn release(&mut self, chunk: &Chunk<'_>) {
        self.own_data(chunk);
        if let Some(range) = self.last_id_in_chunk.take() {
            self.last_event_id.clear();
            self.last_event_id
                .push_str(chunk.text.get(range).unwrap_or_default());
        }
        if let Some(IdAt::Chunk(range)) = &self.id_pending {
            self.id_buffer.clear();
            self.id_buffer
                .push_str(chunk.text.get(range.clone()).unwrap_or_default());
            self.id_pending = Some(IdAt::Buffer);
        }
    }

    /// Copies the event's data line borrowed from `chunk`, if any, into `data`.
    fn own_data(&mut self, chunk: &Chunk<'_>) {
        if let Some(range) = self.data_in_chunk.take() {
            self.data.extend_from_slice(&chunk.bytes[range]);
            self.data.push(b'\n');
        }
    }

    /// Processes every line of the chunk that ends in it, from `*pos`; leaves `*pos`
    /// at the start of the unfinished rest, or just past the line whose item stopped.
    fn complete_lines<E, F>(
        &mut self,
        chunk: &Chunk<'_>,
        pos: &mut usize,
        emit: &mut F,
    ) -> Result<Flow, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        let bytes = chunk.bytes;
        for end in LineEnds::new(bytes, *pos) {
            if end < *pos {
                continue; // the LF of a CRLF
            }
            let mut next = end + 1;
            if bytes[end] == b'\r' {
                if next < bytes.len() {
                    if bytes[next] == b'\n' {
                        next += 1;
                    }
                } else {
                    self.skip_lf = true;
                }
            }
            // The whole line, with what an earlier chunk brought of it.
            let held = match self.partial {
                Partial::Data { len, .. } => len,
                Partial::Line => self.line.len(),
            };
            if held + (end - *pos) > self.max {
                return Err(ParseError::TooLarge { limit: self.max }.into());
            }
            let flow = match self.partial {
                Partial::Data { at_value_start, .. } => {
                    self.partial = Partial::Line;
                    let content = &bytes[*pos..end];
                    let value = if at_value_start {
                        strip_space(content)
                    } else {
                        content
                    };
                    self.append_data(value)?;
                    self.data.push(b'\n');
                    Flow::Continue
                }
                Partial::Line if !self.line.is_empty() => {
                    // The line began in an earlier chunk: process the copy.
                    self.line.extend_from_slice(&bytes[*pos..end]);
                    let line = std::mem::take(&mut self.line);
                    let held = Chunk::new(&line);
                    let result = self.process_line(&held, 0..line.len(), next, false, emit);
                    self.line = line;
                    self.line.clear();
                    result?
                }
                Partial::Line => self.process_line(chunk, *pos..end, next, true, emit)?,
            };
            *pos = next;
            if flow == Flow::Stop {
                return Ok(Flow::Stop);
            }
        }
        Ok(Flow::Continue)
    }

    fn grow_line(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.line.len() + bytes.len() > self.max {
            return Err(ParseError::TooLarge { limit: self.max });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn append_data(&mut self, bytes: &[u8]) -> Result<(), ParseError> {
        if self.data.len() + bytes.len() > self.max {
            return Err(ParseError::TooLarge { limit: self.max });
        }
        self.data.extend_from_slice(bytes);
        Ok(())
    }

    /// One complete line, `line` in `src`. `borrow` when `src` is the chunk being fed
    /// (not a copy of a line begun in an earlier one): then a data line or an id may be
    /// kept as a range of it until `release`. (A held line is always the first of its
    /// chunk, so nothing is borrowed while it is processed.)
    #[inline(always)]
    fn process_line<E, F>(
        &mut self,
        src: &Chunk<'_>,
        line: Range<usize>,
        end: usize,
        borrow: bool,
        emit: &mut F,
    ) -> Result<Flow, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        let bytes = &src.bytes[line.clone()];
        if bytes.is_empty() {
            return self.dispatch(src, end, emit);
        }
        if bytes[0] == b':' {
            return emit(Item::Comment(
                src.text(line.start + 1..line.end, &mut self.scratch),
            ));
        }
        // The two commonest fields need no search for the colon.
        let colon = if bytes.starts_with(b"data:") {
            Some(4)
        } else if bytes.starts_with(b"id:") {
            Some(2)
        } else {
            memchr(b':', bytes)
        };
        let (name, value) = match colon {
            Some(colon) => {
                let mut start = line.start + colon + 1;
                if src.bytes.get(start) == Some(&b' ') && start < line.end {
                    start += 1;
                }
                (&bytes[..colon], start..line.end)
            }
            None => (bytes, line.end..line.end),
        };
        match name {
            b"data" if borrow && self.data.is_empty() && self.data_in_chunk.is_none() => {
                // The event's first data line, in the chunk: keep only where it is.
                self.data_in_chunk = Some(value);
            }
            b"data" => {
                self.own_data(src);
                self.append_data(&src.bytes[value])?;
                self.data.push(b'\n');
            }
            b"event" => {
                self.event_type.clear();
                self.event_type.push_str(src.text(value, &mut self.scratch));
            }
            b"id" if memchr(0, &src.bytes[value.clone()]).is_none() => {
                // Borrowed from the chunk when the line is in it and is valid text.
                let valid = borrow && src.text.get(value.clone()).is_some();
                self.id_pending = Some(if valid {
                    IdAt::Chunk(value)
                } else {
                    self.id_buffer.clear();
                    self.id_buffer.push_str(src.text(value, &mut self.scratch));
                    IdAt::Buffer
                });
            }
            b"retry" => {
                if let Some(ms) = parse_retry(&src.bytes[value]) {
                    self.retry = Some(ms);
                    return emit(Item::Retry(ms));
                }
                if self.report_ignored {
                    return emit(Item::Ignored(src.text(line, &mut self.scratch)));
                }
            }
            _ if self.report_ignored => {
                return emit(Item::Ignored(src.text(line, &mut self.scratch)))
            }
            _ => {}
        }
        Ok(Flow::Continue)
    }

    #[inline(always)]
    /// Dispatches the event; `chunk` is where any borrowed data and id are.
    fn dispatch<E, F>(&mut self, chunk: &Chunk<'_>, end: usize, emit: &mut F) -> Result<Flow, E>
    where
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        // The last event ID buffer becomes the last event ID string; the two differ
        // only when an `id` line set the buffer since the last dispatch.
        let id_set = match self.id_pending.take() {
            Some(IdAt::Chunk(range)) => {
                self.last_id_in_chunk = Some(range);
                true
            }
            Some(IdAt::Buffer) => {
                self.last_id_in_chunk = None;
                self.last_event_id.clone_from(&self.id_buffer);
                true
            }
            None => false,
        };
        let retry = self.retry.take();
        let data = match self.data_in_chunk.take() {
            Some(range) => chunk.text(range, &mut self.scratch),
            None if self.data.is_empty() => {
                self.event_type.clear();
                if !id_set {
                    return Ok(Flow::Continue);
                }
                let id = match &self.last_id_in_chunk {
                    Some(range) => chunk.text.get(range.clone()).unwrap_or_default(),
                    None => &self.last_event_id,
                };
                return emit(Item::Id(id));
            }
            None => {
                self.data.pop(); // the LF after the last data line
                decode(&self.data, &mut self.scratch)
            }
        };
        let event_type = if self.event_type.is_empty() {
            "message"
        } else {
            &self.event_type
        };
        let flow = emit(Item::Event(EventRef {
            event_type,
            data,
            id: match &self.last_id_in_chunk {
                Some(range) => chunk.text.get(range.clone()).unwrap_or_default(),
                None => &self.last_event_id,
            },
            id_set,
            retry,
            end,
        }));
        self.data.clear();
        self.event_type.clear();
        flow
    }
}

/// Bytes being parsed, with the prefix that is known to be valid UTF-8: the complete
/// lines, checked once together (for ASCII, tens of GB/s), so that a field inside it is
/// borrowed as text with no further check.
struct Chunk<'a> {
    bytes: &'a [u8],
    /// `bytes` up to its last line end when that is valid UTF-8; otherwise empty, and
    /// each field is decoded on its own.
    text: &'a str,
}

impl<'a> Chunk<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        let complete = memrchr2(b'\n', b'\r', bytes).map_or(0, |i| i + 1);
        Chunk {
            bytes,
            text: std::str::from_utf8(&bytes[..complete]).unwrap_or(""),
        }
    }

    /// The field at `range` as text, with U+FFFD for invalid bytes.
    fn text<'s>(&self, range: Range<usize>, scratch: &'s mut String) -> &'s str
    where
        'a: 's,
    {
        match self.text.get(range.clone()) {
            Some(text) => text,
            None => decode(&self.bytes[range], scratch),
        }
    }
}

/// One leading U+0020 SPACE is not part of a field's value.
fn strip_space(value: &[u8]) -> &[u8] {
    match value.first() {
        Some(b' ') => &value[1..],
        _ => value,
    }
}

/// UTF-8 decode with U+FFFD for invalid bytes; borrows when the bytes are valid.
fn decode<'a>(bytes: &'a [u8], scratch: &'a mut String) -> &'a str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => {
            scratch.clear();
            for chunk in bytes.utf8_chunks() {
                scratch.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    scratch.push('\u{FFFD}');
                }
            }
            scratch
        }
    }
}

/// `retry:` takes ASCII digits only; anything else (or an overflow) is ignored.
fn parse_retry(value: &[u8]) -> Option<u64> {
    if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
        return None;
    }
    value.iter().try_fold(0u64, |acc, d| {
        acc.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An owned copy of an item, for comparing.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Owned {
        Event {
            event_type: String,
            data: String,
            id: String,
        },
        Comment(String),
        Retry(u64),
        Id(String),
        Ignored(String),
    }

    fn own(item: Item<'_>) -> Owned {
        match item {
            Item::Event(e) => Owned::Event {
                event_type: e.event_type.into(),
                data: e.data.into(),
                id: e.id.into(),
            },
            Item::Comment(c) => Owned::Comment(c.into()),
            Item::Retry(ms) => Owned::Retry(ms),
            Item::Id(id) => Owned::Id(id.into()),
            Item::Ignored(line) => Owned::Ignored(line.into()),
        }
    }

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<Owned> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.feed_each(chunk, |item| out.push(own(item))).unwrap();
        }
        out
    }

    fn parse(bytes: &[u8]) -> Vec<Owned> {
        parse_chunks(&[bytes])
    }

    /// Items until the first error with a `max` limit, and whether there was one.
    fn parse_limited(chunks: &[&[u8]], max: usize) -> (Vec<Owned>, bool) {
        let mut parser = Parser::new(max);
        let mut out = Vec::new();
        for chunk in chunks {
            if parser.feed_each(chunk, |i| out.push(own(i))).is_err() {
                return (out, true);
            }
        }
        (out, false)
    }

    /// Stops after every item, then feeds the rest of the chunk from where it stopped.
    fn parse_stopping(chunks: &[&[u8]]) -> Vec<Owned> {
        let mut parser = Parser::default();
        let mut out = Vec::new();
        for chunk in chunks {
            let mut rest = *chunk;
            loop {
                let fed = parser.feed(rest, |i| {
                    out.push(own(i));
                    Ok::<_, ParseError>(Flow::Stop)
                });
                match fed.unwrap() {
                    Fed::All => break,
                    Fed::Stopped(at) => {
                        assert!(at > 0 && at <= rest.len(), "stopped at {at} of {rest:?}");
                        rest = &rest[at..];
                    }
                }
            }
        }
        out
    }

    fn ev(event_type: &str, data: &str, id: &str) -> Owned {
        Owned::Event {
            event_type: event_type.into(),
            data: data.into(),
            id: id.into(),
        }
    }

    fn events(bytes: &[u8]) -> Vec<Owned> {
        parse(bytes)
            .into_iter()
            .filter(|i| matches!(i, Owned::Event { .. }))
            .collect()
    }

    /// Whole, byte by byte, and at every single split point: always the same items.
    fn assert_split_invariant(bytes: &[u8]) -> Vec<Owned> {
        let whole = parse(bytes);
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(parse_chunks(&singles), whole, "byte by byte: {bytes:?}");
        for i in 0..=bytes.len() {
            assert_eq!(
                parse_chunks(&[&bytes[..i], &bytes[i..]]),
                whole,
                "split at {i}: {bytes:?}"
            );
        }
        if bytes.len() <= 48 {
            for i in 0..=bytes.len() {
                for j in i..=bytes.len() {
                    let parts = [&bytes[..i], &bytes[i..j], &bytes[j..]];
                    assert_eq!(parse_chunks(&parts), whole, "split at {i},{j}: {bytes:?}");
                }
            }
        }
        whole
    }

    #[test]
    fn spec_examples() {
        // The standard's own examples (9.2.6).
        assert_eq!(
            events(b"data: YHOO\ndata: +2\ndata: 10\n\n"),
            vec![ev("message", "YHOO\n+2\n10", "")]
        );
        let stream = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n";
        assert_eq!(
            parse(stream),
            vec![
                Owned::Comment(" test stream".into()),
                ev("message", "first event", "1"),
                ev("message", "second event", ""),
            ],
            "the unterminated third event is discarded"
        );
        assert_eq!(
            events(b"data\n\ndata\ndata\n\ndata:"),
            vec![ev("message", "", ""), ev("message", "\n", "")]
        );
        assert_eq!(
            events(b"data:test\n\ndata: test\n\n"),
            vec![ev("message", "test", ""), ev("message", "test", "")]
        );
    }

    #[test]
    fn line_endings_cr_lf_crlf_mixed() {
        let want = vec![ev("a", "1", ""), ev("b", "2", ""), ev("c", "3", "")];
        assert_eq!(
            assert_split_invariant(
                b"event: a\rdata: 1\r\revent: b\r\ndata: 2\r\n\r\nevent: c\ndata: 3\n\n"
            ),
            want
        );
        // CR CR is two line ends; CR LF is one.
        assert_eq!(
            events(b"data: x\r\rdata: y\r\n\r\n"),
            vec![ev("message", "x", ""), ev("message", "y", "")]
        );
        // LF CR: an LF ends one line and the CR ends the (empty) next.
        assert_eq!(events(b"data: x\n\r"), vec![ev("message", "x", "")]);
    }

    #[test]
    fn crlf_split_between_reads_is_one_line_end() {
        assert_eq!(
            parse_chunks(&[b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n"]),
            vec![ev("message", "a\nb", "")]
        );
    }

    #[test]
    fn bom_is_stripped_once_only_at_start() {
        assert_eq!(
            assert_split_invariant(b"\xEF\xBB\xBFdata: a\n\n"),
            vec![ev("message", "a", "")]
        );
        // A second BOM is part of the field name: "\u{FEFF}data" is an unknown field.
        assert_eq!(events(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\n"), vec![]);
        // A BOM later in the stream is not stripped either.
        assert_eq!(
            events(b"data: a\n\n\xEF\xBB\xBFdata: b\n\n"),
            vec![ev("message", "a", "")]
        );
        // A BOM prefix that is not a BOM is invalid UTF-8: one U+FFFD for the two bytes.
        assert_eq!(
            assert_split_invariant(b"\xEF\xBBdata: a\n\n:x\xEF\xBB\n"),
            vec![Owned::Comment("x\u{FFFD}".into())]
        );
        assert_eq!(
            parse_chunks(&[b"\xEF", b"\xBB", b"\xBF", b"data: a\n\n"]),
            vec![ev("message", "a", "")]
        );
    }

    #[test]
    fn utf8_split_mid_character_and_invalid_bytes() {
        let bytes = "data: h\u{e9}llo \u{1F43C}\n\n".as_bytes();
        assert_eq!(
            assert_split_invariant(bytes),
            vec![ev("message", "h\u{e9}llo \u{1F43C}", "")]
        );
        // Invalid bytes: each maximal invalid subpart becomes one U+FFFD.
        assert_eq!(
            assert_split_invariant(b"data: a\xFFb\xF0\x9F\x90c\n\n"),
            vec![ev("message", "a\u{FFFD}b\u{FFFD}c", "")]
        );
        // A truncated sequence at a line end is cut there by the LF.
        assert_eq!(
            assert_split_invariant(b"data: \xE2\x82\ndata: x\n\n"),
            vec![ev("message", "\u{FFFD}\nx", "")]
        );
        assert_eq!(
            assert_split_invariant(b"event: \xFF\ndata: x\n\n"),
            vec![ev("\u{FFFD}", "x", "")]
        );
    }

    #[test]
    fn fields_and_spaces() {
        // Only one leading space is removed; trailing spaces stay.
        assert_eq!(events(b"data:  two \n\n"), vec![ev("message", " two ", "")]);
        assert_eq!(events(b"data:\tx\n\n"), vec![ev("message", "\tx", "")]);
        // A line with no colon is a field name with an empty value.
        assert_eq!(events(b"data\n\n"), vec![ev("message", "", "")]);
        // Field names are case-sensitive; unknown fields are ignored.
        assert_eq!(
            events(b"Data: x\nfoo: bar\ndata: y\n\n"),
            vec![ev("message", "y", "")]
        );
        // A field name with a space is not "data".
        assert_eq!(events(b"data : x\n\n"), vec![]);
        // Values may contain colons.
        assert_eq!(
            events(b"data: a: b:c\n\n"),
            vec![ev("message", "a: b:c", "")]
        );
        // The last `event:` wins; the type resets after dispatch.
        assert_eq!(
            events(b"event: a\nevent: b\ndata: 1\n\ndata: 2\n\n"),
            vec![ev("b", "1", ""), ev("message", "2", "")]
        );
        // An empty `event:` means "message".
        assert_eq!(events(b"event:\ndata: 1\n\n"), vec![ev("message", "1", "")]);
    }

    #[test]
    fn empty_data_is_not_dispatched_and_resets_the_type() {
        assert_eq!(
            events(b"event: a\n\ndata: x\n\n"),
            vec![ev("message", "x", "")]
        );
        assert_eq!(events(b"event: a\nid: 3\n\n\n\n"), vec![]);
        // An id-only block still moves the last event ID.
        let mut parser = Parser::default();
        parser.feed_each(b"id: 7\n\n", |_| {}).unwrap();
        assert_eq!(parser.last_event_id(), "7");
    }

    #[test]
    fn id_persists_is_reset_by_empty_and_ignores_null() {
        assert_eq!(
            events(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\nid: 2\ndata: d\n\nid: x\0y\ndata: e\n\n"),
            vec![ev("message", "a", "1"), ev("message", "b", "1"), ev("message", "c", ""), ev("message", "d", "2"), ev("message", "e", "2")]
        );
        // The id set inside a block is the one that block's event carries.
        assert_eq!(events(b"data: a\nid: 9\n\n"), vec![ev("message", "a", "9")]);
        // An unfinished event does not move the last event ID.
        let mut parser = Parser::default();
        parser
            .feed_each(b"id: 1\ndata: a\n\nid: 2\ndata: b\n", |_| {})
            .unwrap();
        assert_eq!(parser.last_event_id(), "1");
        // The ID carries over to the next connection, as browsers keep it.
        let mut next = Parser::default().with_last_event_id("1");
        let mut got = Vec::new();
        next.feed_each(b"data: c\n\n", |i| got.push(own(i)))
            .unwrap();
        assert_eq!(got, vec![ev("message", "c", "1")]);
    }

    #[test]
    fn retry_takes_digits_only() {
        assert_eq!(parse(b"retry: 1500\n"), vec![Owned::Retry(1500)]);
        assert_eq!(parse(b"retry: 0\n"), vec![Owned::Retry(0)]);
        for bad in [
            &b"retry: 1.5\n"[..],
            b"retry: -1\n",
            b"retry: 10 \n",
            b"retry:\n",
            b"retry: 1e3\n",
            b"retry:  5\n",
            b"retry: 99999999999999999999999\n",
        ] {
            assert_eq!(parse(bad), vec![], "{bad:?}");
        }
        let mut parser = Parser::default();
        let mut retries = Vec::new();
        parser
            .feed_each(b"retry: 10\ndata: x\n\n", |i| {
                if let Item::Event(e) = i {
                    retries.push(e.retry);
                }
            })
            .unwrap();
        assert_eq!(retries, vec![Some(10)]);
    }

    #[test]
    fn comments_and_unfinished_final_event() {
        assert_eq!(
            parse(b":\n: hi\n:: x\ndata: a\n"),
            vec![
                Owned::Comment("".into()),
                Owned::Comment(" hi".into()),
                Owned::Comment(": x".into())
            ]
        );
        // A final line without its end of line is not processed.
        assert_eq!(
            parse(b"data: a\n\n: trailing"),
            vec![ev("message", "a", "")]
        );
    }

    #[test]
    fn event_end_offsets_point_past_the_blank_line() {
        let bytes = b"data: a\n\ndata: b\r\n\r\n: c\n";
        let mut ends = Vec::new();
        Parser::default()
            .feed_each(bytes, |i| {
                if let Item::Event(e) = i {
                    ends.push(e.end);
                }
            })
            .unwrap();
        assert_eq!(ends, vec![9, 20]);
    }

    #[test]
    fn every_split_of_a_rich_stream_gives_the_same_items() {
        let stream = "\u{FEFF}: hello\r\nevent: panda\r\ndata: {\"a\": 1}\r\ndata: \u{1F43C}\r\nid: 1\r\n\r\nretry: 250\rdata\r\rid\ndata:  x\n\nfoo\ndata: \u{e9}\u{e9}\n\n";
        let bytes = stream.as_bytes();
        let whole = assert_split_invariant(bytes);
        assert_eq!(
            whole,
            vec![
                Owned::Comment(" hello".into()),
                ev("panda", "{\"a\": 1}\n\u{1F43C}", "1"),
                Owned::Retry(250),
                ev("message", "", "1"),
                ev("message", " x", ""),
                ev("message", "\u{e9}\u{e9}", ""),
            ]
        );
    }

    #[test]
    fn random_streams_and_random_multi_way_splits_agree() {
        const PIECES: [&[u8]; 20] = [
            b"data",
            b"data:",
            b"data: ",
            b"event: t",
            b"id: ",
            b"id",
            b"retry: 12",
            b"retry: x",
            b":",
            b" ",
            b"\r",
            b"\n",
            b"\r\n",
            b"\xEF\xBB\xBF",
            b"\xF0\x9F\x90\xBC",
            b"\xE2\x82",
            b"\xFF",
            b"x",
            b"\0",
            b"e",
        ];
        random_cuts_agree(0x9E37_79B9_7F4A_7C15, &PIECES, 400, 40, 6);
    }

    /// Streams longer than the scanner's 64-byte blocks, with events whose data is one
    /// line (handed out from the chunk) or several: whole, byte by byte and cut at random
    /// points, always the same items.
    #[test]
    fn long_streams_agree_however_they_are_cut() {
        const PIECES: [&[u8]; 14] = [
            b"data: {\"seq\":1,\"msg\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n",
            b"data: short\n",
            b"data:\n",
            b"id: 42\n",
            b"event: update\n",
            b"\n",
            b"\r\n",
            b"\r",
            b": keep-alive comment that is fairly long, long enough to cross a block\n",
            b"retry: 300\n",
            b"data: caf\xC3\xA9 \xF0\x9F\x90\xBC\n",
            b"data: bad \xFF byte\n",
            b"da",
            b"ta: x",
        ];
        random_cuts_agree(0x0123_4567_89AB_CDEF, &PIECES, 60, 300, 12);
    }

    /// `streams` random streams of up to `max_pieces` of `pieces`, each parsed whole,
    /// byte by byte, and cut 20 times at up to `max_cuts` random points: always the
    /// same items.
    fn random_cuts_agree(
        seed: u64,
        pieces: &[&[u8]],
        streams: usize,
        max_pieces: usize,
        max_cuts: usize,
    ) {
        let mut rng = crate::testing::Rng::new(seed);
        for _ in 0..streams {
            let mut bytes = Vec::new();
            for _ in 0..rng.below(max_pieces) {
                bytes.extend_from_slice(pieces[rng.below(pieces.len())]);
            }
            let whole = parse(&bytes);
            let singles: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(parse_chunks(&singles), whole, "byte by byte: {bytes:?}");
            // A limit near the lines' and events' sizes: where it fails is a property
            // of the bytes, so every split sees the same items, then the same error.
            let max = 1 + rng.below(2 * bytes.len().min(200) + 1);
            let limited = parse_limited(&[&bytes], max);
            assert_eq!(
                parse_limited(&singles, max),
                limited,
                "byte by byte, limit {max}: {bytes:?}"
            );
            for _ in 0..20 {
                let mut cuts: Vec<usize> = (0..rng.below(max_cuts))
                    .map(|_| rng.below(bytes.len() + 1))
                    .collect();
                cuts.sort_unstable();
                let mut parts = Vec::new();
                let mut last = 0;
                for cut in cuts {
                    parts.push(&bytes[last..cut]);
                    last = cut;
                }
                parts.push(&bytes[last..]);
                assert_eq!(parse_chunks(&parts), whole, "{bytes:?} cut as {parts:?}");
                assert_eq!(
                    parse_limited(&parts, max),
                    limited,
                    "limit {max}: {bytes:?} cut as {parts:?}"
                );
                assert_eq!(
                    parse_stopping(&parts),
                    whole,
                    "stopping after each item: {bytes:?} cut as {parts:?}"
                );
            }
        }
    }

    #[test]
    fn oversized_lines_and_events_are_errors_not_growth() {
        let mut parser = Parser::new(16);
        assert_eq!(
            parser.feed_each(b"data: 0123456789abcdef\n", |_| {}),
            Err(ParseError::TooLarge { limit: 16 })
        );
        // The same when the data arrives in pieces that never end the line.
        let mut parser = Parser::new(16);
        let mut result = Ok(());
        for _ in 0..10 {
            result = result.and_then(|_| parser.feed_each(b"data: 0123", |_| {}));
        }
        assert_eq!(result, Err(ParseError::TooLarge { limit: 16 }));
        // Many data lines that add up past the limit.
        let mut parser = Parser::new(16);
        assert!(parser
            .feed_each(b"data: 12345\ndata: 12345\ndata: 12345\n", |_| {})
            .is_err());
        // A long comment or field name never ends its line.
        let mut parser = Parser::new(16);
        let mut result = Ok(());
        for _ in 0..10 {
            result = result.and_then(|_| parser.feed_each(b": 01234", |_| {}));
        }
        assert!(result.is_err());
        // Just under the limit is fine.
        let mut parser = Parser::new(16);
        let mut got = Vec::new();
        parser
            .feed_each(b"data: 0123456789\n\n", |i| got.push(own(i)))
            .unwrap();
        assert_eq!(got, vec![ev("message", "0123456789", "")]);
    }

    #[test]
    fn the_limit_counts_the_whole_line_however_it_was_read() {
        // "data: " + 12 bytes is an 18-byte line: over a 16-byte limit, whole or cut
        // after the field name (the data alone, 12 bytes, would fit).
        let line = b"data: 0123456789ab\n\n";
        for cut in 0..=line.len() {
            let (items, failed) = parse_limited(&[&line[..cut], &line[cut..]], 16);
            assert!(failed && items.is_empty(), "cut at {cut}");
        }
        // Data lines each within the limit whose data together is over it.
        let two = b"data: 01234567\ndata: 01234567\n\n";
        assert_eq!(parse_limited(&[two], 16), (vec![], true));
        assert_eq!(
            parse_limited(&[b"data: 01234567\ndata: 0123456\n\n"], 16),
            (vec![ev("message", "01234567\n0123456", "")], false),
            "16 bytes of data joined with LF fit"
        );
        // A BOM is not part of the first line.
        assert_eq!(
            parse_limited(&[b"\xEF\xBB\xBFdata: 0123456789\n\n"], 16),
            (vec![ev("message", "0123456789", "")], false)
        );
    }

    #[test]
    fn a_stop_ends_feed_at_the_item_and_says_where() {
        let bytes = b"\xEF\xBB\xBFdata: a\n\n: c\r\ndata: b\n\n";
        let mut parser = Parser::default();
        let mut got = Vec::new();
        let fed = parser.feed(bytes, |i| {
            let stop = matches!(i, Item::Event(_));
            if let Item::Event(e) = &i {
                assert_eq!(e.end, 12, "offsets count the BOM");
            }
            got.push(own(i));
            Ok::<_, ParseError>(if stop { Flow::Stop } else { Flow::Continue })
        });
        assert_eq!(fed, Ok(Fed::Stopped(12)));
        assert_eq!(got, vec![ev("message", "a", "")]);
        // Nothing after the stop was parsed: an oversize event there is not an error.
        let mut parser = Parser::new(8);
        let fed = parser.feed(b"data: a\n\ndata: 0123456789\n\n", |_| {
            Ok::<_, ParseError>(Flow::Stop)
        });
        assert_eq!(fed, Ok(Fed::Stopped(9)));
        // An error from the callback ends feed with it.
        let fed: Result<Fed, ParseError> = Parser::default().feed(b": x\ndata: y\n\n", |_| {
            Err(ParseError::TooLarge { limit: 1 })
        });
        assert_eq!(fed, Err(ParseError::TooLarge { limit: 1 }));
    }

    #[test]
    fn a_long_data_line_streams_into_the_data_buffer() {
        let mut parser = Parser::default();
        let mut got = Vec::new();
        parser.feed_each(b"da", |_| {}).unwrap();
        parser.feed_each(b"ta:", |_| {}).unwrap();
        assert!(
            parser.line.is_empty(),
            "a data line is not held in the line buffer"
        );
        parser.feed_each(b" abc", |_| {}).unwrap();
        parser.feed_each(b"def", |_| {}).unwrap();
        parser.feed_each(b"\r", |_| {}).unwrap();
        parser.feed_each(b"\n\n", |i| got.push(own(i))).unwrap();
        assert_eq!(got, vec![ev("message", "abcdef", "")]);
    }

    #[test]
    fn ignored_lines_are_told_only_when_asked() {
        let stream = b"evnet: x\nretry: 1s\ndata: a\n\n";
        let mut told = Vec::new();
        let mut parser = Parser::default().reporting_ignored(true);
        parser.feed_each(stream, |i| told.push(own(i))).unwrap();
        assert_eq!(
            told,
            vec![
                Owned::Ignored("evnet: x".into()),
                Owned::Ignored("retry: 1s".into()),
                ev("message", "a", ""),
            ]
        );
        assert_eq!(parse_chunks(&[stream]), vec![ev("message", "a", "")]);
    }
}
