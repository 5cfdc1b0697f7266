//! What an observation means, worked out once: the stamped delays, the bursts, the
//! layers the headers name, the likeliest holder of events, an idle cut-off. The checks
//! read this; none of them recomputes it.

use std::time::Duration;

use super::layers::{self, Advice, Layer};
use super::observation::{Burst, Observation};

/// Above this, a stamped event counts as late (a FAIL) unless `--max-delay` says otherwise.
pub const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(1);
/// Above this, a stamped delay is worth a WARN.
pub const WARN_DELAY: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delays {
    pub count: u64,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

/// The layer most likely holding events, and what to do about it.
#[derive(Debug, Clone)]
pub struct Suspect {
    /// Who, in words ("nginx, which buffers ... (Server names it)").
    pub who: String,
    pub advice: &'static Advice,
}

/// A close some time after the last byte that looks like an idle timeout.
#[derive(Debug, Clone)]
pub struct IdleCut {
    /// From the last byte to the close.
    pub after: Duration,
    /// Named layers whose idle timeout matches.
    pub layers: Vec<&'static Layer>,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    /// The delay above which an event is late.
    pub limit: Duration,
    pub delays: Option<Delays>,
    /// The largest burst after silence.
    pub burst: Option<Burst>,
    /// Events were held back: stamped delays over the limit, or (without stamps) a burst.
    pub held_back: bool,
    /// Layers the headers name.
    pub layers: Vec<&'static Layer>,
    /// The response asks nginx not to buffer it (`X-Accel-Buffering: no`).
    pub accel_off: bool,
    pub suspect: Suspect,
    pub idle_cut: Option<IdleCut>,
    /// From the request to the end, the longest time without a byte.
    pub longest_silence: Duration,
}

fn ms_duration(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

impl Analysis {
    pub fn of(obs: &Observation, max_delay: Option<Duration>) -> Analysis {
        let limit = max_delay.unwrap_or(DEFAULT_MAX_DELAY);
        let h = &obs.events.delays;
        let delays = match (h.quantile(0.5), h.quantile(0.99), h.max()) {
            (Some(p50), Some(p99), Some(max)) => Some(Delays {
                count: h.count(),
                p50: ms_duration(p50),
                p99: ms_duration(p99),
                max: ms_duration(max),
            }),
            _ => None,
        };
        let burst =
            obs.events
                .bursts
                .iter()
                .copied()
                .reduce(|best, b| if b.size > best.size { b } else { best });
        let held_back = match delays {
            Some(d) => d.max > limit,
            None => burst.is_some(),
        };
        let layers = layers::named(obs);
        let accel_off = obs
            .header("x-accel-buffering")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"));
        let suspect = suspect(obs, &layers, accel_off);
        let idle_cut = idle_cut(obs, &layers);
        Analysis {
            limit,
            delays,
            burst,
            held_back,
            layers,
            accel_off,
            suspect,
            idle_cut,
            longest_silence: obs.longest_silence(),
        }
    }

    pub fn names(&self, name: &str) -> bool {
        self.layers.iter().any(|l| l.name == name)
    }

    /// nginx is named and nothing says its buffering is off for this response.
    pub fn nginx_buffering(&self) -> bool {
        self.names("nginx") && !self.accel_off
    }
}

/// The likeliest holder of events, from the headers.
fn suspect(obs: &Observation, named: &[&'static Layer], accel_off: bool) -> Suspect {
    if obs.header("etag").is_some() {
        return Suspect {
            who: "an ETag middleware such as Rack::ETag (the response has an ETag)".into(),
            advice: layers::by_name("Rack/Rails")
                .and_then(|l| l.holds.as_ref())
                .unwrap_or(&layers::SOME_ETAG),
        };
    }
    if let Some(enc) = obs.header("content-encoding") {
        let by = named
            .iter()
            .find_map(|l| l.compresses.as_ref().map(|a| (l, a)));
        return Suspect {
            who: match by {
                Some((l, _)) => format!("{}'s compression (Content-Encoding: {enc})", l.name),
                None => format!("compression (Content-Encoding: {enc})"),
            },
            advice: by.map_or(&layers::SOME_COMPRESSION, |(_, a)| a),
        };
    }
    for layer in named {
        let Some(advice) = &layer.holds else { continue };
        if layer.name == "nginx" && accel_off {
            continue;
        }
        return Suspect {
            who: format!("{} ({})", layer.name, advice.does),
            advice,
        };
    }
    if let Some(via) = obs.header("via") {
        return Suspect {
            who: format!("the proxy named by `Via: {via}`"),
            advice: &layers::SOME_BUFFER,
        };
    }
    if obs.header("content-length").is_some() {
        return Suspect {
            who:
                "a layer that held the whole body to measure it (the response has a Content-Length)"
                    .into(),
            advice: &layers::SOME_BUFFER,
        };
    }
    Suspect {
        who: "a proxy or middleware between the server and this client".into(),
        advice: &layers::SOME_BUFFER,
    }
}

/// A close that came long after the last byte and matches a known idle timeout.
fn idle_cut(obs: &Observation, named: &[&'static Layer]) -> Option<IdleCut> {
    let end = obs.end.as_ref()?;
    let last_byte = obs.wire.last.or(obs.head_at).unwrap_or_default();
    let after = end.at.saturating_sub(last_byte);
    let near = |l: &&'static Layer| {
        l.idle
            .as_ref()
            .is_some_and(|i| after.abs_diff(i.after) <= Duration::from_secs(3))
    };
    let mut matching: Vec<&'static Layer> = named.iter().copied().filter(near).collect();
    if matching.is_empty() {
        matching = layers::LAYERS.iter().filter(near).collect();
    }
    (!matching.is_empty()).then_some(IdleCut {
        after,
        layers: matching,
    })
}
