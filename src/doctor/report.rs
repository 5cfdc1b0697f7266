//! The checklist for people, and the same report as JSON for programs.

use colored::Colorize;
use serde::Serialize;
use std::io::{self, Write};

use super::checks::{ms, Finding, Status};
use super::{Observation, Stop};

fn label(status: Status) -> colored::ColoredString {
    match status {
        Status::Pass => "PASS".green().bold(),
        Status::Warn => "WARN".yellow().bold(),
        Status::Fail => "FAIL".red().bold(),
    }
}

fn stop_text(stop: Stop) -> &'static str {
    match stop {
        Stop::Duration => "the watch time ran out",
        Stop::Count => "the event count was reached",
        Stop::Ended => "the stream ended",
        Stop::Interrupted => "interrupted",
        Stop::NoResponse => "no response",
    }
}

fn counts(findings: &[Finding]) -> (usize, usize, usize) {
    let n = |s| findings.iter().filter(|f| f.status == s).count();
    (n(Status::Pass), n(Status::Warn), n(Status::Fail))
}

pub fn write_text(out: &mut impl Write, obs: &Observation, findings: &[Finding]) -> io::Result<()> {
    writeln!(out, "{} {}", "sse doctor".bold(), obs.url)?;
    let bytes: usize = obs.reads.iter().map(|(_, n)| n).sum();
    writeln!(
        out,
        "watched {} ({}): {} event{}, {} comment{}, {} bytes, {}",
        ms(obs.watched),
        stop_text(obs.stopped),
        obs.events.len(),
        if obs.events.len() == 1 { "" } else { "s" },
        obs.comments,
        if obs.comments == 1 { "" } else { "s" },
        bytes,
        if obs.stamps > 0 {
            format!("{} `: sent-at` stamps", obs.stamps)
        } else {
            "no `: sent-at` stamps".to_string()
        }
    )?;
    writeln!(out)?;
    let width = findings.iter().map(|f| f.check.len()).max().unwrap_or(8);
    for f in findings {
        writeln!(out, "{}  {:width$}  {}", label(f.status), f.check, f.seen)?;
        if f.status != Status::Pass {
            let pad = " ".repeat(width + 8);
            if !f.why.is_empty() {
                writeln!(out, "{pad}{} {}", "why:".dimmed(), f.why)?;
            }
            if !f.fix.is_empty() {
                writeln!(out, "{pad}{} {}", "fix:".cyan(), f.fix)?;
            }
        }
    }
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
    writeln!(out, "{verdict}")
}

#[derive(Serialize)]
struct JsonReport<'a> {
    url: &'a str,
    ok: bool,
    status: Option<u16>,
    http_version: &'a str,
    watched_ms: u128,
    stopped: &'static str,
    events: usize,
    comments: usize,
    stamps: usize,
    bytes: usize,
    headers: Vec<(&'a str, &'a str)>,
    delays_ms: Vec<u128>,
    checks: &'a [Finding],
    summary: Summary,
}

#[derive(Serialize)]
struct Summary {
    pass: usize,
    warn: usize,
    fail: usize,
}

pub fn write_json(out: &mut impl Write, obs: &Observation, findings: &[Finding]) -> io::Result<()> {
    let (pass, warn, fail) = counts(findings);
    let report = JsonReport {
        url: &obs.url,
        ok: fail == 0,
        status: obs.status,
        http_version: &obs.version,
        watched_ms: obs.watched.as_millis(),
        stopped: stop_text(obs.stopped),
        events: obs.events.len(),
        comments: obs.comments,
        stamps: obs.stamps,
        bytes: obs.reads.iter().map(|(_, n)| n).sum(),
        headers: obs
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect(),
        delays_ms: obs
            .events
            .iter()
            .filter_map(|e| e.delay.map(|d| d.as_millis()))
            .collect(),
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

    #[test]
    fn text_and_json_reports() {
        colored::control::set_override(false);
        let obs = Observation {
            url: "http://x/e".into(),
            status: Some(200),
            version: "HTTP/1.1".into(),
            headers: vec![("content-type".into(), "text/html".into())],
            ..Observation::default()
        };
        let findings = run_all(&obs);
        let mut text = Vec::new();
        write_text(&mut text, &obs, &findings).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.contains("FAIL  content-type"), "{text}");
        assert!(text.contains("fix: send `Content-Type: text/event-stream`"));
        assert!(text.trim_end().ends_with("failed (content-type)"));
        let mut json = Vec::new();
        write_json(&mut json, &obs, &findings).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(v["ok"], false);
        assert_eq!(v["checks"][1]["check"], "content-type");
        assert_eq!(v["checks"][1]["status"], "FAIL");
    }
}
