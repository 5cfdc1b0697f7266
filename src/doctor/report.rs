//! The checklist for people, and the same report as JSON for programs.

use colored::Colorize;
use serde::Serialize;
use std::collections::HashMap;
use std::io::{self, Write};

use super::advice;
use super::analysis::Analysis;
use super::finding::{Finding, Status};
use super::observation::Observation;
use crate::escape;
use crate::format::{count, millis, ms};
use crate::llm::Shape;

fn label(status: Status) -> colored::ColoredString {
    match status {
        Status::Pass => "PASS".green().bold(),
        Status::Warn => "WARN".yellow().bold(),
        Status::Fail => "FAIL".red().bold(),
    }
}

/// How many checks passed, warned and failed.
pub fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s| findings.iter().filter(|f| f.status == s).count();
    (n(Status::Pass), n(Status::Warn), n(Status::Fail))
}

/// The checklist. Everything from the network is escaped (a header can carry ESC); a
/// fix offered by several checks is written out once, then referred to.
///
/// `columns`: the terminal's width, to wrap each line to with its indent; `None` into
/// a pipe (never wrapped there).
pub fn write_text(
    out: &mut impl Write,
    obs: &Observation,
    findings: &[Finding],
    columns: Option<usize>,
) -> io::Result<()> {
    write_watched(out, obs)?;
    write_findings(out, findings, columns)
}

/// The checks, their fixes and the verdict: the report after its first lines.
pub fn write_findings(
    out: &mut impl Write,
    findings: &[Finding],
    columns: Option<usize>,
) -> io::Result<()> {
    let width = findings.iter().map(|f| f.check.len()).max().unwrap_or(8);
    let mut fixes = Fixes {
        pad: " ".repeat(width + 8),
        given: HashMap::new(),
        untested: false,
        columns,
    };
    for f in findings {
        let head = format!("{}  {:width$}  ", label(f.status), f.check);
        fixes.line(out, &head, &fixes.pad.clone(), &escape::line(&f.seen))?;
        if f.status == Status::Pass {
            continue;
        }
        if !f.why.is_empty() {
            let head = format!("{}{} ", fixes.pad, "why:".dimmed());
            let indent = format!("{}     ", fixes.pad);
            fixes.line(out, &head, &indent, &escape::line(&f.why))?;
        }
        fixes.write(out, f)?;
    }
    write_verdict(out, findings, fixes.untested, columns)
}

/// The report's first lines: the URL, and what the watch saw in numbers.
fn write_watched(out: &mut impl Write, obs: &Observation) -> io::Result<()> {
    writeln!(out, "{} {}", "sse doctor".bold(), escape::line(&obs.url))?;
    writeln!(
        out,
        "watched {} ({}): {}, {}, {} bytes, {}",
        ms(obs.watched),
        obs.stopped.text(),
        if obs.events_unknown() {
            "events unknown (the body was not decoded)".to_string()
        } else {
            count(obs.events.count, "event")
        },
        count(obs.comments, "comment"),
        obs.wire.bytes,
        if obs.stamps > 0 {
            format!("{} `: sent-at` stamps", obs.stamps)
        } else {
            "no `: sent-at` stamps".to_string()
        }
    )?;
    writeln!(out)
}

/// The fix lines written so far, so a fix several checks offer is written once.
struct Fixes<'a> {
    /// The indent of the lines under a check.
    pad: String,
    /// Each fix written, and the check it was written for.
    given: HashMap<&'a str, &'a str>,
    /// A fix not yet seen working in a test was written (`try:`).
    untested: bool,
    /// The terminal's width, when wrapping.
    columns: Option<usize>,
}

impl<'a> Fixes<'a> {
    /// `head` (its visible width is `indent`'s) then `text`, wrapped to the terminal
    /// with continuation lines at `indent`.
    fn line(&self, out: &mut impl Write, head: &str, indent: &str, text: &str) -> io::Result<()> {
        let Some(columns) = self.columns.filter(|&c| c > indent.len() + 20) else {
            return writeln!(out, "{head}{text}");
        };
        let room = columns - indent.len();
        for (i, part) in crate::format::wrap(text, room, room)
            .into_iter()
            .enumerate()
        {
            let lead = if i == 0 { head } else { indent };
            writeln!(out, "{lead}{part}")?;
        }
        Ok(())
    }

    /// `f`'s fixes: new ones in full, those already written as a reference back.
    fn write(&mut self, out: &mut impl Write, f: &'a Finding) -> io::Result<()> {
        let pad = &self.pad;
        let mut earlier: Vec<&str> = Vec::new();
        for fix in &f.fixes {
            if let Some(check) = self.given.get(fix.text.as_str()) {
                if !earlier.contains(check) {
                    earlier.push(check);
                }
                continue;
            }
            let tag = if fix.verified_by.is_some() {
                "fix:".cyan()
            } else {
                self.untested = true;
                "try:".cyan()
            };
            let head = format!("{pad}{tag} ");
            self.line(out, &head, &format!("{pad}     "), &escape::line(&fix.text))?;
            self.given.insert(&fix.text, f.check);
        }
        if !earlier.is_empty() {
            writeln!(
                out,
                "{pad}{} the fixes given for {} above",
                "see:".cyan(),
                earlier.join(" and ")
            )?;
        }
        Ok(())
    }
}

/// The counts, the failed checks by name, and what `fix:` and `try:` mean when a
/// `try:` was written.
fn write_verdict(
    out: &mut impl Write,
    findings: &[Finding],
    untested: bool,
    columns: Option<usize>,
) -> io::Result<()> {
    let (pass, warn, fail) = counts(findings);
    writeln!(out)?;
    let summary = format!("{pass} passed, {warn} warned, {fail} failed");
    let verdict = if fail > 0 {
        let failed: Vec<&str> = findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .map(|f| f.check)
            .collect();
        format!("{} ({})", summary.red().bold(), failed.join(", "))
    } else if warn > 0 {
        summary.yellow().bold().to_string()
    } else {
        summary.green().bold().to_string()
    };
    if untested {
        let legend = match columns {
            Some(c) => crate::format::wrap(advice::FIX_OR_TRY, c, c).join("\n"),
            None => advice::FIX_OR_TRY.to_string(),
        };
        writeln!(out, "{}", legend.dimmed())?;
    }
    writeln!(out, "{verdict}")
}

#[derive(Serialize)]
struct JsonReport<'a> {
    url: &'a str,
    ok: bool,
    status: Option<u16>,
    http_version: &'a str,
    watched_ms: u64,
    stopped: &'static str,
    /// null when bytes arrived but could not be decoded into events.
    events: Option<u64>,
    comments: u64,
    stamps: u64,
    /// Bytes off the wire (before decompression).
    bytes: u64,
    decoded_bytes: u64,
    head_ms: Option<u64>,
    first_byte_ms: Option<u64>,
    first_event_ms: Option<u64>,
    /// The first event carrying a generated token of an LLM stream (TTFT).
    first_token_ms: Option<u64>,
    /// The LLM stream shape recognised: openai-chat, openai-responses, anthropic,
    /// gemini (null for other streams).
    llm: Option<&'static str>,
    longest_silence_ms: u64,
    /// Stamped delays over all events.
    delay: Option<DelayJson>,
    /// The stamped delays of the events kept (the first and last 100).
    delays_ms: Vec<u64>,
    bursts: Vec<BurstJson>,
    /// From the last byte to a close that looks like an idle timeout.
    idle_cut_ms: Option<u64>,
    /// The HTTP/2 RST_STREAM or GOAWAY that ended the stream.
    reset: Option<ResetJson>,
    /// HTTP/2: the server's SETTINGS (`MAX_CONCURRENT_STREAMS`: 128, ...).
    http2_settings: Option<serde_json::Map<String, serde_json::Value>>,
    layers: Vec<&'static str>,
    headers: Vec<(&'a str, &'a str)>,
    checks: &'a [Finding],
    summary: Summary,
}

#[derive(Serialize)]
struct ResetJson {
    /// `RST_STREAM` or `GOAWAY`.
    frame: &'static str,
    code: String,
    /// Sent by the server (false: sse's HTTP/2 layer refused what the server sent).
    by_server: bool,
    at_ms: u64,
}

#[derive(Serialize)]
struct DelayJson {
    count: u64,
    p50_ms: u64,
    p99_ms: u64,
    max_ms: u64,
}

#[derive(Serialize)]
struct BurstJson {
    at_ms: u64,
    events: usize,
    silence_ms: u64,
    spread_ms: u64,
}

#[derive(Serialize)]
struct Summary {
    pass: usize,
    warn: usize,
    fail: usize,
}

pub fn write_json(
    out: &mut impl Write,
    obs: &Observation,
    a: &Analysis,
    findings: &[Finding],
) -> io::Result<()> {
    let (pass, warn, fail) = counts(findings);
    let head = obs.head.as_ref();
    let report = JsonReport {
        url: head.map_or(&obs.url, |h| &h.url),
        ok: fail == 0,
        status: head.map(|h| h.status),
        http_version: head.map_or("", |h| h.version),
        watched_ms: millis(obs.watched),
        stopped: obs.stopped.text(),
        events: (!obs.events_unknown()).then_some(obs.events.count),
        comments: obs.comments,
        stamps: obs.stamps,
        bytes: obs.wire.bytes,
        decoded_bytes: obs.decoded_bytes,
        head_ms: obs.head_at.map(millis),
        first_byte_ms: obs.wire.first.map(millis),
        first_event_ms: obs.events.first.first().map(|e| millis(e.at)),
        first_token_ms: obs.first_token.map(millis),
        llm: obs.llm.shape().map(|shape| match shape {
            Shape::OpenAiChat => "openai-chat",
            Shape::OpenAiResponses => "openai-responses",
            Shape::Anthropic => "anthropic",
            Shape::Gemini => "gemini",
            Shape::Ollama => "ollama",
        }),
        longest_silence_ms: millis(a.longest_silence),
        delay: a.delays.map(|d| DelayJson {
            count: d.count,
            p50_ms: millis(d.p50),
            p99_ms: millis(d.p99),
            max_ms: millis(d.max),
        }),
        delays_ms: obs
            .kept_events()
            .filter_map(|e| e.delay.map(millis))
            .collect(),
        bursts: obs
            .events
            .bursts
            .iter()
            .map(|b| BurstJson {
                at_ms: millis(b.at),
                events: b.size,
                silence_ms: millis(b.silence),
                spread_ms: millis(b.spread),
            })
            .collect(),
        idle_cut_ms: a.idle_cut.as_ref().map(|c| millis(c.after)),
        reset: obs.end.as_ref().and_then(|end| {
            end.reset.as_ref().map(|r| ResetJson {
                frame: r.frame(),
                code: r.code.clone(),
                by_server: r.by_server,
                at_ms: millis(end.at),
            })
        }),
        http2_settings: obs
            .connection
            .as_ref()
            .and_then(|c| c.settings.as_ref())
            .map(|s| s.named().map(|(n, v)| (n, v.into())).collect()),
        layers: a.layers.iter().map(|l| l.name).collect(),
        headers: head.map_or_else(Vec::new, |h| {
            h.headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect()
        }),
        checks: findings,
        summary: Summary { pass, warn, fail },
    };
    serde_json::to_writer_pretty(&mut *out, &report).map_err(io::Error::from)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::checks::run_all;
    use crate::http::Head;

    fn judged(obs: Observation) -> (Observation, Analysis, Vec<Finding>) {
        let a = Analysis::of(&obs, None);
        let findings = run_all(&obs, &a);
        (obs, a, findings)
    }

    #[test]
    fn text_and_json_reports() {
        colored::control::set_override(false);
        let (obs, a, findings) = judged(Observation {
            url: "http://x/e".into(),
            head: Some(Head {
                status: 200,
                version: "HTTP/1.1",
                headers: vec![("content-type".into(), "text/html".into())],
                ..Head::default()
            }),
            ..Observation::default()
        });
        let mut text = Vec::new();
        write_text(&mut text, &obs, &findings, None).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("FAIL  content-type"), "{text}");
        assert!(text.contains("try: send `Content-Type: text/event-stream`"));
        assert!(text.trim_end().ends_with("failed (content-type)"));
        let mut json = Vec::new();
        write_json(&mut json, &obs, &a, &findings).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["checks"][1]["check"], "content-type");
        assert_eq!(v["checks"][1]["status"], "FAIL");
        assert_eq!(
            v["checks"][1]["fixes"][0]["verified_by"],
            serde_json::Value::Null
        );
        assert!(v["longest_silence_ms"].is_u64());
        let heartbeat = v["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["check"] == "heartbeat")
            .unwrap();
        assert!(heartbeat["ms"]["longest_silence"].is_u64(), "{heartbeat}");
    }

    #[test]
    fn headers_from_the_network_are_escaped_and_fixes_given_once() {
        colored::control::set_override(false);
        let (obs, _, findings) = judged(Observation {
            url: "http://x/e".into(),
            head: Some(Head {
                status: 200,
                version: "HTTP/1.1",
                headers: vec![
                    ("content-type".into(), "text/event-stream".into()),
                    ("etag".into(), "\"x\x1b]0;owned\x07\u{9b}31m\"".into()),
                    ("content-length".into(), "10".into()),
                ],
                ..Head::default()
            }),
            ..Observation::default()
        });
        let mut text = Vec::new();
        write_text(&mut text, &obs, &findings, None).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(
            !text.contains('\x1b') && !text.contains('\x07') && !text.contains('\u{9b}'),
            "{text}"
        );
        assert!(
            text.contains("ETag: \"x\\x1b]0;owned\\x07\\u{9b}31m\""),
            "{text}"
        );
        let etag_fix = findings.iter().find(|f| f.check == "etag").unwrap().fixes[0]
            .text
            .clone();
        assert_eq!(text.matches(etag_fix.as_str()).count(), 1, "{text}");
        assert!(
            text.contains("see: the fixes given for content-length above"),
            "{text}"
        );
        // etag and first-event refer back, once each.
        assert_eq!(text.matches("the fixes given for").count(), 2, "{text}");
    }

    #[test]
    fn on_a_terminal_lines_wrap_with_their_indent_and_never_into_a_pipe() {
        colored::control::set_override(false);
        let (obs, _, findings) = judged(Observation {
            url: "http://x/e".into(),
            head: Some(Head {
                status: 200,
                version: "HTTP/1.1",
                reason: "OK".into(),
                headers: vec![("Content-Type".into(), "text/html".into())],
                url: "http://x/e".into(),
            }),
            ..Observation::default()
        });
        let mut wrapped = Vec::new();
        write_text(&mut wrapped, &obs, &findings, Some(60)).unwrap();
        let wrapped = String::from_utf8(wrapped).unwrap();
        let pad = " ".repeat(findings.iter().map(|f| f.check.len()).max().unwrap() + 8);
        let mut continued = 0;
        for line in wrapped.lines().skip(2) {
            assert!(line.chars().count() <= 60, "{line:?}");
            if line.starts_with(&pad) && !line[pad.len()..].starts_with(['w', 'f', 't', 's']) {
                continued += 1;
            }
        }
        assert!(continued > 0, "{wrapped}");
        let mut piped = Vec::new();
        write_text(&mut piped, &obs, &findings, None).unwrap();
        let piped = String::from_utf8(piped).unwrap();
        assert!(piped.lines().any(|l| l.chars().count() > 60), "{piped}");
    }
}
