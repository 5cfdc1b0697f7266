//! What an observation means, worked out once: the stamped delays, the bursts, the
//! layers the headers name, the likeliest holder of events, an idle cut-off. The checks
//! read this; none of them recomputes it.

use std::time::Duration;

use super::advice;
use super::finding::{offer, FixLine};
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
    /// Who, in words ("nginx (nginx buffers proxied responses ...)").
    pub who: String,
    /// The advice's fixes.
    pub fixes: Vec<FixLine>,
}

/// A close long after the last byte: an idle timeout of about `after`.
#[derive(Debug, Clone)]
pub struct IdleCut {
    /// From the last byte to the close.
    pub after: Duration,
    /// Who likely cut it, in words.
    pub who: String,
    /// The heartbeat, then the fixes of the layers that match.
    pub fixes: Vec<FixLine>,
    /// The layers blamed.
    pub layers: Vec<&'static Layer>,
}

#[derive(Debug, Clone)]
pub struct Analysis {
    /// The delay above which an event is late.
    pub limit: Duration,
    pub delays: Option<Delays>,
    /// The largest burst after silence.
    pub burst: Option<Burst>,
    /// Bursts come at a steady period: the server's own rhythm, not a buffer's release.
    pub rhythm: Option<Duration>,
    /// Without stamps, what shows a burst was held back rather than sent so: the
    /// response's length or ETag (a whole body measured or hashed), or one release of
    /// most events just before the end. `None` when there is no such evidence.
    pub held_evidence: Option<&'static str>,
    /// Events were held back: stamped delays over the limit, or (without stamps) a burst
    /// with evidence that it was held.
    pub held_back: bool,
    /// The response came from a cache (the header that says so): a replay of a stream
    /// stored earlier arrives at once, which is not buffering.
    pub cached: Option<String>,
    /// Layers the headers name.
    pub layers: Vec<&'static Layer>,
    /// The response asks nginx not to buffer it (`X-Accel-Buffering: no`).
    pub accel_off: bool,
    pub suspect: Suspect,
    pub idle_cut: Option<IdleCut>,
    /// From the request to the end, the longest time without a byte.
    pub longest_silence: Duration,
    /// The shortest idle timeout of the layers the headers name, and who has it.
    pub shortest_idle: Option<(Duration, &'static str)>,
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
        let rhythm = rhythm(&obs.events.bursts);
        let cached = cached(obs);
        let held_evidence = burst.and_then(|_| held_evidence(obs));
        let held_back = match delays {
            Some(d) => d.max > limit,
            None => held_evidence.is_some(),
        };
        let layers = layers::named(obs);
        let accel_off = obs
            .header("x-accel-buffering")
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("no"));
        let suspect = suspect(obs, &layers, accel_off);
        let idle_cut = idle_cut(obs, &layers);
        let shortest_idle = layers::shortest_idle(layers.iter().copied());
        Analysis {
            limit,
            delays,
            burst,
            rhythm,
            held_evidence,
            held_back,
            cached,
            layers,
            accel_off,
            suspect,
            idle_cut,
            longest_silence: obs.longest_silence(),
            shortest_idle,
        }
    }

    pub fn names(&self, name: &str) -> bool {
        self.layers.iter().any(|l| l.name == name)
    }
}

/// The period of bursts that keep time: at least three, every gap between their starts
/// within a quarter of the median gap. A buffer releases when it fills or a timer
/// fires, not in step with the events; a server that batches does keep time.
fn rhythm(bursts: &[Burst]) -> Option<Duration> {
    if bursts.len() < 3 {
        return None;
    }
    let mut gaps: Vec<Duration> = bursts.windows(2).map(|w| w[1].at - w[0].at).collect();
    gaps.sort_unstable();
    let median = gaps[gaps.len() / 2];
    gaps.iter()
        .all(|g| g.abs_diff(median) <= median / 4)
        .then_some(median)
}

/// The header that shows the response was served from a cache: `Age` above 0 (RFC
/// 9111), `X-Varnish` with two transaction ids (Varnish's mark of a hit), or an
/// `X-Cache` that says HIT (CloudFront, Fastly, many CDNs).
fn cached(obs: &Observation) -> Option<String> {
    if let Some(age) = obs
        .header("age")
        .filter(|v| v.trim().parse::<u64>().is_ok_and(|n| n > 0))
    {
        return Some(format!("Age: {age}"));
    }
    if let Some(v) = obs
        .header("x-varnish")
        .filter(|v| v.split_whitespace().count() == 2)
    {
        return Some(format!("X-Varnish: {v}"));
    }
    obs.header("x-cache")
        .filter(|v| v.to_ascii_lowercase().contains("hit"))
        .map(|v| format!("X-Cache: {v}"))
}

/// Evidence, beyond the arrival pattern, that a burst was held back.
fn held_evidence(obs: &Observation) -> Option<&'static str> {
    if obs.header("content-length").is_some() {
        return Some(advice::HELD_BY_LENGTH);
    }
    if obs.header("etag").is_some() {
        return Some(advice::HELD_BY_ETAG);
    }
    // One release at the end: the only burst holds most events and the stream ended
    // right after it.
    let end = obs.end.as_ref()?;
    let [only] = obs.events.bursts.as_slice() else {
        return None;
    };
    let last = obs.last_event()?;
    let released_at_end = end.at.saturating_sub(last.at) < Duration::from_millis(50)
        && only.at + only.spread >= last.at
        && only.size as u64 * 2 >= obs.events.count;
    released_at_end.then_some(advice::HELD_TO_THE_END)
}

fn suspected(who: String, advice: &'static Advice) -> Suspect {
    Suspect {
        who,
        fixes: offer(advice),
    }
}

/// The likeliest holder of events, from the headers.
fn suspect(obs: &Observation, named: &[&'static Layer], accel_off: bool) -> Suspect {
    if let Some(header) = cached(obs) {
        return suspected(advice::cached_who(&header), &layers::CACHED);
    }
    if obs.header("etag").is_some() {
        let rack = named.iter().find(|l| l.name == "Rack/Rails");
        return match rack.and_then(|l| l.holds.as_ref()) {
            Some(holds) => suspected(layers::RACK_ETAG_WHO.into(), holds),
            None => suspected(advice::SOME_ETAG_WHO.into(), &layers::SOME_ETAG),
        };
    }
    if let Some(enc) = obs.content_encoding() {
        let by = named
            .iter()
            .find_map(|l| l.compresses.as_ref().map(|a| (l, a)));
        return match by {
            Some((l, compresses)) => suspected(advice::compression_by(l.name, enc), compresses),
            None => suspected(advice::some_compression(enc), &layers::SOME_COMPRESSION),
        };
    }
    for layer in named {
        let Some(holds) = &layer.holds else { continue };
        if layer.name == "nginx" && accel_off {
            continue;
        }
        return suspected(advice::holder(layer.name, holds.does), holds);
    }
    let who = if let Some(via) = obs.header("via") {
        advice::via_proxy(via)
    } else if obs.header("content-length").is_some() {
        advice::LENGTH_HOLDER.into()
    } else {
        advice::SOME_HOLDER.into()
    };
    suspected(who, &layers::SOME_BUFFER)
}

/// A close that came long after the last byte: at least a second, and longer than any
/// silence the stream had before. Named after the layers whose timeout matches: those
/// the headers name first, else any layer whose default it is.
fn idle_cut(obs: &Observation, named: &[&'static Layer]) -> Option<IdleCut> {
    let end = obs.end.as_ref()?;
    let last_byte = obs.wire.last.or(obs.head_at).unwrap_or_default();
    let after = end.at.saturating_sub(last_byte);
    if after < Duration::from_secs(1) || after <= obs.wire.longest_gap {
        return None;
    }
    let matches = |l: &&'static Layer| l.idle.as_ref().is_some_and(|i| i.matches(after));
    let cutters: Vec<&'static Layer> = named.iter().copied().filter(|l| l.idle.is_some()).collect();
    let matching: Vec<&'static Layer> = cutters.iter().copied().filter(matches).collect();
    let list = |ls: &[&'static Layer]| ls.iter().map(|l| l.name).collect::<Vec<_>>().join(" or ");
    let (who, layers) = if !matching.is_empty() {
        (advice::idle_default_named(&list(&matching)), matching)
    } else if !cutters.is_empty() {
        (advice::idle_set_named(&list(&cutters)), cutters)
    } else {
        let defaults: Vec<&'static Layer> = layers::LAYERS.iter().filter(matches).collect();
        if defaults.is_empty() {
            (layers::SOME_IDLE_TIMEOUT_WHO.into(), defaults)
        } else {
            (advice::idle_default_of(&list(&defaults)), defaults)
        }
    };
    let every = (after / 2).max(Duration::from_millis(500));
    let mut fixes = vec![FixLine {
        text: advice::heartbeat_every(every),
        verified_by: Some(layers::HEARTBEAT_VERIFIED),
    }];
    for l in &layers {
        if let Some(idle) = &l.idle {
            fixes.extend(offer(&idle.advice));
        }
    }
    Some(IdleCut {
        after,
        who,
        fixes,
        layers,
    })
}
