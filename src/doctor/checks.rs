//! One pure function per check: `(&Observation, &Analysis) -> Finding`. No I/O, no
//! clock, and no advice written here: a layer's lives in `layers`, the rest in
//! `advice`. A check decides, and says what it saw.

use std::time::Duration;

use super::advice;
use super::analysis::{Analysis, Delays, WARN_DELAY};
use super::finding::{offer, Finding, FixLine, IntoFixes, Status};
use super::layers;
use super::observation::{Burst, Observation, Stop, StreamEnd};
use crate::format::{count, ms};
use crate::http::media_type;

pub fn run_all(obs: &Observation, a: &Analysis) -> Vec<Finding> {
    let first = response(obs);
    if first.status == Status::Fail {
        return vec![first];
    }
    let end = obs.end.as_ref();
    let last_byte = obs.wire.last.or(obs.head_at);
    let mut findings = vec![
        first,
        content_type(obs),
        http_version(obs, a),
        content_length(obs, a),
        content_encoding(obs, a),
        etag(obs, a),
        cache_control(obs),
        proxy(obs, a),
        first_event(obs, a).with_ms(&[
            ("head", obs.head_at),
            ("first_byte", obs.wire.first),
            ("first_event", obs.events.first.first().map(|e| e.at)),
            ("first_token", obs.first_token),
        ]),
        delivery(obs, a).with_ms(&[
            ("delay_p50", a.delays.map(|d| d.p50)),
            ("delay_p99", a.delays.map(|d| d.p99)),
            ("delay_max", a.delays.map(|d| d.max)),
            ("limit", Some(a.limit)),
            ("burst_silence", a.burst.map(|b| b.silence)),
            ("burst_spread", a.burst.map(|b| b.spread)),
            ("burst_period", a.rhythm),
        ]),
    ];
    findings.extend(llm_end(obs));
    findings.extend([
        connection(obs, a).with_ms(&[
            ("end", end.map(|e| e.at)),
            (
                "after_last_byte",
                end.map(|e| e.at.saturating_sub(last_byte.unwrap_or_default())),
            ),
            ("idle_cut", a.idle_cut.as_ref().map(|c| c.after)),
        ]),
        heartbeat(obs, a).with_ms(&[
            ("longest_silence", Some(a.longest_silence)),
            ("shortest_idle_timeout", IdleBar::of(a).map(|b| b.after)),
        ]),
        event_ids(obs),
    ]);
    findings
}

pub fn response(obs: &Observation) -> Finding {
    if obs.no_head {
        return Finding::fail(
            "response",
            format!("no response head within {}", ms(obs.watched)),
            advice::NO_HEAD,
            &layers::SOME_BUFFER,
        );
    }
    if let Some(cause) = &obs.connect_error {
        return Finding::fail(
            "response",
            format!("no response: {cause}"),
            advice::NOTHING_TO_WATCH,
            advice::CHECK_CONNECT,
        );
    }
    let Some(head) = &obs.head else {
        return Finding::fail(
            "response",
            "no response",
            advice::NOTHING_TO_WATCH,
            advice::CHECK_URL,
        );
    };
    match head.status {
        200 => Finding::pass("response", format!("{} 200 {}", head.version, head.reason)),
        204 => Finding::fail(
            "response",
            "204 No Content",
            advice::NO_CONTENT,
            advice::NO_CONTENT_FIX,
        ),
        code => Finding::fail(
            "response",
            refusal(head, &obs.error_body),
            advice::NOT_200,
            if (300..400).contains(&code) {
                advice::REDIRECT_FIX
            } else {
                advice::NOT_200_FIX
            },
        ),
    }
}

/// `429 Too Many Requests (Retry-After: 30): {"error": ...}`: the status, when to come
/// back, and what the body says.
fn refusal(head: &crate::http::Head, body: &str) -> String {
    let mut seen = format!("{} {}", head.status, head.reason);
    if let Some(after) = head.header("retry-after") {
        seen.push_str(&format!(" (Retry-After: {})", crate::escape::line(after)));
    }
    if !body.is_empty() {
        seen.push_str(&format!(": {}", crate::escape::line(body)));
    }
    seen
}

pub fn content_type(obs: &Observation) -> Finding {
    let raw = obs.header("content-type").unwrap_or("");
    if media_type(raw) == "text/event-stream" {
        let charset = raw.to_ascii_lowercase();
        if charset.contains("charset=") && !charset.contains("charset=utf-8") {
            return Finding::warn("content-type", raw, advice::CHARSET, advice::CHARSET_FIX);
        }
        return Finding::pass("content-type", raw);
    }
    Finding::fail(
        "content-type",
        if raw.is_empty() {
            "none".to_string()
        } else {
            raw.to_string()
        },
        advice::CONTENT_TYPE,
        advice::CONTENT_TYPE_FIX,
    )
}

pub fn http_version(obs: &Observation, a: &Analysis) -> Finding {
    let version = obs.head.as_ref().map_or("", |h| h.version);
    if version == "HTTP/1.0" {
        return Finding::warn(
            "http-version",
            "the response is HTTP/1.0",
            advice::HTTP10,
            proxy_fixes(a, advice::HTTP10_FIX),
        );
    }
    Finding::pass("http-version", version)
}

pub fn content_length(obs: &Observation, a: &Analysis) -> Finding {
    match obs.header("content-length") {
        None => Finding::pass("content-length", "none: the body is streamed"),
        Some(n) if a.cached.is_some() => Finding::fail(
            "content-length",
            format!("Content-Length: {n}"),
            advice::length_from_cache(&a.suspect.who),
            a.suspect.fixes.clone(),
        ),
        Some(n) => Finding::fail(
            "content-length",
            format!("Content-Length: {n}"),
            advice::length_held(&a.suspect.who),
            a.suspect.fixes.clone(),
        ),
    }
}

pub fn content_encoding(obs: &Observation, a: &Analysis) -> Finding {
    let Some(enc) = obs.content_encoding() else {
        return Finding::pass("content-encoding", "none");
    };
    let seen = format!("Content-Encoding: {enc} (doctor asked with a browser's Accept-Encoding)");
    let advice = || a.suspect.fixes.clone();
    let wire = obs.wire.bytes;
    if obs.events.count == 0 && wire > 0 && obs.decode_error.is_none() {
        return Finding::fail(
            "content-encoding",
            format!(
                "{seen}; {wire} compressed bytes arrived, but no event could be decoded from them"
            ),
            advice::ENCODING_UNDECODED,
            advice(),
        );
    }
    if obs.events.count == 0 {
        return Finding::warn(
            "content-encoding",
            format!("{seen}; no events seen to judge it by"),
            advice::ENCODING_UNJUDGED,
            advice(),
        );
    }
    if a.held_back {
        return Finding::fail("content-encoding", seen, advice::ENCODING_HELD, advice());
    }
    Finding::warn(
        "content-encoding",
        format!("{seen}; events still arrived live"),
        advice::ENCODING_LIVE,
        advice(),
    )
}

pub fn etag(obs: &Observation, a: &Analysis) -> Finding {
    let Some(tag) = obs.header("etag") else {
        return Finding::pass("etag", "none");
    };
    let seen = format!("ETag: {tag}");
    let mut why = layers::SOME_ETAG.does.to_string();
    let no_cache = obs
        .header("cache-control")
        .is_some_and(|v| v.to_ascii_lowercase().contains("no-cache"));
    if no_cache {
        // Rails' ActionController::Live sends no-cache: the ETag came anyway.
        if let Some(holds) = layers::by_name("Rack/Rails").and_then(|l| l.holds.as_ref()) {
            why = advice::etag_despite_no_cache(&why, holds.does);
        }
    }
    if a.held_back || obs.header("content-length").is_some() {
        Finding::fail("etag", seen, why, a.suspect.fixes.clone())
    } else {
        Finding::warn("etag", seen, advice::etag_live(&why), advice::NO_ETAG_FIX)
    }
}

pub fn cache_control(obs: &Observation) -> Finding {
    match obs.header("cache-control") {
        Some(v)
            if v.to_ascii_lowercase().contains("no-cache")
                || v.to_ascii_lowercase().contains("no-store") =>
        {
            Finding::pass("cache-control", format!("Cache-Control: {v}"))
        }
        other => Finding::warn(
            "cache-control",
            other.map_or("none".to_string(), |v| format!("Cache-Control: {v}")),
            advice::CACHE_CONTROL,
            advice::CACHE_CONTROL_FIX,
        ),
    }
}

pub fn proxy(obs: &Observation, a: &Analysis) -> Finding {
    let mut signs: Vec<String> = Vec::new();
    for (name, shown) in [
        ("server", "Server"),
        ("via", "Via"),
        ("x-accel-buffering", "X-Accel-Buffering"),
    ] {
        if let Some(v) = obs.header(name) {
            signs.push(format!("{shown}: {v}"));
        }
    }
    let seen = if signs.is_empty() {
        "no Server or Via header".to_string()
    } else {
        signs.join(", ")
    };
    let proven_live = a.delays.is_some() && !a.held_back;
    let holder = a
        .layers
        .iter()
        .find(|l| l.proxy && l.holds.is_some() && !(l.name == "nginx" && a.accel_off));
    if let Some(layer) = holder {
        if proven_live {
            return Finding::pass(
                "proxy",
                format!(
                    "{seen}: {}, and stamped events arrived on time, so it does not hold them",
                    layer.name
                ),
            );
        }
        if let Some(advice) = &layer.holds {
            return Finding::warn("proxy", seen, advice.does, offer(advice));
        }
    }
    // A layer that cuts idle streams matters once the stream is silent for half as long.
    if let Some((idle, name)) = a.shortest_idle {
        let layer = a.layers.iter().find(|l| l.name == name);
        if let Some(advice) = layer.and_then(|l| l.idle.as_ref()).map(|i| &i.advice) {
            if a.longest_silence * 2 >= idle {
                return Finding::warn("proxy", seen, advice.does, offer(advice));
            }
            return Finding::pass(
                "proxy",
                format!("{seen}: {name} (it closes streams idle for {}; the longest silence here was {})", ms(idle), ms(a.longest_silence)),
            );
        }
    }
    if a.names("nginx") {
        return Finding::pass(
            "proxy",
            format!("{seen}: nginx with buffering turned off for this response"),
        );
    }
    let apps: Vec<&str> = a
        .layers
        .iter()
        .filter(|l| !l.proxy)
        .map(|l| l.name)
        .collect();
    let apps = if apps.is_empty() {
        String::new()
    } else {
        format!("; the app side: {}", apps.join(", "))
    };
    Finding::pass(
        "proxy",
        format!("{seen}: no proxy named (one may still be there){apps}"),
    )
}

/// Body bytes as one line of a report: lossy UTF-8, controls (LF too) escaped.
fn show_text(bytes: &[u8]) -> String {
    crate::escape::line(&String::from_utf8_lossy(bytes)).into_owned()
}

pub fn first_event(obs: &Observation, a: &Analysis) -> Finding {
    let head = obs.head_at.unwrap_or_default();
    let first = obs.events.first.first().map(|e| e.at);
    let mut seen = format!(
        "response head after {}, first byte {}, first event {}",
        ms(head),
        obs.wire.first.map_or("never".into(), ms),
        first.map_or("never".into(), ms)
    );
    if obs.llm.shape().is_some() {
        // Time to first token, as load testers measure it: from the request.
        seen.push_str(&format!(
            ", first token {}",
            obs.first_token.map_or("never".into(), ms)
        ));
    }
    if let Some(why) = &obs.decode_error {
        return Finding::warn("first-event", seen, why.clone(), "");
    }
    match first {
        None if obs.unended && obs.decoded_bytes > 0 => Finding::fail(
            "first-event",
            format!(
                "{seen}: {} arrived, but no blank line ended an event; the stream's end: {}",
                crate::format::size(obs.decoded_bytes),
                show_text(&obs.last_text)
            ),
            advice::NO_BLANK_LINE,
            advice::NO_BLANK_LINE_FIX,
        ),
        None => {
            let mut fixes = vec![FixLine::from(advice::WATCH_LONGER_FIX)];
            fixes.extend(a.suspect.fixes.iter().cloned());
            Finding::warn(
                "first-event",
                format!("{seen} in {}", ms(obs.watched)),
                advice::no_event(&a.suspect.who),
                fixes,
            )
        }
        Some(t) if t.saturating_sub(head) > Duration::from_secs(5) => Finding::warn(
            "first-event",
            seen,
            advice::LATE_FIRST,
            advice::LATE_FIRST_FIX,
        ),
        Some(_) => Finding::pass("first-event", seen),
    }
}

/// Whether events arrive as they are sent: by their stamped delays when they carry
/// `: sent-at` stamps, else by the arrival pattern and the headers.
pub fn delivery(obs: &Observation, a: &Analysis) -> Finding {
    if let Some(d) = a.delays {
        return stamped_delivery(a, d);
    }
    if obs.events_unknown() {
        return Finding::warn(
            "delivery",
            format!(
                "{} bytes arrived in {} reads, but could not be decoded into events",
                obs.wire.bytes, obs.wire.count
            ),
            obs.decode_error.clone().unwrap_or_default(),
            "",
        );
    }
    if obs.events.count == 0 {
        return Finding::pass("delivery", "no events to judge (see first-event)");
    }
    match a.burst {
        Some(b) => burst_delivery(a, b),
        None => Finding::pass(
            "delivery",
            format!(
                "{} arrived spread out, no burst after silence; {}",
                count(obs.events.count, "event"),
                advice::UNSTAMPED
            ),
        ),
    }
}

/// Delivery judged by the stamped delays: late past the limit, slow past the warning line.
fn stamped_delivery(a: &Analysis, d: Delays) -> Finding {
    let who = &a.suspect.who;
    let seen = format!(
        "{}: delay p50 {}, p99 {}, max {}",
        count(d.count, "stamped event"),
        ms(d.p50),
        ms(d.p99),
        ms(d.max)
    );
    if let (true, Some(header)) = (d.max > a.limit, &a.cached) {
        return Finding::fail(
            "delivery",
            seen,
            advice::late_from_cache(d.max, header, layers::CACHED.does),
            a.suspect.fixes.clone(),
        );
    }
    if d.max > a.limit {
        return Finding::fail(
            "delivery",
            seen,
            advice::late(d.max, a.limit, who),
            a.suspect.fixes.clone(),
        );
    }
    if d.max > WARN_DELAY {
        return Finding::warn(
            "delivery",
            seen,
            advice::some_late(WARN_DELAY, who),
            a.suspect.fixes.clone(),
        );
    }
    Finding::pass(
        "delivery",
        format!("{seen}: events arrive as they are sent"),
    )
}

/// Delivery judged, without stamps, by the largest burst after silence: a cached
/// replay, held back (with evidence), the server's own rhythm, or unproven.
fn burst_delivery(a: &Analysis, b: Burst) -> Finding {
    let seen = format!(
        "{} arrived within {} after {} of silence",
        count(b.size as u64, "event"),
        ms(b.spread),
        ms(b.silence)
    );
    let why = advice::burst(&a.suspect.who);
    if let Some(header) = &a.cached {
        return Finding::fail(
            "delivery",
            seen,
            advice::from_cache(header, layers::CACHED.does),
            &layers::CACHED,
        );
    }
    if let Some(evidence) = a.held_evidence {
        return Finding::fail(
            "delivery",
            seen,
            advice::burst_held(&why, evidence),
            a.suspect.fixes.clone(),
        );
    }
    if let Some(period) = a.rhythm {
        return Finding::pass("delivery", advice::rhythm(&seen, period));
    }
    Finding::warn(
        "delivery",
        seen,
        advice::burst_unproven(&why),
        a.suspect.fixes.clone(),
    )
}

pub fn connection(obs: &Observation, a: &Analysis) -> Finding {
    let Some(end) = &obs.end else {
        let how = match obs.stopped {
            Stop::Count => "until the event count was reached",
            Stop::Interrupted => "until interrupted",
            _ => "for the whole watch",
        };
        return Finding::pass(
            "connection",
            format!("stayed open {how} ({})", ms(obs.watched)),
        );
    };
    let n = obs.events.count;
    let last_byte = obs.wire.last.or(obs.head_at).unwrap_or_default();
    let idle = end.at.saturating_sub(last_byte);
    let events = if obs.events_unknown() {
        "events that could not be decoded".to_string()
    } else {
        count(n, "event")
    };
    let seen = format!(
        "{} after {events} at {}, {} after the last byte ({})",
        if end.clean { "ended" } else { "cut" },
        ms(end.at),
        ms(idle),
        end.cause
    );
    if let Some(cut) = &a.idle_cut {
        let why = advice::idle_cut(cut.after, &cut.who) + &h2_idle_end(obs, end, &cut.layers);
        return Finding::fail("connection", seen, why, cut.fixes.clone());
    }
    if let Some((why, fixes)) = lifetime_cut(end, a, last_byte) {
        return Finding::fail("connection", seen, why, fixes);
    }
    if !end.clean {
        let why = end
            .reset
            .as_ref()
            .map_or(advice::CUT.to_string(), advice::h2_cut);
        return Finding::fail("connection", seen, why, idle_fixes(a, advice::CUT_FIX));
    }
    if let Some(shape) = obs.llm.shape().filter(|_| !obs.opened_by_get()) {
        // Not reconnected, so no advice about reconnection: llm-end judges the answer.
        let (_, marker) = advice::llm_shape(shape);
        return Finding::pass(
            "connection",
            advice::answer_end(&seen, obs.llm_ended_by_design(), marker),
        );
    }
    if obs.events_unknown() {
        return Finding::warn("connection", seen, advice::END_UNJUDGED, "");
    }
    if n == 0 && obs.unended {
        // The lines never became events (see first-event): the close is not the fault.
        return Finding::warn("connection", seen, advice::ENDED_UNENDED, "");
    }
    if n <= 2 {
        let mut fixes: Vec<FixLine> = layers::by_name("nginx")
            .and_then(|l| l.holds.as_ref())
            .map(|adv| adv.into_fixes())
            .unwrap_or_default();
        fixes.push(advice::EARLY_CLOSE_FIX.into());
        return Finding::fail("connection", seen, advice::EARLY_CLOSE, fixes);
    }
    Finding::warn(
        "connection",
        seen,
        advice::ended(
            obs.retry
                .unwrap_or(crate::format::millis(crate::event::DEFAULT_RETRY)),
        ),
        advice::ENDED_FIX,
    )
}

pub fn heartbeat(obs: &Observation, a: &Analysis) -> Finding {
    let longest = as_shown(a.longest_silence);
    let seen = format!(
        "longest silence {} (watched {})",
        ms(longest),
        ms(obs.watched)
    );
    // The connection check's verdict stands here too: a cut after a silence is the
    // strongest evidence there is that heartbeats are needed.
    if let Some(cut) = &a.idle_cut {
        return Finding::fail(
            "heartbeat",
            seen,
            advice::cut_heartbeat(cut.after),
            cut.fixes.clone(),
        );
    }
    let Some(bar) = IdleBar::of(a) else {
        return Finding::pass(
            "heartbeat",
            format!("{seen}; no idle timeout to judge it by"),
        );
    };
    let who = advice::idle_bar(bar.layer, bar.after, bar.named);
    if longest >= bar.after {
        return Finding::fail(
            "heartbeat",
            seen,
            advice::silence_reaches(&who, bar.named),
            &layers::HEARTBEAT,
        );
    }
    if longest * 2 >= bar.after {
        return Finding::warn(
            "heartbeat",
            seen,
            advice::silence_near(&who),
            &layers::HEARTBEAT,
        );
    }
    Finding::pass("heartbeat", advice::silence_below(&seen, &who))
}

/// `d` as the report prints it (`ms`: to the millisecond below a second, to 10 ms
/// above), so a verdict at a boundary agrees with the number shown beside it.
fn as_shown(d: Duration) -> Duration {
    let shown = ms(d);
    if let Some(n) = shown.strip_suffix(" ms").and_then(|n| n.parse().ok()) {
        return Duration::from_millis(n);
    }
    shown
        .strip_suffix(" s")
        .and_then(|s| s.parse::<f64>().ok())
        .and_then(|s| Duration::try_from_secs_f64(s).ok())
        .unwrap_or(d)
}

/// The idle timeout the heartbeat check judges silences against: the shortest of the
/// layers the headers name, else the shortest in the table (a layer that names itself
/// nowhere may still be on the path).
struct IdleBar {
    after: Duration,
    layer: &'static str,
    /// A layer the headers name (rather than the table's shortest).
    named: bool,
}

impl IdleBar {
    fn of(a: &Analysis) -> Option<IdleBar> {
        let (named, (after, layer)) = match a.shortest_idle {
            Some(bar) => (true, bar),
            None => (false, layers::shortest_idle(layers::LAYERS)?),
        };
        Some(IdleBar {
            after,
            layer,
            named,
        })
    }
}

pub fn event_ids(obs: &Observation) -> Finding {
    let n = obs.events.count;
    if obs.events_unknown() {
        return Finding::pass("event-ids", "not judged: the body could not be decoded");
    }
    if n == 0 {
        return Finding::pass("event-ids", "no events to check");
    }
    let with = obs.events.with_id;
    if obs.llm.shape().is_some() && !obs.opened_by_get() {
        return Finding::pass(
            "event-ids",
            advice::answer_ids(&format!("{with} of {n} events carry an id")),
        );
    }
    if with == 0 {
        return Finding::warn(
            "event-ids",
            if n == 1 {
                "the event has no id".to_string()
            } else {
                format!("none of {n} events has an id")
            },
            advice::NO_IDS,
            advice::NO_IDS_FIX,
        );
    }
    let carry = if n == 1 {
        "the event carries an id".to_string()
    } else {
        format!("{with} of {n} events carry an id")
    };
    Finding::pass("event-ids", carry)
}

/// An LLM stream's end (only for a stream of a recognised shape): an error it reported
/// inside its 200, or an end without the marker its API promises, fails, saying what was
/// last seen.
pub fn llm_end(obs: &Observation) -> Option<Finding> {
    let shape = obs.llm.shape()?;
    let (name, marker) = advice::llm_shape(shape);
    if let Some(error) = &obs.llm_error {
        return Some(
            Finding::fail(
                "llm-end",
                format!(
                    "{name}: {} (at {}, after {})",
                    error.said,
                    ms(error.at),
                    count(error.after, "event")
                ),
                advice::LLM_ERROR,
                advice::LLM_ERROR_FIX,
            )
            .with_ms(&[("error", Some(error.at))]),
        );
    }
    let end = obs.end.as_ref();
    let finding = match obs.llm.cut() {
        None => Finding::pass(
            "llm-end",
            format!(
                "{name}, ended as its API promises ({marker}), after {}",
                count(obs.events.count, "event")
            ),
        ),
        Some(cut) if end.is_some() => {
            Finding::fail("llm-end", cut, advice::LLM_CUT, advice::LLM_CUT_FIX)
        }
        // Still streaming when the watch stopped: nothing to judge yet.
        Some(_) => Finding::pass(
            "llm-end",
            format!(
                "{name}, still streaming when watching stopped ({}): not judged",
                obs.stopped.text()
            ),
        ),
    };
    Some(finding.with_ms(&[("end", end.map(|e| e.at))]))
}

/// `first`, then the holding fixes of the proxies the headers name (their HTTP/1.0 and
/// buffering settings).
fn proxy_fixes(a: &Analysis, first: &str) -> Vec<FixLine> {
    let mut fixes = vec![FixLine::from(first)];
    for l in a.layers.iter().filter(|l| l.proxy) {
        if let Some(holds) = &l.holds {
            fixes.extend(holds.into_fixes());
        }
    }
    fixes
}

/// A cut (or an HTTP/2 reset) while the stream was busy, at the time a layer's limit on
/// a whole response's length fires: the why and the fixes.
fn lifetime_cut(
    end: &StreamEnd,
    a: &Analysis,
    last_byte: Duration,
) -> Option<(String, Vec<FixLine>)> {
    if end.clean && end.reset.is_none() {
        return None;
    }
    // Still sending: bytes came within the second before the cut.
    if end.at.saturating_sub(last_byte) > Duration::from_secs(1) {
        return None;
    }
    let (limits, named) = layers::lifetimes_matching(end.at, &a.layers);
    if limits.is_empty() {
        return None;
    }
    let how = end
        .reset
        .as_ref()
        .map(|r| format!(" ({})", advice::h2_frame(r)))
        .unwrap_or_default();
    let does: Vec<&str> = limits.iter().map(|l| l.advice.does).collect();
    let why = advice::lifetime_cut(end.at, &how, &does.join("; or "), named);
    let mut fixes: Vec<FixLine> = limits.iter().flat_map(|l| l.advice.into_fixes()).collect();
    fixes.push(advice::LIFETIME_FIX.into());
    Some((why, fixes))
}

/// Over HTTP/2, how an idle cut came (a reset's code, or a clean end) against how the
/// first layer blamed that a test saw cut a stream ends one.
fn h2_idle_end(obs: &Observation, end: &StreamEnd, blamed: &[&layers::Layer]) -> String {
    if obs.head.as_ref().is_none_or(|h| h.version != "HTTP/2") {
        return String::new();
    }
    let came = match &end.reset {
        Some(reset) => advice::h2_frame(reset),
        None if end.clean => "a clean end (END_STREAM)".to_string(),
        None => return String::new(),
    };
    if let Some(cut) = blamed.iter().find_map(|l| layers::h2_cut(l.name)) {
        return advice::h2_idle_end(&came, &format!("{} {}", cut.layer, cut.version), cut.reset);
    }
    let code = end.reset.as_ref().map(|r| r.code.as_str());
    let alike: Vec<String> = layers::H2_CUTS
        .iter()
        .filter(|c| c.reset == code)
        .map(|c| format!("{} {}", c.layer, c.version))
        .collect();
    let alike: Vec<&str> = alike.iter().map(String::as_str).collect();
    advice::h2_idle_end_unnamed(&came, code, &alike)
}

/// `first`, then the idle-timeout fixes of the layers the headers name.
fn idle_fixes(a: &Analysis, first: &str) -> Vec<FixLine> {
    let mut fixes = vec![FixLine::from(first)];
    for l in &a.layers {
        if let Some(idle) = &l.idle {
            fixes.extend(idle.advice.into_fixes());
        }
    }
    fixes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::observation::{Seen, StreamEnd};
    use crate::http::Head;

    fn base() -> Observation {
        Observation {
            url: "http://x/e".into(),
            head: Some(Head {
                status: 200,
                reason: "OK".into(),
                version: "HTTP/1.1",
                headers: vec![
                    ("content-type".into(), "text/event-stream".into()),
                    ("cache-control".into(), "no-cache".into()),
                ],
                url: "http://x/e".into(),
            }),
            head_at: Some(Duration::from_millis(2)),
            watched: Duration::from_secs(10),
            ..Observation::default()
        }
    }

    fn with(mut obs: Observation, name: &str, value: &str) -> Observation {
        if let Some(h) = obs.head.as_mut() {
            h.headers.push((name.into(), value.into()));
        }
        obs
    }

    fn event(at_ms: u64, delay_ms: Option<u64>, id: bool) -> Seen {
        Seen {
            at: Duration::from_millis(at_ms),
            delay: delay_ms.map(Duration::from_millis),
            has_id: id,
            id: String::new(),
            event_type: "message".into(),
            bytes: 3,
        }
    }

    /// Events every `step` ms, each read on its own, optionally stamped with a delay.
    fn steady(
        mut obs: Observation,
        n: u64,
        step: u64,
        delay: Option<u64>,
        id: bool,
    ) -> Observation {
        for i in 0..n {
            let at = 10 + i * step;
            obs.read(Duration::from_millis(at), 40);
            obs.event(event(at, delay, id));
        }
        obs
    }

    /// Everything held back and delivered at once after `silence` ms.
    fn held(mut obs: Observation, n: u64, silence: u64, stamped: bool) -> Observation {
        obs.read(Duration::from_millis(silence), 400);
        for i in 0..n {
            obs.event(event(silence, stamped.then_some(silence - i * 300), true));
        }
        obs
    }

    fn ended(mut obs: Observation, at_ms: u64, clean: bool) -> Observation {
        obs.end = Some(StreamEnd {
            at: Duration::from_millis(at_ms),
            clean,
            cause: if clean {
                "the body ended"
            } else {
                "connection reset"
            }
            .into(),
            reset: None,
        });
        obs
    }

    /// Closes the observation as the watch does, and analyses it.
    fn judge(mut obs: Observation) -> (Observation, Analysis) {
        let (watched, stopped) = (obs.watched, obs.stopped);
        obs.finish(watched, stopped);
        let a = Analysis::of(&obs, None);
        (obs, a)
    }

    fn check(obs: Observation, f: fn(&Observation, &Analysis) -> Finding) -> Finding {
        let (obs, a) = judge(obs);
        f(&obs, &a)
    }

    #[test]
    fn a_healthy_stamped_stream_passes_everything() {
        let (obs, a) = judge(steady(base(), 5, 300, Some(1), true));
        let findings = run_all(&obs, &a);
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{f:?}");
        }
        let delivery = findings.iter().find(|f| f.check == "delivery").unwrap();
        assert!(delivery.seen.contains("p50 1 ms"), "{delivery:?}");
    }

    #[test]
    fn stamped_delays_fail_and_name_nginx() {
        let obs = with(held(base(), 5, 2000, true), "server", "nginx/1.22.1");
        let f = check(obs.clone(), delivery);
        assert_eq!(f.status, Status::Fail);
        let fix = f.fix();
        assert!(
            f.why.contains("nginx")
                && fix.contains("proxy_buffering off")
                && fix.contains("X-Accel-Buffering: no")
                && fix.contains("proxy_http_version 1.1"),
            "{f:?}"
        );
        assert!(f.fixes[0].verified_by.is_some(), "the nginx fix has a test");
        assert_eq!(check(obs, proxy).status, Status::Warn);
    }

    #[test]
    fn max_delay_sets_the_limit() {
        let (obs, _) = judge(steady(base(), 5, 300, Some(150), true));
        assert_eq!(
            delivery(&obs, &Analysis::of(&obs, None)).status,
            Status::Pass
        );
        let strict = Analysis::of(&obs, Some(Duration::from_millis(100)));
        assert_eq!(delivery(&obs, &strict).status, Status::Fail);
    }

    #[test]
    fn a_server_that_really_sends_in_bursts_passes_with_stamps_and_only_warns_without() {
        let mut obs = base();
        obs.read(Duration::from_millis(3000), 400);
        for _ in 0..5 {
            obs.event(event(3000, Some(0), true));
        }
        assert_eq!(check(obs, delivery).status, Status::Pass);
        let mut obs = base();
        obs.read(Duration::from_millis(3000), 400);
        for _ in 0..5 {
            obs.event(event(3000, None, true));
        }
        let f = check(obs, delivery);
        assert_eq!(f.status, Status::Warn, "{f:?}");
        assert!(f.why.contains("arrival pattern and headers alone"));
    }

    #[test]
    fn unstamped_burst_with_corroborating_headers_fails() {
        let obs = with(held(base(), 5, 2000, false), "content-length", "120");
        assert_eq!(check(obs.clone(), delivery).status, Status::Fail);
        assert_eq!(check(obs, content_length).status, Status::Fail);
    }

    #[test]
    fn compression_warns_when_live_and_fails_when_it_holds_events() {
        let live = with(
            steady(base(), 5, 300, Some(1), true),
            "content-encoding",
            "gzip",
        );
        assert_eq!(check(live.clone(), content_encoding).status, Status::Warn);
        let (obs, a) = judge(live);
        assert!(
            run_all(&obs, &a).iter().all(|f| f.status != Status::Fail),
            "live compression must not FAIL"
        );
        // Everything in one release just before the end: held by the compressor.
        let stuck = ended(
            with(held(base(), 5, 2000, false), "content-encoding", "gzip"),
            2010,
            true,
        );
        assert_eq!(check(stuck.clone(), content_encoding).status, Status::Fail);
        assert!(check(stuck, delivery).why.contains("compression"));
        // Compressed bytes came, but nothing decodes: the compressor holds the events.
        let mut header_only = with(base(), "content-encoding", "gzip");
        header_only.read(Duration::from_millis(3), 10);
        assert_eq!(check(header_only, content_encoding).status, Status::Fail);
    }

    #[test]
    fn etag_is_blamed_as_rack() {
        let obs = with(
            with(held(base(), 4, 1500, false), "etag", "W/\"abc\""),
            "content-length",
            "90",
        );
        let f = check(obs.clone(), etag);
        assert_eq!(f.status, Status::Fail);
        assert!(f.fix().contains("Rack::ETag"));
        assert!(check(obs, content_length).why.contains("ETag"));
    }

    #[test]
    fn early_close_and_idle_cutoffs() {
        let obs = ended(steady(base(), 1, 100, None, true), 200, true);
        let f = check(obs, connection);
        assert_eq!(f.status, Status::Fail);
        assert!(f.why.contains("HTTP/1.0"));

        let mut obs = ended(steady(base(), 4, 100, None, true), 310 + 60_000, true);
        obs.watched = Duration::from_secs(70);
        let f = check(obs.clone(), connection);
        assert_eq!(f.status, Status::Fail);
        assert!(f.why.contains("AWS ALB"), "{f:?}");
        assert_eq!(check(obs, heartbeat).status, Status::Fail);

        let obs = ended(steady(base(), 4, 100, None, true), 500, false);
        assert_eq!(check(obs, connection).status, Status::Fail);

        let obs = ended(steady(base(), 6, 100, None, true), 700, true);
        assert_eq!(check(obs, connection).status, Status::Warn);
    }

    #[test]
    fn headers_checks() {
        assert_eq!(content_type(&base()).status, Status::Pass);
        let mut html = base();
        html.head.as_mut().unwrap().headers[0].1 = "text/html".into();
        assert_eq!(content_type(&html).status, Status::Fail);
        let mut old = base();
        old.head.as_mut().unwrap().version = "HTTP/1.0";
        assert_eq!(check(old, http_version).status, Status::Warn);
        let mut uncached = base();
        uncached.head.as_mut().unwrap().headers.remove(1);
        assert_eq!(cache_control(&uncached).status, Status::Warn);
        let heroku = with(base(), "via", "1.1 vegur");
        assert_eq!(
            check(heroku.clone(), proxy).status,
            Status::Pass,
            "short silences"
        );
        let mut quiet = heroku;
        quiet.read(Duration::from_millis(100), 10);
        quiet.read(Duration::from_secs(40), 10);
        let f = check(quiet, proxy);
        assert_eq!(
            f.status,
            Status::Warn,
            "a 40 s silence behind a 55 s cut-off"
        );
        assert!(f.fix().contains("heartbeat"), "{f:?}");
        let fixed = with(with(base(), "server", "nginx"), "x-accel-buffering", "no");
        assert_eq!(check(fixed, proxy).status, Status::Pass);
        let nginx = with(base(), "server", "nginx/1.22.1");
        assert_eq!(
            check(nginx.clone(), proxy).status,
            Status::Warn,
            "nothing shows its buffering is off"
        );
        assert_eq!(
            check(steady(nginx, 3, 300, Some(2), true), proxy).status,
            Status::Pass,
            "stamps show it is"
        );
    }

    /// The heartbeat finding for a stream whose longest silence is `ms` ms (one read
    /// at 1 ms, the next at the end of the silence, watched until then), behind `via`.
    fn heartbeat_after(ms: u64, via: Option<&str>) -> Finding {
        let mut obs = base();
        if let Some(v) = via {
            obs = with(obs, "via", v);
        }
        obs.head_at = Some(Duration::from_millis(1));
        obs.read(Duration::from_millis(1), 10);
        obs.read(Duration::from_millis(1 + ms), 10);
        obs.watched = Duration::from_millis(1 + ms);
        let (obs, a) = judge(obs);
        assert_eq!(a.longest_silence, Duration::from_millis(ms));
        heartbeat(&obs, &a)
    }

    #[test]
    fn heartbeat_without_a_named_layer_passes_just_below_half_the_tables_shortest_timeout() {
        // CloudFront's 30 s is the shortest idle timeout in the table.
        let f = heartbeat_after(14_990, None);
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.seen.contains("longest silence 14.99 s"), "{f:?}");
        assert!(
            f.seen
                .contains("below half of CloudFront's idle timeout (30 s), the shortest"),
            "{f:?}"
        );
        // 14.999 s is shown as 15.00 s: judged as shown, it is no longer below half.
        assert_eq!(heartbeat_after(14_999, None).status, Status::Warn);
    }

    #[test]
    fn heartbeat_without_a_named_layer_warns_at_and_above_half_the_tables_shortest_timeout() {
        for ms in [15_000, 15_010, 29_990] {
            let f = heartbeat_after(ms, None);
            assert_eq!(f.status, Status::Warn, "{ms}: {f:?}");
            assert!(
                f.why
                    .contains("at or past half of CloudFront's idle timeout (30 s)"),
                "{f:?}"
            );
        }
        let f = heartbeat_after(30_000, None);
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(f.why.contains("behind such a layer"), "{f:?}");
    }

    #[test]
    fn heartbeat_behind_a_named_layer_is_judged_by_half_its_timeout() {
        // Heroku's router: 55 s, half is 27.5 s.
        let f = heartbeat_after(27_490, Some("1.1 vegur"));
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(
            f.seen
                .ends_with("below half of Heroku's idle timeout (55 s)"),
            "{f:?}"
        );
        assert_eq!(
            heartbeat_after(27_500, Some("1.1 vegur")).status,
            Status::Warn
        );
        assert_eq!(
            heartbeat_after(27_510, Some("1.1 vegur")).status,
            Status::Warn
        );
        assert_eq!(
            heartbeat_after(55_000, Some("1.1 vegur")).status,
            Status::Fail
        );
    }

    #[test]
    fn ids_and_failed_responses() {
        let (obs, _) = judge(steady(base(), 3, 100, None, false));
        assert_eq!(event_ids(&obs).status, Status::Warn);
        let mut gone = base();
        gone.head.as_mut().unwrap().status = 204;
        let (gone, a) = judge(gone);
        let findings = run_all(&gone, &a);
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].status, Status::Fail);
        let refused = Observation {
            connect_error: Some("connection refused".into()),
            ..Observation::default()
        };
        assert_eq!(response(&refused).status, Status::Fail);
        let held = Observation {
            no_head: true,
            watched: Duration::from_secs(10),
            ..Observation::default()
        };
        assert!(response(&held)
            .seen
            .contains("no response head within 10.00 s"));
    }

    #[test]
    fn rack_etag_advice_follows_the_version_and_never_repeats_no_cache() {
        let tag = "W/\"0123456789abcdef0123456789abcdef\"";
        // base() already sends Cache-Control: no-cache, as Rails' Live does.
        let obs = with(held(base(), 4, 1500, false), "etag", tag);
        let f = check(obs.clone(), etag);
        assert_eq!(f.status, Status::Fail);
        let fix = f.fix();
        assert!(
            fix.contains("Last-Modified") && fix.contains("Rack 2.x"),
            "{fix}"
        );
        assert!(f.fixes[0].verified_by.is_some(), "{f:?}");
        assert!(!fix.contains("no-cache"), "{fix}");
        assert!(f.why.contains("whatever Cache-Control says"), "{f:?}");
        // Without no-cache, the old versions' fix is offered too.
        let mut bare = held(base(), 4, 1500, false);
        bare.head.as_mut().unwrap().headers.remove(1);
        let f = check(with(bare, "etag", tag), etag);
        assert!(!f.fix().contains("no-cache"), "{f:?}");
    }

    #[test]
    fn an_idle_cut_at_any_duration_is_named_and_the_heartbeat_agrees() {
        // Events for a second, then silence, then a clean close 3 s after the last byte.
        let mut obs = ended(steady(base(), 5, 200, None, true), 810 + 3000, true);
        obs.watched = Duration::from_millis(3810);
        let (obs, a) = judge(obs);
        let cut = a.idle_cut.as_ref().expect("an idle cut");
        assert_eq!(cut.after, Duration::from_secs(3));
        let f = connection(&obs, &a);
        assert_eq!(f.status, Status::Fail);
        assert!(f.why.contains("idle timeout of about 3 s"), "{f:?}");
        assert!(f.why.contains("HAProxy `timeout server`"), "{f:?}");
        assert!(f.fix().contains("every 1.50 s"), "{f:?}");
        let h = heartbeat(&obs, &a);
        assert_eq!(h.status, Status::Fail, "{h:?}");
        assert_eq!(h.fixes, f.fixes, "one fix, given once in the report");

        // The same cut at 50 s behind a named HAProxy names it and its setting.
        let mut obs = ended(steady(base(), 5, 200, None, true), 810 + 50_000, false);
        obs = with(obs, "via", "1.1 haproxy");
        let f = check(obs, connection);
        assert!(f.why.contains("HAProxy (named by the headers"), "{f:?}");
        assert!(f.fix().contains("timeout server"), "{f:?}");

        // A stream that ends right after its last event is no idle cut.
        let obs = ended(steady(base(), 5, 200, None, true), 900, true);
        let (obs, a) = judge(obs);
        assert!(a.idle_cut.is_none());
        assert_ne!(heartbeat(&obs, &a).status, Status::Fail);
    }

    /// `obs` as if watched over HTTP/2, its end a reset with `code` (GOAWAY if `go_away`).
    fn over_h2(mut obs: Observation, code: Option<&str>, go_away: bool) -> Observation {
        if let Some(h) = obs.head.as_mut() {
            h.version = "HTTP/2";
        }
        if let Some(end) = obs.end.as_mut() {
            end.reset = code.map(|code| crate::http::Reset {
                code: code.into(),
                go_away,
                by_server: true,
            });
        }
        obs
    }

    #[test]
    fn an_h2_cut_names_its_code_and_the_layer_known_to_send_it() {
        let idle = |clean| ended(steady(base(), 5, 200, None, true), 810 + 3000, clean);
        // Behind a named nginx, INTERNAL_ERROR is how it cuts.
        let obs = with(
            over_h2(idle(false), Some("INTERNAL_ERROR"), false),
            "server",
            "nginx",
        );
        let f = check(obs, connection);
        assert!(
            f.why.ends_with("; over HTTP/2 it came as RST_STREAM INTERNAL_ERROR, which is how nginx 1.22 was seen to end a stream its timeout cuts"),
            "{f:?}"
        );
        // Another code than the named layer's says another layer may have cut it.
        let obs = with(
            over_h2(idle(false), Some("CANCEL"), false),
            "server",
            "nginx",
        );
        let f = check(obs, connection);
        assert!(f.why.contains("but nginx 1.22 was seen to end a stream its timeout cuts with RST_STREAM INTERNAL_ERROR: another layer"), "{f:?}");
        // Unnamed: the layers a test saw end a stream this way.
        let f = check(over_h2(idle(true), None, false), connection);
        assert!(
            f.why.ends_with(
                "as a clean end (END_STREAM), which is how HAProxy 2.6 was seen to end a stream its timeout cuts"
            ),
            "{f:?}"
        );
        let f = check(
            over_h2(idle(false), Some("INTERNAL_ERROR"), false),
            connection,
        );
        assert!(
            f.why
                .ends_with("which is how nginx 1.22 and Apache 2.4 were seen to end a stream their timeout cuts"),
            "{f:?}"
        );
        let f = check(
            over_h2(idle(false), Some("ENHANCE_YOUR_CALM"), true),
            connection,
        );
        assert!(f.why.ends_with("came as GOAWAY ENHANCE_YOUR_CALM: the server thinks this client makes too much load (too many streams, resets or pings)"), "{f:?}");
        // Not idle: the reset is the why, and a browser reconnects.
        let busy = ended(steady(base(), 5, 200, None, true), 820, false);
        let f = check(over_h2(busy, Some("NO_ERROR"), false), connection);
        assert!(f.why.starts_with("the server reset the HTTP/2 stream mid-stream (RST_STREAM NO_ERROR: closed on purpose"), "{f:?}");
        assert!(
            f.why.ends_with("Chrome takes it as the normal end of the response; EventSource reconnects after it (sending Last-Event-ID if the events carried an `id:`)"),
            "{f:?}"
        );
        // Over HTTP/1.1 nothing of HTTP/2 is said.
        let f = check(with(idle(false), "server", "nginx"), connection);
        assert!(!f.why.contains("HTTP/2"), "{f:?}");
    }

    #[test]
    fn a_busy_stream_cut_at_a_response_time_limit_names_the_limit() {
        // Events every 200 ms until Envoy's 15 s route timeout resets the stream.
        let busy = ended(steady(base(), 74, 200, None, true), 15_005, false);
        let obs = with(over_h2(busy, Some("NO_ERROR"), false), "server", "envoy");
        let f = check(obs, connection);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.why.starts_with("the stream was cut (RST_STREAM NO_ERROR) 15.01 s after the request while it was still sending")
                && f.why.contains("likely Envoy's route timeout (15 s by default)")
                && f.why.ends_with("a heartbeat does not help"),
            "{f:?}"
        );
        assert!(f.fix().contains("`timeout: 0s`"), "{f:?}");
        assert!(!f.fix().contains("heartbeat"), "{f:?}");
        // At 300 s with no layer named, the limits of that length are offered.
        let long = ended(steady(base(), 1499, 200, None, true), 300_100, false);
        let f = check(long, connection);
        assert!(f.why.contains("Cloud Run's request timeout"), "{f:?}");
        // Not at such a length: the general cut.
        let other = ended(steady(base(), 40, 200, None, true), 8_100, false);
        assert!(check(other, connection)
            .why
            .starts_with("the connection was cut mid-stream"));
    }

    #[test]
    fn app_servers_that_buffer_are_named() {
        let obs = with(held(base(), 4, 2000, false), "server", "thin");
        let f = check(obs, delivery);
        assert!(f.why.contains("Thin"), "{f:?}");
        assert!(f.fix().contains("Puma"), "{f:?}");
        let obs = with(
            held(base(), 4, 2000, false),
            "server",
            "WEBrick/1.7.0 (Ruby/3.1.2/2022-04-12)",
        );
        assert!(check(obs, delivery).fix().contains("not WEBrick"));
    }

    #[test]
    fn bytes_that_could_not_be_decoded_are_not_counted_as_no_events() {
        let mut obs = with(base(), "content-encoding", "compress");
        obs.decode_error =
            Some("the body is compress-encoded, which doctor does not decode".into());
        obs.read(Duration::from_millis(5), 40);
        let obs = ended(obs, 50, true);
        let (obs, a) = judge(obs);
        assert!(obs.events_unknown());
        let findings = run_all(&obs, &a);
        for f in &findings {
            assert_ne!(f.status, Status::Fail, "{f:?}");
            assert!(!f.why.contains("HTTP/1.0 hop"), "{f:?}");
        }
    }

    #[test]
    fn regular_bursts_are_the_servers_rhythm_and_a_proxy_header_alone_never_fails() {
        // Bursts of 3 every second behind an nginx whose buffering is off (nothing in the
        // headers says so): not a FAIL.
        let mut obs = with(base(), "server", "nginx/1.22.1");
        for burst in 0..5u64 {
            let at = 1000 * burst + 5;
            obs.read(Duration::from_millis(at), 90);
            for _ in 0..3 {
                obs.event(event(at, None, true));
            }
        }
        let (live, a) = judge(obs.clone());
        assert_eq!(a.rhythm, Some(Duration::from_millis(1000)));
        let f = delivery(&live, &a);
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.seen.contains("rhythm"), "{f:?}");
        // Ending right after the last of those bursts is still no evidence.
        let (ended_obs, a) = judge(ended(obs, 4010, true));
        assert!(a.held_evidence.is_none());
        assert_ne!(delivery(&ended_obs, &a).status, Status::Fail);
        // Two irregular bursts behind nginx: a WARN, the header alone does not make it a FAIL.
        let mut obs = with(base(), "server", "nginx/1.22.1");
        for at in [1500u64, 4000] {
            obs.read(Duration::from_millis(at), 90);
            for _ in 0..4 {
                obs.event(event(at, None, true));
            }
        }
        assert_eq!(check(obs, delivery).status, Status::Warn);
    }

    #[test]
    fn a_cached_replay_is_not_called_buffering() {
        let obs = with(
            with(held(base(), 5, 1500, false), "x-varnish", "32770 3"),
            "content-length",
            "200",
        );
        let f = check(obs, delivery);
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(f.why.contains("replay, not buffering"), "{f:?}");
        assert!(f.fix().contains("return (pass)"), "{f:?}");
        let (obs, a) = judge(with(base(), "age", "0"));
        assert!(a.cached.is_none(), "{obs:?}");
    }

    #[test]
    fn content_encoding_identity_is_no_encoding() {
        let obs = with(
            steady(base(), 3, 300, None, true),
            "content-encoding",
            "identity",
        );
        assert_eq!(check(obs, content_encoding).status, Status::Pass);
    }

    #[test]
    fn one_event_is_not_spoken_of_as_many() {
        let mut obs = Observation::default();
        obs.events.count = 1;
        assert_eq!(event_ids(&obs).seen, "the event has no id");
        obs.events.with_id = 1;
        assert_eq!(event_ids(&obs).seen, "the event carries an id");
        obs.events.count = 3;
        obs.events.with_id = 2;
        assert_eq!(event_ids(&obs).seen, "2 of 3 events carry an id");
    }

    /// A stream opened with `method`, each `(ms, type, data)` seen as doctor's reader
    /// sees it (the LLM watch first, then the event), ended cleanly at the last one.
    fn llm_stream(method: &str, events: &[(u64, &str, &str)]) -> Observation {
        let mut obs = Observation {
            method: method.into(),
            ..base()
        };
        for &(at, event_type, data) in events {
            let at = Duration::from_millis(at);
            obs.read(at, data.len());
            let ev = crate::parser::EventRef::with(event_type, data, "");
            obs.llm_event(at, &ev);
            obs.event(Seen {
                at,
                delay: None,
                has_id: false,
                id: String::new(),
                event_type: event_type.into(),
                bytes: data.len(),
            });
        }
        let last = events.last().map_or(0, |e| e.0);
        ended(obs, last + 1, true)
    }

    const ROLE: &str = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"#;
    const TEXT: &str = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"The answer"}}]}"#;

    fn find<'a>(findings: &'a [Finding], check: &str) -> &'a Finding {
        findings
            .iter()
            .find(|f| f.check == check)
            .unwrap_or_else(|| panic!("no {check} in {findings:?}"))
    }

    #[test]
    fn a_post_answer_that_ends_with_its_marker_is_not_told_to_resume() {
        let obs = llm_stream(
            "POST",
            &[
                (10, "message", ROLE),
                (60, "message", TEXT),
                (70, "message", "[DONE]"),
            ],
        );
        let (obs, a) = judge(obs);
        let findings = run_all(&obs, &a);
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{f:?}");
        }
        let end = find(&findings, "llm-end");
        assert!(
            end.seen
                .contains("ended as its API promises (`data: [DONE]`)"),
            "{end:?}"
        );
        let closed = find(&findings, "connection");
        assert!(closed.seen.contains("ends by design"), "{closed:?}");
        assert!(find(&findings, "event-ids").seen.contains("not resumed"));
        // TTFT: the role-only chunk at 10 ms is not a token; the text at 60 ms is.
        let first = find(&findings, "first-event");
        assert!(
            first.seen.ends_with("first event 10 ms, first token 60 ms"),
            "{first:?}"
        );
        assert!(first.ms.contains(&("first_token", 60)), "{first:?}");
        // Two events and a close is an early close for other streams, not for an answer.
        let obs = llm_stream("POST", &[(10, "message", TEXT), (20, "message", "[DONE]")]);
        assert_eq!(check(obs, connection).status, Status::Pass);
    }

    #[test]
    fn the_same_answer_over_get_keeps_the_reconnection_advice() {
        // A browser's EventSource reconnects after any end, [DONE] or not.
        let obs = llm_stream(
            "GET",
            &[
                (10, "message", ROLE),
                (60, "message", TEXT),
                (70, "message", "[DONE]"),
            ],
        );
        let (obs, a) = judge(obs);
        let findings = run_all(&obs, &a);
        assert_eq!(find(&findings, "connection").status, Status::Warn);
        assert_eq!(find(&findings, "event-ids").status, Status::Warn);
        assert_eq!(find(&findings, "llm-end").status, Status::Pass);
    }

    #[test]
    fn an_answer_cut_before_its_marker_fails_with_what_came_last() {
        let obs = llm_stream("POST", &[(10, "message", ROLE), (60, "message", TEXT)]);
        let (obs, a) = judge(obs);
        let findings = run_all(&obs, &a);
        let failed: Vec<_> = findings
            .iter()
            .filter(|f| f.status == Status::Fail)
            .collect();
        assert_eq!(failed.len(), 1, "{findings:?}");
        let end = failed[0];
        assert_eq!(end.check, "llm-end");
        assert!(
            end.seen.contains("ends with `data: [DONE]`")
                && end
                    .seen
                    .contains(r#"the last event was `message` {"object":"chat.completion.chunk""#),
            "{end:?}"
        );
        assert!(end.why.contains("incomplete"), "{end:?}");
        // Still streaming when the watch stopped: not judged.
        let mut open = llm_stream("POST", &[(10, "message", ROLE), (60, "message", TEXT)]);
        open.end = None;
        assert_eq!(llm_end(&open).unwrap().status, Status::Pass);
        // A transport cut is the connection's FAIL too, answer or not.
        let cut = ended(llm_stream("POST", &[(10, "message", TEXT)]), 30, false);
        assert_eq!(check(cut, connection).status, Status::Fail);
    }

    #[test]
    fn an_error_inside_a_200_fails_naming_it() {
        let obs = llm_stream(
            "POST",
            &[
                (
                    10,
                    "message_start",
                    r#"{"type":"message_start","message":{}}"#,
                ),
                (
                    20,
                    "content_block_delta",
                    r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
                ),
                (
                    30,
                    "error",
                    r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
                ),
            ],
        );
        let f = llm_end(&obs).unwrap();
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert_eq!(
            f.seen,
            "an Anthropic Messages stream: the stream reported an error: overloaded_error: Overloaded (at 30 ms, after 2 events)"
        );
        assert!(f.ms.contains(&("error", 30)), "{f:?}");
    }

    #[test]
    fn other_streams_get_no_llm_checks_and_compression_still_counts() {
        let (obs, a) = judge(steady(base(), 5, 300, None, false));
        let findings = run_all(&obs, &a);
        assert!(findings.iter().all(|f| f.check != "llm-end"));
        assert!(!find(&findings, "first-event").seen.contains("token"));
        assert_eq!(find(&findings, "event-ids").status, Status::Warn);
        // An answer that ends by design is still judged for compression.
        let obs = with(
            llm_stream("POST", &[(10, "message", TEXT), (20, "message", "[DONE]")]),
            "content-encoding",
            "gzip",
        );
        assert_eq!(check(obs, content_encoding).status, Status::Warn);
    }
}
