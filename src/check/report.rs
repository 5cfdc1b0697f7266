//! What `sse check` prints: a line per expectation as it is decided (✓ / ✗, with what
//! differed), a summary; or `--json`, one object per expectation; and `--junit FILE`.

use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use colored::Colorize;
use serde_json::json;

use super::plan::Plan;
use super::watch::{show_seen, Kind, Outcome, Verdict};
use crate::cli::CheckArgs;
use crate::error::Error;
use crate::escape;
use crate::format;

#[derive(Debug, Clone, Copy)]
pub enum Format {
    Lines { color: bool, quiet: bool },
    Json,
}

pub struct Report<'a> {
    out: Box<dyn Write + 'a>,
    format: Format,
    /// `URL` and `SCRIPT`, as given.
    url: String,
    script: String,
    tolerance: Duration,
    junit: Option<PathBuf>,
    events: usize,
    outcomes: Vec<Outcome>,
}

impl<'a> Report<'a> {
    pub fn new(out: impl Write + 'a, format: Format, args: &CheckArgs, plan: &Plan) -> Self {
        Report {
            out: Box::new(out),
            format,
            url: args.url.clone(),
            script: args.script.display().to_string(),
            tolerance: args.tolerance,
            junit: args.junit.clone(),
            events: plan.events(),
            outcomes: Vec::new(),
        }
    }

    fn write(&mut self, line: &str) -> Result<(), Error> {
        writeln!(self.out, "{line}")
            .and_then(|()| self.out.flush())
            .map_err(Error::Output)
    }

    /// The line that says what is checked against what.
    pub fn begin(&mut self) -> Result<(), Error> {
        if let Format::Lines { quiet: false, .. } = self.format {
            let line = format!(
                "checking {} against {} ({}, tolerance {})",
                escape::line(&self.url),
                escape::line(&self.script),
                format::count(self.events as u64, "event"),
                format::ms(self.tolerance)
            );
            let line = line.dimmed().to_string();
            self.write(&line)?;
        }
        Ok(())
    }

    /// One decided expectation, shown at once.
    pub fn add(&mut self, outcome: Outcome) -> Result<(), Error> {
        match self.format {
            Format::Json => {
                let line = json_of(&outcome).to_string();
                self.write(&line)?;
            }
            Format::Lines { quiet, .. } if !quiet || outcome.verdict == Verdict::Failed => {
                let line = line_of(&outcome);
                self.write(&line)?;
            }
            Format::Lines { .. } => {}
        }
        self.outcomes.push(outcome);
        Ok(())
    }

    /// The summary (stderr with `--json`), the JUnit file, and the exit status.
    pub fn finish(mut self, elapsed: Duration) -> Result<ExitCode, Error> {
        let count = |v: Verdict| self.outcomes.iter().filter(|o| o.verdict == v).count() as u64;
        let (met, failed, unchecked) = (
            count(Verdict::Met),
            count(Verdict::Failed),
            count(Verdict::NotChecked),
        );
        let mut summary = if failed == 0 && unchecked == 0 {
            format!(
                "PASS: {} met in {}",
                format::count(met, "expectation"),
                format::ms(elapsed)
            )
        } else {
            format!(
                "FAIL: {failed} of {} failed",
                format::count(met + failed + unchecked, "expectation")
            )
        };
        if failed > 0 || unchecked > 0 {
            if unchecked > 0 {
                let _ = write!(summary, ", {unchecked} not checked");
            }
            let _ = write!(summary, ", {met} met, in {}", format::ms(elapsed));
        }
        match self.format {
            Format::Json => {
                let _ = writeln!(std::io::stderr(), "{summary}");
            }
            Format::Lines { color, .. } => {
                let shown = match (color, failed + unchecked) {
                    (false, _) => summary.clone(),
                    (true, 0) => summary.green().bold().to_string(),
                    (true, _) => summary.red().bold().to_string(),
                };
                self.write(&shown)?;
            }
        }
        if let Some(path) = &self.junit {
            let xml = junit(&self.outcomes, &self.script, &self.url, elapsed);
            std::fs::write(path, xml)
                .map_err(|e| Error::io(format!("writing {}", path.display()), e))?;
        }
        Ok(if failed + unchecked == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(1)
        })
    }
}

/// `event 2 (line 7)`, `response`, `close (line 14)`.
fn name_of(o: &Outcome) -> String {
    let what = match o.kind {
        Kind::Response if o.connection > 1 => format!("response {}", o.connection),
        Kind::Response => "response".to_string(),
        Kind::Event(n) => format!("event {n}"),
        Kind::Close => "end of stream".to_string(),
        Kind::NoContent => "204 on reconnection".to_string(),
    };
    match o.line {
        Some(line) => format!("{what} (line {line})"),
        None => what,
    }
}

/// Where and when it was seen: `event 2 of connection 1, byte 57, at 1.00 s`.
fn place_of(o: &Outcome) -> String {
    let mut parts = Vec::new();
    if let Some(n) = o.event_number {
        parts.push(format!("event {n} of connection {}", o.connection));
    }
    if let Some(offset) = o.offset {
        parts.push(format!("byte {offset}"));
    }
    if let Some(at) = o.at {
        parts.push(format!("at {}", format::ms(at)));
    }
    parts.join(", ")
}

fn line_of(o: &Outcome) -> String {
    let mark = match o.verdict {
        Verdict::Met => "✓".green().to_string(),
        Verdict::Failed => "✗".red().bold().to_string(),
        Verdict::NotChecked => "-".dimmed().to_string(),
    };
    let mut line = name_of(o);
    if let Some(expected) = &o.expected {
        let _ = write!(line, ": {}", show_seen(expected));
    }
    match o.verdict {
        Verdict::NotChecked => line.push_str(" not checked: the check ended before it"),
        _ if !o.detail.is_empty() => {
            let _ = write!(line, ": {}", o.detail);
        }
        _ => {}
    }
    let place = place_of(o);
    if !place.is_empty() && matches!(o.kind, Kind::Event(_)) {
        let _ = write!(line, " ({place})");
    }
    // What came from the network is escaped where it was quoted; this is the backstop.
    format!("{mark} {}", escape::line(&line))
}

fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Met => "met",
        Verdict::Failed => "failed",
        Verdict::NotChecked => "not checked",
    }
}

/// One `--json` object.
fn json_of(o: &Outcome) -> serde_json::Value {
    let seen = |s: &Option<super::watch::Seen>| {
        s.as_ref()
            .map(|s| json!({"event": s.event_type, "id": s.id, "data": s.data}))
    };
    let (kind, number) = match o.kind {
        Kind::Response => ("response", None),
        Kind::Event(n) => ("event", Some(n)),
        Kind::Close => ("end", None),
        Kind::NoContent => ("no_content", None),
    };
    json!({
        "expectation": kind,
        "number": number,
        "line": o.line,
        "connection": o.connection,
        "ok": o.verdict == Verdict::Met,
        "verdict": verdict_word(o.verdict),
        "detail": o.detail,
        "expected": seen(&o.expected),
        "got": seen(&o.got),
        "at_ms": o.at.map(format::millis),
        "late_ms": o.late.map(format::millis),
        "event_number": o.event_number,
        "offset": o.offset,
    })
}

/// Text for XML: escaped for a terminal first (XML 1.0 cannot hold most control
/// characters), then its five special characters.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in escape::line(s).chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The JUnit XML report: one test case per expectation, as CI systems show them.
fn junit(outcomes: &[Outcome], script: &str, url: &str, elapsed: Duration) -> String {
    let count = |v: Verdict| outcomes.iter().filter(|o| o.verdict == v).count();
    let (failures, skipped) = (count(Verdict::Failed), count(Verdict::NotChecked));
    let suite = xml(&format!("{script} against {url}"));
    let secs = elapsed.as_secs_f64();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"sse check\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{secs:.3}\">",
        outcomes.len()
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\" time=\"{secs:.3}\">",
        outcomes.len()
    );
    for o in outcomes {
        let mut name = name_of(o);
        if let Some(expected) = &o.expected {
            let _ = write!(name, ": {}", show_seen(expected));
        }
        let time = o.at.map_or(0.0, |d| d.as_secs_f64());
        let _ = write!(
            x,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{time:.3}\"",
            xml(script),
            xml(&name)
        );
        match o.verdict {
            Verdict::Met => x.push_str("/>\n"),
            Verdict::Failed => {
                let place = place_of(o);
                let _ = write!(
                    x,
                    ">\n      <failure message=\"{}\" type=\"mismatch\">{}{}</failure>\n    </testcase>\n",
                    xml(&o.detail),
                    xml(&o.detail),
                    if place.is_empty() { String::new() } else { xml(&format!(" ({place})")) }
                );
            }
            Verdict::NotChecked => {
                x.push_str(">\n      <skipped message=\"not checked: the check ended before it\"/>\n    </testcase>\n");
            }
        }
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Outcome {
        let mut o = Outcome::new(Kind::Event(2), Some(7), 1, Verdict::Failed);
        o.detail = "data differs at byte 0: expected \"a<b\", came \"\u{1b}[31m\"".into();
        o.event_number = Some(2);
        o.offset = Some(57);
        o.at = Some(Duration::from_millis(1003));
        o
    }

    #[test]
    fn a_line_says_which_expectation_what_came_and_where() {
        colored::control::set_override(false);
        assert_eq!(
            line_of(&failed()),
            "✗ event 2 (line 7): data differs at byte 0: expected \"a<b\", came \"\\x1b[31m\" (event 2 of connection 1, byte 57, at 1.00 s)"
        );
        let met = Outcome::new(Kind::Close, Some(9), 1, Verdict::Met);
        assert_eq!(line_of(&met), "✓ end of stream (line 9)");
    }

    #[test]
    fn junit_is_well_formed_and_escaped() {
        let ok = Outcome::new(Kind::Response, None, 1, Verdict::Met);
        let skipped = Outcome::new(Kind::Close, Some(9), 1, Verdict::NotChecked);
        let x = junit(
            &[ok, failed(), skipped],
            "s&.txt",
            "http://h/e?a=1&b=2",
            Duration::from_millis(1500),
        );
        assert!(
            x.contains("tests=\"3\" failures=\"1\" errors=\"0\" skipped=\"1\" time=\"1.500\""),
            "{x}"
        );
        assert!(x.contains("name=\"s&amp;.txt against http://h/e?a=1&amp;b=2\""));
        assert!(
            x.contains("expected &quot;a&lt;b&quot;, came &quot;\\x1b[31m&quot;"),
            "{x}"
        );
        assert!(!x.contains('\u{1b}'), "no control character in XML");
        assert!(x.contains("<skipped message="));
        assert_eq!(x.matches("<testcase").count(), 3);
        assert_eq!(
            x.matches("</testcase>").count() + x.matches("\"/>\n").count() - 1,
            3,
            "{x}"
        );
    }

    #[test]
    fn json_objects_carry_numbers() {
        let v = json_of(&failed());
        assert_eq!(v["expectation"], "event");
        assert_eq!(v["number"], 2);
        assert_eq!(v["ok"], false);
        assert_eq!(v["at_ms"], 1003);
        assert_eq!(v["offset"], 57);
    }
}
