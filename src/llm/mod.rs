//! What an LLM stream promises about its end, and the errors it sends inside a 200:
//! OpenAI chat completions (`data: [DONE]`), OpenAI Responses (`response.completed`,
//! `response.incomplete`; `response.failed` and `error` are errors), Anthropic
//! Messages (`message_stop`; `event: error`), Gemini (a candidate's `finishReason`;
//! `promptFeedback.blockReason`), Ollama's NDJSON (`"done": true`), and
//! `{"error": ...}` chunks of any of them.
//!
//! A stream is recognised from its first event of a known shape; one that is not is
//! left alone. The check costs a byte comparison per event of a stream that is not an
//! LLM's (data that does not start with `{`, an event type that is not one of theirs).
//! Events of a recognised stream are read for their pieces (`piece`), which the
//! summary measures (`metrics`); `--text` prints them, tool calls put together (`tools`).

mod metrics;
mod piece;
mod tools;

use std::time::Instant;

use serde_json::Value;

use crate::parser::EventRef;

pub use metrics::Metrics;
pub use piece::{pieces, Piece};
pub use tools::{Call, Tools, MAX_ARGUMENTS};

/// The shapes of stream that promise an end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
    Gemini,
    Ollama,
}

impl Shape {
    /// What the stream should have ended with.
    fn promise(self) -> &'static str {
        match self {
            Shape::OpenAiChat => "an OpenAI-style chat stream ends with `data: [DONE]`",
            Shape::OpenAiResponses => {
                "an OpenAI Responses stream ends with `response.completed` or `response.incomplete`"
            }
            Shape::Anthropic => "an Anthropic stream ends with `message_stop`",
            Shape::Gemini => "a Gemini stream ends with a candidate's `finishReason`",
            Shape::Ollama => "an Ollama stream ends with `\"done\": true`",
        }
    }
}

const ANTHROPIC: [&str; 7] = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
];

/// Characters of the last event kept to say where a cut stream stopped.
const LAST_SHOWN: usize = 80;

#[derive(Debug, Default, Clone)]
pub struct Watch {
    shape: Option<Shape>,
    ended: bool,
    /// The last event, shortened: `message {"choices":[...`.
    last: String,
    /// For the summary, across the run's streams.
    metrics: Metrics,
}

impl Watch {
    /// Sees one event; the error it reports, if it is one (type and message). A token's
    /// time is when it is seen here: within a read, events are seen microseconds apart.
    pub fn see(&mut self, ev: &EventRef<'_>) -> Option<String> {
        self.see_at(ev, Instant::now)
    }

    /// As [`Watch::see`], `now` asked for the time of an event that carried a token.
    pub fn see_at(&mut self, ev: &EventRef<'_>, now: impl FnOnce() -> Instant) -> Option<String> {
        let error = self.classify(ev);
        // Kept and read only where the stream is an LLM's, the last event in the same
        // buffer: other streams pay nothing per event for it.
        if self.shape.is_some() {
            shorten(ev, &mut self.last);
            self.metrics.add(&pieces(ev), now);
        }
        error
    }

    /// A new stream of the run (a reconnection): its end is watched afresh, while the
    /// summary's numbers go on.
    pub fn new_stream(&mut self) {
        self.shape = None;
        self.ended = false;
        self.last.clear();
        self.metrics.new_stream();
    }

    /// The summary's LLM line, when the run saw an LLM stream (see [`Metrics::line`]).
    pub fn summary(&self, origin: Instant, requested: bool) -> Option<String> {
        self.metrics.line(origin, requested)
    }

    fn classify(&mut self, ev: &EventRef<'_>) -> Option<String> {
        let kind = ev.event_type;
        if ev.data == "[DONE]" {
            self.shape.get_or_insert(Shape::OpenAiChat);
            self.ended = true;
            return None;
        }
        if ANTHROPIC.contains(&kind) {
            if kind != "ping" {
                self.shape.get_or_insert(Shape::Anthropic);
            }
            self.ended |= kind == "message_stop";
            return None;
        }
        if let Some(rest) = kind.strip_prefix("response.") {
            self.shape.get_or_insert(Shape::OpenAiResponses);
            match rest {
                "completed" | "incomplete" => self.ended = true,
                "failed" => {
                    self.ended = true;
                    let v = json(ev.data);
                    let error = v.as_ref().and_then(|v| v.get("response")?.get("error"));
                    return Some(describe(error, "response.failed"));
                }
                _ => {}
            }
            return None;
        }
        if kind == "error" {
            let v = json(ev.data);
            let error = v.as_ref().map(|v| v.get("error").unwrap_or(v));
            return Some(describe(error, "error"));
        }
        let data = ev.data.trim_start();
        if !data.starts_with('{') || !self.worth_parsing(data) {
            return None;
        }
        let v = json(data)?;
        if let Some(error) = v.get("error").filter(|e| !e.is_null()) {
            return Some(describe(Some(error), "error"));
        }
        if v.get("type").and_then(Value::as_str) == Some("error") {
            return Some(describe(Some(&v), "error"));
        }
        if v.get("choices").is_some()
            || v.get("object").and_then(Value::as_str) == Some("chat.completion.chunk")
        {
            self.shape.get_or_insert(Shape::OpenAiChat);
        } else if let Some(candidates) = v.get("candidates").and_then(Value::as_array) {
            self.shape.get_or_insert(Shape::Gemini);
            if candidates
                .iter()
                .any(|c| c.get("finishReason").is_some_and(|r| !r.is_null()))
            {
                self.ended = true;
            }
        } else if let Some(done) = ollama_done(&v) {
            self.shape.get_or_insert(Shape::Ollama);
            self.ended |= done;
        }
        if let Some(block) = v
            .get("promptFeedback")
            .and_then(|f| f.get("blockReason"))
            .and_then(Value::as_str)
        {
            return Some(format!("the prompt was blocked: {block}"));
        }
        None
    }

    /// Whether JSON data may say something here: parsed only when a marker is in it.
    fn worth_parsing(&self, data: &str) -> bool {
        let shape_marker = match self.shape {
            None => {
                data.contains("\"choices\"")
                    || data.contains("\"candidates\"")
                    || data.contains("chat.completion.chunk")
                    || data.contains("\"done\"")
            }
            Some(Shape::Gemini) => data.contains("finishReason"),
            Some(Shape::Ollama) => data.contains("\"done\""),
            Some(_) => false,
        };
        shape_marker || data.contains("\"error\"") || data.contains("promptFeedback")
    }

    /// The shape recognised so far, if any.
    pub fn shape(&self) -> Option<Shape> {
        self.shape
    }

    /// The stream ended here: what it promised and did not send, if anything.
    pub fn cut(&self) -> Option<String> {
        let shape = self.shape?;
        if self.ended {
            return None;
        }
        Some(format!(
            "the stream was cut before its end: {}, and the last event was {}",
            shape.promise(),
            self.last
        ))
    }
}

/// An Ollama chunk (`/api/chat`'s `message` or `/api/generate`'s `response`, beside a
/// boolean `done`): whether it is the last.
fn ollama_done(v: &Value) -> Option<bool> {
    let done = v.get("done")?.as_bool()?;
    (v.get("message").is_some() || v.get("response").is_some()).then_some(done)
}

fn json(data: &str) -> Option<Value> {
    serde_json::from_str(data).ok()
}

/// `overloaded_error: Overloaded`, from an error object (OpenAI's and Anthropic's
/// both have `type`/`code` and `message`).
fn describe(error: Option<&Value>, fallback: &str) -> String {
    // Ollama's errors are a bare string: `{"error":"an error was encountered..."}`.
    if let Some(message) = error.and_then(Value::as_str) {
        return format!("the stream reported an error: {message}");
    }
    let text = |k: &str| error.and_then(|e| e.get(k)).and_then(Value::as_str);
    let kind = text("type")
        .filter(|t| *t != "error")
        .or_else(|| text("code"))
        .unwrap_or(fallback);
    match text("message") {
        Some(message) => format!("the stream reported an error: {kind}: {message}"),
        None => format!("the stream reported an error: {kind}"),
    }
}

/// `` `type` data`` into `into`, the data cut to [`LAST_SHOWN`] characters.
fn shorten(ev: &EventRef<'_>, into: &mut String) {
    into.clear();
    into.push('`');
    into.push_str(ev.event_type);
    into.push_str("` ");
    let cut = ev
        .data
        .char_indices()
        .nth(LAST_SHOWN)
        .map_or(ev.data.len(), |(at, _)| at);
    into.push_str(&ev.data[..cut]);
    if cut < ev.data.len() {
        into.push_str("...");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(event_type: &'a str, data: &'a str) -> EventRef<'a> {
        EventRef::with(event_type, data, "")
    }

    fn watch(events: &[(&str, &str)]) -> (Watch, Vec<String>) {
        let mut w = Watch::default();
        let errors = events
            .iter()
            .filter_map(|(t, d)| w.see(&ev(t, d)))
            .collect();
        (w, errors)
    }

    #[test]
    fn an_openai_chat_stream_without_done_is_cut() {
        let chunk = r#"{"object":"chat.completion.chunk","choices":[{"delta":{"content":"The"}}]}"#;
        let (w, errors) = watch(&[("message", chunk), ("message", chunk)]);
        assert!(errors.is_empty());
        let cut = w.cut().unwrap();
        assert!(
            cut.contains("`data: [DONE]`")
                && cut.contains("the last event was `message` {\"object\""),
            "{cut}"
        );
        let (w, _) = watch(&[("message", chunk), ("message", "[DONE]")]);
        assert_eq!(w.cut(), None);
    }

    #[test]
    fn ends_of_anthropic_responses_and_gemini() {
        let (w, _) = watch(&[("message_start", "{}"), ("content_block_delta", "{}")]);
        assert!(w.cut().unwrap().contains("message_stop"));
        let (w, _) = watch(&[("message_start", "{}"), ("message_stop", "{}")]);
        assert_eq!(w.cut(), None);
        let (w, _) = watch(&[
            ("response.created", "{}"),
            ("response.output_text.delta", "{}"),
        ]);
        assert!(w.cut().unwrap().contains("response.completed"));
        let (w, _) = watch(&[("response.created", "{}"), ("response.incomplete", "{}")]);
        assert_eq!(w.cut(), None);
        let part = r#"{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}"#;
        let last = r#"{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"STOP"}]}"#;
        let (w, _) = watch(&[("message", part)]);
        assert!(w.cut().unwrap().contains("finishReason"));
        let (w, _) = watch(&[("message", part), ("message", last)]);
        assert_eq!(w.cut(), None);
        let chat = r#"{"model":"m","message":{"role":"assistant","content":"a"},"done":false}"#;
        let last = r#"{"model":"m","message":{"role":"assistant","content":""},"done":true}"#;
        let (w, _) = watch(&[("message", chat)]);
        let cut = w.cut().unwrap();
        assert!(
            cut.contains("an Ollama stream ends with `\"done\": true`"),
            "{cut}"
        );
        let (w, _) = watch(&[("message", chat), ("message", last)]);
        assert_eq!(w.cut(), None);
        let generate = r#"{"model":"m","response":"","done":true}"#;
        let (w, _) = watch(&[("message", generate)]);
        assert_eq!(w.cut(), None);
        // Not an LLM stream: nothing promised.
        let (w, _) = watch(&[("message", "tick 1"), ("update", "{\"n\":1}")]);
        assert_eq!(w.cut(), None);
        // A ping alone says nothing.
        let (w, _) = watch(&[("ping", "{}")]);
        assert_eq!(w.cut(), None);
    }

    #[test]
    fn errors_inside_a_200_are_errors() {
        let anthropic =
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let (_, errors) = watch(&[("message_start", "{}"), ("error", anthropic)]);
        assert_eq!(
            errors,
            ["the stream reported an error: overloaded_error: Overloaded"]
        );
        let openai =
            r#"{"error":{"message":"The server had an error","type":"server_error","code":null}}"#;
        let (_, errors) = watch(&[("message", openai)]);
        assert_eq!(
            errors,
            ["the stream reported an error: server_error: The server had an error"]
        );
        let failed = r#"{"type":"response.failed","response":{"error":{"code":"server_error","message":"boom"}}}"#;
        let (w, errors) = watch(&[("response.created", "{}"), ("response.failed", failed)]);
        assert_eq!(errors, ["the stream reported an error: server_error: boom"]);
        assert_eq!(w.cut(), None);
        let blocked = r#"{"promptFeedback":{"blockReason":"SAFETY"}}"#;
        let (_, errors) = watch(&[("message", blocked)]);
        assert_eq!(errors, ["the prompt was blocked: SAFETY"]);
        let ollama = r#"{"error":"an error was encountered while running the model"}"#;
        let (_, errors) = watch(&[("message", ollama)]);
        assert_eq!(
            errors,
            ["the stream reported an error: an error was encountered while running the model"]
        );
        // A field named error that is null is not one.
        let (_, errors) = watch(&[("message", r#"{"choices":[],"error":null}"#)]);
        assert!(errors.is_empty());
    }

    #[test]
    fn the_summary_measures_an_llm_stream_from_its_first_content_token() {
        let t0 = Instant::now();
        let mut w = Watch::default();
        let events = [
            (
                100,
                r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#,
            ),
            (
                250,
                r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#,
            ),
            (
                300,
                r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
            ),
            (
                310,
                r#"{"object":"chat.completion.chunk","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#,
            ),
            (320, "[DONE]"),
        ];
        for (ms, data) in events {
            w.see_at(&ev("message", data), || {
                t0 + std::time::Duration::from_millis(ms)
            });
        }
        assert_eq!(
            w.summary(t0, true).unwrap(),
            "LLM: finish reason stop; tokens 5 in, 2 out; first token 250 ms from the request"
        );
        // Another stream: no summary line, and the clock is never asked.
        let mut w = Watch::default();
        for data in ["tick", r#"{"n":1}"#, r#"{"content":"x"}"#] {
            w.see_at(&ev("message", data), || unreachable!("not an LLM stream"));
        }
        assert_eq!(w.summary(t0, true), None);
    }
}
