//! Scripts for `sse serve`: the SSE wire format itself, plus `@` directives and `#`
//! script comments.
//!
//! ```text
//! # the seed example
//! @header X-Accel-Buffering: no
//! event: panda
//! data: one
//!
//! @sleep 1s
//! : keep-alive comment
//! @close
//! ```

use std::path::Path;
use std::time::Duration;

use crate::error::Error;
use crate::value::parse_duration;

/// What a connection does, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// A whole event block, its blank line included.
    Event {
        /// The block's bytes as written (not necessarily UTF-8: a script may mock a
        /// broken server).
        text: Vec<u8>,
        /// The value of the block's own `id:` line, if it has one.
        id: Option<String>,
        /// The event type, for the browser page's listeners.
        event_type: Option<String>,
    },
    /// Lines sent as they are: comments, or the first part of an event a directive cut.
    Raw(Vec<u8>),
    Sleep(Duration),
    Close,
}

/// Consecutive event and raw steps with no directive between them, joined: what a
/// connection sends in one write when nothing paces them (no `--interval`, no `--stamp`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Burst {
    /// The steps it joins.
    pub start: usize,
    pub end: usize,
    pub bytes: Vec<u8>,
    pub events: u64,
}

/// A directive only `sse check` reads: what it expects beyond what the events say.
/// `sse serve` sends the events as written and ignores these (`@end` ends the
/// connection, as `@close` does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expect {
    /// `@jq FILTER`: the next event's data (as `--jq` reads it) makes FILTER true.
    Jq(String),
    /// `@regex RE`: the next event's data matches RE.
    Regex(String),
    /// `@repeat`: the next event may come more than once.
    Repeat,
    /// `@optional`: the next event may not come at all.
    Optional,
    /// `@within DURATION`: the next event comes this soon after the request.
    Within(Duration),
    /// `@max-gap DURATION`: from here on, no two events further apart than this.
    MaxGap(Duration),
    /// `@end`: the server ends the stream here; `@end 204` (`no_content`): and answers
    /// a reconnection with 204, the standard's "stop reconnecting".
    End { no_content: bool },
}

/// An [`Expect`] directive and where it was: before step `step`, on line `line`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    pub step: usize,
    pub line: usize,
    pub expect: Expect,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    /// `@body` lines: the body of a non-200 answer.
    pub body: Vec<String>,
    pub steps: Vec<Step>,
    /// The first line that is not valid UTF-8 (it is sent as it is).
    pub invalid_utf8_line: Option<usize>,
    /// Lines whose field name is none of the four the standard reads (`evnet: x`):
    /// sent as written (a mock may mean it), warned about at start.
    pub unknown_fields: Vec<(usize, String)>,
    /// The line each step comes from (an event's: the line its block starts on).
    pub step_lines: Vec<usize>,
    /// The directives only `sse check` reads, in order.
    pub marks: Vec<Mark>,
    /// Runs of two steps or more, by their first step.
    bursts: Vec<Burst>,
}

impl Script {
    pub fn events(&self) -> usize {
        self.steps
            .iter()
            .filter(|s| matches!(s, Step::Event { .. }))
            .count()
    }

    /// Where a reconnection with this Last-Event-ID resumes: just after the first event
    /// whose `id:` is that value. `None` when no event has it.
    ///
    /// The previous connection also lived through the steps after that event up to an
    /// `@close` (that is how it ended), so those are skipped: resuming replays neither
    /// events nor the close.
    pub fn resume_after(&self, last_event_id: &str) -> Option<usize> {
        let after =
            self.steps.iter().position(
                |s| matches!(s, Step::Event { id: Some(id), .. } if id == last_event_id),
            )? + 1;
        let rest = &self.steps[after..];
        let next_event = rest
            .iter()
            .position(|s| matches!(s, Step::Event { .. }))
            .unwrap_or(rest.len());
        match rest[..next_event].iter().position(|s| *s == Step::Close) {
            Some(close) => Some(after + close + 1),
            None => Some(after),
        }
    }

    /// Whether no event is left to send from step `start` on: a client resuming there
    /// has seen the whole (finite) script.
    pub fn finished_at(&self, start: usize) -> bool {
        !self.steps[start.min(self.steps.len())..]
            .iter()
            .any(|s| matches!(s, Step::Event { .. }))
    }

    /// The burst that starts at step `start`, if one does.
    pub fn burst_at(&self, start: usize) -> Option<&Burst> {
        let i = self.bursts.binary_search_by_key(&start, |b| b.start).ok()?;
        self.bursts.get(i)
    }

    fn join_bursts(&mut self) {
        let mut start = 0;
        while start < self.steps.len() {
            let mut end = start;
            let mut bytes = Vec::new();
            let mut events = 0;
            while let Some(Step::Event { text, .. } | Step::Raw(text)) = self.steps.get(end) {
                bytes.extend_from_slice(text);
                events += u64::from(matches!(self.steps[end], Step::Event { .. }));
                end += 1;
            }
            if end - start >= 2 {
                self.bursts.push(Burst {
                    start,
                    end,
                    bytes,
                    events,
                });
            }
            start = end.max(start + 1);
        }
    }

    /// Event types named in the script, for the browser page's listeners.
    pub fn event_types(&self) -> Vec<String> {
        let mut types: Vec<String> = vec!["message".into()];
        for step in &self.steps {
            if let Step::Event {
                event_type: Some(t),
                ..
            } = step
            {
                if !types.contains(t) {
                    types.push(t.clone());
                }
            }
        }
        types
    }
}

/// The built-in script: a panda and an elephant, named events, ids, JSON data, a
/// comment, and timed gaps.
pub const DEMO: &str = include_str!("demo.txt");

const DIRECTIVES: &str = "@sleep, @close, @status, @header, @body, or for sse check @jq, @regex, @repeat, @optional, @within, @max-gap, @end";

/// The lines of a script, ended as the stream format ends them: CRLF, LF or a lone CR
/// (a stream recorded or written with CR line ends is a script as it is).
/// The field name of a stream line, when it is not one the standard reads.
fn unknown_field(line: &[u8]) -> Option<String> {
    if line.starts_with(b":") {
        return None;
    }
    let name = line.split(|&b| b == b':').next().unwrap_or(line);
    match name {
        b"data" | b"event" | b"id" | b"retry" => None,
        _ => Some(crate::escape::line(&String::from_utf8_lossy(name)).into_owned()),
    }
}

fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let s = rest?;
        let Some(end) = memchr::memchr2(b'\n', b'\r', s) else {
            rest = None;
            return Some(s);
        };
        let next = if s[end..].starts_with(b"\r\n") {
            end + 2
        } else {
            end + 1
        };
        rest = Some(&s[next..]);
        Some(&s[..end])
    })
}

/// Parses script bytes; `path` names the file in errors.
pub fn parse(text: &[u8], path: &Path) -> Result<Script, Error> {
    let err = |line: usize, msg: String| Error::Script {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let mut reader = Reader::default();
    let text = text.strip_prefix("\u{FEFF}".as_bytes()).unwrap_or(text);
    for (index, line) in lines(text).enumerate() {
        let n = index + 1;
        reader.line(n, line).map_err(|msg| err(n, msg))?;
    }
    reader.finish().map_err(|(line, msg)| err(line, msg))
}

/// The lines of the event block being read, and what its fields set.
#[derive(Default)]
struct Block {
    bytes: Vec<u8>,
    /// It has a data field: its blank line dispatches an event.
    has_data: bool,
    has_fields: bool,
    id: Option<String>,
    event_type: Option<String>,
}

impl Block {
    /// A field or an SSE comment line: kept as written, its field noted.
    fn push_line(&mut self, line: &[u8]) {
        if !line.starts_with(b":") {
            self.has_fields = true;
            let (name, value) = match line.iter().position(|&b| b == b':') {
                Some(i) => {
                    let value = &line[i + 1..];
                    (&line[..i], value.strip_prefix(b" ").unwrap_or(value))
                }
                None => (line, &b""[..]),
            };
            let text = || String::from_utf8_lossy(value).into_owned();
            match name {
                b"data" => self.has_data = true,
                b"id" if !value.contains(&0) => self.id = Some(text()),
                b"event" => self.event_type = Some(text()).filter(|t| !t.is_empty()),
                _ => {}
            }
        }
        self.bytes.extend_from_slice(line);
        self.bytes.push(b'\n');
    }

    /// The block as an event, its blank line added; the id and type are used up.
    fn take_event(&mut self) -> Step {
        self.bytes.push(b'\n');
        Step::Event {
            text: std::mem::take(&mut self.bytes),
            id: self.id.take(),
            event_type: self.event_type.take(),
        }
    }
}

/// A script being read line by line: the steps so far and the block in progress.
#[derive(Default)]
struct Reader {
    script: Script,
    block: Block,
    /// A directive cut the current event: part of it was already sent.
    event_open: bool,
    seen_event: bool,
    first_body_line: Option<usize>,
    /// The line the block being read started on.
    block_line: Option<usize>,
    /// `@end` was read: nothing but comments may follow.
    ended: bool,
}

impl Reader {
    /// Line `n`; an error is the message for that line.
    fn line(&mut self, n: usize, line: &[u8]) -> Result<(), String> {
        if line.starts_with(b"#") {
            return Ok(());
        }
        if self.ended && !line.is_empty() {
            return Err("nothing but # comments and blank lines may follow @end".into());
        }
        if self.script.invalid_utf8_line.is_none() && std::str::from_utf8(line).is_err() {
            self.script.invalid_utf8_line = Some(n);
        }
        if let Some(directive) = line.strip_prefix(b"@") {
            let directive = std::str::from_utf8(directive)
                .map_err(|_| "a directive line is not valid UTF-8".to_string())?;
            self.directive(n, directive)
        } else if line.is_empty() {
            self.end_block(n);
            Ok(())
        } else {
            if let Some(name) = unknown_field(line) {
                self.script.unknown_fields.push((n, name));
            }
            self.block_line.get_or_insert(n);
            self.block.push_line(line);
            Ok(())
        }
    }

    /// `@name arg` (without its `@`) on line `n`.
    fn directive(&mut self, n: usize, directive: &str) -> Result<(), String> {
        let (name, arg) = match directive.split_once(char::is_whitespace) {
            Some((name, arg)) => (name, arg.trim()),
            None => (directive, ""),
        };
        if let Some(expect) = expectation(name, arg, directive)? {
            if matches!(expect, Expect::End { .. }) {
                // The event before it is complete, as at the end of a file.
                self.end_block(n);
                self.push(Step::Close, n);
                self.ended = true;
            }
            let step = self.script.steps.len() - usize::from(self.ended);
            self.script.marks.push(Mark {
                step,
                line: n,
                expect,
            });
            return Ok(());
        }
        // What the block holds so far leaves before the directive takes effect.
        if !self.block.bytes.is_empty() {
            let part = std::mem::take(&mut self.block.bytes);
            let line = self.block_line.unwrap_or(n);
            self.push(Step::Raw(part), line);
            self.event_open |= self.block.has_fields;
        }
        match name {
            "sleep" => self.push(Step::Sleep(duration(name, arg)?), n),
            "close" if arg.is_empty() => self.push(Step::Close, n),
            "close" => return Err("@close takes no argument".into()),
            "status" | "header" | "body" if self.seen_event || self.event_open => {
                return Err(format!("@{name} must come before the first event"))
            }
            "status" => self.script.status = Some(status(arg)?),
            "header" => {
                let h = crate::value::parse_header(arg).map_err(|e| format!("@header: {e}"))?;
                self.script.headers.push((h.name, h.value));
            }
            "body" => {
                self.first_body_line.get_or_insert(n);
                // The text after `@body ` as written (only the separating space goes).
                let text = directive["body".len()..]
                    .strip_prefix([' ', '\t'])
                    .unwrap_or("");
                self.script.body.push(text.to_string());
            }
            "" => return Err(format!("a directive needs a name: {DIRECTIVES}")),
            other => return Err(format!("unknown directive @{other}: use {DIRECTIVES}")),
        }
        Ok(())
    }

    /// A blank line: the block becomes an event, or (comments, fields that dispatch
    /// nothing such as `retry:` or an id alone) is sent as written with its blank
    /// line, but not counted as an event.
    /// `n`: the blank line's.
    fn end_block(&mut self, n: usize) {
        if self.block.has_data {
            self.push_event();
        } else if !self.block.bytes.is_empty() || self.event_open {
            self.block.bytes.push(b'\n');
            let raw = std::mem::take(&mut self.block.bytes);
            let line = self.block_line.unwrap_or(n);
            self.push(Step::Raw(raw), line);
        }
        self.block.has_data = false;
        self.block.has_fields = false;
        self.event_open = false;
        self.block_line = None;
    }

    /// The block as an event step.
    fn push_event(&mut self) {
        let event = self.block.take_event();
        let line = self.block_line.take().unwrap_or(0);
        self.push(event, line);
        self.seen_event = true;
    }

    /// The next step, from line `line`.
    fn push(&mut self, step: Step, line: usize) {
        self.script.steps.push(step);
        self.script.step_lines.push(line);
    }

    /// The script, once every line was read; an error names its line.
    fn finish(mut self) -> Result<Script, (usize, String)> {
        if !self.block.bytes.is_empty() {
            // A last block without its blank line: an event is still completed, as a
            // script writer means it (the file's final newline is easy to forget).
            if self.block.has_data {
                self.push_event();
            } else {
                let raw = std::mem::take(&mut self.block.bytes);
                let line = self.block_line.take().unwrap_or(0);
                self.push(Step::Raw(raw), line);
            }
        }
        self.script.join_bursts();
        if let Some(line) = self.first_body_line {
            if let Some(code @ (204 | 205 | 304)) = self.script.status {
                return Err((
                    line,
                    format!("@body with @status {code}: a {code} answer has no body"),
                ));
            }
            if self.script.status.is_none_or(|s| s == 200) {
                return Err((
                    line,
                    "@body is the body of an error answer: it needs a @status other than 200, e.g. @status 429".into(),
                ));
            }
        }
        Ok(self.script)
    }
}

/// The duration argument of `@sleep`, `@within` or `@max-gap`.
fn duration(name: &str, arg: &str) -> Result<Duration, String> {
    if arg.is_empty() {
        return Err(format!("@{name} needs a duration, e.g. @{name} 500ms"));
    }
    parse_duration(arg).map_err(|e| format!("@{name}: {e}"))
}

/// The directive `@name arg` as one `sse check` reads, or `None` when it is not one.
/// `directive` is the whole line after `@`: a pattern keeps its spaces.
fn expectation(name: &str, arg: &str, directive: &str) -> Result<Option<Expect>, String> {
    let pattern = directive[name.len()..]
        .strip_prefix([' ', '\t'])
        .unwrap_or("");
    let expect = match name {
        "jq" | "regex" if arg.is_empty() => {
            return Err(format!(
                "@{name} needs a pattern, e.g. @jq .done == true or @regex ^[0-9]+$"
            ))
        }
        "jq" => Expect::Jq(arg.to_string()),
        "regex" => Expect::Regex(pattern.to_string()),
        "repeat" | "optional" if !arg.is_empty() => {
            return Err(format!("@{name} takes no argument"))
        }
        "repeat" => Expect::Repeat,
        "optional" => Expect::Optional,
        "within" => Expect::Within(duration(name, arg)?),
        "max-gap" => Expect::MaxGap(duration(name, arg)?),
        "end" => match arg {
            "" => Expect::End { no_content: false },
            "204" => Expect::End { no_content: true },
            _ => return Err(format!("@end takes nothing or 204, not {arg:?}")),
        },
        _ => return Ok(None),
    };
    Ok(Some(expect))
}

/// The argument of `@status`.
fn status(arg: &str) -> Result<u16, String> {
    match arg.parse::<u16>() {
        // An informational status is not an answer: the client waits for the real one.
        Ok(code @ 100..=199) => Err(format!(
            "@status {code} is informational (1xx), not a final answer: use a status from 200 to 999"
        )),
        Ok(code @ 200..=999) => Ok(code),
        _ => Err(format!(
            "@status needs a status code from 200 to 999, not {arg:?}"
        )),
    }
}

/// Reads and parses a script file (`-` is stdin).
pub fn load(path: &Path) -> Result<Script, Error> {
    let text = if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .map_err(|e| Error::io("reading the script from stdin", e))?;
        bytes
    } else {
        std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?
    };
    parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Item, Parser};

    fn p(text: &str) -> Script {
        parse(text.as_bytes(), Path::new("t.txt")).unwrap()
    }

    fn e(text: &str, id: Option<&str>, t: Option<&str>) -> Step {
        Step::Event {
            text: text.into(),
            id: id.map(Into::into),
            event_type: t.map(Into::into),
        }
    }

    #[test]
    fn seed_example() {
        let s = p("# the seed example\n@header X-Accel-Buffering: no\nevent: panda\ndata: one\n\n@sleep 1s\nevent: panda\ndata: two\n\n@sleep 500ms\n: keep-alive comment\n@close\n");
        assert_eq!(
            s.headers,
            vec![("X-Accel-Buffering".to_string(), "no".to_string())]
        );
        assert_eq!(
            s.steps,
            vec![
                e("event: panda\ndata: one\n\n", None, Some("panda")),
                Step::Sleep(Duration::from_secs(1)),
                e("event: panda\ndata: two\n\n", None, Some("panda")),
                Step::Sleep(Duration::from_millis(500)),
                Step::Raw(": keep-alive comment\n".into()),
                Step::Close,
            ]
        );
        assert_eq!(s.events(), 2);
        assert_eq!(s.event_types(), vec!["message", "panda"]);
    }

    #[test]
    fn ids_and_resume() {
        let s = p("id: 1\ndata: a\n\nid: 2\ndata: b\n\ndata: c\n");
        assert_eq!(
            s.steps[2],
            e("data: c\n\n", None, None),
            "a final block without a blank line still ends"
        );
        assert_eq!(s.resume_after("1"), Some(1));
        assert_eq!(s.resume_after("2"), Some(2));
        assert_eq!(s.resume_after("9"), None);
        // The @close that ended the connection is not replayed on resume.
        let s = p("id: 1\ndata: a\n\n@sleep 1s\n@close\n@sleep 2s\nid: 2\ndata: b\n\n@close\nid: 3\ndata: c\n\n");
        assert_eq!(s.resume_after("1"), Some(3));
        assert_eq!(s.steps[3], Step::Sleep(Duration::from_secs(2)));
        assert_eq!(s.resume_after("2"), Some(6));
    }

    #[test]
    fn a_directive_inside_an_event_splits_it_in_time() {
        let s = p("data: first half\n@sleep 10ms\ndata: second half\n\n");
        assert_eq!(
            s.steps,
            vec![
                Step::Raw("data: first half\n".into()),
                Step::Sleep(Duration::from_millis(10)),
                e("data: second half\n\n", None, None),
            ]
        );
        assert_eq!(s.events(), 1);
    }

    #[test]
    fn crlf_scripts_and_extra_blank_lines() {
        let s = p("\r\n\r\ndata: a\r\n\r\n\r\n\r\ndata: b\r\n\r\n");
        assert_eq!(
            s.steps,
            vec![e("data: a\n\n", None, None), e("data: b\n\n", None, None)]
        );
    }

    #[test]
    fn cr_only_scripts_are_read_as_the_stream_format_reads_them() {
        let lf = p("event: e\ndata: a\n\n@sleep 10ms\n# note\ndata: b\n\n");
        let cr = p("event: e\rdata: a\r\r@sleep 10ms\r# note\rdata: b\r\r");
        assert_eq!(cr.steps, lf.steps);
        assert_eq!(cr.events(), 2);
        let mixed = p("event: e\r\ndata: a\r\n\n@sleep 10ms\r# note\ndata: b\r\r\n");
        assert_eq!(mixed.steps, lf.steps);
        assert_eq!(
            lines(b"a\r\nb\rc\n\rd").collect::<Vec<_>>(),
            [&b"a"[..], b"b", b"c", b"", b"d"]
        );
        assert_eq!(lines(b"a\n").collect::<Vec<_>>(), [&b"a"[..], b""]);
    }

    #[test]
    fn errors_name_the_line() {
        let bad = |text: &str| {
            parse(text.as_bytes(), Path::new("demo.txt"))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            bad("data: a\n\n@sleep\n"),
            "demo.txt:3: @sleep needs a duration, e.g. @sleep 500ms"
        );
        assert!(bad("@sleep soon\n").starts_with("demo.txt:1: @sleep: invalid duration"));
        assert_eq!(
            bad("data: a\n\n@header X: y\n"),
            "demo.txt:3: @header must come before the first event"
        );
        assert_eq!(
            bad("@status 20\n"),
            "demo.txt:1: @status needs a status code from 200 to 999, not \"20\""
        );
        for code in ["100", "101", "103", "199"] {
            assert!(
                bad(&format!("# x\n@status {code}\n"))
                    .starts_with(&format!("demo.txt:2: @status {code} is informational")),
                "{code}"
            );
        }
        assert!(bad("@wait 1s\n").starts_with("demo.txt:1: unknown directive @wait"));
        assert!(bad("@close now\n").contains("@close takes no argument"));
        assert!(bad("@header nocolon\n").contains("@header:"));
    }

    #[test]
    fn error_bodies_headers_and_the_end_of_a_script() {
        let s = p("@status 429\n@header Retry-After: 5\n@body {\"error\":\"rate limited\"}\n@body\n@body   two\n");
        assert_eq!(s.status, Some(429));
        assert_eq!(s.body, ["{\"error\":\"rate limited\"}", "", "  two"]);
        let bad = |text: &str| {
            parse(text.as_bytes(), Path::new("b.txt"))
                .unwrap_err()
                .to_string()
        };
        assert!(bad("@body x\n").starts_with("b.txt:1: @body is the body of an error answer"));
        for code in [204, 205, 304] {
            assert_eq!(
                bad(&format!("@status {code}\n@body x\n")),
                format!("b.txt:2: @body with @status {code}: a {code} answer has no body")
            );
            assert_eq!(p(&format!("@status {code}\n")).status, Some(code));
        }
        assert!(bad("data: a\n\n@body x\n").contains("b.txt:3: @body must come before"));
        for control in ["\x1b[31m", "\x0b", "\x0c", "\x7f", "\x01"] {
            let e = bad(&format!("@header X-A: a{control}b\n"));
            assert!(
                e.starts_with("b.txt:1: @header: the value of X-A contains the control character"),
                "{e}"
            );
            assert_eq!(e.lines().count(), 1);
        }
        let s = p("id: 1\ndata: a\n\nid: 2\ndata: b\n\n: bye\n");
        assert!(!s.finished_at(s.resume_after("1").unwrap()));
        assert!(s.finished_at(s.resume_after("2").unwrap()));
        assert!(!s.finished_at(0));
    }

    #[test]
    fn steps_with_nothing_between_are_joined_in_bursts() {
        let s = p(
            ": hi\n\ndata: a\n\ndata: b\n\n@sleep 1s\ndata: c\n\n@close\ndata: d\n\ndata: e\n\n",
        );
        let b = s.burst_at(0).unwrap();
        assert_eq!((b.start, b.end, b.events), (0, 3, 2));
        assert_eq!(b.bytes, b": hi\n\ndata: a\n\ndata: b\n\n");
        assert!(
            s.burst_at(1).is_none() && s.burst_at(4).is_none(),
            "one step is no burst"
        );
        let b = s.burst_at(6).unwrap();
        assert_eq!((b.start, b.end, b.events), (6, 8, 2));
    }

    #[test]
    fn invalid_utf8_is_kept_as_it_is() {
        let s = parse(b"data: a\xff\n\n: \xc3\n", Path::new("t")).unwrap();
        assert_eq!(s.invalid_utf8_line, Some(1));
        assert_eq!(
            s.steps[0],
            Step::Event {
                text: b"data: a\xff\n\n".to_vec(),
                id: None,
                event_type: None
            }
        );
        assert_eq!(s.steps[1], Step::Raw(b": \xc3\n\n".to_vec()));
        assert!(parse(b"@sleep \xff\n", Path::new("t"))
            .unwrap_err()
            .to_string()
            .contains("t:1: a directive line is not valid UTF-8"));
        assert_eq!(p("data: ok\n").invalid_utf8_line, None);
        assert_eq!(
            p("evnet: x\ndata: a\n: comment\nretry: 5\n").unknown_fields,
            vec![(1, "evnet".to_string())]
        );
    }

    #[test]
    fn the_demo_script_is_valid_and_parses_as_a_stream() {
        let s = parse(DEMO.as_bytes(), Path::new("(built-in)")).unwrap();
        assert!(s.events() >= 5);
        assert!(s.event_types().len() >= 3);
        let mut parser = Parser::default();
        let mut n = 0;
        for step in &s.steps {
            if let Step::Event { text, .. } | Step::Raw(text) = step {
                parser
                    .feed_each(text, |i| n += usize::from(matches!(i, Item::Event(_))))
                    .unwrap();
            }
        }
        assert_eq!(n, s.events());
    }
}
