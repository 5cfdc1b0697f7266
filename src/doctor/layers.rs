//! What doctor knows about the layers a stream passes through, as one table: each row
//! is how a layer is recognised from the response headers, what it does to a stream,
//! the fix for each version where versions differ, and the test that saw the fix work
//! on the real software (`None`: read in its source or docs, not yet seen working
//! here; the report says so). The checks read this table; no layer's advice is
//! written anywhere else.

use std::time::Duration;

use super::observation::Observation;

/// One layer: a proxy, an app server, a middleware, a platform or a CDN.
#[derive(Debug)]
pub struct Layer {
    pub name: &'static str,
    /// A proxy, load balancer, platform router or CDN in front of the app (rather than
    /// the app's own server or middleware).
    pub proxy: bool,
    /// Header signs that name it (any one is enough).
    pub signs: &'static [Sign],
    /// Holds events on their way (a buffer, a whole-body hash, packets merged).
    pub holds: Option<Advice>,
    /// Compresses the stream when the request allows it.
    pub compresses: Option<Advice>,
    /// Closes connections that are silent this long (its default).
    pub idle: Option<Idle>,
}

/// How a layer is recognised.
#[derive(Debug, Clone, Copy)]
pub enum Sign {
    /// The header is present.
    Has(&'static str),
    /// The header's value contains this text (ASCII, case-insensitive).
    Contains(&'static str, &'static str),
    /// The header's value passes this test.
    Test(&'static str, fn(&str) -> bool),
}

/// What a layer does to a stream, and how to stop it.
#[derive(Debug)]
pub struct Advice {
    pub does: &'static str,
    pub fixes: &'static [Fix],
}

#[derive(Debug)]
pub struct Idle {
    pub after: Duration,
    /// Another value it commonly has (an older documented default, a distribution's).
    pub also: Option<Duration>,
    pub advice: Advice,
}

impl Idle {
    /// Whether a cut this long after the last byte matches this timeout.
    pub fn matches(&self, after: Duration) -> bool {
        let near = |d: Duration| after.abs_diff(d) <= Duration::from_secs(2).max(d / 10);
        near(self.after) || self.also.is_some_and(near)
    }
}

/// One fix, for the versions it applies to.
#[derive(Debug, PartialEq, Eq)]
pub struct Fix {
    /// The versions it applies to ("" when all).
    pub versions: &'static str,
    pub text: &'static str,
    /// The end-to-end test that saw it work on the real software, if one has.
    pub verified: Option<&'static str>,
}

impl Fix {
    /// The fix as one line, with its versions.
    pub fn line(&self) -> String {
        if self.versions.is_empty() {
            self.text.to_string()
        } else {
            format!("{}: {}", self.versions, self.text)
        }
    }
}

impl Sign {
    pub fn seen_in(self, obs: &Observation) -> bool {
        match self {
            Sign::Has(name) => obs.header(name).is_some(),
            Sign::Contains(name, needle) => obs
                .header(name)
                .is_some_and(|v| v.to_ascii_lowercase().contains(needle)),
            Sign::Test(name, test) => obs.header(name).is_some_and(test),
        }
    }
}

impl Layer {
    /// Whether the response headers name this layer.
    pub fn seen_in(&self, obs: &Observation) -> bool {
        self.signs.iter().any(|sign| sign.seen_in(obs))
    }
}

const fn fix(versions: &'static str, text: &'static str) -> Fix {
    Fix {
        versions,
        text,
        verified: None,
    }
}

const fn verified(versions: &'static str, text: &'static str, test: &'static str) -> Fix {
    Fix {
        versions,
        text,
        verified: Some(test),
    }
}

/// Rack::ETag's tag: `W/"` and the first 32 hex digits of a SHA-256 (rack 2.2 and 3.x,
/// lib/rack/etag.rb `digest_body`).
fn rack_etag(value: &str) -> bool {
    value
        .strip_prefix("W/\"")
        .and_then(|v| v.strip_suffix('"'))
        .is_some_and(|hex| hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Rack/Rails named by its ETag, as the likeliest holder of events.
pub const RACK_ETAG_WHO: &str = "Rack::ETag (the ETag has its form, W/ and 32 hex digits)";

/// An idle cut whose length matches no layer's default: the settings that set one.
pub const SOME_IDLE_TIMEOUT_WHO: &str = "a proxy's idle or read timeout set to about that (nginx `proxy_read_timeout`, Apache `ProxyTimeout`, HAProxy `timeout server`, a load balancer's idle timeout)";

/// Tests that saw a heartbeat more frequent than a proxy's idle timeout keep a stream open.
pub const HEARTBEAT_VERIFIED: &str = "haproxy::haproxy_heartbeats_more_often_than_timeout_server_keep_the_stream_open, apache::apache_heartbeats_more_often_than_proxy_timeout_keep_the_stream_open, nginx_timeout::nginx_heartbeats_more_often_than_proxy_read_timeout_keep_the_stream_open";

/// The heartbeat that keeps any idle timeout from firing.
pub const HEARTBEAT: Fix = verified(
    "",
    "send a `:` comment line as a heartbeat while there are no events, more often than the shortest idle timeout on the path (every 15 s is safe)",
    HEARTBEAT_VERIFIED,
);

/// Tests that saw a stream whose head a layer held open at once when the server wrote first.
pub const OPEN_AT_ONCE_VERIFIED: &str = "http2::node_writing_a_comment_at_once_sends_the_head_on_both_protocols, http2::node_flush_headers_sends_the_head_on_both_protocols";

/// Opening a quiet stream at once, where a layer holds the head until the first body
/// bytes (Node's HTTP/1.1 does until the first write, its docs of `flushHeaders` say so).
/// Not behind a buffering proxy: nginx with `proxy_buffering on` holds a first comment
/// too (`nginx_h2::a_first_comment_does_not_open_a_stream_behind_a_buffering_nginx`).
pub const OPEN_AT_ONCE: Fix = verified(
    "",
    "write a `: ok` comment line as soon as the stream opens, before the first event (Node: or call `res.flushHeaders()`), so the head leaves at once",
    OPEN_AT_ONCE_VERIFIED,
);

/// Taking the connection-specific headers off a stream served over HTTP/2.
pub const H2_MALFORMED_FIX: Fix = verified(
    "",
    "stop sending `Connection` and `Keep-Alive` (and any other connection-specific header) on the stream, where the app or a proxy adds them: HTTP/1.1 keeps connections alive without them, and a front that speaks HTTP/2 must not pass them on",
    "http2::a_connection_specific_header_fails_h2_and_doctor_watches_over_http1",
);

/// What a layer does to a stream on its HTTP/2 side only, by layer name.
pub struct OnH2 {
    pub name: &'static str,
    pub advice: Advice,
}

/// Layers known to hold events on the HTTP/2 path only. Apache mod_http2: its output is
/// buffered per stream and passed on when a FLUSH bucket comes (icing/mod_h2#147: a
/// handler that does not flush, such as mod_fcgid then, bursts over h2 only);
/// `H2OutputBuffering off` (mod_h2 1.15.17, httpd 2.4.48) passes every byte at once.
/// Not seen here: Debian's Apache 2.4 passes a mod_proxy_http stream (and a mod_cgid
/// one) on at once on both protocols (http2_servers::apache_mod_http2_passes_events_over_h2_and_announces_100_streams),
/// and mod_lua without `r:flush()` holds on both, `H2OutputBuffering off` or not.
pub static ON_H2: &[OnH2] = &[OnH2 {
    name: "Apache",
    advice: Advice {
        does: "Apache's mod_http2 buffers a stream's output until the handler flushes it",
        fixes: &[fix("Apache 2.4.48 and later", "`H2OutputBuffering off` in the stream's server or virtual host (or make the handler flush after each event)")],
    },
}];

/// When no layer known to buffer on the HTTP/2 side is named.
pub static SOME_H2_BUFFER: Advice = Advice {
    does: "the layer that speaks HTTP/2 to clients (the TLS front, a CDN) buffers the stream",
    fixes: &[fix("", "find the layer that terminates HTTP/2 for this host and turn its output buffering off for the stream")],
};

/// The HTTP/2-only advice of the first named layer that has some.
pub fn on_h2(named: &[&Layer]) -> &'static Advice {
    ON_H2
        .iter()
        .find(|o| named.iter().any(|l| l.name == o.name))
        .map_or(&SOME_H2_BUFFER, |o| &o.advice)
}

/// Layers doctor can name. Each row says where its behaviour was read.
pub static LAYERS: &[Layer] = &[
    // nginx: ngx_http_proxy_module docs, https://nginx.org/en/docs/http/ngx_http_proxy_module.html
    // (proxy_buffering on and proxy_http_version 1.0 by default; X-Accel-Buffering from the
    // upstream honoured; proxy_read_timeout 60s) and ngx_http_gzip_module (gzip_types).
    Layer {
        name: "nginx",
        proxy: true,
        signs: &[
            Sign::Contains("server", "nginx"),
            Sign::Contains("server", "openresty"),
            Sign::Contains("via", "nginx"),
        ],
        holds: Some(Advice {
            does: "nginx buffers proxied responses (`proxy_buffering on`) and talks HTTP/1.0 to upstreams unless told otherwise",
            fixes: &[verified(
                "",
                "nginx: in the location that proxies the stream set `proxy_buffering off;`, `proxy_http_version 1.1;` and `proxy_set_header Connection \"\";` (or have the upstream send `X-Accel-Buffering: no`)",
                "nginx::fixed_nginx_passes_with_delays_near_zero, nginx::upstream_x_accel_buffering_no_passes_a_default_nginx",
            )],
        }),
        compresses: Some(Advice {
            does: "nginx's gzip module compresses the types listed in `gzip_types`",
            fixes: &[fix("", "nginx: leave text/event-stream out of `gzip_types` (or `gzip off;` in the stream's location)")],
        }),
        idle: Some(Idle {
            after: Duration::from_secs(60),
            also: None,
            advice: Advice {
                does: "nginx closes a proxied stream whose upstream is silent for `proxy_read_timeout` (60 s by default)",
                fixes: &[verified("", "nginx: raise `proxy_read_timeout` in the stream's location above its longest silence", "nginx_timeout::nginx_proxy_read_timeout_above_the_silences_keeps_the_stream_open")],
            },
        }),
    },
    // Rack::ETag, rack/rack lib/rack/etag.rb. 2.2.x (v2.2.24): hashes every 200/201 body
    // that does not respond to `to_path`, skipping only responses with an ETag or
    // Last-Modified; the `Cache-Control: no-cache` skip was removed in 2.2.0 (rack PR
    // #1416; issue #1619 is Rails' ActionController::Live breaking). 3.x (v3.2.7): hashes
    // only bodies that respond to `to_ary`. 2.1 and older skipped `no-cache` responses.
    Layer {
        name: "Rack/Rails",
        proxy: false,
        signs: &[
            Sign::Has("x-runtime"),
            Sign::Has("x-request-id"),
            Sign::Test("etag", rack_etag),
        ],
        holds: Some(Advice {
            does: "Rack::ETag reads the whole body to hash it before sending anything (Rack 2.2 does so whatever Cache-Control says, since 2.2.0; Rack 3 only for bodies that respond to `to_ary`)",
            fixes: &[
                verified("Rack 2.x", "set a `Last-Modified` header (e.g. `response.headers['Last-Modified'] = Time.now.httpdate`) or an ETag of your own on the stream response: Rack::ETag skips responses that have either", "rack::rack_etag_leaves_a_stream_with_last_modified_alone, rack::rails_live_with_last_modified_set_streams_live"),
                verified("", "or remove Rack::ETag (Rails: `config.middleware.delete Rack::ETag`)", "rack::rack_stream_without_the_etag_middleware_passes"),
                fix("Rack 3", "Rack::ETag hashes only bodies that respond to `to_ary`: stream with a body that only responds to `each` (or `call`), not an Array"),
            ],
        }),
        compresses: None,
        idle: None,
    },
    // Rack's WEBrick handler (rack 2.2 lib/rack/handler/webrick.rb `service`) appends every
    // body part to `res.body` before WEBrick writes the response.
    Layer {
        name: "WEBrick",
        proxy: false,
        signs: &[Sign::Contains("server", "webrick")],
        holds: Some(Advice {
            does: "WEBrick (through Rack's handler) collects the whole body before sending it",
            fixes: &[verified("", "serve the stream with Puma (or another server that writes each chunk as the body yields it), not WEBrick", "rack::webrick_holds_the_whole_body_and_doctor_names_it, rack::rack_stream_without_the_etag_middleware_passes (the same app on Puma is live)")],
        }),
        compresses: None,
        idle: None,
    },
    // Thin 1.8 runs the Rack body's `each` on EventMachine's reactor thread; what it
    // queues with send_data leaves only when the reactor runs again, after the body ends.
    Layer {
        name: "Thin",
        proxy: false,
        signs: &[Sign::Contains("server", "thin")],
        holds: Some(Advice {
            does: "Thin iterates a Rack body on its reactor thread, so nothing is written until the body ends (unless the app uses Thin's async API)",
            fixes: &[verified("", "serve the stream with Puma (or another threaded server that writes each chunk as the body yields it), not Thin", "rack::thin_holds_the_whole_body_and_doctor_names_it, rack::rack_stream_without_the_etag_middleware_passes (the same app on Puma is live)")],
        }),
        compresses: None,
        idle: None,
    },
    // Express `compression` 1.8 (expressjs/compression index.js): negotiates br first
    // when the client offers it (PREFERRED_ENCODING ['br','gzip']), keeps output in the zlib
    // stream until `res.flush()` or the end, skips responses the filter rejects and those
    // with `Cache-Control: no-transform`; README "Server-Sent Events" says to call res.flush().
    Layer {
        name: "Express",
        proxy: false,
        signs: &[Sign::Contains("x-powered-by", "express")],
        holds: None,
        compresses: Some(Advice {
            does: "Express's `compression` middleware compresses the stream (1.8 prefers br) and keeps the compressed bytes until `res.flush()` or the end",
            fixes: &[
                verified("", "Express `compression`: call `res.flush()` after writing each event", "express::express_compression_with_res_flush_after_each_event_passes"),
                verified("", "or leave the stream out with a filter: `compression({ filter: (req, res) => !String(res.getHeader('Content-Type')).startsWith('text/event-stream') && compression.filter(req, res) })` (Express adds `; charset=utf-8` to the type, so compare its start)", "express::express_compression_with_a_filter_leaving_out_event_streams_passes"),
                verified("compression 1.8", "or send `Cache-Control: no-cache, no-transform` on the stream (compression skips no-transform responses)", "express::express_compression_skips_a_stream_sent_with_no_transform"),
            ],
        }),
        idle: None,
    },
    // Apache httpd 2.4 docs: mod_proxy ProxyTimeout (default: the Timeout directive, 60 s)
    // and ProxyPass `timeout=`; mod_deflate (`no-gzip`) and mod_brotli (`no-brotli`)
    // compress only what AddOutputFilterByType / SetOutputFilter select.
    Layer {
        name: "Apache",
        proxy: true,
        signs: &[Sign::Contains("server", "apache")],
        holds: None,
        compresses: Some(Advice {
            does: "Apache's mod_deflate / mod_brotli compress the types their filters are set for",
            fixes: &[fix("", "Apache: leave text/event-stream out of `AddOutputFilterByType DEFLATE` / `BROTLI_COMPRESS`, or set `no-gzip` and `no-brotli` for the stream's path (`SetEnvIf Request_URI ^/events no-gzip no-brotli`)")],
        }),
        idle: Some(Idle {
            after: Duration::from_secs(60),
            also: Some(Duration::from_secs(300)),
            advice: Advice {
                does: "Apache's mod_proxy closes a stream whose backend is silent for `ProxyTimeout` (by default the `Timeout` directive: 60 s compiled in, 300 s in Debian's apache2.conf)",
                fixes: &[verified("", "Apache: raise `ProxyTimeout`, or `timeout=` on the stream's `ProxyPass` line, above the stream's longest silence", "apache::apache_proxy_timeout_above_the_silences_keeps_the_stream_open, apache::apache_proxypass_timeout_overrides_a_short_proxy_timeout")],
            },
        }),
    },
    // HAProxy 2.6 configuration manual: `timeout server` / `timeout client` are inactivity
    // timeouts (Debian's haproxy.cfg sets 50 s; on a silent event stream it is `timeout
    // server` that fires, as the real test saw: sD--); `timeout tunnel` only applies once the
    // connection is a tunnel (WebSocket, CONNECT); without `option http-no-delay` HAProxy
    // asks the kernel to merge small writes (MSG_MORE), which can hold a small event ~200 ms.
    Layer {
        name: "HAProxy",
        proxy: true,
        signs: &[Sign::Contains("server", "haproxy"), Sign::Contains("via", "haproxy")],
        holds: Some(Advice {
            does: "HAProxy merges small writes into fewer packets unless `option http-no-delay` is set",
            fixes: &[verified("", "HAProxy: `option http-no-delay` in the stream's backend (or defaults)", "haproxy::haproxy_holds_each_event_about_200_ms_unless_option_http_no_delay")],
        }),
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(50),
            also: None,
            advice: Advice {
                does: "HAProxy closes a stream whose upstream is silent for `timeout server` (Debian's haproxy.cfg sets 50 s); its tunnel timeout does not apply to an event stream",
                fixes: &[verified("", "HAProxy: raise `timeout server` for the stream's backend above its longest silence", "haproxy::haproxy_timeout_server_above_the_silences_keeps_the_stream_open")],
            },
        }),
    },
    // Caddy: reverse_proxy flushes text/event-stream responses at once
    // (modules/caddyhttp/reverseproxy/streaming.go `flushInterval`); `encode` matches
    // `text/*` by default (encode.go) and flushes its encoder on a flush only since v2.9.0
    // (commit 976469ca0, "encode: flush already compressed data from the encoder").
    Layer {
        name: "Caddy",
        proxy: true,
        signs: &[Sign::Contains("server", "caddy"), Sign::Contains("via", "caddy")],
        holds: None,
        compresses: Some(Advice {
            does: "Caddy's `encode` compresses text/* (text/event-stream included) when the first write reaches its minimum_length (512 bytes); before v2.9 it does not flush its encoder between events",
            fixes: &[
                verified("Caddy before 2.9", "give `encode` a `match` block listing only the types to compress, leaving text/event-stream out (e.g. `encode gzip zstd { match { header Content-Type text/html* } }`)", "caddy::caddy_encode_with_a_match_block_leaving_out_event_streams_passes"),
                fix("Caddy 2.9 and later", "`encode` flushes with each event that reverse_proxy flushes: check that nothing else holds the stream"),
            ],
        }),
        idle: None,
    },
    // Varnish (varnish-cache.org docs, vcl-var `beresp.do_stream`, on by default since 4.0):
    // a miss streams through; a cached object is replayed from the cache at once, which
    // looks like a burst but is a replay of an old stream, not buffering.
    Layer {
        name: "Varnish",
        proxy: true,
        signs: &[Sign::Has("x-varnish"), Sign::Contains("via", "varnish")],
        holds: Some(Advice {
            does: "Varnish may serve a stream from its cache (a replay arrives all at once) or fetch it without streaming when `beresp.do_stream` is off",
            fixes: &[verified("", "Varnish: `return (pass);` (or `pipe`) for the stream's URL in `vcl_recv`, and keep `set beresp.do_stream = true;`", "varnish::varnish_with_return_pass_for_the_stream_streams_a_cacheable_stream")],
        }),
        compresses: None,
        idle: None,
    },
    // Starlette middleware/gzip.py: before 0.46.0 GZipMiddleware compresses streaming
    // responses without flushing between messages; 0.46.0 (commit a9a8dab0, "Don't
    // compress on server sent events") skips text/event-stream.
    Layer {
        name: "Starlette/FastAPI",
        proxy: false,
        signs: &[Sign::Contains("server", "uvicorn"), Sign::Contains("server", "hypercorn")],
        holds: None,
        compresses: Some(Advice {
            does: "Starlette's GZipMiddleware (FastAPI's too) before 0.46 compresses a stream without flushing between events",
            fixes: &[
                verified("", "do not wrap the stream's route in GZipMiddleware (mount it outside the wrapped app)", "starlette::starlette_stream_outside_gzip_middleware_passes"),
                fix("Starlette before 0.46", "or upgrade Starlette to 0.46 or later: GZipMiddleware then skips text/event-stream"),
            ],
        }),
        idle: None,
    },
    // Flask-Compress (flask_compress.py): text/event-stream is not in the default
    // COMPRESS_MIMETYPES; when added, streamed responses are compressed (COMPRESS_STREAMS,
    // default True) with no flush between chunks. Django django/middleware/gzip.py:
    // GZipMiddleware compresses streaming responses; versions without ticket #36293's
    // change do not flush each chunk; it skips responses that already have a
    // Content-Encoding.
    Layer {
        name: "Flask/Django (WSGI)",
        proxy: false,
        signs: &[
            Sign::Contains("server", "werkzeug"),
            Sign::Contains("server", "gunicorn"),
            Sign::Contains("server", "waitress"),
        ],
        holds: None,
        compresses: Some(Advice {
            does: "Flask-Compress and Django's GZipMiddleware compress streamed responses, and may hold events in the compressor",
            fixes: &[
                verified("Flask-Compress", "keep text/event-stream out of `COMPRESS_MIMETYPES` (it is not there by default)", "wsgi::flask_compress_leaves_an_event_stream_alone_by_default"),
                fix("Flask-Compress with COMPRESS_STREAMS (not 1.4, Debian 12's)", "or set `COMPRESS_STREAMS = False`"),
                verified("Django", "set `response['Content-Encoding'] = 'identity'` on the StreamingHttpResponse (GZipMiddleware skips encoded responses)", "wsgi::django_streaming_response_with_content_encoding_identity_passes"),
                fix("Django", "or use a Django whose GZipMiddleware flushes each chunk (ticket #36293)"),
            ],
        }),
        idle: None,
    },
    // Heroku Dev Center, "HTTP Routing": 30 s for the first byte, then a rolling 55 s
    // window reset by each byte.
    Layer {
        name: "Heroku",
        proxy: true,
        signs: &[Sign::Contains("via", "vegur"), Sign::Contains("server", "heroku")],
        holds: None,
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(55),
            also: None,
            advice: Advice {
                does: "Heroku's router wants the first byte within 30 s and closes connections silent for 55 s",
                fixes: &[fix("", "Heroku: send a `:` heartbeat comment every 15-30 s")],
            },
        }),
    },
    // Envoy (envoyproxy/envoy): the HTTP connection manager's `stream_idle_timeout`,
    // 5 min by default, resets a stream silent that long; after the response head it
    // goes out as RST_STREAM NO_ERROR (filter_manager.cc sendLocalReply with headers
    // sent -> resetStream(LocalReset); http2/codec_impl.cc reasonToReset -> NO_ERROR).
    Layer {
        name: "Envoy",
        proxy: true,
        signs: &[
            Sign::Contains("server", "envoy"),
            Sign::Has("x-envoy-upstream-service-time"),
        ],
        holds: None,
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(300),
            also: None,
            advice: Advice {
                does: "Envoy resets a stream silent for its `stream_idle_timeout` (5 min by default)",
                fixes: &[fix("", "Envoy: raise `stream_idle_timeout` (or the route's `idle_timeout`) above the stream's longest silence")],
            },
        }),
    },
    // Cloudflare docs, "Connection limits" (developers.cloudflare.com/fundamentals/
    // reference/connection-limits, updated July 2026): between Cloudflare and the origin,
    // Proxy Read Timeout 120 s, answered 524, configurable for Enterprise; it was 100 s
    // in older versions of that page and in most writing about it.
    Layer {
        name: "Cloudflare",
        proxy: true,
        signs: &[Sign::Contains("server", "cloudflare"), Sign::Has("cf-ray")],
        holds: None,
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(120),
            also: Some(Duration::from_secs(100)),
            advice: Advice {
                does: "Cloudflare gives up on an origin that sends nothing for its Proxy Read Timeout (120 s by its current documentation, 100 s before)",
                fixes: &[fix("", "Cloudflare: send a `:` heartbeat comment at least every 60 s")],
            },
        }),
    },
    // AWS ELB docs, "Application Load Balancers": connection idle timeout 60 s by default
    // (idle_timeout.timeout_seconds, 1-4000).
    Layer {
        name: "AWS ALB",
        proxy: true,
        signs: &[Sign::Contains("server", "awselb"), Sign::Has("x-amzn-trace-id")],
        holds: None,
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(60),
            also: None,
            advice: Advice {
                does: "an AWS ALB closes connections idle for 60 s by default",
                fixes: &[fix("", "AWS ALB: raise `idle_timeout.timeout_seconds`, or send a heartbeat every 30 s")],
            },
        }),
    },
    // CloudFront API reference, CustomOriginConfig / VpcOriginConfig OriginReadTimeout
    // ("origin response timeout"): default 30 s, 1-120 s.
    Layer {
        name: "CloudFront",
        proxy: true,
        signs: &[Sign::Has("x-amz-cf-id"), Sign::Contains("via", "cloudfront")],
        holds: None,
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(30),
            also: None,
            advice: Advice {
                does: "CloudFront gives up on an origin silent for its response timeout (30 s by default)",
                fixes: &[fix("", "CloudFront: raise the origin's response timeout (OriginReadTimeout, up to 120 s), or send a heartbeat every 15 s")],
            },
        }),
    },
];

/// A limit on a whole response's time, a stream's included: it cuts the stream however
/// busy it is, and no heartbeat helps.
#[derive(Debug)]
pub struct Lifetime {
    pub layer: &'static str,
    pub after: Duration,
    pub advice: Advice,
}

impl Lifetime {
    /// Whether a cut this long after the request matches this limit.
    pub fn matches(&self, at: Duration) -> bool {
        at.abs_diff(self.after) <= Duration::from_secs(2).max(self.after / 20)
    }
}

pub static LIFETIMES: &[Lifetime] = &[
    // Envoy's RouteAction `timeout`: 15 s by default, from the end of the request to the
    // end of the response (a stream's body included; `0s` turns it off). After the head
    // it resets the stream (router.cc onResponseTimeout -> onUpstreamAbort ->
    // sendLocalReply, as for the idle timeout: RST_STREAM NO_ERROR).
    Lifetime {
        layer: "Envoy",
        after: Duration::from_secs(15),
        advice: Advice {
            does: "Envoy's route timeout (15 s by default) counts the whole response, a stream's included, and resets the stream when it fires (RST_STREAM NO_ERROR over HTTP/2)",
            fixes: &[fix("", "Envoy: set `timeout: 0s` on the stream's route (Istio: `timeout: 0s` on the VirtualService's http route), and keep `stream_idle_timeout` above its longest silence")],
        },
    },
    // Cloud Run docs, "Set request timeout": 300 s by default, up to 3600 s, and a
    // streamed response counts against it.
    Lifetime {
        layer: "Cloud Run",
        after: Duration::from_secs(300),
        advice: Advice {
            does: "Cloud Run's request timeout (300 s by default, up to 3600 s) counts a streamed response and closes it when it fires",
            fixes: &[fix("", "Cloud Run: raise the service's request timeout (`gcloud run services update SERVICE --timeout=3600`), and let clients resume with Last-Event-ID after it")],
        },
    },
];

/// The lifetime limits a cut `at` after the request matches: those of the layers named
/// (`named`) first, else any; and whether they are the named layers'.
pub fn lifetimes_matching(at: Duration, named: &[&Layer]) -> (Vec<&'static Lifetime>, bool) {
    let matching = LIFETIMES.iter().filter(|l| l.matches(at));
    let of_named: Vec<_> = matching
        .clone()
        .filter(|l| named.iter().any(|n| n.name == l.layer))
        .collect();
    if of_named.is_empty() {
        (matching.collect(), false)
    } else {
        (of_named, true)
    }
}

/// How a layer ends an HTTP/2 stream when its idle timeout cuts it, as a test saw it
/// (the code of its RST_STREAM, or `None` for a clean END_STREAM).
#[derive(Debug)]
pub struct H2Cut {
    pub layer: &'static str,
    /// The version seen (others may differ: HAProxy's later mux_h2.c resets with CANCEL).
    pub version: &'static str,
    pub reset: Option<&'static str>,
    /// The evidence, which `every_test_named_as_evidence_exists` checks.
    #[cfg_attr(not(test), allow(dead_code))]
    pub seen_in: &'static str,
}

pub static H2_CUTS: &[H2Cut] = &[
    // nginx 1.22 (Debian 12), ngx_http_v2_module: proxy_read_timeout mid-stream.
    H2Cut {
        layer: "nginx",
        version: "1.22",
        reset: Some("INTERNAL_ERROR"),
        seen_in: "nginx_h2::nginx_over_h2_resets_a_stream_its_proxy_read_timeout_cuts",
    },
    // Apache 2.4 (Debian 12) mod_http2 with mod_proxy_http: ProxyTimeout mid-stream.
    H2Cut {
        layer: "Apache",
        version: "2.4",
        reset: Some("INTERNAL_ERROR"),
        seen_in: "http2_servers::apache_mod_http2_resets_a_stream_its_proxy_timeout_cuts",
    },
    // HAProxy 2.6 (Debian 12), an h2 frontend: `timeout server` mid-stream.
    H2Cut {
        layer: "HAProxy",
        version: "2.6",
        reset: None,
        seen_in: "http2_servers::haproxy_h2_frontend_ends_a_stream_its_timeout_server_cuts_cleanly",
    },
];

/// How `layer` ends an HTTP/2 stream it cuts, if a test saw it.
pub fn h2_cut(layer: &str) -> Option<&'static H2Cut> {
    H2_CUTS.iter().find(|c| c.layer == layer)
}

/// When no layer is named: advice about buffering in general.
pub static SOME_BUFFER: Advice = Advice {
    does: "a proxy or middleware between the server and this client holds the body",
    fixes: &[fix("", "find the layer that holds the body (a proxy's buffering, an ETag or compression middleware, a CDN) and turn buffering off for this route; behind nginx: `proxy_buffering off;`")],
};

/// A stream served from a cache (RFC 9111 Age, Varnish's X-Varnish on a hit, X-Cache).
pub static CACHED: Advice = Advice {
    does: "a stored copy of an old stream is replayed at once; that is a replay, not buffering, but a live stream must not be cached",
    fixes: &[
        verified("", "pass the stream uncached in the cache's config (Varnish: `return (pass);` in `vcl_recv` for its URL)", "varnish::varnish_with_return_pass_for_the_stream_streams_a_cacheable_stream"),
        fix("", "and send `Cache-Control: no-store` on it, so no cache keeps a copy"),
    ],
};

/// An ETag on a stream, whoever set it.
pub static SOME_ETAG: Advice = Advice {
    does: "an ETag is a hash of the whole body: middleware such as Rack::ETag holds the stream until it ends to compute it",
    fixes: &[fix("", "send no ETag on the stream: remove the ETag middleware for this route (Rails: `config.middleware.delete Rack::ETag`)")],
};

/// Compression by a layer that is not named.
pub static SOME_COMPRESSION: Advice = Advice {
    does: "compressors collect a block before writing unless they are flushed after every event",
    fixes: &[fix(
        "",
        "exclude text/event-stream from compression, or flush the compressor after every event",
    )],
};

/// The shortest idle timeout of `layers`, and whose it is.
pub fn shortest_idle<'a>(
    layers: impl IntoIterator<Item = &'a Layer>,
) -> Option<(Duration, &'static str)> {
    layers
        .into_iter()
        .filter_map(|l| l.idle.as_ref().map(|i| (i.after, l.name)))
        .min()
}

/// The layers the headers name, in table order.
pub fn named(obs: &Observation) -> Vec<&'static Layer> {
    LAYERS.iter().filter(|l| l.seen_in(obs)).collect()
}

pub fn by_name(name: &str) -> Option<&'static Layer> {
    LAYERS.iter().find(|l| l.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::Head;

    fn with(headers: &[(&str, &str)]) -> Observation {
        Observation {
            head: Some(Head {
                status: 200,
                headers: headers
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.to_string()))
                    .collect(),
                ..Head::default()
            }),
            ..Observation::default()
        }
    }

    #[test]
    fn layers_are_recognised_by_their_headers() {
        let names =
            |h: &[(&str, &str)]| -> Vec<&str> { named(&with(h)).iter().map(|l| l.name).collect() };
        assert_eq!(names(&[("Server", "nginx/1.22.1")]), ["nginx"]);
        assert_eq!(names(&[("via", "1.1 vegur")]), ["Heroku"]);
        assert_eq!(
            names(&[("CF-RAY", "8a-LHR"), ("server", "cloudflare")]),
            ["Cloudflare"]
        );
        assert!(names(&[("server", "lighttpd/1.4")]).is_empty());
        assert_eq!(names(&[("server", "uvicorn")]), ["Starlette/FastAPI"]);
    }

    #[test]
    fn every_row_has_advice_and_unique_name() {
        for (i, l) in LAYERS.iter().enumerate() {
            assert!(!l.signs.is_empty(), "{}", l.name);
            assert!(
                l.holds.is_some() || l.compresses.is_some() || l.idle.is_some(),
                "{}",
                l.name
            );
            assert!(LAYERS[..i].iter().all(|o| o.name != l.name), "{}", l.name);
        }
    }

    /// Every test a fix or an HTTP/2 cut names (`module::function`) is in tests/e2e.
    #[test]
    fn every_test_named_as_evidence_exists() {
        let advice = LAYERS
            .iter()
            .flat_map(|l| {
                [&l.holds, &l.compresses]
                    .into_iter()
                    .flatten()
                    .chain(l.idle.as_ref().map(|i| &i.advice))
            })
            .chain(ON_H2.iter().map(|o| &o.advice))
            .chain(LIFETIMES.iter().map(|l| &l.advice))
            .chain([
                &SOME_H2_BUFFER,
                &SOME_BUFFER,
                &CACHED,
                &SOME_ETAG,
                &SOME_COMPRESSION,
            ]);
        let mut named: Vec<&str> = advice
            .flat_map(|a| a.fixes.iter().filter_map(|f| f.verified))
            .chain([HEARTBEAT_VERIFIED, OPEN_AT_ONCE_VERIFIED])
            .chain(H2_MALFORMED_FIX.verified)
            .chain(H2_CUTS.iter().map(|c| c.seen_in))
            .flat_map(|list| list.split(", "))
            .collect();
        named.sort_unstable();
        named.dedup();
        assert!(named.len() > 10, "{named:?}");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e");
        for named in named {
            // A name may carry a remark after it: `rack::a_test (on Puma)`.
            let test = named.split_whitespace().next().unwrap_or(named);
            let (module, function) = test.split_once("::").unwrap_or(("", test));
            let source = std::fs::read_to_string(dir.join(format!("{module}.rs")))
                .unwrap_or_else(|e| panic!("{test}: tests/e2e/{module}.rs: {e}"));
            assert!(
                source.contains(&format!("fn {function}()")),
                "{test} is named as evidence but tests/e2e/{module}.rs has no such test"
            );
        }
    }

    #[test]
    fn idle_timeouts_match_their_documented_values() {
        let cf = by_name("Cloudflare").and_then(|l| l.idle.as_ref()).unwrap();
        assert!(cf.matches(Duration::from_secs(120)) && cf.matches(Duration::from_secs(99)));
        assert!(!cf.matches(Duration::from_secs(60)));
        let nginx = by_name("nginx").and_then(|l| l.idle.as_ref()).unwrap();
        assert!(nginx.matches(Duration::from_millis(61_500)));
        assert!(!nginx.matches(Duration::from_secs(3)));
        assert_eq!(
            shortest_idle(LAYERS),
            Some((Duration::from_secs(30), "CloudFront"))
        );
    }
}
