//! What a script expects of a real server, read from the same script `sse serve`
//! plays: the response (`@status`, `@header`, `@body`), then per connection the events
//! in order, each with its time from the request (the `@sleep`s before it), and where
//! the server is expected to end the stream (`@close`, `@end`).

use std::path::Path;
use std::time::Duration;

use regex_bites::Regex;

use crate::error::Error;
use crate::jq::Jq;
use crate::parser::{Item, Parser};
use crate::serve::script::{Expect, Mark, Script, Step};

/// How an event's data is compared.
#[derive(Debug, Clone)]
pub enum DataMatch {
    /// Byte for byte (the default).
    Exact,
    /// `@jq FILTER`: the filter's first result is neither false nor null.
    Jq(Jq),
    /// `@regex RE`: the data matches RE somewhere (anchor it with `^` and `$`).
    Regex(Regex),
}

/// One expected event.
#[derive(Debug, Clone)]
pub struct Expected {
    /// The script line its block starts on.
    pub line: usize,
    pub event_type: String,
    pub data: String,
    /// The last event ID in force when it is dispatched, as a browser sees it.
    pub id: String,
    pub matcher: DataMatch,
    /// Its time after the connection's request, by the script's `@sleep`s.
    pub at: Duration,
    /// Its time after the previous event of the connection (or the request).
    pub gap: Duration,
    pub within: Option<Duration>,
    pub max_gap: Option<Duration>,
    pub repeat: bool,
    pub optional: bool,
}

/// The server ends the connection here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Close {
    /// The `@close` or `@end` line.
    pub line: usize,
    /// When, after the connection's request.
    pub at: Duration,
}

/// One connection: its events, and whether the script ends it.
#[derive(Debug, Clone, Default)]
pub struct Leg {
    pub expects: Vec<Expected>,
    pub close: Option<Close>,
}

/// The response every connection must get.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseSpec {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// `@body` lines, joined: the body of an error answer.
    pub body: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub response: ResponseSpec,
    pub legs: Vec<Leg>,
    /// `@end 204`: after the last close, a reconnection is answered 204.
    pub then_no_content: Option<usize>,
}

impl Plan {
    /// Expected events in all, for the summary.
    pub fn events(&self) -> usize {
        self.legs.iter().map(|l| l.expects.len()).sum()
    }
}

/// The directives waiting for the next event.
#[derive(Default)]
struct Pending {
    matcher: Option<(usize, DataMatch)>,
    within: Option<Duration>,
    repeat: bool,
    optional: bool,
    /// The first directive's line, for "no event follows".
    line: Option<usize>,
}

/// Reads `script` (from `path`, for errors) as a check's plan.
pub fn plan(script: &Script, path: &Path) -> Result<Plan, Error> {
    let err = |line: usize, msg: String| Error::Script {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let mut builder = Builder::default();
    let mut marks = script.marks.iter().peekable();
    for (i, step) in script.steps.iter().enumerate() {
        while let Some(mark) = marks.next_if(|m| m.step <= i) {
            builder.mark(mark).map_err(|msg| err(mark.line, msg))?;
        }
        builder.step(step, script.step_lines.get(i).copied().unwrap_or(0));
    }
    for mark in marks {
        builder.mark(mark).map_err(|msg| err(mark.line, msg))?;
    }
    if let Some(line) = builder.pending.line {
        return Err(err(
            line,
            "this directive is about the next event, and no event follows it".into(),
        ));
    }
    // What follows the last close is a connection only when it expects something.
    if builder.legs.is_empty() || !builder.leg.expects.is_empty() {
        builder.legs.push(builder.leg);
    }
    let legs: Vec<Leg> = builder.legs;
    let status = script.status.unwrap_or(200);
    if status != 200 && legs.iter().any(|l| !l.expects.is_empty()) {
        let line = legs.iter().flat_map(|l| &l.expects).map(|e| e.line).next();
        return Err(err(
            line.unwrap_or(0),
            format!("events after @status {status}: sse check expects a stream only with 200"),
        ));
    }
    Ok(Plan {
        response: ResponseSpec {
            status,
            headers: script.headers.clone(),
            body: (!script.body.is_empty()).then(|| script.body.join("\n")),
        },
        legs,
        then_no_content: builder.no_content,
    })
}

#[derive(Default)]
struct Builder {
    legs: Vec<Leg>,
    leg: Leg,
    /// Time since the leg's request.
    at: Duration,
    /// When the leg's previous event is due.
    last_at: Duration,
    /// One parser over the whole script: the id in force carries across connections,
    /// as a browser's last event ID does.
    parser: Parser,
    pending: Pending,
    max_gap: Option<Duration>,
    no_content: Option<usize>,
}

impl Builder {
    fn mark(&mut self, mark: &Mark) -> Result<(), String> {
        let pending = &mut self.pending;
        let about_next = !matches!(mark.expect, Expect::MaxGap(_) | Expect::End { .. });
        if about_next {
            pending.line.get_or_insert(mark.line);
        }
        match &mark.expect {
            Expect::Jq(code) | Expect::Regex(code) if pending.matcher.is_some() => {
                let first = pending.matcher.as_ref().map_or(0, |m| m.0);
                return Err(format!(
                    "a second @jq or @regex for the same event (the first is on line {first}): {code}"
                ));
            }
            Expect::Jq(code) => {
                let jq = Jq::compile(code).map_err(|e| format!("@jq {code}: {e}"))?;
                pending.matcher = Some((mark.line, DataMatch::Jq(jq)));
            }
            Expect::Regex(re) => {
                let re = Regex::new(re).map_err(|e| format!("@regex {re}: {e}"))?;
                pending.matcher = Some((mark.line, DataMatch::Regex(re)));
            }
            Expect::Repeat => pending.repeat = true,
            Expect::Optional => pending.optional = true,
            Expect::Within(d) => pending.within = Some(*d),
            Expect::MaxGap(d) => self.max_gap = Some(*d),
            Expect::End { no_content } => {
                if *no_content {
                    self.no_content = Some(mark.line);
                }
            }
        }
        Ok(())
    }

    fn step(&mut self, step: &Step, line: usize) {
        match step {
            Step::Sleep(d) => self.at += *d,
            Step::Close => {
                self.leg.close = Some(Close { line, at: self.at });
                self.legs.push(std::mem::take(&mut self.leg));
                self.at = Duration::ZERO;
                self.last_at = Duration::ZERO;
            }
            Step::Raw(text) => {
                // Comments, retry lines, id-only blocks: no event, but the id may change.
                let _ = self.parser.feed_each(text, |_| {});
            }
            Step::Event { text, .. } => {
                let mut seen = None;
                let _ = self.parser.feed_each(text, |item| {
                    if let Item::Event(ev) = item {
                        seen = Some((
                            ev.event_type.to_string(),
                            ev.data.to_string(),
                            ev.id.to_string(),
                        ));
                    }
                });
                if let Some((event_type, data, id)) = seen {
                    self.event(line, event_type, data, id);
                }
            }
        }
    }

    fn event(&mut self, line: usize, event_type: String, data: String, id: String) {
        let pending = std::mem::take(&mut self.pending);
        self.leg.expects.push(Expected {
            line,
            event_type,
            data,
            id,
            matcher: pending.matcher.map_or(DataMatch::Exact, |m| m.1),
            at: self.at,
            gap: self.at - self.last_at,
            within: pending.within,
            max_gap: self.max_gap,
            repeat: pending.repeat,
            optional: pending.optional,
        });
        self.last_at = self.at;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::script;

    fn plan_of(text: &str) -> Result<Plan, String> {
        let path = Path::new("c.txt");
        let script = script::parse(text.as_bytes(), path).map_err(|e| e.to_string())?;
        plan(&script, path).map_err(|e| e.to_string())
    }

    #[test]
    fn events_times_ids_and_connections() {
        let p = plan_of(
            "@header X-A: 1\nid: 1\ndata: a\n\n@sleep 1s\nevent: t\ndata: b\n\n@sleep 500ms\n@close\n@sleep 2s\ndata: c\n\n@end 204\n",
        )
        .unwrap();
        assert_eq!(p.response.status, 200);
        assert_eq!(p.response.headers, [("X-A".to_string(), "1".to_string())]);
        assert_eq!(p.legs.len(), 2);
        let a = &p.legs[0].expects;
        assert_eq!(
            (a[0].line, a[0].id.as_str(), a[0].at),
            (2, "1", Duration::ZERO)
        );
        assert_eq!((a[1].event_type.as_str(), a[1].data.as_str()), ("t", "b"));
        // The id stays in force; the second event is due 1 s in.
        assert_eq!((a[1].id.as_str(), a[1].at), ("1", Duration::from_secs(1)));
        assert_eq!(
            p.legs[0].close,
            Some(Close {
                line: 10,
                at: Duration::from_millis(1500)
            })
        );
        let b = &p.legs[1].expects;
        assert_eq!(
            (b[0].at, b[0].gap, b[0].id.as_str()),
            (Duration::from_secs(2), Duration::from_secs(2), "1")
        );
        assert_eq!(p.legs[1].close.map(|c| c.line), Some(14));
        assert_eq!(p.then_no_content, Some(14));
        assert_eq!(p.events(), 3);
    }

    #[test]
    fn directives_apply_to_the_next_event() {
        let p = plan_of(
            "data: a\n\n@max-gap 2s\n@optional\n@repeat\n@within 300ms\n@jq .n > 1\ndata: {\"n\":2}\n\n@regex ^x+$\ndata: xx\n\n",
        )
        .unwrap();
        let e = &p.legs[0].expects;
        assert!(!e[0].repeat && !e[0].optional && e[0].max_gap.is_none());
        assert!(matches!(e[0].matcher, DataMatch::Exact));
        assert!(e[1].repeat && e[1].optional);
        assert_eq!(e[1].within, Some(Duration::from_millis(300)));
        assert_eq!(e[1].max_gap, Some(Duration::from_secs(2)));
        assert!(matches!(e[1].matcher, DataMatch::Jq(_)));
        assert!(matches!(e[2].matcher, DataMatch::Regex(_)));
        assert_eq!(
            e[2].max_gap,
            Some(Duration::from_secs(2)),
            "max-gap holds on"
        );
        assert!(p.legs[0].close.is_none(), "no @close: the stream may go on");
    }

    #[test]
    fn bad_directives_name_their_line() {
        assert_eq!(
            plan_of("data: a\n\n@repeat\n").unwrap_err(),
            "c.txt:3: this directive is about the next event, and no event follows it"
        );
        assert!(plan_of("@jq .a |\ndata: x\n\n")
            .unwrap_err()
            .starts_with("c.txt:1: @jq .a |: expected"));
        assert!(plan_of("@regex a(\ndata: x\n\n")
            .unwrap_err()
            .starts_with("c.txt:1: @regex a(:"));
        assert!(plan_of("@jq .a\n@regex b\ndata: x\n\n")
            .unwrap_err()
            .contains(
                "c.txt:2: a second @jq or @regex for the same event (the first is on line 1)"
            ));
        assert!(plan_of("@status 500\ndata: x\n\n")
            .unwrap_err()
            .contains("c.txt:2: events after @status 500"));
        assert_eq!(
            plan_of("data: a\n\n@end\ndata: b\n").unwrap_err(),
            "c.txt:4: nothing but # comments and blank lines may follow @end"
        );
        assert!(plan_of("@end 200\n")
            .unwrap_err()
            .contains("@end takes nothing or 204"));
        assert!(plan_of("@within\n")
            .unwrap_err()
            .contains("@within needs a duration"));
        assert!(plan_of("@repeat twice\n")
            .unwrap_err()
            .contains("@repeat takes no argument"));
    }

    #[test]
    fn an_error_answer_is_expected_with_its_body() {
        let p =
            plan_of("@status 429\n@header Retry-After: 2\n@body {\"error\":1}\n@body x\n").unwrap();
        assert_eq!(p.response.status, 429);
        assert_eq!(p.response.body.as_deref(), Some("{\"error\":1}\nx"));
        assert_eq!(p.events(), 0);
    }

    #[test]
    fn a_recording_is_a_plan() {
        let recording = "# recorded by sse tail at 2026-12-03T08:00:00Z; replay with: sse serve c.txt\n@header Cache-Control: no-cache\nretry: 1000\nid: 1\ndata: a\n\n@sleep 1003ms\nid: 2\nevent: tick\ndata: b\n\n@sleep 20ms\n# the server closed the stream\n@close\n";
        let p = plan_of(recording).unwrap();
        assert_eq!(p.legs.len(), 1, "nothing after the last close");
        let e = &p.legs[0].expects;
        assert_eq!((e[0].line, e[1].line), (3, 8), "where each block starts");
        assert_eq!(e[1].at, Duration::from_millis(1003));
        assert_eq!(p.legs[0].close.unwrap().at, Duration::from_millis(1023));
    }
}
