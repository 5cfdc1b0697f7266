//! What doctor says about what it saw, in one place: every "why" and "fix" line the
//! analysis, the checks and the probes give that is not about one named layer (that is
//! the table's, in `layers`). The checks and probes decide; the words are here.

use std::time::Duration;

use crate::format::{about, ms};
use crate::llm::Shape;

// The report

/// What the report's `fix:` and `try:` mean.
pub const FIX_OR_TRY: &str = "(fix: seen working on the real software in a test of sse's; try: from the layer's documentation or source, or general advice, not yet seen working in such a test)";

// response

pub const NO_HEAD: &str = "nothing arrived, not even the status line: a layer that buffers whole responses (Rack::ETag, a buffering proxy or CDN) sends nothing until the stream ends, or the server is very slow to answer";
pub const NOTHING_TO_WATCH: &str = "nothing to watch";
pub const CHECK_CONNECT: &str =
    "check the URL, that the server runs, and any proxy settings (HTTP_PROXY/HTTPS_PROXY/NO_PROXY)";
pub const CHECK_URL: &str = "check the URL";
pub const NO_CONTENT: &str =
    "a browser's EventSource stops for good on 204: this is how a server says \"do not reconnect\"";
pub const NO_CONTENT_FIX: &str =
    "answer 200 with the stream, unless stopping clients is the intent";
pub const NOT_200: &str =
    "EventSource fails the connection on any status but 200 and does not reconnect";
pub const REDIRECT_FIX: &str = "a redirect that was not followed: check its Location";
pub const NOT_200_FIX: &str =
    "make the stream URL answer 200; check authentication headers (-H) and the path";

// content-type, http-version, cache-control

pub const CHARSET: &str =
    "event streams are always UTF-8; another charset says the server thinks otherwise";
pub const CHARSET_FIX: &str = "send `Content-Type: text/event-stream` (UTF-8 is implied)";
pub const CONTENT_TYPE: &str = "EventSource fails the connection unless the type is text/event-stream, and proxies only stream what they recognise as a stream";
pub const CONTENT_TYPE_FIX: &str = "send `Content-Type: text/event-stream`";
pub const HTTP10: &str = "HTTP/1.0 has no chunked encoding: the stream can only end by closing the connection, and an HTTP/1.0 hop is where proxies buffer and cut streams";
pub const HTTP10_FIX: &str =
    "answer in HTTP/1.1; if a proxy answers, make it speak HTTP/1.1 on both sides";
pub const CACHE_CONTROL: &str = "without no-cache, caches and CDNs may hold or replay the stream";
pub const CACHE_CONTROL_FIX: &str = "send `Cache-Control: no-cache` with the stream";

// content-length, content-encoding, etag

pub fn length_from_cache(who: &str) -> String {
    format!("a length is only known once the whole body exists: this is {who}")
}

pub fn length_held(who: &str) -> String {
    format!("a length is only known once the whole body exists: the stream was held back and sent at the end, likely by {who}")
}

pub const ENCODING_UNDECODED: &str = "the compressor is holding the events until its block fills or the stream ends; browsers ask for compression, so they wait while curl looks fine";
pub const ENCODING_UNJUDGED: &str =
    "compression of a stream holds events unless the layer flushes after every write";
pub const ENCODING_HELD: &str = "compressors collect a full block before writing; here events were held back, and compression is the likely reason";
pub const ENCODING_LIVE: &str = "this layer flushes after each write today, but compression of a stream is fragile: a buffer size or a config change makes browsers (which ask for compression) wait while curl (which does not) looks fine";

/// Why an ETag that came despite `Cache-Control: no-cache` matters: `why`, then what
/// the layer that does so does.
pub fn etag_despite_no_cache(why: &str, does: &str) -> String {
    format!("{why}; the response already has `Cache-Control: no-cache` and still an ETag: {does}")
}

pub fn etag_live(why: &str) -> String {
    format!("{why}; events arrived live here, so something else set it")
}

pub const NO_ETAG_FIX: &str = "send no ETag on the stream";

// first-event

pub const WATCH_LONGER_FIX: &str = "watch longer (--duration), or if the server did send events:";

pub fn no_event(who: &str) -> String {
    format!(
        "no event arrived while watching: either the server sent none, or {who} is holding them"
    )
}

pub const NO_BLANK_LINE: &str = "an event ends at an empty line (the standard dispatches it there); these lines arrived on time but nothing ended them, so browsers and sse show no event: the server, not a proxy";
pub const NO_BLANK_LINE_FIX: &str = "end each event with an empty line: write `data: ...\\n\\n`, not `data: ...\\n` (in most frameworks, a message string ending in two newlines)";
pub const ENDED_UNENDED: &str = "the stream closed with its lines still waiting for the blank line that ends an event (see first-event): the standard discards them";
pub const LATE_FIRST: &str = "the first event came long after the response head; if the server sent it earlier, something held it";
pub const LATE_FIRST_FIX: &str =
    "send a first event or a `:` comment at once so clients and proxies see the stream is alive";

// delivery

pub fn late_from_cache(max: Duration, header: &str, does: &str) -> String {
    format!(
        "events arrived up to {} after they were first sent, from a cache ({header}): {does}",
        ms(max)
    )
}

pub fn late(max: Duration, limit: Duration, who: &str) -> String {
    format!("events arrived up to {} after the server sent them (limit {}): they are being buffered on the way, most likely by {who}", ms(max), ms(limit))
}

pub fn some_late(warn: Duration, who: &str) -> String {
    format!(
        "some events were late by more than {}; if it grows, suspect {who}",
        ms(warn)
    )
}

/// What an unstamped verdict rests on, and how to get a better one.
pub const UNSTAMPED: &str = "no `: sent-at` stamps, so this verdict rests on the arrival pattern and headers alone (serve the stream with `sse serve --stamp`, or send `: sent-at <unix-ms>` comments, for exact delays)";

pub fn burst(who: &str) -> String {
    format!("a silence followed by a burst is what buffering looks like: likely {who}; {UNSTAMPED}")
}

pub fn from_cache(header: &str, does: &str) -> String {
    format!("the response came from a cache ({header}): {does}")
}

pub fn burst_held(why: &str, evidence: &str) -> String {
    format!("{why}; and {evidence}")
}

pub fn burst_unproven(why: &str) -> String {
    format!("{why}; a server that really sends in bursts looks the same, and nothing else here shows the events were held")
}

/// A PASS for bursts that keep time (`seen` is what arrived).
pub fn rhythm(seen: &str, period: Duration) -> String {
    format!(
        "{seen}; bursts come every {}, the server's own rhythm (a buffer releases when it fills, not in step); {UNSTAMPED}",
        ms(period)
    )
}

// Evidence, beyond the arrival pattern, that a burst was held back.

pub const HELD_BY_LENGTH: &str =
    "the response has a Content-Length, known only once the whole body existed";
pub const HELD_BY_ETAG: &str = "the response has an ETag, a hash of the whole body";
pub const HELD_TO_THE_END: &str = "most events arrived in one release just before the stream ended";

// Who is likely holding events (the analysis's suspect).

pub fn cached_who(header: &str) -> String {
    format!("a cache ({header}): a stored copy of the stream replayed, not buffering")
}

pub const SOME_ETAG_WHO: &str = "an ETag middleware such as Rack::ETag (the response has an ETag)";

pub fn compression_by(layer: &str, encoding: &str) -> String {
    format!("{layer}'s compression (Content-Encoding: {encoding})")
}

pub fn some_compression(encoding: &str) -> String {
    format!("compression (Content-Encoding: {encoding})")
}

pub fn holder(layer: &str, does: &str) -> String {
    format!("{layer} ({does})")
}

pub fn via_proxy(via: &str) -> String {
    format!("the proxy named by `Via: {via}`")
}

pub const LENGTH_HOLDER: &str =
    "a layer that held the whole body to measure it (the response has a Content-Length)";
pub const SOME_HOLDER: &str = "a proxy or middleware between the server and this client";

// Who likely cut an idle stream.

pub fn idle_default_named(layers: &str) -> String {
    format!("{layers} (named by the headers; its default is about that)")
}

pub fn idle_set_named(layers: &str) -> String {
    format!("{layers} (named by the headers), with its timeout set to about that")
}

pub fn idle_default_of(layers: &str) -> String {
    format!("a layer with that idle timeout, as {layers} has by default")
}

/// A line for the heartbeat that keeps a cut-off of twice `every` from firing.
pub fn heartbeat_every(every: Duration) -> String {
    format!(
        "send a `:` comment line as a heartbeat at least every {} while there are no events (half the cut-off)",
        ms(every)
    )
}

// connection

pub fn idle_cut(after: Duration, who: &str) -> String {
    format!(
        "a close {} after the last byte, longer than any silence before it, is an idle timeout of about {}: likely {who}",
        ms(after),
        about(after)
    )
}

/// What an HTTP/2 error code says (RFC 9113 §7), as the reason a stream ended.
pub fn h2_code(code: &str) -> &'static str {
    match code {
        "NO_ERROR" => "closed on purpose, not for an error: a timeout, a maximum duration or a shutdown",
        "PROTOCOL_ERROR" => "the server found a protocol error",
        "INTERNAL_ERROR" => "an internal error in the server or a proxy (nginx and Apache's mod_http2 send it when their proxy timeout fires or the upstream's body breaks off mid-stream)",
        "FLOW_CONTROL_ERROR" => "the flow-control rules were broken",
        "SETTINGS_TIMEOUT" => "SETTINGS went unacknowledged",
        "STREAM_CLOSED" => "a frame came on a stream already closed",
        "FRAME_SIZE_ERROR" => "a frame had the wrong size",
        "REFUSED_STREAM" => "the server refused the stream before doing anything with it; it is safe to retry",
        "CANCEL" => "the stream is no longer wanted (typically a proxy whose upstream went away)",
        "COMPRESSION_ERROR" => "the header compression state broke",
        "CONNECT_ERROR" => "a CONNECT tunnel failed",
        "ENHANCE_YOUR_CALM" => "the server thinks this client makes too much load (too many streams, resets or pings)",
        "INADEQUATE_SECURITY" => "the TLS in use is too weak for HTTP/2",
        "HTTP_1_1_REQUIRED" => "the server wants HTTP/1.1 for this request",
        _ => "an error code RFC 9113 does not define",
    }
}

/// What Chrome makes of a stream reset with `code` after the response head
/// (chromium net/spdy/spdy_session.cc OnRstStream and spdy_stream.cc OnClose): the
/// console line a user of the stream sees.
pub fn chrome_shows(code: &str) -> &'static str {
    match code {
        "NO_ERROR" => "Chrome takes it as the normal end of the response",
        "REFUSED_STREAM" => "Chrome shows net::ERR_HTTP2_SERVER_REFUSED_STREAM",
        "HTTP_1_1_REQUIRED" => "Chrome shows net::ERR_HTTP_1_1_REQUIRED",
        _ => "Chrome shows net::ERR_HTTP2_PROTOCOL_ERROR, whatever the code",
    }
}

/// `RST_STREAM INTERNAL_ERROR` or `GOAWAY NO_ERROR`.
pub fn h2_frame(reset: &crate::http::Reset) -> String {
    format!("{} {}", reset.frame(), reset.code)
}

/// A cut that an HTTP/2 reset or GOAWAY made, when no idle timeout explains it.
pub fn h2_cut(reset: &crate::http::Reset) -> String {
    if !reset.by_server {
        return format!(
            "sse's HTTP/2 layer refused what the server sent and reset the stream ({}): the server's frames broke the protocol, and a browser refuses them too; EventSource reconnects after it",
            h2_frame(reset)
        );
    }
    let what = if reset.go_away {
        "the server closed the HTTP/2 connection mid-stream"
    } else {
        "the server reset the HTTP/2 stream mid-stream"
    };
    let browser = if reset.go_away {
        String::new()
    } else {
        format!("; {}", chrome_shows(&reset.code))
    };
    format!(
        "{what} ({}: {}){browser}; EventSource reconnects after it (sending Last-Event-ID if the events carried an `id:`)",
        h2_frame(reset),
        h2_code(&reset.code)
    )
}

/// How an idle cut came over HTTP/2, against how the layer blamed ends a stream.
pub fn h2_idle_end(came: &str, layer: &str, its: Option<&str>) -> String {
    let its_way = its.map_or("a clean end (END_STREAM)".to_string(), |c| {
        format!("RST_STREAM {c}")
    });
    if came == its_way {
        format!(
            "; over HTTP/2 it came as {came}, which is how {layer} was seen to end a stream its timeout cuts"
        )
    } else {
        format!("; over HTTP/2 it came as {came}, but {layer} was seen to end a stream its timeout cuts with {its_way}: another layer, or another version of it, may have cut it")
    }
}

/// The connections a browser opens to one origin over HTTP/1.1.
pub const HTTP1_CONNECTIONS: u32 = 6;

pub fn few_streams(n: u32) -> String {
    format!("each open EventSource holds one stream for as long as it lives, and a client may have no more than {n} open at once on the connection (RFC 9113 §5.1.2): pages or tabs with more open streams than that leave the rest waiting, fewer than the 6 connections a browser opens over HTTP/1.1")
}

pub const FEW_STREAMS_FIX: &str = "raise the server's concurrent-stream limit (nginx: `http2_max_concurrent_streams`, 128 by default; HAProxy: `tune.h2.max-concurrent-streams`; Apache: `H2MaxSessionStreams`)";

/// How an idle cut came over HTTP/2 when no layer blamed is known to cut one: the
/// layers a test saw end a cut stream `alike`.
pub fn h2_idle_end_unnamed(came: &str, code: Option<&str>, alike: &[&str]) -> String {
    match alike {
        [] => match code {
            Some(code) => format!("; over HTTP/2 it came as {came}: {}", h2_code(code)),
            None => format!("; over HTTP/2 it came as {came}"),
        },
        [one] => format!(
            "; over HTTP/2 it came as {came}, which is how {one} was seen to end a stream its timeout cuts"
        ),
        many => format!(
            "; over HTTP/2 it came as {came}, which is how {} were seen to end a stream their timeout cuts",
            many.join(" and ")
        ),
    }
}

/// `named`: the layer with the limit is named by the headers (else it is only a limit
/// of that length that some layer has).
pub fn lifetime_cut(at: Duration, how: &str, does: &str, named: bool) -> String {
    let who = if named {
        format!("likely {does} (named by the headers)")
    } else {
        format!("perhaps {does}, a limit of that length (no such layer is named by the headers)")
    };
    format!(
        "the stream was cut{how} {} after the request while it was still sending, the length of a limit on a whole response's time: {who}; a heartbeat does not help",
        ms(at)
    )
}

pub const LIFETIME_FIX: &str = "or have clients resume after the cut: send an `id:` with every event and answer Last-Event-ID (EventSource reconnects on its own)";

pub const H2_MALFORMED: &str = "HTTP/2 forbids connection-specific headers (Connection, Keep-Alive, Proxy-Connection, Transfer-Encoding, Upgrade; RFC 9113 §8.2.2) and a client must treat a response carrying one as malformed, as curl (exit 92) and browsers (net::ERR_HTTP2_PROTOCOL_ERROR) do: over HTTP/2 the stream never opens";

pub const CUT: &str = "the connection was cut mid-stream (no clean end of the body): a proxy timeout, a crash, or a load balancer dropped it";
pub const CUT_FIX: &str = "find which layer closes it (server and proxy logs at that moment)";
pub const END_UNJUDGED: &str =
    "without its events, an early close cannot be told from a stream that simply ended";
pub const EARLY_CLOSE: &str = "a stream that closes after its first event(s) makes browsers reconnect over and over; the classic cause is an HTTP/1.0 hop (nginx talks HTTP/1.0 to upstreams by default) or a handler that returns after its first write";
pub const EARLY_CLOSE_FIX: &str =
    "in the server, keep the response open and write events as they happen";

pub fn ended(retry_ms: u64) -> String {
    format!("the server ended the stream; a browser reconnects after the retry time ({retry_ms} ms) and resumes with Last-Event-ID")
}

pub const ENDED_FIX: &str = "if the stream should stay open, find what ends it; if it is meant to end, answer the reconnection with 204";

// heartbeat

pub fn cut_heartbeat(after: Duration) -> String {
    format!("the stream was cut {} after its last byte, an idle timeout of about {} (see connection): a heartbeat more often than that keeps it open", ms(after), about(after))
}

/// The idle timeout silences are judged against: `layer`'s `after`, a layer the
/// headers name (`named`) or else the table's shortest.
pub fn idle_bar(layer: &str, after: Duration, named: bool) -> String {
    let timeout = format!("{layer}'s idle timeout ({})", about(after));
    if named {
        timeout
    } else {
        format!("{timeout}, the shortest doctor knows (no layer is named by the headers)")
    }
}

pub fn silence_reaches(bar: &str, named: bool) -> String {
    let then = if named {
        "the connection will be cut"
    } else {
        "behind such a layer the connection is cut"
    };
    format!("silences this long reach {bar}: {then}")
}

/// A PASS: `seen` is the longest silence.
pub fn silence_below(seen: &str, bar: &str) -> String {
    format!("{seen}; below half of {bar}")
}

pub fn silence_near(bar: &str) -> String {
    format!("silences at or past half of {bar} come close to a cut")
}

// event-ids

pub const NO_IDS: &str = "without `id:` a reconnecting client sends no Last-Event-ID, so events sent while it was away are lost";
pub const NO_IDS_FIX: &str =
    "send `id: <position>` with each event and resume from the request's Last-Event-ID";

// LLM streams: llm-end, and the connection and event-ids of an answer opened by POST

/// What an LLM stream of `shape` is called, and the end its API promises.
pub fn llm_shape(shape: Shape) -> (&'static str, &'static str) {
    match shape {
        Shape::OpenAiChat => ("an OpenAI-style chat stream", "`data: [DONE]`"),
        Shape::OpenAiResponses => (
            "an OpenAI Responses stream",
            "`response.completed` or `response.incomplete`",
        ),
        Shape::Anthropic => ("an Anthropic Messages stream", "`message_stop`"),
        Shape::Gemini => ("a Gemini stream", "a candidate's `finishReason`"),
        Shape::Ollama => ("an Ollama stream", "`\"done\": true`"),
    }
}

pub const LLM_CUT: &str = "the answer is incomplete: the stream ended before the end its API promises, and a client that does not check for that end takes a truncated answer for a whole one (the openai and anthropic Python SDKs raise nothing when the body ends cleanly)";
pub const LLM_CUT_FIX: &str = "find what ends the answer early: the server's logs at that moment (a crash or a timeout while generating), or a proxy's timeout or size limit on the path";
pub const LLM_ERROR: &str = "the API reported an error inside a 200 answer: the status said success and the body did not, so a client that checks only the status misses it";
pub const LLM_ERROR_FIX: &str = "read the error: an overload or a rate limit is worth a retry after a backoff; anything else needs the request or the server fixed";

/// A connection check's verdict on the end of an LLM answer opened by POST.
pub fn answer_end(seen: &str, by_design: bool, marker: &str) -> String {
    if by_design {
        format!("{seen}: with its end marker ({marker}); an answer opened by POST is not reconnected, so it ends by design")
    } else {
        format!("{seen}: the end of an answer opened by POST, which is not reconnected; whether it was whole: see llm-end")
    }
}

pub fn answer_ids(carry: &str) -> String {
    format!("{carry}; not needed: an answer opened by POST is not resumed")
}

// The probes: resume.

pub fn needs_consent(method: &str) -> String {
    format!("the stream was opened with {method}; --reconnect lets doctor send it again")
}

pub const RESUME_NO_ID: &str = "no event carried an id (see event-ids)";
pub const RESUME_EMPTY_ID: &str = "the last event id is empty or too long to send";
pub const RESUME_UNSAFE_ID: &str = "the last event id holds characters a header cannot carry";
pub const RESUME_FIX: &str =
    "read the request's Last-Event-ID header and send only the events after that id";
pub const REPLAYS_FROM_START: &str =
    "the server ignores Last-Event-ID: every reconnecting browser gets every event again";
pub const REPLAYS: &str =
    "events before the one the client had are sent again: a reconnecting browser shows them twice";
pub const REPEATS_LAST: &str = "the server resumes at the last event the client had, not after it: every reconnection repeats one event";
pub const RESUME_FAILED: &str = "a browser reconnects the same way after every drop";
pub const RESUME_FAILED_FIX: &str =
    "answer a reconnection that carries Last-Event-ID as the first request was answered";

// The probes: compression, compare, http2.

pub fn compression_holds(who: &str) -> String {
    format!("the same stream without compression arrived on time: {who} holds the events")
}

pub const NO_UPSTREAM: &str = "without the upstream's events the hops cannot be measured";
pub const NO_UPSTREAM_FIX: &str = "check the --compare URL";
pub const NO_MATCH: &str = "the two URLs may not serve the same stream";
pub const NO_MATCH_FIX: &str = "compare a URL with the upstream of the same stream";
pub const HOPS_HOLD: &str =
    "events reach the upstream URL on time and this one late: a layer between the two holds them";
pub const HOPS_HOLD_FIX: &str =
    "turn off buffering in the proxy between the two URLs (see proxy and delivery)";
pub const HOPS_HOLD_SOME: &str = "the hops between the two URLs hold some events";
pub const HOPS_HOLD_SOME_FIX: &str =
    "look at buffering and packet merging in the proxy between the two URLs";
pub const HTTP11_ONLY: &str = "browsers open at most 6 HTTP/1.1 connections per origin, across all tabs: each open event stream takes one, and a seventh tab (or the page's other requests) waits";
pub const HTTP2_FIX: &str = "serve the stream over HTTP/2 (enable h2 in the TLS front: nginx `http2 on;` or `listen ... ssl http2;`, Caddy and most CDNs offer it by default)";

// The probes: the same stream over HTTP/2 and over HTTP/1.1 (head, arrival).

/// A response head that came only with the body's first bytes, on `path` ("the
/// HTTP/2 path", "both protocols' path").
pub fn head_held(path: &str) -> String {
    format!("the server or a layer on {path} holds the response head until the body's first bytes: a quiet stream looks hung before it opens, and a client with a header timeout gives up on it")
}

/// Events late on one protocol only: `late` names it, `on_time` the other.
pub fn one_protocol_buffers(late: &str, on_time: &str, who: &str) -> String {
    format!("the {late} path holds events and the {on_time} path does not: clients that speak {late} wait while the others look fine; likely {who}")
}

pub const HTTP1_PROBE_FAILED: &str = "the HTTP/1.1 connection got no stream: nothing to compare";
