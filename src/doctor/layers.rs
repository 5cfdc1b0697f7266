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
    /// Header signs that name it (any one is enough).
    pub signs: &'static [Sign],
    /// Holds events on their way (a buffer, a whole-body hash, a compressor's block).
    pub holds: Option<Advice>,
    /// Compresses the stream when the request allows it.
    pub compresses: Option<Advice>,
    /// Closes connections that are silent this long.
    pub idle: Option<Idle>,
}

/// How a layer is recognised.
#[derive(Debug, Clone, Copy)]
pub enum Sign {
    /// The header is present.
    Has(&'static str),
    /// The header's value contains this text (ASCII, case-insensitive).
    Contains(&'static str, &'static str),
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
    pub advice: Advice,
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

impl Layer {
    /// Whether the response headers name this layer.
    pub fn seen_in(&self, obs: &Observation) -> bool {
        self.signs.iter().any(|sign| match *sign {
            Sign::Has(name) => obs.header(name).is_some(),
            Sign::Contains(name, needle) => obs
                .header(name)
                .is_some_and(|v| v.to_ascii_lowercase().contains(needle)),
        })
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

/// The heartbeat that keeps any idle timeout from firing.
pub const HEARTBEAT: Fix = fix(
    "",
    "send a `:` comment line as a heartbeat while there are no events, more often than the shortest idle timeout on the path (every 15 s is safe)",
);

/// Layers doctor can name. Order matters only for display.
pub static LAYERS: &[Layer] = &[
    // nginx: ngx_http_proxy_module docs (proxy_buffering "on" by default, proxy_http_version
    // "1.0" by default, proxy_read_timeout 60s, X-Accel-Buffering honoured unless
    // proxy_ignore_headers lists it), https://nginx.org/en/docs/http/ngx_http_proxy_module.html
    Layer {
        name: "nginx",
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
                "nginx::fixed_nginx_passes_with_delays_near_zero",
            )],
        }),
        compresses: Some(Advice {
            does: "nginx's gzip module compresses types listed in `gzip_types`",
            fixes: &[fix("", "nginx: leave text/event-stream out of `gzip_types`")],
        }),
        idle: Some(Idle {
            after: Duration::from_secs(60),
            advice: Advice {
                does: "nginx closes a proxied connection when the upstream is silent for `proxy_read_timeout` (60 s by default)",
                fixes: &[fix("", "nginx: raise `proxy_read_timeout` for the stream's location, or send heartbeats")],
            },
        }),
    },
    // Rack::ETag, rack/rack lib/rack/etag.rb; see the rows' comments in step 2.
    Layer {
        name: "Rack/Rails",
        signs: &[Sign::Has("x-runtime"), Sign::Has("x-request-id")],
        holds: Some(Advice {
            does: "Rack::ETag hashes the whole body before sending it",
            fixes: &[fix(
                "",
                "Rack/Rails: remove Rack::ETag (`config.middleware.delete Rack::ETag`), or send `Cache-Control: no-cache` on the stream (Rack::ETag skips such responses)",
            )],
        }),
        compresses: None,
        idle: None,
    },
    Layer {
        name: "Heroku",
        signs: &[Sign::Contains("via", "vegur"), Sign::Contains("server", "heroku")],
        holds: None,
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(55),
            advice: Advice {
                does: "Heroku's router wants the first byte within 30 s and closes connections idle for 55 s",
                fixes: &[fix("", "Heroku: send a `:` heartbeat comment every 15-30 s")],
            },
        }),
    },
    Layer {
        name: "Cloudflare",
        signs: &[Sign::Contains("server", "cloudflare"), Sign::Has("cf-ray")],
        holds: Some(Advice {
            does: "Cloudflare proxies the stream and may cache or rewrite it",
            fixes: &[fix("", "Cloudflare: serve the stream with `Content-Type: text/event-stream` and no Content-Length, keep it out of caching rules, and disable features that rewrite the body for that path")],
        }),
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(100),
            advice: Advice {
                does: "Cloudflare closes connections idle for 100 s",
                fixes: &[fix("", "Cloudflare: send a `:` heartbeat comment at least every 60 s")],
            },
        }),
    },
    Layer {
        name: "AWS ALB",
        signs: &[Sign::Contains("server", "awselb"), Sign::Has("x-amzn-trace-id")],
        holds: None,
        compresses: None,
        idle: Some(Idle {
            after: Duration::from_secs(60),
            advice: Advice {
                does: "an AWS ALB closes connections idle for 60 s by default",
                fixes: &[fix("", "AWS ALB: raise idle_timeout.timeout_seconds or send a heartbeat every 30 s")],
            },
        }),
    },
];

/// When no layer is named: advice about buffering in general.
pub static SOME_BUFFER: Advice = Advice {
    does: "a proxy or middleware between the server and this client holds the body",
    fixes: &[fix("", "find the layer that holds the body (a proxy's buffering, an ETag or compression middleware, a CDN) and turn buffering off for this route; behind nginx: `proxy_buffering off;`")],
};

/// An ETag on a stream, whoever set it.
pub static SOME_ETAG: Advice = Advice {
    does: "an ETag is a hash of the whole body: middleware such as Rack::ETag holds the stream until it ends to compute it",
    fixes: &[fix("", "send no ETag on the stream: remove the ETag middleware for this route (Rails: `config.middleware.delete Rack::ETag`)")],
};

/// Compression by a layer that is not named.
pub static SOME_COMPRESSION: Advice = Advice {
    does: "compressors collect a block before writing unless they are flushed after every event",
    fixes: &[fix("", "exclude text/event-stream from compression (nginx: leave it out of `gzip_types`; Express `compression`: a filter; Rack::Deflater: an `:if` option), or flush the compressor after every event")],
};

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
    use crate::client::Head;

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
        assert!(names(&[("server", "hypercorn")]).is_empty());
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
}
