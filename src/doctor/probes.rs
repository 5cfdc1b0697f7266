//! Diagnosis by experiment: after the watch doctor changes one thing, watches again,
//! and judges the difference (the words of its verdicts are in `advice`). The judging functions here are pure (observations in,
//! a finding out); the watching is `Watcher`'s, and the TLS handshake of the http2
//! probe is the only I/O in this file.

use std::collections::HashSet;
use std::io;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use super::advice;
use super::analysis::{Analysis, WARN_DELAY};
use super::finding::{Finding, FixLine, IntoFixes};
use super::layers;
use super::observation::{Observation, Seen};
use crate::format::ms;

/// How the server answered a reconnection that carried the last event id seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resume {
    /// The first event after reconnecting was new: the server went on after the id.
    Resumes { sent: String, next: String },
    /// It started again from an event already seen (`from_start`: the very first).
    Replays {
        sent: String,
        first: String,
        from_start: bool,
    },
    /// It sent the event with that id again (resuming at it, not after it).
    RepeatsLast { sent: String },
    /// 204: nothing after that id, stop reconnecting.
    Ends { sent: String },
    /// No event came while the probe watched: cannot tell.
    Silent { sent: String, watched: Duration },
    /// The first event after reconnecting carried no id: cannot tell.
    NoId { sent: String },
    /// The reconnection failed or was refused.
    Failed { sent: String, why: String },
}

/// Why a probe was not run, as a PASS line (not running it is no fault of the stream).
pub fn not_run(check: &'static str, why: impl Into<String>) -> Finding {
    Finding::pass(check, format!("not tried: {}", why.into()))
}

/// The id doctor would resume from, or why the resume probe cannot run.
pub fn resume_from(obs: &Observation) -> Result<String, &'static str> {
    if obs.events.with_id == 0 {
        return Err(advice::RESUME_NO_ID);
    }
    if obs.last_id.is_empty() {
        return Err(advice::RESUME_EMPTY_ID);
    }
    if !crate::http::header_safe(&obs.last_id) {
        return Err(advice::RESUME_UNSAFE_ID);
    }
    Ok(obs.last_id.clone())
}

/// Compares what the reconnection (`probe`, sent with `Last-Event-ID: sent`) got with
/// the events the watch saw.
pub fn judge_resume(watch: &Observation, sent: &str, probe: &Observation) -> Resume {
    let sent = sent.to_string();
    if let Some(why) = &probe.connect_error {
        return Resume::Failed {
            sent,
            why: why.clone(),
        };
    }
    match probe.status() {
        Some(204) => return Resume::Ends { sent },
        Some(200) => {}
        Some(code) => {
            return Resume::Failed {
                sent,
                why: format!("it answered {code}"),
            }
        }
        None => {
            return Resume::Silent {
                sent,
                watched: probe.watched,
            }
        }
    }
    let Some(next) = probe.events.first.first() else {
        return Resume::Silent {
            sent,
            watched: probe.watched,
        };
    };
    if !next.has_id {
        return Resume::NoId { sent };
    }
    let seen: HashSet<&str> = watch
        .kept_events()
        .filter(|e| e.has_id)
        .map(|e| e.id.as_str())
        .collect();
    let first = watch
        .kept_events()
        .find(|e| e.has_id)
        .map(|e| e.id.as_str());
    if next.id == sent {
        return Resume::RepeatsLast { sent };
    }
    if seen.contains(next.id.as_str()) {
        return Resume::Replays {
            from_start: first == Some(next.id.as_str()),
            first: next.id.clone(),
            sent,
        };
    }
    Resume::Resumes {
        sent,
        next: next.id.clone(),
    }
}

pub fn resume_finding(r: &Resume) -> Finding {
    use advice::RESUME_FIX as FIX;
    match r {
        Resume::Resumes { sent, next } => Finding::pass(
            "resume",
            format!("reconnected with Last-Event-ID: {sent}; the server went on with id {next}"),
        ),
        Resume::Ends { sent } => Finding::pass(
            "resume",
            format!("reconnected with Last-Event-ID: {sent}; the server answered 204 (nothing after it: stop reconnecting)"),
        ),
        Resume::Replays { sent, first, from_start: true } => Finding::warn(
            "resume",
            format!("reconnected with Last-Event-ID: {sent}; the server replayed from the start (id {first})"),
            advice::REPLAYS_FROM_START,
            FIX,
        ),
        Resume::Replays { sent, first, .. } => Finding::warn(
            "resume",
            format!("reconnected with Last-Event-ID: {sent}; the server replayed from id {first}, seen before"),
            advice::REPLAYS,
            FIX,
        ),
        Resume::RepeatsLast { sent } => Finding::warn(
            "resume",
            format!("reconnected with Last-Event-ID: {sent}; the server sent event {sent} again"),
            advice::REPEATS_LAST,
            FIX,
        ),
        Resume::Silent { sent, watched } => Finding::pass(
            "resume",
            format!("reconnected with Last-Event-ID: {sent}; no event within {} (cannot tell whether it resumes)", ms(*watched)),
        ),
        Resume::NoId { sent } => Finding::pass(
            "resume",
            format!("reconnected with Last-Event-ID: {sent}; the first event carried no id (cannot tell)"),
        ),
        Resume::Failed { sent, why } => Finding::warn(
            "resume",
            format!("reconnecting with Last-Event-ID: {sent} failed: {why}"),
            advice::RESUME_FAILED,
            advice::RESUME_FAILED_FIX,
        ),
    }
}

/// Whether the compression probe is worth a second connection: the response was
/// compressed and its events came late (held back, a burst, stamped delays past the
/// warning line, or compressed bytes with no event in them).
pub fn compression_suspected(obs: &Observation, a: &Analysis) -> bool {
    obs.content_encoding().is_some()
        && (a.held_back
            || (obs.events.count == 0 && obs.wire.bytes > 0)
            || (a.burst.is_some() && a.rhythm.is_none())
            || a.delays.is_some_and(|d| d.max > WARN_DELAY))
}

/// Judges the watch (compressed, late) against the same stream asked for with
/// `Accept-Encoding: identity`.
pub fn judge_compression(
    watch: &Observation,
    a: &Analysis,
    identity: &Observation,
    b: &Analysis,
) -> Finding {
    let first = |o: &Observation| o.events.first.first().map(|e: &Seen| e.at);
    let shown = |t: Option<Duration>| t.map_or("never".to_string(), ms);
    let seen = format!(
        "first event with compression {}, without (Accept-Encoding: identity) {}",
        shown(first(watch)),
        shown(first(identity))
    );
    let numbers = [
        ("first_event_compressed", first(watch)),
        ("first_event_identity", first(identity)),
    ];
    if let Some(enc) = identity.content_encoding() {
        return Finding::pass(
            "compression",
            format!(
                "the server compressed ({enc}) even when asked for identity: the probe cannot tell"
            ),
        );
    }
    if identity.status() != Some(200) {
        return Finding::pass(
            "compression",
            "the second connection (Accept-Encoding: identity) got no stream: the probe cannot tell",
        );
    }
    let earlier = match (first(watch), first(identity)) {
        (None, Some(_)) => true,
        (Some(w), Some(i)) => i + Duration::from_millis(300) < w,
        _ => false,
    };
    let on_time = identity.events.count > 0
        && !b.held_back
        && (b.burst.is_none() || b.rhythm.is_some())
        && b.delays.is_none_or(|d| d.max <= b.limit);
    let was_late = a.held_back || earlier || a.delays.is_some_and(|d| d.max > a.limit);
    if on_time && was_late {
        // The suspect of a compressed response is its compression layer (see analysis).
        let fixes: Vec<FixLine> = a.suspect.fixes.clone();
        return Finding::fail(
            "compression",
            seen,
            advice::compression_holds(&a.suspect.who),
            fixes,
        )
        .with_ms(&numbers);
    }
    Finding::pass(
        "compression",
        format!("{seen}: without compression the events were no earlier, so compression is not what holds them"),
    )
    .with_ms(&numbers)
}

/// The delay the hops between `upstream` and the watched URL add, event by event:
/// events matched by id when both streams carry ids, else by their order.
pub fn judge_compare(watch: &Observation, upstream: &Observation, upstream_url: &str) -> Finding {
    let ids = watch.events.with_id > 0 && upstream.events.with_id > 0;
    let (mut added, unmatched) = hop_delays(watch, upstream, ids);
    let how = if ids { "by id" } else { "by order" };
    if upstream.status() != Some(200) {
        let why = upstream.connect_error.clone().unwrap_or_else(|| {
            format!(
                "status {}",
                upstream.status().map_or("none".into(), |s| s.to_string())
            )
        });
        return Finding::warn(
            "compare",
            format!("{upstream_url} gave no stream to compare with: {why}"),
            advice::NO_UPSTREAM,
            advice::NO_UPSTREAM_FIX,
        );
    }
    if added.is_empty() {
        return Finding::warn(
            "compare",
            format!(
                "no event matched {how} between the two streams ({} here, {} upstream)",
                watch.events.count, upstream.events.count
            ),
            advice::NO_MATCH,
            advice::NO_MATCH_FIX,
        );
    }
    added.sort_unstable();
    let p50 = added[(added.len() - 1) / 2];
    let max = *added.last().unwrap_or(&0);
    let as_ms = |v: i128| Some(Duration::from_millis(u64::try_from(v.max(0)).unwrap_or(0)));
    let numbers = [("added_p50", as_ms(p50)), ("added_max", as_ms(max))];
    let seen = format!(
        "{} matched {how}{}: the hops to {upstream_url} add p50 {} ms, max {} ms",
        crate::format::count(added.len() as u64, "event"),
        if unmatched > 0 {
            format!(" ({unmatched} not)")
        } else {
            String::new()
        },
        p50,
        max
    );
    if max > 1000 {
        return Finding::fail("compare", seen, advice::HOPS_HOLD, advice::HOPS_HOLD_FIX)
            .with_ms(&numbers);
    }
    if max > WARN_DELAY.as_millis() as i128 {
        return Finding::warn(
            "compare",
            seen,
            advice::HOPS_HOLD_SOME,
            advice::HOPS_HOLD_SOME_FIX,
        )
        .with_ms(&numbers);
    }
    Finding::pass("compare", seen).with_ms(&numbers)
}

/// The delay (ms, negative when the watched URL was earlier) the hops add to each kept
/// event of `watch` matched in `upstream` (by id when `ids`, else by order, which only
/// holds for the first events), and how many found no match.
fn hop_delays(watch: &Observation, upstream: &Observation, ids: bool) -> (Vec<i128>, usize) {
    let up: Vec<&Seen> = upstream.kept_events().collect();
    let mut added: Vec<i128> = Vec::new();
    let mut unmatched = 0;
    for (i, e) in watch.kept_events().enumerate() {
        let other = if ids {
            up.iter().find(|u| u.has_id && u.id == e.id && e.has_id)
        } else if i < watch.events.first.len() {
            up.get(i)
        } else {
            None
        };
        match other {
            Some(u) => added.push(e.at.as_millis() as i128 - u.at.as_millis() as i128),
            None => unmatched += 1,
        }
    }
    (added, unmatched)
}

/// What the server offers by ALPN: `Some(protocol)` it chose, `None` when it chose none.
pub fn alpn(url: &str, insecure: bool, timeout: Duration) -> Result<Option<String>, String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e: ureq::http::uri::InvalidUri| e.to_string())?;
    let host = uri
        .host()
        .ok_or("the URL has no host")?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = uri.port_u16().unwrap_or(443);
    let config = crate::http::tls_config(insecure, &[b"h2", b"http/1.1"])?;
    let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
    let mut conn = rustls::ClientConnection::new(config, name).map_err(|e| e.to_string())?;
    let addr = (host.as_str(), port)
        .to_socket_addrs()
        .map_err(|e| crate::error::io_message(&e))?
        .next()
        .ok_or("the host has no address")?;
    let mut sock =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| crate::error::io_message(&e))?;
    let _ = sock.set_read_timeout(Some(timeout));
    let _ = sock.set_write_timeout(Some(timeout));
    while conn.is_handshaking() {
        conn.complete_io(&mut sock)
            .map_err(|e: io::Error| match e.get_ref() {
                Some(inner) => format!("TLS: {inner}"),
                None => crate::error::io_message(&e),
            })?;
    }
    Ok(conn
        .alpn_protocol()
        .map(|p| String::from_utf8_lossy(p).into_owned()))
}

/// The watch went over HTTP/2, as a browser's would: how much room the connection has
/// (streams at once, and the window the server's SETTINGS give what the client sends).
pub fn watched_over_h2(conn: &crate::http::Connection, https: bool) -> Finding {
    let how = if https {
        "works over HTTP/2 (ALPN h2), as a browser connects"
    } else {
        // Browsers never speak h2c: this is not the path a browser takes.
        "works over HTTP/2 in cleartext (h2c, --http2-prior-knowledge), which browsers do not speak"
    };
    let room = match conn.max_streams() {
        Some(n) => format!("room for {n} streams at once on one connection"),
        None => {
            "room for any number of streams at once (the server's SETTINGS set no limit)".into()
        }
    };
    let window = match conn.settings.as_ref() {
        None => String::new(),
        Some(settings) => match settings.get(crate::http::INITIAL_WINDOW_SIZE) {
            Some(w) => format!("; initial window {w} bytes for request bodies"),
            None => format!(
                "; initial window {} bytes (the default) for request bodies",
                crate::http::DEFAULT_WINDOW
            ),
        },
    };
    let seen = format!("{how}: {room}{window}");
    match conn.max_streams() {
        Some(n) if n < advice::HTTP1_CONNECTIONS => Finding::warn(
            "http2",
            seen,
            advice::few_streams(n),
            advice::FEW_STREAMS_FIX,
        ),
        _ => Finding::pass("http2", seen),
    }
}

/// Headers HTTP/2 forbids in a response (RFC 9113 §8.2.2), but for the framing every
/// front that speaks HTTP/2 takes off (`Transfer-Encoding: chunked`).
const CONNECTION_SPECIFIC: [&str; 4] = ["connection", "keep-alive", "proxy-connection", "upgrade"];

/// sse's h2 refused the HTTP/2 response as malformed, so `obs` was watched over
/// HTTP/1.1: the connection-specific headers it carries there.
pub fn h2_malformed(obs: &Observation) -> Finding {
    let carried: Vec<String> = obs
        .head
        .iter()
        .flat_map(|h| &h.headers)
        .filter(|(n, _)| CONNECTION_SPECIFIC.contains(&n.to_ascii_lowercase().as_str()))
        .map(|(n, v)| format!("`{}: {}`", super::keep_text(n), super::keep_text(v)))
        .collect();
    let over_http1 = if obs.head.is_none() {
        "over HTTP/1.1 there was no response either".to_string()
    } else if carried.is_empty() {
        "over HTTP/1.1 it carries none of them: perhaps the side that speaks HTTP/2 adds one, or its head is malformed another way".to_string()
    } else {
        format!("over HTTP/1.1 it carries {}", carried.join(", "))
    };
    let seen = format!(
        "the HTTP/2 response is malformed (PROTOCOL_ERROR), so this watch was over HTTP/1.1; {over_http1}"
    );
    Finding::fail(
        "http2",
        seen,
        advice::H2_MALFORMED,
        vec![FixLine::from(&super::layers::H2_MALFORMED_FIX)],
    )
}

/// A head later than this is late, when it came with the body's first bytes.
pub const HEAD_HELD: Duration = Duration::from_secs(1);
/// A head this close before the first body bytes came with them.
const WITH_DATA: Duration = Duration::from_millis(100);
/// The other protocol's head must be this much earlier to call it "at once".
const HEAD_EARLIER: Duration = Duration::from_millis(500);

/// One protocol's watch and what it means.
#[derive(Clone, Copy)]
pub struct Watched<'a> {
    /// "HTTP/2", "HTTP/1.1".
    pub protocol: &'static str,
    pub obs: &'a Observation,
    pub a: &'a Analysis,
}

/// When a watch's response head came, against its first body bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum HeadCame {
    /// Before the body, or late on its own (a slow server, not a held head).
    Apart(Duration),
    /// Late, and only with the body's first bytes.
    WithData(Duration),
    /// Not while watched (this long).
    Never(Duration),
}

impl HeadCame {
    fn of(obs: &Observation) -> HeadCame {
        match obs.head_at {
            None => HeadCame::Never(obs.watched),
            Some(at)
                if at >= HEAD_HELD
                    && obs
                        .wire
                        .first
                        .is_some_and(|f| f.saturating_sub(at) <= WITH_DATA) =>
            {
                HeadCame::WithData(at)
            }
            Some(at) => HeadCame::Apart(at),
        }
    }

    fn held(self) -> bool {
        !matches!(self, HeadCame::Apart(_))
    }

    fn at(self) -> Duration {
        match self {
            HeadCame::Apart(at) | HeadCame::WithData(at) | HeadCame::Never(at) => at,
        }
    }

    fn text(self, protocol: &str) -> String {
        match self {
            HeadCame::Apart(at) => format!("over {protocol} after {}", ms(at)),
            HeadCame::WithData(at) => {
                format!("over {protocol} only with the first data, after {}", ms(at))
            }
            HeadCame::Never(watched) => format!("over {protocol} not within {}", ms(watched)),
        }
    }
}

/// Compares the watch over HTTP/2 with the same stream watched over HTTP/1.1: when
/// the response head came ("head") and how the events arrived ("arrival").
pub fn judge_protocols(h2: Watched, h1: Watched) -> Vec<Finding> {
    // A head that never came is judged (held, as far as the probe watched); a refusal
    // or a failed connection is nothing to compare.
    if !h1.obs.no_head && h1.obs.status() != Some(200) {
        let why = h1.obs.connect_error.clone().unwrap_or_else(|| {
            let status = h1.obs.status().map_or("none".into(), |s| s.to_string());
            format!("status {status}")
        });
        let seen = format!("{} ({why})", advice::HTTP1_PROBE_FAILED);
        return vec![
            Finding::pass("head", seen.clone()),
            Finding::pass("arrival", seen),
        ];
    }
    vec![judge_head(h2, h1), judge_arrival(h2, h1)]
}

/// Whether the head was held until the first data on one protocol, or on both.
fn judge_head(x: Watched, y: Watched) -> Finding {
    let (hx, hy) = (HeadCame::of(x.obs), HeadCame::of(y.obs));
    let seen = format!(
        "response head {}, {}",
        hx.text(x.protocol),
        hy.text(y.protocol)
    );
    let numbers = [("head_h2", x.obs.head_at), ("head_http1", y.obs.head_at)];
    let one_sided = |h: HeadCame, other: HeadCame| {
        h.held() && !other.held() && other.at() + HEAD_EARLIER <= h.at()
    };
    let path = if one_sided(hx, hy) {
        format!("the {} path", x.protocol)
    } else if one_sided(hy, hx) {
        format!("the {} path", y.protocol)
    } else if hx.held() && hy.held() {
        "the path both protocols take".to_string()
    } else {
        return Finding::pass("head", seen).with_ms(&numbers);
    };
    let held = if hx.held() { x } else { y };
    Finding::warn("head", seen, advice::head_held(&path), head_fixes(held.a)).with_ms(&numbers)
}

/// A named layer that holds streams is what holds the head too (its fix, not a first
/// comment, which such a layer holds as well); else the server opens the stream at once.
fn head_fixes(a: &Analysis) -> Vec<FixLine> {
    match a.layers.iter().find_map(|l| l.holds.as_ref()) {
        Some(holds) => holds.into_fixes(),
        None => (&layers::OPEN_AT_ONCE).into_fixes(),
    }
}

/// What made a watch's events late, if they were: stamped delays past the limit, or a
/// burst after silence that is not the server's rhythm.
fn lateness(w: Watched) -> Option<String> {
    if let Some(d) = w.a.delays {
        return (d.max > w.a.limit).then(|| format!("delay max {}", ms(d.max)));
    }
    if w.a.held_back || (w.a.burst.is_some() && w.a.rhythm.is_none()) {
        return w.a.burst.map(|b| {
            format!(
                "{} at once after {} of silence",
                crate::format::count(b.size as u64, "event"),
                ms(b.silence)
            )
        });
    }
    None
}

/// How a watch's events arrived, in a few words.
fn arrival_text(w: Watched) -> String {
    match (lateness(w), w.a.delays) {
        (Some(late), _) => format!("over {} late ({late})", w.protocol),
        (None, Some(d)) => format!("over {} on time (delay max {})", w.protocol, ms(d.max)),
        (None, None) => format!(
            "over {} spread out ({})",
            w.protocol,
            crate::format::count(w.obs.events.count, "event")
        ),
    }
}

/// Whether events were late on one protocol only, and which.
fn judge_arrival(x: Watched, y: Watched) -> Finding {
    if x.obs.events.count == 0 || y.obs.events.count == 0 {
        return Finding::pass(
            "arrival",
            "no events on one of the protocols to compare (see first-event)",
        );
    }
    let seen = format!("events {}, {}", arrival_text(x), arrival_text(y));
    let (late, on_time) = match (lateness(x), lateness(y)) {
        (Some(_), None) => (x, y),
        (None, Some(_)) => (y, x),
        _ => return Finding::pass("arrival", format!("{seen}: the same on both protocols")),
    };
    let (who, fixes) = if late.protocol == "HTTP/2" {
        let advice = layers::on_h2(&late.a.layers);
        (advice.does.to_string(), advice.into_fixes())
    } else {
        (late.a.suspect.who.clone(), late.a.suspect.fixes.clone())
    };
    let why = advice::one_protocol_buffers(late.protocol, on_time.protocol, &who);
    // The browser's path (HTTP/2) late is a FAIL; HTTP/1.1 alone late is a WARN.
    if late.protocol == "HTTP/2" {
        Finding::fail("arrival", seen, why, fixes)
    } else {
        Finding::warn("arrival", seen, why, fixes)
    }
}

/// The watch went over HTTP/1.1 on https: whether the server offers HTTP/2 by ALPN.
pub fn http2_finding(result: &Result<Option<String>, String>) -> Finding {
    match result {
        Ok(Some(p)) if p == "h2" => Finding::pass(
            "http2",
            "the server offers HTTP/2 (ALPN h2); this watch was over HTTP/1.1 (--http1.1)",
        ),
        Ok(other) => Finding::warn(
            "http2",
            format!(
                "the server offers only HTTP/1.1 (ALPN: {})",
                other.as_deref().unwrap_or("none chosen")
            ),
            advice::HTTP11_ONLY,
            advice::HTTP2_FIX,
        ),
        Err(why) => Finding::pass(
            "http2",
            format!("not tried: the TLS handshake failed: {why}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::finding::Status;
    use crate::http::Head;

    fn stream(ids: &[&str], status: u16) -> Observation {
        let mut obs = Observation {
            head: Some(Head {
                status,
                headers: vec![("content-type".into(), "text/event-stream".into())],
                ..Head::default()
            }),
            ..Observation::default()
        };
        for (i, id) in ids.iter().enumerate() {
            let at = Duration::from_millis(10 + 100 * i as u64);
            obs.read(at, 20);
            obs.event(Seen {
                at,
                delay: None,
                has_id: !id.is_empty(),
                id: id.to_string(),
                event_type: "message".into(),
                bytes: 1,
            });
            obs.last_id = id.to_string();
        }
        obs
    }

    #[test]
    fn resume_outcomes() {
        let watch = stream(&["1", "2", "3"], 200);
        assert_eq!(resume_from(&watch), Ok("3".into()));
        assert!(resume_from(&stream(&["", ""], 200)).is_err());
        let judge = |probe: Observation| judge_resume(&watch, "3", &probe);
        assert!(matches!(judge(stream(&["4"], 200)), Resume::Resumes { next, .. } if next == "4"));
        assert!(matches!(
            judge(stream(&["1"], 200)),
            Resume::Replays {
                from_start: true,
                ..
            }
        ));
        assert!(matches!(
            judge(stream(&["2"], 200)),
            Resume::Replays {
                from_start: false,
                ..
            }
        ));
        assert_eq!(
            judge(stream(&["3"], 200)),
            Resume::RepeatsLast { sent: "3".into() }
        );
        assert_eq!(judge(stream(&[], 204)), Resume::Ends { sent: "3".into() });
        assert!(matches!(judge(stream(&[], 200)), Resume::Silent { .. }));
        assert!(matches!(judge(stream(&[""], 200)), Resume::NoId { .. }));
        assert!(matches!(judge(stream(&[], 500)), Resume::Failed { .. }));
        assert_eq!(
            resume_finding(&judge(stream(&["1"], 200))).status,
            Status::Warn
        );
        assert_eq!(
            resume_finding(&judge(stream(&["4"], 200))).status,
            Status::Pass
        );
    }

    #[test]
    fn compression_is_proven_only_when_identity_is_on_time() {
        let mut held = stream(&[], 200);
        held.head
            .as_mut()
            .unwrap()
            .headers
            .push(("content-encoding".into(), "gzip".into()));
        held.read(Duration::from_millis(5), 10);
        let a = Analysis::of(&held, None);
        assert!(compression_suspected(&held, &a));
        let live = stream(&["1", "2"], 200);
        let b = Analysis::of(&live, None);
        let f = judge_compression(&held, &a, &live, &b);
        assert_eq!(f.status, Status::Fail, "{f:?}");
        let silent = stream(&[], 200);
        let c = Analysis::of(&silent, None);
        assert_eq!(
            judge_compression(&held, &a, &silent, &c).status,
            Status::Pass
        );
    }

    #[test]
    fn compare_matches_by_id_and_measures_the_hops() {
        let up = stream(&["1", "2", "3"], 200);
        let mut late = stream(&[], 200);
        for (i, id) in ["1", "2", "3"].iter().enumerate() {
            late.event(Seen {
                at: Duration::from_millis(2000 + i as u64),
                delay: None,
                has_id: true,
                id: id.to_string(),
                event_type: "message".into(),
                bytes: 1,
            });
        }
        let f = judge_compare(&late, &up, "http://up/e");
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert!(f.seen.contains("3 events matched by id"), "{f:?}");
        let f = judge_compare(&up.clone(), &up, "http://up/e");
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.seen.contains("p50 0 ms"), "{f:?}");
    }

    /// A stream whose head came at `head_ms` and whose events came from `first_ms`, 100
    /// ms apart.
    fn opened(head_ms: u64, first_ms: u64) -> Observation {
        let mut obs = stream(&[], 200);
        obs.head_at = Some(Duration::from_millis(head_ms));
        for i in 0..3 {
            let at = Duration::from_millis(first_ms + 100 * i);
            obs.read(at, 20);
            obs.event(Seen {
                at,
                delay: None,
                has_id: false,
                id: String::new(),
                event_type: "message".into(),
                bytes: 1,
            });
        }
        obs.finish(
            Duration::from_secs(3),
            crate::doctor::observation::Stop::Ended,
        );
        obs
    }

    /// The findings of comparing `h2` with `h1`: head, arrival.
    fn compare_both(h2: &Observation, h1: &Observation) -> Vec<Finding> {
        let (a, b) = (Analysis::of(h2, None), Analysis::of(h1, None));
        let w = |protocol, obs, a| Watched { protocol, obs, a };
        judge_protocols(w("HTTP/2", h2, &a), w("HTTP/1.1", h1, &b))
    }

    /// The head finding of comparing `h2` with `h1`.
    fn compare(h2: &Observation, h1: &Observation) -> Finding {
        compare_both(h2, h1).remove(0)
    }

    /// `opened(20, 20)` with stamped delays of `delay_ms`, behind `server`.
    fn stamped(delay_ms: u64, server: &str) -> Observation {
        let mut obs = opened(20, 20);
        for _ in 0..3 {
            obs.events.delays.add(delay_ms);
        }
        let headers = &mut obs.head.as_mut().unwrap().headers;
        headers.push(("server".into(), server.into()));
        obs
    }

    #[test]
    fn events_late_on_one_protocol_only_name_that_protocol() {
        let arrival = |h2, h1| compare_both(&h2, &h1).remove(1);
        let f = arrival(stamped(2000, "Apache/2.4.27"), stamped(5, "Apache/2.4.27"));
        assert_eq!(f.status, Status::Fail, "{f:?}");
        assert_eq!(
            f.seen,
            "events over HTTP/2 late (delay max 2.00 s), over HTTP/1.1 on time (delay max 5 ms)"
        );
        assert!(f.why.starts_with("the HTTP/2 path holds events"), "{f:?}");
        assert!(f.why.contains("mod_http2"), "{f:?}");
        assert!(f.fix().contains("H2OutputBuffering off"), "{f:?}");
        assert!(f.fixes.iter().all(|x| x.verified_by.is_none()), "{f:?}");
        // No layer named: the layer that terminates HTTP/2, in general words.
        let f = arrival(stamped(2000, "x"), stamped(5, "x"));
        assert!(f.fix().contains("terminates HTTP/2"), "{f:?}");
        // HTTP/1.1 alone late: a WARN (browsers take HTTP/2) with the usual suspect.
        let f = arrival(stamped(5, "nginx"), stamped(2000, "nginx"));
        assert_eq!(f.status, Status::Warn, "{f:?}");
        assert!(f.fix().contains("proxy_buffering off"), "{f:?}");
        // Late on both, or on neither: the same on both protocols.
        let f = arrival(stamped(2000, "x"), stamped(2000, "x"));
        assert_eq!(f.status, Status::Pass, "{f:?}");
        assert!(f.seen.ends_with("the same on both protocols"), "{f:?}");
        assert_eq!(
            arrival(stamped(5, "x"), stamped(9, "x")).status,
            Status::Pass
        );
    }

    #[test]
    fn a_head_held_until_the_first_data_is_told_with_its_protocol() {
        let head = &compare(&opened(20, 1500), &opened(1500, 1500));
        assert_eq!(head.status, Status::Warn, "{head:?}");
        assert_eq!(
            head.seen,
            "response head over HTTP/2 after 20 ms, over HTTP/1.1 only with the first data, after 1.50 s"
        );
        assert!(head.why.contains("the HTTP/1.1 path"), "{head:?}");
        assert!(head.fix().contains("`: ok`"), "{head:?}");
        let head = &compare(&opened(1500, 1500), &opened(20, 1500));
        assert!(head.why.contains("the HTTP/2 path"), "{head:?}");
        let head = &compare(&opened(2000, 2000), &opened(2010, 2010));
        assert!(head.why.contains("both protocols"), "{head:?}");
        // Behind a layer that holds streams, its own fix: it would hold a comment too.
        let mut nginx = opened(2000, 2000);
        nginx
            .head
            .as_mut()
            .unwrap()
            .headers
            .push(("server".into(), "nginx".into()));
        let head = &compare(&nginx, &nginx.clone());
        assert!(head.fix().contains("proxy_buffering off") && !head.fix().contains(": ok"));
        // A head at once, and a slow server's late head before its data, are no finding.
        assert_eq!(
            compare(&opened(20, 1500), &opened(30, 1500)).status,
            Status::Pass
        );
        assert_eq!(
            compare(&opened(1200, 2500), &opened(30, 1500)).status,
            Status::Pass
        );
        // No head at all over HTTP/1.1 while HTTP/2's came at once.
        let never = Observation {
            no_head: true,
            watched: Duration::from_secs(5),
            ..Observation::default()
        };
        let head = &compare(&opened(20, 1500), &never);
        assert_eq!(head.status, Status::Warn, "{head:?}");
        assert!(
            head.seen.ends_with("over HTTP/1.1 not within 5.00 s"),
            "{head:?}"
        );
        let refused = Observation {
            connect_error: Some("refused".into()),
            ..Observation::default()
        };
        assert!(compare(&opened(20, 1500), &refused)
            .seen
            .contains("refused"));
    }

    #[test]
    fn http2_findings() {
        assert_eq!(http2_finding(&Ok(Some("h2".into()))).status, Status::Pass);
        let f = http2_finding(&Ok(Some("http/1.1".into())));
        assert_eq!(f.status, Status::Warn);
        assert!(f.why.contains("6"), "{f:?}");
        assert_eq!(http2_finding(&Err("refused".into())).status, Status::Pass);
    }
}
