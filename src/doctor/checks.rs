//! One pure function per check: `&Observation -> Finding`. No I/O, no clock.

use serde::Serialize;
use std::time::Duration;

use super::{Observation, Stop};
use crate::client::media_type;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Pass,
    Warn,
    Fail,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub check: &'static str,
    pub status: Status,
    /// What was observed: the header, the numbers.
    pub seen: String,
    /// Why it matters (empty for a plain PASS).
    pub why: String,
    /// What to change, for the layer most likely at fault (empty for a PASS).
    pub fix: String,
}

impl Finding {
    fn pass(check: &'static str, seen: impl Into<String>) -> Self {
        Finding {
            check,
            status: Status::Pass,
            seen: seen.into(),
            why: String::new(),
            fix: String::new(),
        }
    }
    fn warn(
        check: &'static str,
        seen: impl Into<String>,
        why: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding::judged(Status::Warn, check, seen, why, fix)
    }
    fn fail(
        check: &'static str,
        seen: impl Into<String>,
        why: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding::judged(Status::Fail, check, seen, why, fix)
    }
    fn judged(
        status: Status,
        check: &'static str,
        seen: impl Into<String>,
        why: impl Into<String>,
        fix: impl Into<String>,
    ) -> Self {
        Finding {
            check,
            status,
            seen: seen.into(),
            why: why.into(),
            fix: fix.into(),
        }
    }
}

/// Above this, a stamped event counts as late (a FAIL) unless `--max-delay` says otherwise.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(1);
/// Above this, a stamped delay is worth a WARN.
pub const WARN_DELAY: Duration = Duration::from_millis(200);
/// Silence before a burst that makes it look like held-back events.
pub const BURST_SILENCE: Duration = Duration::from_millis(900);
/// Events this close together arrived "at once".
pub const BURST_SPREAD: Duration = Duration::from_millis(10);
/// Idle cut-offs of common layers (seconds after the last byte), with their names.
pub const IDLE_CUTOFFS: [(u64, &str); 4] = [
    (30, "Heroku's router (30 s to the first byte)"),
    (55, "Heroku's router (55 s idle)"),
    (
        60,
        "nginx (proxy_read_timeout 60s) or an AWS ALB (idle timeout 60 s)",
    ),
    (100, "Cloudflare (100 s)"),
];

/// Layers that cut idle connections: what they do, and the fix.
const IDLE_LAYERS: [(Layer, &str, &str); 3] = [
    (
        Layer::Heroku,
        "Heroku's router wants the first byte within 30 s and closes connections idle for 55 s",
        "Heroku: send a `:` heartbeat comment every 15-30 s",
    ),
    (
        Layer::Cloudflare,
        "Cloudflare closes connections idle for 100 s",
        "Cloudflare: send a `:` heartbeat comment at least every 60 s",
    ),
    (
        Layer::AwsAlb,
        "an AWS ALB closes connections idle for 60 s by default",
        "AWS ALB: raise idle_timeout.timeout_seconds or send a heartbeat every 30 s",
    ),
];

/// A layer named by the response headers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Nginx,
    Cloudflare,
    Heroku,
    AwsAlb,
    Rack,
}

pub fn layers(obs: &Observation) -> Vec<Layer> {
    let server = obs.header("server").unwrap_or("").to_ascii_lowercase();
    let via = obs.header("via").unwrap_or("").to_ascii_lowercase();
    let mut found = Vec::new();
    if server.contains("nginx") || server.contains("openresty") || via.contains("nginx") {
        found.push(Layer::Nginx);
    }
    if server.contains("cloudflare") || obs.header("cf-ray").is_some() {
        found.push(Layer::Cloudflare);
    }
    if via.contains("vegur") || server.contains("heroku") {
        found.push(Layer::Heroku);
    }
    if server.contains("awselb") || obs.header("x-amzn-trace-id").is_some() {
        found.push(Layer::AwsAlb);
    }
    if obs.header("x-runtime").is_some()
        || obs.header("x-request-id").is_some() && obs.header("etag").is_some()
    {
        found.push(Layer::Rack);
    }
    found
}

fn accel_off(obs: &Observation) -> bool {
    obs.header("x-accel-buffering")
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"))
}

const NGINX_FIX: &str = "nginx: in the location that proxies the stream set `proxy_buffering off;`, `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` (or have the upstream send `X-Accel-Buffering: no`)";
const RACK_ETAG_FIX: &str = "Rack/Rails: Rack::ETag hashes the whole body before sending it; send `Cache-Control: no-cache` on the stream (Rack::ETag skips such responses) or remove it (`config.middleware.delete Rack::ETag`)";
const COMPRESSION_FIX: &str = "exclude text/event-stream from compression (nginx: leave it out of `gzip_types`; Express `compression`: a filter; Rack::Deflater: an `:if` option), or flush the compressor after every event";
const GENERIC_BUFFER_FIX: &str = "find the layer that holds the body (a proxy's buffering, an ETag or compression middleware, a CDN) and turn buffering off for this route; behind nginx: `proxy_buffering off;`";

/// The likeliest holder of events, from the headers: (who, fix).
pub fn suspect(obs: &Observation) -> (String, String) {
    if obs.header("etag").is_some() {
        return (
            "an ETag middleware such as Rack::ETag (the response has an ETag)".into(),
            RACK_ETAG_FIX.into(),
        );
    }
    if let Some(enc) = obs.header("content-encoding") {
        return (
            format!("compression (Content-Encoding: {enc})"),
            COMPRESSION_FIX.into(),
        );
    }
    let layers = layers(obs);
    if layers.contains(&Layer::Nginx) && !accel_off(obs) {
        return (
            "nginx, which buffers proxied responses by default (Server/Via names it)".into(),
            NGINX_FIX.into(),
        );
    }
    if layers.contains(&Layer::Cloudflare) {
        return ("Cloudflare".into(), "Cloudflare: serve the stream with `Content-Type: text/event-stream` and no Content-Length, keep it out of caching rules, and disable features that rewrite the body for that path".into());
    }
    if let Some(via) = obs.header("via") {
        return (
            format!("the proxy named by `Via: {via}`"),
            GENERIC_BUFFER_FIX.into(),
        );
    }
    if obs.header("content-length").is_some() {
        return (
            "a layer that held the whole body to measure it (the response has a Content-Length)"
                .into(),
            GENERIC_BUFFER_FIX.into(),
        );
    }
    (
        "a proxy or middleware between the server and this client".into(),
        GENERIC_BUFFER_FIX.into(),
    )
}

/// Stamped delays: (count, p50, max).
pub fn delays(obs: &Observation) -> Option<(usize, Duration, Duration)> {
    let mut d: Vec<Duration> = obs.events.iter().filter_map(|e| e.delay).collect();
    if d.is_empty() {
        return None;
    }
    d.sort_unstable();
    Some((d.len(), d[(d.len() - 1) / 2], d[d.len() - 1]))
}

/// A burst after silence: (events in the burst, silence before it, the burst's spread).
pub fn burst(obs: &Observation) -> Option<(usize, Duration, Duration)> {
    let times: Vec<Duration> = obs.events.iter().map(|e| e.at).collect();
    let mut best: Option<(usize, Duration, Duration)> = None;
    let mut start = 0;
    while start < times.len() {
        let mut end = start + 1;
        while end < times.len() && times[end] - times[end - 1] <= BURST_SPREAD {
            end += 1;
        }
        let size = end - start;
        // Silence: since the previous byte of any kind (a heartbeat breaks a silence), or
        // since the request (a held-back response holds its head too).
        let before = obs
            .reads
            .iter()
            .map(|(t, _)| *t)
            .filter(|t| *t + BURST_SPREAD < times[start])
            .max()
            .unwrap_or_default();
        let silence = times[start].saturating_sub(before);
        if size >= 3 && silence >= BURST_SILENCE && best.is_none_or(|b| size > b.0) {
            best = Some((size, silence, times[end - 1] - times[start]));
        }
        start = end;
    }
    best
}

/// Whether events were held back: stamped delays over the limit, or (without stamps) a
/// burst after silence.
pub fn held_back(obs: &Observation) -> bool {
    match delays(obs) {
        Some((_, _, max)) => max > obs.max_delay.unwrap_or(DEFAULT_MAX_DELAY),
        None => burst(obs).is_some(),
    }
}

pub fn run_all(obs: &Observation) -> Vec<Finding> {
    let first = response(obs);
    if first.status == Status::Fail {
        return vec![first];
    }
    vec![
        first,
        content_type(obs),
        http_version(obs),
        content_length(obs),
        content_encoding(obs),
        etag(obs),
        cache_control(obs),
        proxy(obs),
        first_event(obs),
        delivery(obs),
        connection(obs),
        heartbeat(obs),
        event_ids(obs),
    ]
}

pub fn response(obs: &Observation) -> Finding {
    if obs.no_head {
        return Finding::fail(
            "response",
            format!("no response head within {}", ms(obs.watched)),
            "nothing arrived, not even the status line: a layer that buffers whole responses (Rack::ETag, a buffering proxy or CDN) sends nothing until the stream ends, or the server is very slow to answer",
            format!("send the response head at once and keep it streaming; {GENERIC_BUFFER_FIX}"),
        );
    }
    if let Some(cause) = &obs.connect_error {
        return Finding::fail("response", format!("no response: {cause}"), "nothing to watch", "check the URL, that the server runs, and any proxy settings (HTTP_PROXY/HTTPS_PROXY/NO_PROXY)");
    }
    match obs.status {
        Some(200) => Finding::pass("response", format!("{} 200 {}", obs.version, obs.reason)),
        Some(204) => Finding::fail("response", "204 No Content", "a browser's EventSource stops for good on 204: this is how a server says \"do not reconnect\"", "answer 200 with the stream, unless stopping clients is the intent"),
        Some(code) => Finding::fail(
            "response",
            format!("{code} {}", obs.reason),
            "EventSource fails the connection on any status but 200 and does not reconnect",
            if (300..400).contains(&code) { "a redirect that was not followed: check its Location" } else { "make the stream URL answer 200; check authentication headers (-H) and the path" },
        ),
        None => Finding::fail("response", "no response", "nothing to watch", "check the URL"),
    }
}

pub fn content_type(obs: &Observation) -> Finding {
    let raw = obs.header("content-type").unwrap_or("");
    if media_type(raw) == "text/event-stream" {
        let charset = raw.to_ascii_lowercase();
        if charset.contains("charset=") && !charset.contains("charset=utf-8") {
            return Finding::warn(
                "content-type",
                raw,
                "event streams are always UTF-8; another charset says the server thinks otherwise",
                "send `Content-Type: text/event-stream` (UTF-8 is implied)",
            );
        }
        return Finding::pass("content-type", raw);
    }
    Finding::fail(
        "content-type",
        if raw.is_empty() { "none".to_string() } else { raw.to_string() },
        "EventSource fails the connection unless the type is text/event-stream, and proxies only stream what they recognise as a stream",
        "send `Content-Type: text/event-stream`",
    )
}

pub fn http_version(obs: &Observation) -> Finding {
    if obs.version == "HTTP/1.0" {
        return Finding::warn(
            "http-version",
            "the response is HTTP/1.0",
            "HTTP/1.0 has no chunked encoding: the stream can only end by closing the connection, and an HTTP/1.0 hop is where proxies buffer and cut streams",
            "answer in HTTP/1.1; if a proxy answers, make it speak HTTP/1.1 on both sides (nginx: `proxy_http_version 1.1;`)",
        );
    }
    Finding::pass("http-version", obs.version.clone())
}

pub fn content_length(obs: &Observation) -> Finding {
    match obs.header("content-length") {
        None => Finding::pass("content-length", "none: the body is streamed"),
        Some(n) => {
            let (who, fix) = suspect(obs);
            Finding::fail(
                "content-length",
                format!("Content-Length: {n}"),
                format!("a length is only known once the whole body exists: the stream was held back and sent at the end, likely by {who}"),
                fix,
            )
        }
    }
}

pub fn content_encoding(obs: &Observation) -> Finding {
    let Some(enc) = obs.header("content-encoding") else {
        return Finding::pass("content-encoding", "none");
    };
    let seen = format!("Content-Encoding: {enc} (doctor asked with a browser's Accept-Encoding)");
    let wire: usize = obs.reads.iter().map(|(_, n)| n).sum();
    if obs.events.is_empty() && wire > 0 && obs.decode_error.is_none() {
        return Finding::fail(
            "content-encoding",
            format!("{seen}; {wire} compressed bytes arrived, but no event could be decoded from them"),
            "the compressor is holding the events until its block fills or the stream ends; browsers ask for compression, so they wait while curl looks fine",
            COMPRESSION_FIX,
        );
    }
    if obs.events.is_empty() {
        return Finding::warn(
            "content-encoding",
            format!("{seen}; no events seen to judge it by"),
            "compression of a stream holds events unless the layer flushes after every write",
            COMPRESSION_FIX,
        );
    }
    if held_back(obs) {
        return Finding::fail(
            "content-encoding",
            seen,
            "compressors collect a full block before writing; here events were held back, and compression is the likely reason",
            COMPRESSION_FIX,
        );
    }
    Finding::warn(
        "content-encoding",
        format!("{seen}; events still arrived live"),
        "this layer flushes after each write today, but compression of a stream is fragile: a buffer size or a config change makes browsers (which ask for compression) wait while curl (which does not) looks fine",
        COMPRESSION_FIX,
    )
}

pub fn etag(obs: &Observation) -> Finding {
    let Some(tag) = obs.header("etag") else {
        return Finding::pass("etag", "none");
    };
    let seen = format!("ETag: {tag}");
    let why = "an ETag is a hash of the whole body: middleware such as Rack::ETag holds the stream until it ends to compute it";
    if held_back(obs) || obs.header("content-length").is_some() {
        Finding::fail("etag", seen, why, RACK_ETAG_FIX)
    } else {
        Finding::warn(
            "etag",
            seen,
            format!("{why}; events arrived live here, so something else set it"),
            "send no ETag on the stream",
        )
    }
}

pub fn cache_control(obs: &Observation) -> Finding {
    match obs.header("cache-control") {
        Some(v) if v.to_ascii_lowercase().contains("no-cache") || v.to_ascii_lowercase().contains("no-store") => {
            Finding::pass("cache-control", format!("Cache-Control: {v}"))
        }
        other => Finding::warn(
            "cache-control",
            other.map_or("none".to_string(), |v| format!("Cache-Control: {v}")),
            "without no-cache, caches and CDNs may hold or replay the stream, and Rack::ETag buffers it to hash it",
            "send `Cache-Control: no-cache` with the stream",
        ),
    }
}

pub fn proxy(obs: &Observation) -> Finding {
    let found = layers(obs);
    let mut signs: Vec<String> = Vec::new();
    for name in ["server", "via"] {
        if let Some(v) = obs.header(name) {
            signs.push(format!(
                "{}: {v}",
                if name == "server" { "Server" } else { "Via" }
            ));
        }
    }
    if let Some(v) = obs.header("x-accel-buffering") {
        signs.push(format!("X-Accel-Buffering: {v}"));
    }
    let seen = if signs.is_empty() {
        "no Server or Via header".to_string()
    } else {
        signs.join(", ")
    };
    let proven_live = delays(obs).is_some() && !held_back(obs);
    if found.contains(&Layer::Nginx) && !accel_off(obs) && proven_live {
        return Finding::pass(
            "proxy",
            format!("{seen}: nginx, and stamped events arrived on time, so its buffering is off"),
        );
    }
    if found.contains(&Layer::Nginx) && !accel_off(obs) {
        return Finding::warn(
            "proxy",
            seen,
            "nginx buffers proxied responses and talks HTTP/1.0 to upstreams unless told otherwise",
            NGINX_FIX,
        );
    }
    if let Some((_, why, fix)) = IDLE_LAYERS.iter().find(|(layer, ..)| found.contains(layer)) {
        return Finding::warn("proxy", seen, *why, *fix);
    }
    if found.contains(&Layer::Nginx) {
        return Finding::pass(
            "proxy",
            format!("{seen}: nginx with buffering turned off for this response"),
        );
    }
    Finding::pass(
        "proxy",
        format!("{seen}: no proxy named (one may still be there)"),
    )
}

pub fn first_event(obs: &Observation) -> Finding {
    let head = obs.head_at.unwrap_or_default();
    let first_byte = obs.reads.first().map(|(t, _)| *t);
    let first = obs.events.first().map(|e| e.at);
    let seen = format!(
        "response head after {}, first byte {}, first event {}",
        ms(head),
        first_byte.map_or("never".into(), ms),
        first.map_or("never".into(), ms)
    );
    if let Some(why) = &obs.decode_error {
        return Finding::warn("first-event", seen, why.clone(), "");
    }
    match first {
        None => {
            let (who, fix) = suspect(obs);
            Finding::warn(
                "first-event",
                format!("{seen} in {}", ms(obs.watched)),
                format!("no event arrived while watching: either the server sent none, or {who} is holding them"),
                format!("watch longer (--duration), or if the server did send events: {fix}"),
            )
        }
        Some(t) if t.saturating_sub(head) > Duration::from_secs(5) => Finding::warn(
            "first-event",
            seen,
            "the first event came long after the response head; if the server sent it earlier, something held it",
            "send a first event or a `:` comment at once so clients and proxies see the stream is alive",
        ),
        Some(_) => Finding::pass("first-event", seen),
    }
}

pub fn delivery(obs: &Observation) -> Finding {
    let limit = obs.max_delay.unwrap_or(DEFAULT_MAX_DELAY);
    if let Some((n, p50, max)) = delays(obs) {
        let seen = format!(
            "{n} stamped event{}: delay p50 {}, max {}",
            if n == 1 { "" } else { "s" },
            ms(p50),
            ms(max)
        );
        if max > limit {
            let (who, fix) = suspect(obs);
            return Finding::fail(
                "delivery",
                seen,
                format!("events arrived up to {} after the server sent them (limit {}): they are being buffered on the way, most likely by {who}", ms(max), ms(limit)),
                fix,
            );
        }
        if max > WARN_DELAY {
            let (who, fix) = suspect(obs);
            return Finding::warn(
                "delivery",
                seen,
                format!(
                    "some events were late by more than {}; if it grows, suspect {who}",
                    ms(WARN_DELAY)
                ),
                fix,
            );
        }
        return Finding::pass(
            "delivery",
            format!("{seen}: events arrive as they are sent"),
        );
    }
    if obs.events.is_empty() {
        return Finding::pass("delivery", "no events to judge (see first-event)");
    }
    let basis = "no `: sent-at` stamps, so this verdict rests on the arrival pattern and headers alone (serve the stream with `sse serve --stamp`, or send `: sent-at <unix-ms>` comments, for exact delays)";
    match burst(obs) {
        Some((size, silence, spread)) => {
            let (who, fix) = suspect(obs);
            let seen = format!(
                "{size} events arrived within {} after {} of silence",
                ms(spread),
                ms(silence)
            );
            let corroborated = obs.header("content-length").is_some()
                || obs.header("etag").is_some()
                || obs.header("content-encoding").is_some()
                || (layers(obs).contains(&Layer::Nginx) && !accel_off(obs))
                || obs.end.as_ref().is_some_and(|end| {
                    obs.events
                        .last()
                        .is_some_and(|e| end.at.saturating_sub(e.at) < BURST_SPREAD * 5)
                });
            let why = format!(
                "a silence followed by a burst is what buffering looks like: likely {who}; {basis}"
            );
            if corroborated {
                Finding::fail("delivery", seen, why, fix)
            } else {
                Finding::warn(
                    "delivery",
                    seen,
                    format!("{why}; a server that really sends in bursts looks the same"),
                    fix,
                )
            }
        }
        None => Finding::pass(
            "delivery",
            format!(
                "{} events arrived spread out, no burst after silence; {basis}",
                obs.events.len()
            ),
        ),
    }
}

pub fn connection(obs: &Observation) -> Finding {
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
    let n = obs.events.len();
    let last_byte = obs
        .reads
        .last()
        .map(|(t, _)| *t)
        .or(obs.head_at)
        .unwrap_or_default();
    let idle = end.at.saturating_sub(last_byte);
    let seen = format!(
        "{} after {n} event{} at {}, {} after the last byte ({})",
        if end.clean { "ended" } else { "cut" },
        if n == 1 { "" } else { "s" },
        ms(end.at),
        ms(idle),
        end.cause
    );
    if let Some((secs, layer)) = IDLE_CUTOFFS.iter().find(|(s, _)| {
        idle.as_secs_f64() >= *s as f64 - 3.0 && idle.as_secs_f64() <= *s as f64 + 3.0
    }) {
        return Finding::fail(
            "connection",
            seen,
            format!("a close about {secs} s after the last byte is an idle timeout: likely {layer}"),
            "send a `:` heartbeat comment more often than the shortest idle timeout on the path (every 15-30 s is safe)",
        );
    }
    if !end.clean {
        return Finding::fail(
            "connection",
            seen,
            "the connection was cut mid-stream (no clean end of the body): a proxy timeout, a crash, or a load balancer dropped it",
            "find which layer closes it (server and proxy logs at that moment); behind nginx check `proxy_read_timeout` and `proxy_http_version 1.1;`",
        );
    }
    if n <= 2 {
        return Finding::fail(
            "connection",
            seen,
            "a stream that closes after its first event(s) makes browsers reconnect over and over; the classic cause is an HTTP/1.0 hop (nginx talks HTTP/1.0 to upstreams by default) or a handler that returns after its first write",
            format!("{NGINX_FIX}; in the server, keep the response open and write events as they happen"),
        );
    }
    Finding::warn(
        "connection",
        seen,
        format!(
            "the server ended the stream; a browser reconnects after the retry time ({} ms) and resumes with Last-Event-ID",
            obs.retry.unwrap_or(crate::client::DEFAULT_RETRY.as_millis() as u64)
        ),
        "if the stream should stay open, find what ends it; if it is meant to end, answer the reconnection with 204",
    )
}

pub fn heartbeat(obs: &Observation) -> Finding {
    let mut marks: Vec<Duration> = vec![Duration::ZERO];
    marks.extend(obs.reads.iter().map(|(t, _)| *t));
    marks.push(obs.end.as_ref().map_or(obs.watched, |e| e.at));
    let longest = marks
        .windows(2)
        .map(|w| w[1].saturating_sub(w[0]))
        .max()
        .unwrap_or_default();
    let seen = format!(
        "longest silence {} (watched {})",
        ms(longest),
        ms(obs.watched)
    );
    let fix = "send a `:` comment line as a heartbeat every 15-30 s while there are no events";
    if longest >= Duration::from_secs(55) {
        return Finding::fail("heartbeat", seen, "silences past 55-60 s outlast Heroku, nginx and AWS ALB idle timeouts: the connection will be cut", fix);
    }
    if longest >= Duration::from_secs(30) {
        return Finding::warn("heartbeat", seen, "silences past 30 s outlast Heroku's first-byte window and come close to common idle timeouts (55 s, 60 s, 100 s)", fix);
    }
    Finding::pass("heartbeat", format!("{seen}; idle cut-offs start at 30 s"))
}

pub fn event_ids(obs: &Observation) -> Finding {
    let n = obs.events.len();
    if n == 0 {
        return Finding::pass("event-ids", "no events to check");
    }
    let with = obs.events.iter().filter(|e| e.has_id).count();
    if with == 0 {
        return Finding::warn(
            "event-ids",
            format!("none of {n} events has an id"),
            "without `id:` a reconnecting client sends no Last-Event-ID, so events sent while it was away are lost",
            "send `id: <position>` with each event and resume from the request's Last-Event-ID",
        );
    }
    Finding::pass("event-ids", format!("{with} of {n} events carry an id"))
}

/// `12 ms`, `1.50 s`.
pub fn ms(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::{Seen, StreamEnd};

    fn base() -> Observation {
        Observation {
            url: "http://x/e".into(),
            status: Some(200),
            reason: "OK".into(),
            version: "HTTP/1.1".into(),
            headers: vec![
                ("content-type".into(), "text/event-stream".into()),
                ("cache-control".into(), "no-cache".into()),
            ],
            head_at: Some(Duration::from_millis(2)),
            watched: Duration::from_secs(10),
            ..Observation::default()
        }
    }

    fn with(mut obs: Observation, name: &str, value: &str) -> Observation {
        obs.headers.push((name.into(), value.into()));
        obs
    }

    fn event(at_ms: u64, delay_ms: Option<u64>, id: bool) -> Seen {
        Seen {
            at: Duration::from_millis(at_ms),
            delay: delay_ms.map(Duration::from_millis),
            has_id: id,
            event_type: "message".into(),
            bytes: 3,
        }
    }

    /// Events every `step` ms, each read on its own, optionally stamped with a delay.
    fn steady(mut obs: Observation, n: u64, step: u64, delay: Option<u64>) -> Observation {
        for i in 0..n {
            let at = 10 + i * step;
            obs.reads.push((Duration::from_millis(at), 40));
            obs.events.push(event(at, delay, true));
        }
        obs
    }

    /// Everything held back and delivered at once after `silence` ms.
    fn held(mut obs: Observation, n: u64, silence: u64, stamped: bool) -> Observation {
        obs.reads.push((Duration::from_millis(silence), 400));
        for i in 0..n {
            obs.events
                .push(event(silence, stamped.then_some(silence - i * 300), true));
        }
        obs
    }

    fn status_of(findings: &[Finding], check: &str) -> Status {
        findings
            .iter()
            .find(|f| f.check == check)
            .unwrap_or_else(|| panic!("no {check}"))
            .status
    }

    #[test]
    fn a_healthy_stamped_stream_passes_everything() {
        let findings = run_all(&steady(base(), 5, 300, Some(1)));
        for f in &findings {
            assert_eq!(f.status, Status::Pass, "{f:?}");
        }
        assert!(findings
            .iter()
            .find(|f| f.check == "delivery")
            .unwrap()
            .seen
            .contains("p50 1 ms"));
    }

    #[test]
    fn stamped_delays_fail_and_name_nginx() {
        let obs = with(held(base(), 5, 2000, true), "server", "nginx/1.22.1");
        let f = delivery(&obs);
        assert_eq!(f.status, Status::Fail);
        assert!(
            f.why.contains("nginx")
                && f.fix.contains("proxy_buffering off")
                && f.fix.contains("X-Accel-Buffering: no"),
            "{f:?}"
        );
        assert!(f.fix.contains("proxy_http_version 1.1"));
        assert_eq!(proxy(&obs).status, Status::Warn);
    }

    #[test]
    fn max_delay_sets_the_limit() {
        let mut obs = steady(base(), 5, 300, Some(150));
        assert_eq!(delivery(&obs).status, Status::Pass);
        obs.max_delay = Some(Duration::from_millis(100));
        assert_eq!(delivery(&obs).status, Status::Fail);
    }

    #[test]
    fn a_server_that_really_sends_in_bursts_passes_with_stamps_and_only_warns_without() {
        let mut obs = base();
        obs.reads.push((Duration::from_millis(3000), 400));
        for _ in 0..5 {
            obs.events.push(event(3000, Some(0), true));
        }
        assert_eq!(delivery(&obs).status, Status::Pass);
        for e in &mut obs.events {
            e.delay = None;
        }
        let f = delivery(&obs);
        assert_eq!(f.status, Status::Warn, "{f:?}");
        assert!(f.why.contains("arrival pattern and headers alone"));
    }

    #[test]
    fn unstamped_burst_with_corroborating_headers_fails() {
        let obs = with(held(base(), 5, 2000, false), "content-length", "120");
        assert_eq!(delivery(&obs).status, Status::Fail);
        assert_eq!(content_length(&obs).status, Status::Fail);
    }

    #[test]
    fn compression_warns_when_live_and_fails_when_it_holds_events() {
        let live = with(steady(base(), 5, 300, Some(1)), "content-encoding", "gzip");
        let f = content_encoding(&live);
        assert_eq!(f.status, Status::Warn);
        assert!(
            run_all(&live).iter().all(|f| f.status != Status::Fail),
            "live compression must not FAIL"
        );
        let stuck = with(held(base(), 5, 2000, false), "content-encoding", "gzip");
        assert_eq!(content_encoding(&stuck).status, Status::Fail);
        assert!(delivery(&stuck).why.contains("compression"));
        // Compressed bytes came, but nothing decodes: the compressor holds the events.
        let mut header_only = with(base(), "content-encoding", "gzip");
        header_only.reads.push((Duration::from_millis(3), 10));
        assert_eq!(content_encoding(&header_only).status, Status::Fail);
    }

    #[test]
    fn etag_is_blamed_as_rack() {
        let obs = with(
            with(held(base(), 4, 1500, false), "etag", "W/\"abc\""),
            "content-length",
            "90",
        );
        let f = etag(&obs);
        assert_eq!(f.status, Status::Fail);
        assert!(f.fix.contains("Rack::ETag"));
        assert!(content_length(&obs).why.contains("ETag"));
    }

    #[test]
    fn early_close_and_idle_cutoffs() {
        let mut obs = steady(base(), 1, 100, None);
        obs.end = Some(StreamEnd {
            at: Duration::from_millis(200),
            clean: true,
            cause: "the body ended".into(),
        });
        let f = connection(&obs);
        assert_eq!(f.status, Status::Fail);
        assert!(f.why.contains("HTTP/1.0"));

        let mut obs = steady(base(), 4, 100, None);
        obs.watched = Duration::from_secs(70);
        obs.end = Some(StreamEnd {
            at: Duration::from_millis(310 + 60_000),
            clean: true,
            cause: "the body ended".into(),
        });
        let f = connection(&obs);
        assert_eq!(f.status, Status::Fail);
        assert!(f.why.contains("AWS ALB"), "{f:?}");
        assert_eq!(heartbeat(&obs).status, Status::Fail);

        let mut obs = steady(base(), 4, 100, None);
        obs.end = Some(StreamEnd {
            at: Duration::from_millis(500),
            clean: false,
            cause: "connection reset".into(),
        });
        assert_eq!(connection(&obs).status, Status::Fail);

        let mut obs = steady(base(), 6, 100, None);
        obs.end = Some(StreamEnd {
            at: Duration::from_millis(700),
            clean: true,
            cause: "the body ended".into(),
        });
        assert_eq!(connection(&obs).status, Status::Warn);
    }

    #[test]
    fn headers_checks() {
        assert_eq!(content_type(&base()).status, Status::Pass);
        let mut html = base();
        html.headers[0].1 = "text/html".into();
        assert_eq!(content_type(&html).status, Status::Fail);
        let mut old = base();
        old.version = "HTTP/1.0".into();
        assert_eq!(http_version(&old).status, Status::Warn);
        let mut uncached = base();
        uncached.headers.remove(1);
        assert_eq!(cache_control(&uncached).status, Status::Warn);
        let heroku = with(base(), "via", "1.1 vegur");
        assert!(proxy(&heroku).fix.contains("heartbeat"));
        let fixed = with(with(base(), "server", "nginx"), "x-accel-buffering", "no");
        assert_eq!(proxy(&fixed).status, Status::Pass);
        let nginx = with(base(), "server", "nginx/1.22.1");
        assert_eq!(
            proxy(&nginx).status,
            Status::Warn,
            "nothing shows its buffering is off"
        );
        assert_eq!(
            proxy(&steady(nginx, 3, 300, Some(2))).status,
            Status::Pass,
            "stamps show it is"
        );
    }

    #[test]
    fn ids_and_failed_responses() {
        let mut obs = steady(base(), 3, 100, None);
        for e in &mut obs.events {
            e.has_id = false;
        }
        assert_eq!(event_ids(&obs).status, Status::Warn);
        let mut gone = base();
        gone.status = Some(204);
        let findings = run_all(&gone);
        assert_eq!(findings.len(), 1);
        assert_eq!(status_of(&findings, "response"), Status::Fail);
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
}
