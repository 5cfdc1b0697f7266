//! `sse check URL SCRIPT`: the script `sse serve` plays (a recording from `sse tail
//! --record` as it is) becomes a contract that a real server is checked against: the
//! response, then each connection's events in order and in time, where the stream
//! ends, and after an `@close` the reconnection with Last-Event-ID a browser makes.

mod plan;
mod report;
mod watch;

use std::io::{self, IsTerminal};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use crate::cli::{CheckArgs, ColorChoice};
use crate::error::{io_message, Error};
use crate::http::{self, Client, Protocol, Request, Response};
use crate::parser::{Flow, Item, ParseError, Parser, DEFAULT_MAX_EVENT_SIZE};
use crate::readahead::{Arrived, ReadAhead, READ_SIZE};
use crate::serve::script;
use crate::term;
use plan::{Leg, Plan, ResponseSpec};
use report::{Format, Report};
use watch::{Arrival, Kind, LegWatch, Outcome, Timing, Verdict, Wait};

/// How long an error answer's body may take to arrive for `@body`.
const BODY_WAIT: Duration = Duration::from_secs(2);

/// Response headers whose value differs on every response: a recording holds one
/// value, so only their presence is checked.
const VARYING: &[&str] = &[
    "x-request-id",
    "request-id",
    "x-correlation-id",
    "x-trace-id",
    "traceparent",
    "x-runtime",
    "cf-ray",
    "x-amzn-requestid",
    "x-amzn-trace-id",
    "x-amz-cf-id",
    "expires",
    "openai-processing-ms",
];

pub fn run(args: CheckArgs, color: ColorChoice) -> Result<ExitCode, Error> {
    let usage = |e: Error| Error::Usage(e.to_string());
    let script = script::load(&args.script).map_err(usage)?;
    let plan = plan::plan(&script, &args.script).map_err(usage)?;
    let req = request(&args)?;
    if req.method != "GET" && !args.reconnect && plan.legs.len() > 1 {
        let line = plan.legs[0].close.map_or(0, |c| c.line);
        return Err(Error::Usage(format!(
            "{}:{line}: after this @close the check reconnects, which sends the {} again: add --reconnect if that is safe",
            args.script.display(),
            req.method
        )));
    }
    let stdout = io::stdout();
    let color = term::init_color(color, stdout.is_terminal());
    let format = if args.json {
        Format::Json
    } else {
        Format::Lines {
            color,
            quiet: args.quiet,
        }
    };
    let mut report = Report::new(stdout.lock(), format, &args, &plan);
    report.begin()?;
    let check = Check {
        client: Client::new(Protocol::from_flags(
            args.transport.http1_1,
            args.transport.http2,
            args.transport.http2_prior_knowledge,
        )),
        plan: &plan,
        timing: Timing {
            tolerance: args.tolerance,
            patience: args.timeout,
        },
        started: Instant::now(),
    };
    check.run(req, &mut report)?;
    report.finish(check.started.elapsed())
}

/// The request, as a browser's EventSource sends it (`-H 'Accept-Encoding:'` leaves out
/// its Accept-Encoding).
fn request(args: &CheckArgs) -> Result<Request, Error> {
    let asked = http::Asked {
        method: args.method.clone(),
        data: args.data.as_deref(),
        headers: &args.headers,
        timeout: args.timeout,
        insecure: args.transport.insecure,
    };
    Request::browser(&args.url, asked)
}

/// What a connection's response head came to.
enum Opened {
    /// A stream, as expected: its events are read next.
    Stream(Response),
    /// The error answer the script expects (`@status`, `@body`): the check is done.
    Answered,
    /// Not what the script expects, or no response: the rest is not checked.
    Failed,
}

struct Check<'p> {
    client: Client,
    plan: &'p Plan,
    timing: Timing,
    started: Instant,
}

impl Check<'_> {
    /// Every connection the plan asks for, in order, until one fails.
    fn run(&self, mut req: Request, report: &mut Report<'_>) -> Result<(), Error> {
        // One parser for the run: the last event ID carries over, as a browser's does.
        let mut parser = Parser::new(DEFAULT_MAX_EVENT_SIZE);
        let mut first = 0;
        for (i, leg) in self.plan.legs.iter().enumerate() {
            let connection = i as u32 + 1;
            req.last_event_id = Some(parser.last_event_id().to_string());
            let requested = Instant::now();
            match self.open(&req, connection, report)? {
                Opened::Stream(response) => {
                    let at = (requested, connection, first);
                    if !self.leg(leg, response, at, &mut parser, report)? {
                        return self.not_checked(i + 1, first + leg.expects.len(), report);
                    }
                }
                // An error answer the script expects: nothing follows it.
                Opened::Answered => return Ok(()),
                Opened::Failed => return self.not_checked(i, first, report),
            }
            first += leg.expects.len();
        }
        if let Some(line) = self.plan.then_no_content {
            req.last_event_id = Some(parser.last_event_id().to_string());
            self.no_content(&req, line, self.plan.legs.len() as u32 + 1, report)?;
        }
        Ok(())
    }

    /// A connection and its response head, checked.
    fn open(
        &self,
        req: &Request,
        connection: u32,
        report: &mut Report<'_>,
    ) -> Result<Opened, Error> {
        let opened = Instant::now();
        let mut response = match self.client.open(req) {
            Ok(response) => response,
            Err(e) => {
                let mut outcome = Outcome::new(Kind::Response, None, connection, Verdict::Failed);
                outcome.detail = format!("no response: {}", connect_cause(e));
                report.add(outcome)?;
                return Ok(Opened::Failed);
            }
        };
        let mut outcome = response_outcome(&self.plan.response, &mut response, connection);
        outcome.at = Some(opened.elapsed());
        let opened = match (outcome.verdict, response.status) {
            (Verdict::Met, 200) => Opened::Stream(response),
            (Verdict::Met, _) => Opened::Answered,
            _ => Opened::Failed,
        };
        report.add(outcome)?;
        Ok(opened)
    }

    /// Reads one connection's stream against its leg; whether it went as planned.
    /// `at`: when the request was sent, the connection's number, and how many events
    /// the connections before it expected.
    fn leg(
        &self,
        leg: &Leg,
        response: Response,
        at: (Instant, u32, usize),
        parser: &mut Parser,
        report: &mut Report<'_>,
    ) -> Result<bool, Error> {
        let (opened, connection, first) = at;
        let encoding = response.header("content-encoding").map(str::to_string);
        let mut watch = LegWatch::new(leg, self.timing, connection, first);
        let body = match http::decode_body(encoding.as_deref(), response.body) {
            Ok(body) => body,
            Err(_) => {
                let why = format!(
                    "the body is {}-encoded, which sse cannot decode",
                    encoding.unwrap_or_default()
                );
                watch.ended(Duration::ZERO, Some(&why));
                return finish_leg(watch, report);
            }
        };
        let mut reader =
            ReadAhead::new(body, READ_SIZE).map_err(|e| Error::io("starting a reader", e))?;
        let mut stream = Stream {
            opened,
            offset: 0,
            number: 0,
        };
        loop {
            for outcome in watch.outcomes.drain(..) {
                report.add(outcome)?;
            }
            let until = match watch.wait() {
                Wait::Until(after) => opened + after,
                Wait::Done | Wait::Stopped => break,
            };
            let over = match reader.next_read_by(until) {
                Ok(Some(read)) => stream.feed(&read, parser, &mut watch),
                Ok(None) => {
                    watch.ended(opened.elapsed(), None);
                    true
                }
                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                    watch.timed_out(opened.elapsed());
                    false
                }
                Err(e) => {
                    watch.ended(opened.elapsed(), Some(&lost(&e)));
                    true
                }
            };
            if over {
                break;
            }
        }
        finish_leg(watch, report)
    }

    /// `@end 204`: the reconnection after the last close is answered 204.
    fn no_content(
        &self,
        req: &Request,
        line: usize,
        connection: u32,
        report: &mut Report<'_>,
    ) -> Result<(), Error> {
        let mut outcome = Outcome::new(Kind::NoContent, Some(line), connection, Verdict::Failed);
        let id = req.last_event_id.as_deref().unwrap_or("");
        outcome.detail = match self.client.open(req) {
            Ok(response) if response.status == 204 => {
                outcome.verdict = Verdict::Met;
                format!("the reconnection with Last-Event-ID {} was answered 204", watch::quoted(id))
            }
            Ok(response) => format!(
                "the reconnection with Last-Event-ID {} was to be answered 204 (stop reconnecting), and it got {} {}",
                watch::quoted(id),
                response.status,
                crate::escape::line(&response.reason)
            ),
            Err(e) => format!("the reconnection got no response: {}", connect_cause(e)),
        };
        report.add(outcome)
    }

    /// After a failure on connection `from`: what the later connections expected.
    fn not_checked(
        &self,
        from: usize,
        mut first: usize,
        report: &mut Report<'_>,
    ) -> Result<(), Error> {
        for (i, leg) in self.plan.legs.iter().enumerate().skip(from) {
            let watch = LegWatch::new(leg, self.timing, i as u32 + 1, first);
            for outcome in watch.not_checked() {
                report.add(outcome)?;
            }
            first += leg.expects.len();
        }
        if let Some(line) = self.plan.then_no_content {
            report.add(Outcome::new(
                Kind::NoContent,
                Some(line),
                self.plan.legs.len() as u32 + 1,
                Verdict::NotChecked,
            ))?;
        }
        Ok(())
    }
}

/// Where a connection's stream is: when it was requested, and its events and bytes so far.
struct Stream {
    opened: Instant,
    offset: u64,
    number: u64,
}

impl Stream {
    /// Parses one read, handing each event to the watch until it has seen enough;
    /// whether the stream is over (an event too large to read).
    fn feed(&mut self, read: &Arrived<'_>, parser: &mut Parser, watch: &mut LegWatch<'_>) -> bool {
        let at = read.at.saturating_duration_since(self.opened);
        let fed = parser.feed(read.bytes, |item| {
            if let Item::Event(ev) = item {
                self.number += 1;
                watch.arrived(&Arrival {
                    event_type: ev.event_type,
                    data: ev.data,
                    id: ev.id,
                    at,
                    number: self.number,
                    offset: self.offset + ev.end as u64,
                });
                if matches!(watch.wait(), Wait::Stopped | Wait::Done) {
                    return Ok(Flow::Stop);
                }
            }
            Ok::<_, ParseError>(Flow::Continue)
        });
        self.offset += read.bytes.len() as u64;
        match fed {
            Ok(_) => false,
            Err(e) => {
                watch.ended(at, Some(&e.to_string()));
                true
            }
        }
    }
}

/// How a connection was lost, as tail says it.
fn lost(e: &io::Error) -> String {
    match e.get_ref().and_then(|i| i.downcast_ref::<http::Reset>()) {
        Some(reset) => reset.to_string(),
        None => format!("connection lost: {}", io_message(e)),
    }
}

/// The last outcomes of a connection, and what it left unchecked.
fn finish_leg(watch: LegWatch<'_>, report: &mut Report<'_>) -> Result<bool, Error> {
    let ok = !watch.stopped();
    let rest = if ok { Vec::new() } else { watch.not_checked() };
    for outcome in watch.outcomes.into_iter().chain(rest) {
        report.add(outcome)?;
    }
    Ok(ok)
}

fn connect_cause(e: Error) -> String {
    match e {
        Error::Connect { cause, .. } => cause.to_string(),
        other => other.to_string(),
    }
}

/// The response head against `@status`, `@header` and `@body` (and, for a stream, its
/// Content-Type).
fn response_outcome(spec: &ResponseSpec, response: &mut Response, connection: u32) -> Outcome {
    let mut problems = head_problems(spec, response);
    if let (Some(want), true) = (&spec.body, response.status == spec.status) {
        let got = response.error_body(BODY_WAIT);
        let want = crate::escape::controls(want.trim_end(), crate::escape::Lines::Keep);
        if got != want {
            problems.push(format!(
                "body {} expected, {} came",
                watch::quoted(&want),
                watch::quoted(&got)
            ));
        }
    }
    let verdict = if problems.is_empty() {
        Verdict::Met
    } else {
        Verdict::Failed
    };
    let mut outcome = Outcome::new(Kind::Response, None, connection, verdict);
    outcome.detail = if problems.is_empty() {
        head_summary(response)
    } else {
        problems.join("; ")
    };
    outcome
}

/// How the status and headers differ from the script's.
fn head_problems(spec: &ResponseSpec, response: &Response) -> Vec<String> {
    let mut problems = Vec::new();
    if response.status != spec.status {
        problems.push(format!(
            "status {} expected, {} {} came",
            spec.status,
            response.status,
            crate::escape::line(&response.reason)
        ));
    }
    let wants_type = spec
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-type"));
    let stream = spec.status == 200 && response.status == 200;
    if stream && !wants_type && response.media_type() != "text/event-stream" {
        problems.push(format!(
            "Content-Type text/event-stream expected, {} came",
            watch::quoted(response.header("content-type").unwrap_or("(none)"))
        ));
    }
    for (name, want) in &spec.headers {
        match response.header(name) {
            None => problems.push(format!("header {name} expected, and it is missing")),
            Some(_) if VARYING.contains(&name.to_ascii_lowercase().as_str()) => {}
            Some(got) if !header_matches(name, want, got) => problems.push(format!(
                "header {name}: {} expected, {} came",
                watch::quoted(want),
                watch::quoted(got)
            )),
            Some(_) => {}
        }
    }
    problems
}

/// `200 OK, text/event-stream, br-encoded over HTTP/1.1`.
fn head_summary(response: &Response) -> String {
    let kind = response
        .header("content-type")
        .map(|t| format!(", {}", crate::escape::line(t)))
        .unwrap_or_default();
    // A compressed stream is where late events often come from: say it up front.
    let encoding = response
        .header("content-encoding")
        .map(|e| format!(", {}-encoded", crate::escape::line(e)))
        .unwrap_or_default();
    format!(
        "{} {}{kind}{encoding} over {}",
        response.status,
        crate::escape::line(&response.reason),
        response.conn.version
    )
}

/// Content-Type compares by media type and parameters, ignoring case and spaces.
fn header_matches(name: &str, want: &str, got: &str) -> bool {
    if name.eq_ignore_ascii_case("content-type") {
        let norm = |s: &str| s.to_ascii_lowercase().replace(' ', "");
        norm(want) == norm(got)
    } else {
        want == got
    }
}
