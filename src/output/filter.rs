//! `--jq FILTER` (each result on a line, coloured as jq colours it) and `--text
//! [FILTER]` (string results joined as they come): two printers that run a filter and
//! report its failures the same way.

use std::borrow::Cow;
use std::io;

use super::jsonview::{Palette, View};
use super::{Arrival, Look, Out, Printer};
use crate::escape::{self, Lines};
use crate::jq::{Jq, Output};
use crate::parser::EventRef;

/// Characters of a filter error shown: jq's messages quote the value they failed on,
/// which may be a whole event of megabytes.
const FILTER_ERROR_SHOWN: usize = 300;

/// `s` cut to `max` characters, with a mark where it was cut.
fn shorten(s: &str, max: usize) -> Cow<'_, str> {
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
/// line ended where the stream ends.
pub struct Text {
    filter: Filter,
    /// Text was written that no newline has ended yet.
    mid_line: bool,
    /// Some text was written (for the built-in filter's "not recognised").
    wrote: bool,
    /// "not recognised" was said.
    told: bool,
}

impl Text {
    pub fn new(jq: Jq, look: &Look) -> Text {
        Text {
            filter: Filter::new(jq, "--text", look),
            mid_line: false,
            wrote: false,
            told: false,
        }
    }
}

impl Printer for Text {
    fn event(&mut self, out: &mut Out, ev: &EventRef<'_>, _: &Arrival) -> io::Result<()> {
        let mut mid_line = self.mid_line;
        let mut wrote = false;
        let terminal = self.filter.terminal;
        self.filter.run(out, ev, |out, o| {
            let s = match &o {
                Output::Text(s) | Output::Json(s) => s.as_str(),
                Output::Null => return Ok(()),
            };
            let s = if terminal {
                escape::controls(s, Lines::Keep)
            } else {
                s.into()
            };
            out.buf.push(s.as_bytes());
            if !s.is_empty() {
                mid_line = !s.ends_with('\n');
                wrote = true;
            }
            Ok(())
        })?;
        self.mid_line = mid_line;
        self.wrote |= wrote;
        Ok(())
    }

    fn end(&mut self, out: &mut Out) -> io::Result<()> {
        if self.mid_line {
            out.buf.push(b"\n");
            self.mid_line = false;
        }
        self.filter.end(out);
        // The built-in filter found no text in a whole stream of events: say so once,
        // rather than end with nothing and exit 0 as if the answer were empty.
        let builtin = self.filter.jq.code() == crate::jq::LLM_TEXT;
        if builtin && !self.wrote && !self.told && self.filter.seen > 0 {
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
        EventRef {
            event_type: "message",
            data,
            id: "",
            id_set: false,
            retry: None,
            end: 0,
        }
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
        let mut printer = Text::new(Jq::compile(".a").unwrap(), &Look::plain());
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
        let mut printer = Text::new(llm.clone(), &Look::plain());
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
        let mut printer = Text::new(llm, &Look::plain());
        let chunk = r#"{"choices":[{"delta":{"content":"hi"}}]}"#;
        printer.event(&mut out, &ev(chunk), &ARRIVAL).unwrap();
        printer.end(&mut out).unwrap();
        assert_eq!(out.notices().count(), 0);
    }
}
