//! What reads one stream's bytes into items: the event-stream parser, or a JSON stream
//! reader (`--format`, or the Content-Type) giving each value as an event. The pump,
//! the recording and the printers see the same items either way.

use super::settings::Framing;
use crate::parser::json_stream::JsonStream;
use crate::parser::{Fed, Flow, Item, ParseError, Parser};

pub(super) enum Reader {
    Sse(Parser),
    Json {
        stream: JsonStream,
        /// JSON values carry no id: what a reconnection sends stays what it was.
        last_event_id: String,
    },
}

impl Reader {
    /// A reader for a new stream framed as `framing` (`ByContentType` reads SSE).
    pub(super) fn new(framing: Framing, max: usize, last_event_id: &str, verbose: bool) -> Self {
        match framing {
            Framing::Json(format) => Reader::Json {
                stream: JsonStream::new(format, max),
                last_event_id: last_event_id.to_string(),
            },
            Framing::Sse | Framing::ByContentType => Reader::Sse(
                Parser::new(max)
                    .with_last_event_id(last_event_id)
                    .reporting_ignored(verbose),
            ),
        }
    }

    /// As [`Parser::feed`].
    pub(super) fn feed<E, F>(&mut self, chunk: &[u8], emit: F) -> Result<Fed, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        match self {
            Reader::Sse(parser) => parser.feed(chunk, emit),
            Reader::Json { stream, .. } => stream.feed(chunk, emit),
        }
    }

    /// The stream ended (not lost): for a JSON stream, a last line or value that no
    /// LF or comma ended is complete (see [`JsonStream::finish`]). An event stream's
    /// unfinished event is the standard's to discard.
    pub(super) fn finish<E, F>(&mut self, emit: F) -> Result<Fed, E>
    where
        E: From<ParseError>,
        F: FnMut(Item<'_>) -> Result<Flow, E>,
    {
        match self {
            Reader::Sse(_) => Ok(Fed::All),
            Reader::Json { stream, .. } => stream.finish(emit),
        }
    }

    /// The stream stopped inside an event (or a JSON value, or an array not closed).
    pub(super) fn mid_event(&self) -> bool {
        match self {
            Reader::Sse(parser) => parser.mid_event(),
            Reader::Json { stream, .. } => stream.mid_event(),
        }
    }

    /// What a reconnection sends as `Last-Event-ID`.
    pub(super) fn last_event_id(&self) -> &str {
        match self {
            Reader::Sse(parser) => parser.last_event_id(),
            Reader::Json { last_event_id, .. } => last_event_id,
        }
    }

    /// A JSON stream that ended inside a value or an array: where (`inside an NDJSON
    /// line`). An event stream ending inside an event is the standard's to discard: not
    /// a cut.
    pub(super) fn cut(&self) -> Option<&'static str> {
        match self {
            Reader::Json { stream, .. } => stream.unfinished(),
            Reader::Sse(_) => None,
        }
    }

    /// `-v`: what an unfinished stream lost.
    pub(super) fn unfinished(&self) -> Option<String> {
        match self {
            Reader::Sse(parser) if parser.mid_event() => Some(
                "the stream ended inside an event: lines arrived that no blank line ended, and the standard discards them (does the server end each event with an empty line?)".into(),
            ),
            Reader::Sse(_) => None,
            Reader::Json { stream, .. } => stream
                .unfinished()
                .map(|at| format!("the stream ended {at}")),
        }
    }
}
