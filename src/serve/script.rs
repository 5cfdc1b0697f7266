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
    /// A whole event block, its blank line included, sent in one write.
    Event {
        text: String,
        /// The value of the block's own `id:` line, if it has one.
        id: Option<String>,
        /// The event type, for the browser page's listeners.
        event_type: Option<String>,
    },
    /// Lines sent as they are: comments, or the first part of an event a directive cut.
    Raw(String),
    Sleep(Duration),
    Close,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Script {
    pub status: Option<u16>,
    pub headers: Vec<(String, String)>,
    pub steps: Vec<Step>,
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

/// Parses script text; `path` names the file in errors.
pub fn parse(text: &str, path: &Path) -> Result<Script, Error> {
    let err = |line: usize, msg: String| Error::Script {
        path: path.to_path_buf(),
        line,
        msg,
    };
    let mut script = Script::default();
    let mut block = String::new();
    // The block has a data field: its blank line dispatches an event.
    let mut block_has_data = false;
    let mut block_has_fields = false;
    let mut block_id: Option<String> = None;
    let mut block_type: Option<String> = None;
    // A directive cut the current event: part of it was already sent.
    let mut event_open = false;
    let mut seen_event = false;

    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    for (index, raw_line) in text.split('\n').enumerate() {
        let n = index + 1;
        let line = raw_line.strip_suffix('\r').unwrap_or(raw_line);
        if line.starts_with('#') {
            continue;
        }
        if let Some(directive) = line.strip_prefix('@') {
            let (name, arg) = match directive.split_once(char::is_whitespace) {
                Some((name, arg)) => (name, arg.trim()),
                None => (directive, ""),
            };
            if !block.is_empty() {
                script.steps.push(Step::Raw(std::mem::take(&mut block)));
                event_open |= block_has_fields;
            }
            match name {
                "sleep" => {
                    if arg.is_empty() {
                        return Err(err(n, "@sleep needs a duration, e.g. @sleep 500ms".into()));
                    }
                    let d = parse_duration(arg).map_err(|e| err(n, format!("@sleep: {e}")))?;
                    script.steps.push(Step::Sleep(d));
                }
                "close" => {
                    if !arg.is_empty() {
                        return Err(err(n, "@close takes no argument".into()));
                    }
                    script.steps.push(Step::Close);
                }
                "status" => {
                    if seen_event || event_open {
                        return Err(err(n, "@status must come before the first event".into()));
                    }
                    let code = arg.parse::<u16>().ok().filter(|c| (100..=999).contains(c));
                    script.status = Some(code.ok_or_else(|| {
                        err(
                            n,
                            format!("@status needs a status code from 100 to 999, not {arg:?}"),
                        )
                    })?);
                }
                "header" => {
                    if seen_event || event_open {
                        return Err(err(n, "@header must come before the first event".into()));
                    }
                    let h = crate::value::parse_header(arg)
                        .map_err(|e| err(n, format!("@header: {e}")))?;
                    script.headers.push((h.name, h.value));
                }
                "" => {
                    return Err(err(
                        n,
                        "a directive needs a name: @sleep, @close, @status or @header".into(),
                    ))
                }
                other => {
                    return Err(err(
                        n,
                        format!(
                            "unknown directive @{other}: use @sleep, @close, @status or @header"
                        ),
                    ))
                }
            }
            continue;
        }
        if line.is_empty() {
            if block_has_data {
                block.push('\n');
                script.steps.push(Step::Event {
                    text: std::mem::take(&mut block),
                    id: block_id.take(),
                    event_type: block_type.take(),
                });
                seen_event = true;
            } else if !block.is_empty() || event_open {
                // Comments, or fields that dispatch nothing (`retry:`, an id alone): sent
                // as written, with their blank line, but not counted as an event.
                block.push('\n');
                script.steps.push(Step::Raw(std::mem::take(&mut block)));
            }
            block_has_data = false;
            block_has_fields = false;
            event_open = false;
            continue;
        }
        if !line.starts_with(':') {
            block_has_fields = true;
            let (name, value) = match line.split_once(':') {
                Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
                None => (line, ""),
            };
            match name {
                "data" => block_has_data = true,
                "id" if !value.contains('\0') => block_id = Some(value.to_string()),
                "event" => block_type = Some(value.to_string()).filter(|t| !t.is_empty()),
                _ => {}
            }
        }
        block.push_str(line);
        block.push('\n');
    }
    if !block.is_empty() {
        // A last block without its blank line: an event is still completed, as a script
        // writer means it (the file's final newline is easy to forget).
        if block_has_data {
            block.push('\n');
            script.steps.push(Step::Event {
                text: block,
                id: block_id,
                event_type: block_type,
            });
        } else {
            script.steps.push(Step::Raw(block));
        }
    }
    Ok(script)
}

/// Reads and parses a script file (`-` is stdin).
pub fn load(path: &Path) -> Result<Script, Error> {
    let text = if path == Path::new("-") {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin().lock(), &mut s)
            .map_err(|e| Error::io("reading the script from stdin", e))?;
        s
    } else {
        let bytes =
            std::fs::read(path).map_err(|e| Error::io(format!("reading {}", path.display()), e))?;
        String::from_utf8(bytes).map_err(|e| Error::Script {
            path: path.to_path_buf(),
            line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count(),
            msg: "not valid UTF-8".into(),
        })?
    };
    parse(&text, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::{Item, Parser};

    fn p(text: &str) -> Script {
        parse(text, Path::new("t.txt")).unwrap()
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
    fn errors_name_the_line() {
        let bad = |text: &str| parse(text, Path::new("demo.txt")).unwrap_err().to_string();
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
            "demo.txt:1: @status needs a status code from 100 to 999, not \"20\""
        );
        assert!(bad("@wait 1s\n").starts_with("demo.txt:1: unknown directive @wait"));
        assert!(bad("@close now\n").contains("@close takes no argument"));
        assert!(bad("@header nocolon\n").contains("@header:"));
    }

    #[test]
    fn the_demo_script_is_valid_and_parses_as_a_stream() {
        let s = parse(DEMO, Path::new("(built-in)")).unwrap();
        assert!(s.events() >= 5);
        assert!(s.event_types().len() >= 3);
        let mut parser = Parser::default();
        let mut n = 0;
        for step in &s.steps {
            if let Step::Event { text, .. } | Step::Raw(text) = step {
                parser
                    .feed_each(text.as_bytes(), |i| {
                        n += usize::from(matches!(i, Item::Event(_)))
                    })
                    .unwrap();
            }
        }
        assert_eq!(n, s.events());
    }
}
