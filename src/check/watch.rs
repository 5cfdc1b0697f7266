//! One connection's events against what the plan expects of it: fed arrivals,
//! deadlines passing and the stream's end, it says what each expectation came to.
//! It holds no clock and no socket, so its rules are tested as they are.
//!
//! The rules: events are compared in order (type, id, data). An event is on time when
//! it comes by its script time plus the tolerance counted from the request, and by its
//! script gap plus the tolerance counted from the previous event; after an event that
//! repeats, times are counted from its last arrival. `@within` replaces both with a
//! deadline from the request; `@max-gap` adds one from the previous event. An event
//! that is late is waited for `patience` longer, so the report can say how late.

use std::time::Duration;

use super::plan::{DataMatch, Expected, Leg};
use crate::escape;
use crate::format;
use crate::jq::{Jq, Output};
use crate::parser::EventRef;

/// An event as it arrived.
#[derive(Debug, Clone, Copy)]
pub struct Arrival<'a> {
    pub event_type: &'a str,
    pub data: &'a str,
    pub id: &'a str,
    /// After the connection's request.
    pub at: Duration,
    /// Its number in the connection, from 1.
    pub number: u64,
    /// The stream offset just past its blank line (decoded bytes).
    pub offset: u64,
}

/// What is compared: an expectation's or an arrival's event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub event_type: String,
    pub id: String,
    pub data: String,
}

impl From<&Arrival<'_>> for Seen {
    fn from(a: &Arrival<'_>) -> Seen {
        Seen {
            event_type: a.event_type.into(),
            id: a.id.into(),
            data: a.data.into(),
        }
    }
}

impl From<&Expected> for Seen {
    fn from(e: &Expected) -> Seen {
        Seen {
            event_type: e.event_type.clone(),
            id: e.id.clone(),
            data: e.data.clone(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Met,
    Failed,
    /// The check ended before it (an earlier failure).
    NotChecked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A connection's response head (status, headers, Content-Type).
    Response,
    /// An expected event: its number in the script, from 1.
    Event(usize),
    /// The server ending the stream where the script says.
    Close,
    /// A reconnection answered 204 (`@end 204`).
    NoContent,
}

/// What one expectation came to.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub kind: Kind,
    /// The script line it comes from.
    pub line: Option<usize>,
    pub connection: u32,
    pub verdict: Verdict,
    /// What differed, or what was seen (one line, escaped).
    pub detail: String,
    pub expected: Option<Seen>,
    pub got: Option<Seen>,
    /// When it was seen, after the connection's request.
    pub at: Option<Duration>,
    /// How far past its deadline.
    pub late: Option<Duration>,
    pub event_number: Option<u64>,
    pub offset: Option<u64>,
}

impl Outcome {
    pub fn new(kind: Kind, line: Option<usize>, connection: u32, verdict: Verdict) -> Outcome {
        Outcome {
            kind,
            line,
            connection,
            verdict,
            detail: String::new(),
            expected: None,
            got: None,
            at: None,
            late: None,
            event_number: None,
            offset: None,
        }
    }

    fn with_detail(mut self, detail: String) -> Outcome {
        self.detail = detail;
        self
    }

    fn arrived(mut self, a: &Arrival<'_>) -> Outcome {
        self.got = Some(Seen::from(a));
        self.at = Some(a.at);
        self.event_number = Some(a.number);
        self.offset = Some(a.offset);
        self
    }
}

/// What the connection waits for next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The next event, or the end, until this long after the request.
    Until(Duration),
    /// Everything this connection expects was seen and the script leaves it open.
    Done,
    /// A failure ended the check.
    Stopped,
}

/// The timing rules of a check run.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub tolerance: Duration,
    /// How long past its deadline a late event is still waited for.
    pub patience: Duration,
}

pub struct LegWatch<'p> {
    leg: &'p Leg,
    timing: Timing,
    connection: u32,
    /// The script number of the leg's first event, less one.
    first: usize,
    pos: usize,
    /// Arrivals of the current expectation so far (more than one when it repeats).
    matched: u32,
    /// The outcome of a repeating expectation, finished when it stops repeating.
    open: Option<Outcome>,
    prev_at: Duration,
    /// Times are counted from here: (an arrival, its script time).
    base: (Duration, Duration),
    /// The current expectation passed its deadline; the wait goes on for `patience`.
    overdue: bool,
    stopped: bool,
    /// Finished outcomes, in order, for the caller to take.
    pub outcomes: Vec<Outcome>,
}

impl<'p> LegWatch<'p> {
    /// `first`: how many events the script expects before this connection's.
    pub fn new(leg: &'p Leg, timing: Timing, connection: u32, first: usize) -> Self {
        LegWatch {
            leg,
            timing,
            connection,
            first,
            pos: 0,
            matched: 0,
            open: None,
            prev_at: Duration::ZERO,
            base: (Duration::ZERO, Duration::ZERO),
            overdue: false,
            stopped: false,
            outcomes: Vec::new(),
        }
    }

    pub fn wait(&self) -> Wait {
        if self.stopped {
            return Wait::Stopped;
        }
        let Some(e) = self.leg.expects.get(self.pos) else {
            return match self.leg.close {
                Some(close) => Wait::Until(close.at + self.timing.tolerance),
                None => Wait::Done,
            };
        };
        let by = self.deadline(e);
        Wait::Until(if self.overdue {
            by + self.timing.patience
        } else {
            by
        })
    }

    /// When the current expectation (or its next repetition) is due at the latest.
    fn deadline(&self, e: &Expected) -> Duration {
        let tol = self.timing.tolerance;
        let by_gap = self.prev_at + e.gap + tol;
        let by = match (self.matched, e.within) {
            (0, Some(within)) => within,
            (0, None) => {
                let (arrival, script) = self.base;
                (arrival + e.at.saturating_sub(script) + tol).min(by_gap)
            }
            _ => by_gap,
        };
        match e.max_gap {
            Some(g) => by.min(self.prev_at + g),
            None => by,
        }
    }

    /// Why an arrival at `at` is late for `e`, and by how much; `None` when on time.
    fn lateness(&self, e: &Expected, at: Duration) -> Option<(Duration, String)> {
        let tol = self.timing.tolerance;
        let gap = at.saturating_sub(self.prev_at);
        let plus = |d: Duration| format!("{} (+{} tolerance)", format::ms(d), format::ms(tol));
        let mut rules: Vec<(Duration, String)> = Vec::new();
        if let Some(g) = e.max_gap {
            rules.push((
                self.prev_at + g,
                format!("after the previous event; @max-gap {}", format::ms(g)),
            ));
        }
        match (self.matched, e.within) {
            (0, Some(w)) => {
                rules.push((w, format!("after the request; @within {}", format::ms(w))))
            }
            (0, None) => {
                let (arrival, script) = self.base;
                let due = e.at.saturating_sub(script);
                let from = if arrival.is_zero() {
                    "the request"
                } else {
                    "the last repeat"
                };
                rules.push((
                    arrival + due + tol,
                    format!("after {from}; the script says {}", plus(due)),
                ));
                rules.push((
                    self.prev_at + e.gap + tol,
                    format!("after the previous event; the script says {}", plus(e.gap)),
                ));
            }
            _ => rules.push((
                self.prev_at + e.gap + tol,
                format!("after the previous event; the script says {}", plus(e.gap)),
            )),
        }
        let (by, why) = rules
            .into_iter()
            .filter(|(by, _)| at > *by)
            .min_by_key(|r| r.0)?;
        let came = if why.starts_with("after the previous") {
            gap
        } else {
            at.saturating_sub(self.base.0)
        };
        Some((
            at - by,
            format!(
                "late by {}: came {} {why}",
                format::ms(at - by),
                format::ms(came)
            ),
        ))
    }

    /// An event arrived.
    pub fn arrived(&mut self, a: &Arrival<'_>) {
        while !self.stopped {
            let Some(e) = self.leg.expects.get(self.pos) else {
                if let Some(close) = self.leg.close {
                    let detail = format!(
                        "the server was to end the stream here; event {} came instead: {}",
                        a.number,
                        show_seen(&Seen::from(a))
                    );
                    self.fail(
                        Outcome::new(
                            Kind::Close,
                            Some(close.line),
                            self.connection,
                            Verdict::Failed,
                        )
                        .with_detail(detail)
                        .arrived(a),
                    );
                }
                return;
            };
            let differences = differences(e, a);
            if differences.is_empty() {
                return self.met(a);
            }
            if self.matched > 0 {
                self.finish_repeat();
            } else if e.optional {
                self.absent();
            } else if let Some(ahead) = self.matches_ahead(a) {
                self.missing(ahead, a);
            } else {
                let detail = differences.join("; ");
                let outcome = self
                    .outcome(e, Verdict::Failed)
                    .with_detail(detail)
                    .arrived(a);
                self.outcomes.push(outcome);
                self.next(a.at);
                return;
            }
        }
    }

    /// The current expectation matched `a`.
    fn met(&mut self, a: &Arrival<'_>) {
        let e = &self.leg.expects[self.pos];
        let late = self.lateness(e, a.at);
        let open_ended = self.pos + 1 == self.leg.expects.len() && self.leg.close.is_none();
        if self.matched == 0 {
            let mut outcome = self.outcome(e, Verdict::Met).arrived(a);
            if let Some((by, why)) = late {
                outcome.verdict = Verdict::Failed;
                outcome.late = Some(by);
                outcome.detail = why;
            }
            self.open = Some(outcome);
        } else {
            if let (Some(outcome), Some((by, why))) = (self.open.as_mut(), late) {
                if outcome.verdict == Verdict::Met {
                    outcome.verdict = Verdict::Failed;
                    outcome.late = Some(by);
                    outcome.detail =
                        format!("repeat {} (event {}): {why}", self.matched + 1, a.number);
                }
            }
            self.base = (a.at, e.at);
        }
        self.matched += 1;
        self.prev_at = a.at;
        self.overdue = false;
        if !e.repeat || open_ended {
            // A repeat that ends an open stream is met by its first arrival: a stream that
            // does not end would otherwise be waited on for ever.
            self.finish_repeat();
        }
    }

    /// The current expectation is done (it matched once, or it repeated and stopped).
    fn finish_repeat(&mut self) {
        if let Some(mut outcome) = self.open.take() {
            if self.matched > 1 && outcome.detail.is_empty() {
                outcome.detail = format!("{} times", self.matched);
            }
            self.outcomes.push(outcome);
        }
        self.pos += 1;
        self.matched = 0;
        self.overdue = false;
    }

    /// The current, optional expectation did not come.
    fn absent(&mut self) {
        let e = &self.leg.expects[self.pos];
        let outcome = self
            .outcome(e, Verdict::Met)
            .with_detail("optional, and it did not come".into());
        self.outcomes.push(outcome);
        self.pos += 1;
        self.overdue = false;
    }

    /// Which later expectation `a` matches exactly, when one does: those before it are missing.
    fn matches_ahead(&self, a: &Arrival<'_>) -> Option<usize> {
        (self.pos + 1..self.leg.expects.len())
            .find(|&j| differences(&self.leg.expects[j], a).is_empty())
    }

    fn missing(&mut self, ahead: usize, a: &Arrival<'_>) {
        while self.pos < ahead {
            let e = &self.leg.expects[self.pos];
            if e.optional {
                self.absent();
                continue;
            }
            let detail = format!(
                "did not come: event {} came next, and it is the one on line {}",
                a.number, self.leg.expects[ahead].line
            );
            let outcome = self.outcome(e, Verdict::Failed).with_detail(detail);
            self.outcomes.push(outcome);
            self.pos += 1;
        }
        self.overdue = false;
    }

    /// Moves past the current expectation after an event at `at`.
    fn next(&mut self, at: Duration) {
        self.pos += 1;
        self.matched = 0;
        self.prev_at = at;
        self.overdue = false;
    }

    /// The deadline `wait` gave passed with nothing arrived (`now`: after the request).
    pub fn timed_out(&mut self, now: Duration) {
        if self.stopped {
            return;
        }
        let Some(e) = self.leg.expects.get(self.pos) else {
            if let Some(close) = self.leg.close {
                let detail = format!(
                    "the stream did not end: the server was to close it {} after the request (+{} tolerance), and it was still open at {}",
                    format::ms(close.at), format::ms(self.timing.tolerance), format::ms(now)
                );
                self.fail(
                    Outcome::new(
                        Kind::Close,
                        Some(close.line),
                        self.connection,
                        Verdict::Failed,
                    )
                    .with_detail(detail),
                );
            }
            return;
        };
        if self.matched > 0 {
            self.finish_repeat();
        } else if e.optional {
            self.absent();
        } else if !self.overdue {
            self.overdue = true;
        } else {
            let by = self.deadline(e);
            let detail = format!(
                "did not come: due by {} after the request, and nothing came in the {} after that",
                format::ms(by),
                format::ms(self.timing.patience)
            );
            let outcome = self.outcome(e, Verdict::Failed).with_detail(detail);
            self.fail(outcome);
        }
    }

    /// The stream ended at `at` (`why`: how, when it was not a clean close); whether the
    /// connection went as the script says.
    pub fn ended(&mut self, at: Duration, why: Option<&str>) -> bool {
        if self.stopped {
            return false;
        }
        while let Some(e) = self.leg.expects.get(self.pos) {
            if self.matched > 0 {
                self.finish_repeat();
            } else if e.optional {
                self.absent();
            } else {
                let how = why.unwrap_or("the server closed it");
                let detail = format!(
                    "the stream ended {} after the request ({how}) before this event came",
                    format::ms(at)
                );
                let outcome = self.outcome(e, Verdict::Failed).with_detail(detail);
                self.fail(outcome);
                return false;
            }
        }
        let Some(close) = self.leg.close else {
            return true;
        };
        let (verdict, detail) = match why {
            None => (
                Verdict::Met,
                format!(
                    "the server ended the stream {} after the request (the script: {})",
                    format::ms(at),
                    format::ms(close.at)
                ),
            ),
            Some(why) => (
                Verdict::Failed,
                format!(
                    "the stream was to end cleanly; it failed {} after the request: {why}",
                    format::ms(at)
                ),
            ),
        };
        let mut outcome = Outcome::new(Kind::Close, Some(close.line), self.connection, verdict)
            .with_detail(detail);
        outcome.at = Some(at);
        self.outcomes.push(outcome);
        verdict == Verdict::Met
    }

    /// The outcomes of the expectations this connection did not reach, after a failure.
    pub fn not_checked(&self) -> Vec<Outcome> {
        let from = self.pos + usize::from(self.open.is_some() || self.stopped);
        let mut rest: Vec<Outcome> = self
            .leg
            .expects
            .iter()
            .skip(from.min(self.leg.expects.len()))
            .map(|e| self.outcome(e, Verdict::NotChecked))
            .collect();
        let close_failed = self.outcomes.iter().any(|o| o.kind == Kind::Close);
        if let (Some(close), false) = (self.leg.close, close_failed) {
            rest.push(Outcome::new(
                Kind::Close,
                Some(close.line),
                self.connection,
                Verdict::NotChecked,
            ));
        }
        rest
    }

    /// Whether the connection ended in a failure.
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    fn fail(&mut self, outcome: Outcome) {
        self.outcomes.push(outcome);
        self.stopped = true;
    }

    fn outcome(&self, e: &Expected, verdict: Verdict) -> Outcome {
        let index = self
            .leg
            .expects
            .iter()
            .position(|x| std::ptr::eq(x, e))
            .unwrap_or(0);
        let mut outcome = Outcome::new(
            Kind::Event(self.first + index + 1),
            Some(e.line),
            self.connection,
            verdict,
        );
        outcome.expected = Some(Seen::from(e));
        outcome
    }
}

/// How an arrival differs from an expectation: empty when it matches.
pub fn differences(e: &Expected, a: &Arrival<'_>) -> Vec<String> {
    let mut out = Vec::new();
    if e.event_type != a.event_type {
        out.push(format!(
            "type {} expected, {} came",
            quoted(&e.event_type),
            quoted(a.event_type)
        ));
    }
    if e.id != a.id {
        out.push(format!(
            "id {} expected, {} came",
            quoted_id(&e.id),
            quoted_id(a.id)
        ));
    }
    let data = match &e.matcher {
        DataMatch::Exact => data_diff(&e.data, a.data),
        DataMatch::Regex(re) => (!re.is_match(a.data)).then(|| {
            format!(
                "data {} does not match @regex {}",
                quoted(a.data),
                quoted(re.as_str())
            )
        }),
        DataMatch::Jq(jq) => jq_verdict(jq, a),
    };
    out.extend(data);
    out
}

/// `@jq`: `None` when the filter's first result is neither false nor null.
fn jq_verdict(jq: &Jq, a: &Arrival<'_>) -> Option<String> {
    let ev = EventRef::with(a.event_type, a.data, a.id);
    let mut first = None;
    let ran = jq.run(&ev, |out| {
        first.get_or_insert(out);
        Err(())
    });
    let code = quoted(jq.code());
    match (ran, first) {
        (Ok(Err(e)), None) => Some(format!("@jq {code} failed on data {}: {e}", quoted(a.data))),
        (_, None) => Some(format!(
            "@jq {code} gave no result for data {}",
            quoted(a.data)
        )),
        (_, Some(Output::Null)) => {
            Some(format!("@jq {code} gave null for data {}", quoted(a.data)))
        }
        (_, Some(Output::Json(v))) if v == "false" => {
            Some(format!("@jq {code} gave false for data {}", quoted(a.data)))
        }
        _ => None,
    }
}

/// Characters shown on each side of the first difference.
const CONTEXT: usize = 24;

/// Where two data strings first differ, with a little of each around it.
fn data_diff(want: &str, got: &str) -> Option<String> {
    if want == got {
        return None;
    }
    let at = want
        .char_indices()
        .zip(got.chars())
        .find(|((_, w), g)| w != g)
        .map_or(want.len().min(got.len()), |((i, _), _)| i);
    let around = |s: &str| {
        let start = s[..at]
            .char_indices()
            .rev()
            .nth(CONTEXT - 1)
            .map_or(0, |(i, _)| i);
        let rest = &s[start..];
        let end = rest
            .char_indices()
            .nth(2 * CONTEXT)
            .map_or(rest.len(), |(i, _)| i);
        let body = escape::line(&rest[..end]).into_owned();
        let head = if start > 0 { "…" } else { "" };
        let tail = if end < rest.len() { "…" } else { "" };
        format!("\"{head}{body}{tail}\"")
    };
    let what = if at == got.len() {
        "ends early"
    } else if at == want.len() {
        "goes on"
    } else {
        "differs"
    };
    Some(format!(
        "data {what} at byte {at}: expected {}, came {}",
        around(want),
        around(got)
    ))
}

/// A value shown in a message: quoted, controls escaped, long ones cut.
pub fn quoted(s: &str) -> String {
    let cut = s
        .char_indices()
        .nth(2 * CONTEXT)
        .map_or(s.len(), |(i, _)| i);
    let tail = if cut < s.len() { "…" } else { "" };
    format!("\"{}{tail}\"", escape::line(&s[..cut]))
}

fn quoted_id(id: &str) -> String {
    if id.is_empty() {
        "(none)".into()
    } else {
        quoted(id)
    }
}

/// `tick id "3" "{\"n\":3}"`.
pub fn show_seen(s: &Seen) -> String {
    let id = if s.id.is_empty() {
        String::new()
    } else {
        format!(" id {}", quoted(&s.id))
    };
    format!("{}{id} {}", escape::line(&s.event_type), quoted(&s.data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::plan::{self, Plan};
    use std::path::Path;

    fn plan_of(text: &str) -> Plan {
        let path = Path::new("c.txt");
        plan::plan(
            &crate::serve::script::parse(text.as_bytes(), path).unwrap(),
            path,
        )
        .unwrap()
    }

    const TIMING: Timing = Timing {
        tolerance: Duration::from_millis(100),
        patience: Duration::from_secs(1),
    };

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn arrival<'a>(event_type: &'a str, data: &'a str, at: u64, number: u64) -> Arrival<'a> {
        Arrival {
            event_type,
            data,
            id: "",
            at: ms(at),
            number,
            offset: number * 10,
        }
    }

    fn verdicts(w: &LegWatch<'_>) -> Vec<(Kind, Verdict)> {
        w.outcomes.iter().map(|o| (o.kind, o.verdict)).collect()
    }

    #[test]
    fn on_time_events_and_the_close_are_met() {
        let p = plan_of("data: a\n\n@sleep 1s\ndata: b\n\n@close\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        assert_eq!(w.wait(), Wait::Until(ms(100)));
        w.arrived(&arrival("message", "a", 5, 1));
        assert_eq!(
            w.wait(),
            Wait::Until(ms(1100)),
            "1 s after the request, or after a"
        );
        w.arrived(&arrival("message", "b", 1010, 2));
        assert_eq!(w.wait(), Wait::Until(ms(1100)), "the close is due");
        assert!(w.ended(ms(1020), None));
        assert_eq!(
            verdicts(&w),
            [
                (Kind::Event(1), Verdict::Met),
                (Kind::Event(2), Verdict::Met),
                (Kind::Close, Verdict::Met)
            ]
        );
    }

    #[test]
    fn a_late_event_says_by_how_much_and_which_rule() {
        let p = plan_of("data: a\n\n@sleep 1s\ndata: b\n\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "a", 0, 1));
        w.timed_out(ms(1100));
        assert_eq!(
            w.wait(),
            Wait::Until(ms(2100)),
            "waited for patience longer"
        );
        w.arrived(&arrival("message", "b", 1600, 2));
        let o = &w.outcomes[1];
        assert_eq!(o.verdict, Verdict::Failed);
        assert_eq!(o.late, Some(ms(500)));
        assert_eq!(
            o.detail,
            "late by 500 ms: came 1.60 s after the request; the script says 1.00 s (+100 ms tolerance)"
        );
        assert_eq!(w.wait(), Wait::Done);
    }

    #[test]
    fn the_gap_from_the_previous_event_counts_too() {
        let p = plan_of("data: a\n\n@sleep 1s\ndata: b\n\n@sleep 100ms\ndata: c\n\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "a", 0, 1));
        w.arrived(&arrival("message", "b", 900, 2));
        // b came early: c at 1.15 s is within 1.1 s + 0.1 s of the request, but 250 ms
        // after b is more than 100 ms + 0.1 s.
        w.arrived(&arrival("message", "c", 1150, 3));
        assert_eq!(w.outcomes[2].verdict, Verdict::Failed);
        assert!(
            w.outcomes[2]
                .detail
                .contains("came 250 ms after the previous event; the script says 100 ms"),
            "{}",
            w.outcomes[2].detail
        );
    }

    #[test]
    fn a_different_event_names_what_differed_and_the_check_goes_on() {
        let p = plan_of("event: t\ndata: {\"n\":1,\"word\":\"two\"}\n\ndata: next\n\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("u", "{\"n\":1,\"word\":\"tow\"}", 3, 1));
        let o = &w.outcomes[0];
        assert_eq!(o.verdict, Verdict::Failed);
        assert_eq!(
            o.detail,
            "type \"t\" expected, \"u\" came; data differs at byte 16: expected \"{\\\"n\\\":1,\\\"word\\\":\\\"two\\\"}\", came \"{\\\"n\\\":1,\\\"word\\\":\\\"tow\\\"}\""
                .replace("\\\"", "\"")
        );
        assert_eq!((o.event_number, o.offset), (Some(1), Some(10)));
        w.arrived(&arrival("message", "next", 4, 2));
        assert_eq!(w.outcomes[1].verdict, Verdict::Met);
    }

    #[test]
    fn a_missing_event_is_named_when_a_later_one_comes() {
        let p = plan_of("data: a\n\ndata: b\n\ndata: c\n\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "a", 0, 1));
        w.arrived(&arrival("message", "c", 1, 2));
        assert_eq!(
            verdicts(&w),
            [
                (Kind::Event(1), Verdict::Met),
                (Kind::Event(2), Verdict::Failed),
                (Kind::Event(3), Verdict::Met)
            ]
        );
        assert_eq!(
            w.outcomes[1].detail,
            "did not come: event 2 came next, and it is the one on line 5"
        );
    }

    #[test]
    fn optional_and_repeating_events() {
        let p = plan_of(
            "@optional\ndata: hello\n\n@repeat\n@sleep 50ms\ndata: tick\n\ndata: end\n\n@end\n",
        );
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "tick", 50, 1));
        w.arrived(&arrival("message", "tick", 100, 2));
        w.arrived(&arrival("message", "tick", 150, 3));
        assert_eq!(
            w.wait(),
            Wait::Until(ms(300)),
            "another tick is due 50 ms + tolerance later"
        );
        w.arrived(&arrival("message", "end", 160, 4));
        assert!(w.ended(ms(170), None));
        assert_eq!(w.outcomes[0].detail, "optional, and it did not come");
        assert_eq!(w.outcomes[1].detail, "3 times");
        assert!(
            w.outcomes.iter().all(|o| o.verdict == Verdict::Met),
            "{:?}",
            w.outcomes
        );
    }

    #[test]
    fn within_and_max_gap_are_deadlines() {
        let p =
            plan_of("@within 200ms\n@sleep 5s\ndata: a\n\n@max-gap 300ms\n@sleep 5s\ndata: b\n\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        assert_eq!(
            w.wait(),
            Wait::Until(ms(200)),
            "@within replaces the script's 5 s"
        );
        w.arrived(&arrival("message", "a", 150, 1));
        assert_eq!(w.wait(), Wait::Until(ms(450)));
        w.arrived(&arrival("message", "b", 700, 2));
        assert_eq!(
            w.outcomes[1].detail,
            "late by 250 ms: came 550 ms after the previous event; @max-gap 300 ms"
        );
    }

    #[test]
    fn jq_and_regex_match_data() {
        let p = plan_of("@jq .n > 1\ndata: {\"n\":2}\n\n@regex ^[0-9]+$\ndata: 1\n\n@jq .n > 1\ndata: x\n\n@regex ^[0-9]+$\ndata: 1\n\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "{\"n\":7}", 0, 1));
        w.arrived(&arrival("message", "12345", 0, 2));
        w.arrived(&arrival("message", "{\"n\":0}", 0, 3));
        w.arrived(&arrival("message", "12a", 0, 4));
        let v = verdicts(&w);
        assert_eq!(v[0].1, Verdict::Met);
        assert_eq!(v[1].1, Verdict::Met);
        assert_eq!(
            w.outcomes[2].detail,
            "@jq \".n > 1\" gave false for data \"{\"n\":0}\""
        );
        assert_eq!(
            w.outcomes[3].detail,
            "data \"12a\" does not match @regex \"^[0-9]+$\""
        );
    }

    #[test]
    fn an_early_end_and_an_end_that_does_not_come() {
        let p = plan_of("data: a\n\ndata: b\n\n@close\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "a", 0, 1));
        assert!(!w.ended(ms(30), None));
        assert!(w.stopped());
        assert_eq!(w.outcomes[1].detail, "the stream ended 30 ms after the request (the server closed it) before this event came");
        let rest = w.not_checked();
        assert_eq!(rest.len(), 1);
        assert_eq!(
            (rest[0].kind, rest[0].verdict),
            (Kind::Close, Verdict::NotChecked)
        );

        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "a", 0, 1));
        w.arrived(&arrival("message", "b", 0, 2));
        w.arrived(&arrival("message", "c", 0, 3));
        assert_eq!(w.wait(), Wait::Stopped);
        assert!(w.outcomes[2]
            .detail
            .starts_with("the server was to end the stream here; event 3 came instead"));
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.arrived(&arrival("message", "a", 0, 1));
        w.arrived(&arrival("message", "b", 0, 2));
        w.timed_out(ms(100));
        assert!(
            w.outcomes[2].detail.starts_with("the stream did not end"),
            "{}",
            w.outcomes[2].detail
        );
    }

    #[test]
    fn an_event_that_never_comes_fails_after_patience() {
        let p = plan_of("data: a\n\ndata: b\n\n");
        let mut w = LegWatch::new(&p.legs[0], TIMING, 1, 0);
        w.timed_out(ms(100));
        assert_eq!(w.wait(), Wait::Until(ms(1100)));
        w.timed_out(ms(1100));
        assert_eq!(w.wait(), Wait::Stopped);
        assert_eq!(w.outcomes[0].detail, "did not come: due by 100 ms after the request, and nothing came in the 1.00 s after that");
        assert_eq!(w.not_checked().len(), 1);
    }
}
