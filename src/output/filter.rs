//! `--jq FILTER` (each result on a line, coloured as jq colours it) and `--text
//! [FILTER]` (string results joined as they come): two printers that run a filter and
//! report its failures the same way.

use std::borrow::Cow;
use std::io;

use super::aside::Aside;
use super::jsonview::{Palette, View};
use super::{Arrival, Look, Out, Printer};
use crate::escape::{self, Lines};
use crate::jq::{Jq, Output};
use crate::llm::{self, Piece};
use crate::parser::EventRef;

/// Characters of a filter error shown: jq's messages quote the value they failed on,
/// which may be a whole event of megabytes.
const FILTER_ERROR_SHOWN: usize = 300;

/// `s` cut to `max` characters, with a mark where it was cut.
pub(super) fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((at, _)) => Cow::Owned(format!("{} [...]", &s[..at])),
        None => Cow::Borrowed(s),
    }
}

/// A filter and its failures: the first is a notice, the rest are counted and told at
/// the end of the stream.
struct Filter {
    jq: Jq,
    /// `--jq` or `--text`, for the notices.
    flag: &'static str,
    /// Events given to the filter, counting from 1 (named in its errors).
    seen: u64,
    errors: u64,
    /// stdout is a terminal: control characters in results are escaped.
    terminal: bool,
}

impl Filter {
    fn new(jq: Jq, flag: &'static str, look: &Look) -> Filter {
        Filter {
            jq,
            flag,
            seen: 0,
            errors: 0,
            terminal: look.terminal,
        }
    }

    fn code(&self) -> String {
        let code = self.jq.code();
        if code == crate::jq::LLM_TEXT {
            "(the built-in LLM text filter)".to_string()
        } else {
            format!("'{}'", escape::line(code))
        }
    }

    /// Runs the filter on `ev`, giving each result to `emit`; a failure becomes a notice.
    fn run(
        &mut self,
        out: &mut Out,
        ev: &EventRef<'_>,
        mut emit: impl FnMut(&mut Out, Output) -> io::Result<()>,
    ) -> io::Result<()> {
        self.seen += 1;
        let result = self.jq.run(ev, |o| emit(out, o))?;
        if let Err(msg) = result {
            self.errors += 1;
            if self.errors == 1 {
                let id = if ev.id.is_empty() {
                    String::new()
                } else {
                    format!(", id {}", escape::line(ev.id))
                };
                out.notice(format!(
                    "{} {}: event {} (type {}{id}): {} (further errors are counted, not shown)",
                    self.flag,
                    self.code(),
                    self.seen,
                    escape::line(ev.event_type),
                    escape::line(&shorten(&msg, FILTER_ERROR_SHOWN))
                ));
            }
        }
        Ok(())
    }

    /// The stream ended: how many more events failed than the one reported.
    fn end(&mut self, out: &mut Out) {
        if self.errors > 1 {
            let more = self.errors - 1;
            out.notice(format!(
                "{} {}: {} failed the filter",
                self.flag,
                self.code(),
                more_events(more)
            ));
            self.errors = 1;
        }
    }
}

/// `1 more event`, `3 more events`.
fn more_events(n: u64) -> String {
    format!("{n} more event{}", if n == 1 { "" } else { "s" })
}

/// `--jq FILTER`: each result on its own line.
pub struct JqLines {
    filter: Filter,
    /// Colours for JSON results, when colour is on.
    colors: Option<Palette>,
}

impl JqLines {
    pub fn new(jq: Jq, look: &Look) -> JqLines {
        JqLines {
            filter: Filter::new(jq, "--jq", look),
            colors: look.color.then(|| Palette::new(true)),
        }
    }
}

impl Printer for JqLines {
    fn event(&mut self, out: &mut Out, ev: &EventRef<'_>, _: &Arrival) -> io::Result<()> {
        let colors = self.colors;
        let terminal = self.filter.terminal;
        self.filter.run(out, ev, |out, o| {
            if let (Output::Json(json), Some(colors)) = (&o, &colors) {
                // As jq colours its results (strings stay raw, as jq -r prints them);
                // the view escapes controls inside strings.
                if let Some(view) = View::parse(json) {
                    view.write_compact(&mut out.buf, colors)?;
                    out.buf.push(b"\n");
                    return Ok(());
                }
            }
            let s = match &o {
                Output::Text(s) | Output::Json(s) => s.as_str(),
                Output::Null => "null",
            };
            let s = if terminal {
                escape::controls(s, Lines::Keep)
            } else {
                s.into()
            };
            out.buf.push(s.as_bytes());
            out.buf.push(b"\n");
            Ok(())
        })
    }

    fn end(&mut self, out: &mut Out) -> io::Result<()> {
        self.filter.end(out);
        Ok(())
    }
}

/// `--text [FILTER]`: string results joined as they come (an answer's tokens), the
/// line ended where the stream ends. Without a filter, the LLM shapes are read here
/// (`llm::pieces`): the answer on stdout, reasoning and tool calls on stderr (`Aside`).
pub struct Text {
    filter: Filter,
    answer: Answer,
    /// The built-in filter's stderr side; `None` with a filter given.
    aside: Option<Aside>,
    /// Some event was of a shape the built-in filter knows (for "not recognised").
    recognised: bool,
    /// "not recognised" was said.
    told: bool,
}

/// The answer on stdout.
struct Answer {
    /// Text was written that no newline has ended yet.
    mid_line: bool,
    /// Some text was written.
    wrote: bool,
    /// stdout is a terminal: control characters are escaped.
    terminal: bool,
}

impl Answer {
    fn write(&mut self, out: &mut Out, s: &str) {
        let s = if self.terminal {
            escape::controls(s, Lines::Keep)
        } else {
            s.into()
        };
        out.buf.push(s.as_bytes());
        if !s.is_empty() {
            self.mid_line = !s.ends_with('\n');
            self.wrote = true;
        }
    }
}

impl Text {
    /// `stderr_tty`: stderr is a terminal (reasoning is dimmed there when colour is on).
    pub fn new(jq: Jq, look: &Look, stderr_tty: bool) -> Text {
        let builtin = jq.code() == crate::jq::LLM_TEXT;
        Text {
            filter: Filter::new(jq, "--text", look),
            answer: Answer {
                mid_line: false,
                wrote: false,
                terminal: look.terminal,
            },
            aside: builtin.then(|| Aside::new(look, stderr_tty)),
            recognised: false,
            told: false,
        }
    }

    /// The built-in filter: each piece of the event where it belongs.
    fn pieces(&mut self, out: &mut Out, ev: &EventRef<'_>) {
        self.filter.seen += 1;
        let Some(aside) = &mut self.aside else {
            return;
        };
        let pieces = llm::pieces(ev);
        self.recognised |= !pieces.is_empty();
        for piece in &pieces {
            match piece {
                Piece::Text(s) => {
                    if !s.is_empty() {
                        aside.before_answer(out);
                    }
                    self.answer.write(out, s);
                }
                other => aside.piece(out, other, self.answer.mid_line),
            }
        }
    }
}

impl Printer for Text {
    fn event(&mut self, out: &mut Out, ev: &EventRef<'_>, _: &Arrival) -> io::Result<()> {
        if self.aside.is_some() {
            self.pieces(out, ev);
            return Ok(());
        }
        let answer = &mut self.answer;
        self.filter.run(out, ev, |out, o| {
            if let Output::Text(s) | Output::Json(s) = &o {
                answer.write(out, s);
            }
            Ok(())
        })
    }

    fn end(&mut self, out: &mut Out) -> io::Result<()> {
        if let Some(aside) = &mut self.aside {
            aside.end(out, self.answer.mid_line);
        }
        if self.answer.mid_line {
            out.buf.push(b"\n");
            self.answer.mid_line = false;
        }
        self.filter.end(out);
        // The built-in filter found no text in a whole stream of events: say so once,
        // rather than end with nothing and exit 0 as if the answer were empty.
        if self.aside.is_some() && !self.recognised && !self.told && self.filter.seen > 0 {
            self.told = true;
            out.notice(format!(
                "--text: {} without text in a shape it knows (OpenAI chat or Responses, Anthropic, Gemini, Ollama); give the filter for this stream: --text=FILTER",
                match self.filter.seen {
                    1 => "the event came".to_string(),
                    n => format!("all {n} events came"),
                }
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(data: &'a str) -> EventRef<'a> {
        EventRef::with("message", data, "")
    }

    const ARRIVAL: Arrival = Arrival {
        wall: std::time::UNIX_EPOCH,
        gap: std::time::Duration::ZERO,
        connection: 1,
        read: 1,
    };

    #[test]
    fn a_filter_error_shows_the_start_of_a_huge_value() {
        let mut printer = JqLines::new(Jq::compile(".a").unwrap(), &Look::plain());
        let data = format!("\"{}\"", "x".repeat(1 << 20));
        let mut out = Out::default();
        printer.event(&mut out, &ev(&data), &ARRIVAL).unwrap();
        let notices: Vec<String> = out.notices().collect();
        assert_eq!(notices.len(), 1);
        let notice = &notices[0];
        assert!(
            notice.contains("cannot index") && notice.contains("xxx [...]"),
            "{notice}"
        );
        assert!(notice.len() < 500, "{} bytes", notice.len());
        assert_eq!(shorten("héllo", 2), "hé [...]");
        assert_eq!(shorten("héllo", 5), "héllo");
    }

    #[test]
    fn further_errors_are_counted_at_the_end() {
        let mut printer = Text::new(Jq::compile(".a").unwrap(), &Look::plain(), false);
        let mut out = Out::default();
        for data in ["1", "{\"a\":\"x\"}", "2", "3"] {
            printer.event(&mut out, &ev(data), &ARRIVAL).unwrap();
        }
        printer.end(&mut out).unwrap();
        let notices: Vec<String> = out.notices().collect();
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices[0].starts_with("--text '.a': event 1 (type message)"));
        assert_eq!(notices[1], "--text '.a': 2 more events failed the filter");
        assert_eq!(out.buf.as_bytes(), b"x\n");
    }

    #[test]
    fn the_built_in_text_filter_says_once_when_it_finds_no_text() {
        let llm = Jq::compile(crate::jq::LLM_TEXT).unwrap();
        let mut printer = Text::new(llm.clone(), &Look::plain(), false);
        let mut out = Out::default();
        for data in ["{\"n\":1}", "{\"n\":2}"] {
            printer.event(&mut out, &ev(data), &ARRIVAL).unwrap();
        }
        printer.end(&mut out).unwrap();
        printer.end(&mut out).unwrap();
        let notices: Vec<String> = out.notices().collect();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].starts_with("--text: all 2 events came without text"));
        // A stream it knows: nothing to say.
        let mut printer = Text::new(llm, &Look::plain(), false);
        let chunk = r#"{"choices":[{"delta":{"content":"hi"}}]}"#;
        printer.event(&mut out, &ev(chunk), &ARRIVAL).unwrap();
        printer.end(&mut out).unwrap();
        assert_eq!(out.notices().count(), 0);
    }

    /// The built-in `--text` over `events` (type, data): (stdout, stderr).
    fn text_of(events: &[(&str, &str)]) -> (String, String) {
        let llm = Jq::compile(crate::jq::LLM_TEXT).unwrap();
        let mut printer = Text::new(llm, &Look::plain(), false);
        let mut out = Out::default();
        let mut err = String::new();
        let mut said = |out: &mut Out| {
            for (_, s) in out.said() {
                match s {
                    super::super::Said::Text(t) => err.push_str(&t),
                    super::super::Said::Notice(t) => err.push_str(&format!("sse: {t}\n")),
                }
            }
        };
        for (event_type, data) in events {
            let ev = EventRef {
                event_type,
                ..ev(data)
            };
            printer.event(&mut out, &ev, &ARRIVAL).unwrap();
            said(&mut out);
        }
        printer.end(&mut out).unwrap();
        said(&mut out);
        (String::from_utf8(out.buf.as_bytes().to_vec()).unwrap(), err)
    }

    #[test]
    fn openai_chat_reasoning_goes_to_stderr_and_parallel_tool_calls_are_told_whole() {
        let chunk = |delta: &str| {
            format!(
                r#"{{"object":"chat.completion.chunk","choices":[{{"index":0,"delta":{delta},"finish_reason":null}}]}}"#
            )
        };
        let events = [
            chunk(r#"{"role":"assistant","content":""}"#),
            chunk(r#"{"reasoning_content":"Two cities,"}"#),
            chunk(r#"{"reasoning_content":" two calls."}"#),
            chunk(r#"{"content":"Checking."}"#),
            chunk(r#"{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"get_weather","arguments":""}}]}"#),
            chunk(r#"{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_weather","arguments":""}}]}"#),
            chunk(r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]}"#),
            chunk(r#"{"tool_calls":[{"index":1,"function":{"arguments":"{\"city\":\"Oslo\"}"}}]}"#),
            chunk(r#"{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]}"#),
            r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"#.to_string(),
        ];
        let events: Vec<(&str, &str)> = events.iter().map(|d| ("message", d.as_str())).collect();
        let (out, err) = text_of(&events);
        assert_eq!(out, "Checking.\n");
        assert_eq!(
            err,
            "Two cities, two calls.\n\
             tool call get_weather {\"city\":\"Paris\"} (id call_a)\n\
             tool call get_weather {\"city\":\"Oslo\"} (id call_b)\n"
        );
    }

    #[test]
    fn anthropic_thinking_goes_to_stderr_and_a_tool_use_block_is_told_at_its_stop() {
        let (out, err) = text_of(&[
            (
                "message_start",
                r#"{"type":"message_start","message":{"id":"msg_1","role":"assistant","content":[],"usage":{"input_tokens":12,"output_tokens":1}}}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Weather: call the tool.\n"}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":0}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Let me check."}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":1}"#,
            ),
            (
                "content_block_start",
                r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}}"#,
            ),
            (
                "content_block_delta",
                r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}}"#,
            ),
            (
                "content_block_stop",
                r#"{"type":"content_block_stop","index":2}"#,
            ),
            (
                "message_delta",
                r#"{"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":40}}"#,
            ),
            ("message_stop", r#"{"type":"message_stop"}"#),
        ]);
        assert_eq!(out, "Let me check.\n");
        assert_eq!(
            err,
            "Weather: call the tool.\ntool call get_weather {\"city\":\"Paris\"} (id toolu_1)\n"
        );
    }

    #[test]
    fn responses_reasoning_and_a_function_call_and_gemini_thoughts() {
        let (out, err) = text_of(&[
            (
                "response.reasoning_summary_text.delta",
                r#"{"type":"response.reasoning_summary_text.delta","output_index":0,"delta":"**Plan**","sequence_number":3}"#,
            ),
            (
                "response.output_item.added",
                r#"{"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":""},"sequence_number":4}"#,
            ),
            (
                "response.function_call_arguments.delta",
                r#"{"type":"response.function_call_arguments.delta","output_index":1,"item_id":"fc_1","delta":"{\"city\":","sequence_number":5}"#,
            ),
            (
                "response.function_call_arguments.delta",
                r#"{"type":"response.function_call_arguments.delta","output_index":1,"item_id":"fc_1","delta":"\"Par","sequence_number":6}"#,
            ),
            (
                "response.function_call_arguments.done",
                r#"{"type":"response.function_call_arguments.done","output_index":1,"item_id":"fc_1","arguments":"{\"city\":\"Par","sequence_number":7}"#,
            ),
        ]);
        assert_eq!(out, "");
        assert!(
            err.starts_with("**Plan**\ntool call get_weather (id call_1): the arguments are not valid JSON (EOF while parsing"),
            "{err}"
        );
        let (out, err) = text_of(&[
            (
                "message",
                r#"{"candidates":[{"content":{"parts":[{"text":"The user asks","thought":true}],"role":"model"}}]}"#,
            ),
            (
                "message",
                r#"{"candidates":[{"content":{"parts":[{"text":"Paris."}],"role":"model"},"finishReason":"STOP"}]}"#,
            ),
        ]);
        assert_eq!(
            (out.as_str(), err.as_str()),
            ("Paris.\n", "The user asks\n")
        );
    }

    #[test]
    fn the_built_in_filter_and_the_pieces_agree_on_the_answer() {
        let llm = Jq::compile(crate::jq::LLM_TEXT).unwrap();
        for data in [
            r#"{"choices":[{"index":0,"delta":{"content":"a","reasoning_content":"r"}}]}"#,
            r#"{"type":"response.output_text.delta","delta":"b"}"#,
            r#"{"type":"response.reasoning_text.delta","delta":"r"}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"c"}}"#,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"r"}}"#,
            r#"{"candidates":[{"content":{"parts":[{"text":"r","thought":true},{"text":"d"}]}}]}"#,
            r#"{"model":"m","message":{"role":"assistant","content":"e","thinking":"r"},"done":false}"#,
            r#"{"model":"m","response":"f","done":true}"#,
        ] {
            let mut jq = Vec::new();
            llm.run(&ev(data), |o| {
                if let Output::Text(s) = o {
                    jq.push(s);
                }
                Ok::<(), ()>(())
            })
            .unwrap()
            .unwrap();
            let pieces: Vec<String> = llm::pieces(&ev(data))
                .into_iter()
                .filter_map(|p| match p {
                    Piece::Text(s) => Some(s),
                    _ => None,
                })
                .collect();
            assert_eq!(jq, pieces, "{data}");
        }
    }
}
