//! Parser throughput, in process: `cargo bench --bench parser`.
//!
//! A synthetic stream of ~100-byte events is fed in 64 KiB reads, as `sse tail` does.
//! The reference run in the same process is the floor any line parser pays: finding
//! every line end with memchr over the same bytes. Figures are printed as MB/s,
//! events/s and the ratio to that reference.

use std::hint::black_box;
use std::time::{Duration, Instant};

use sse::output::{printer, Arrival, Look, Mode, Out};
use sse::parser::{Flow, Item, ParseError, Parser};

fn stream(events: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(events * 100);
    for i in 0..events {
        // 100 bytes: "id: N\ndata: {...}\n\n" padded with a JSON string.
        let head = format!("id: {i}\ndata: {{\"seq\":{i},\"msg\":\"");
        let pad = 100 - head.len() - 4;
        out.extend_from_slice(head.as_bytes());
        out.extend(std::iter::repeat_n(b'x', pad));
        out.extend_from_slice(b"\"}\n\n");
    }
    out
}

fn best_of<F: FnMut() -> usize>(runs: usize, mut f: F) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut n = 0;
    for _ in 0..runs {
        let t = Instant::now();
        n = f();
        best = best.min(t.elapsed());
    }
    (best, n)
}

fn main() {
    let events = 1_000_000;
    let bytes = stream(events);
    let mb = bytes.len() as f64 / 1e6;

    let (reference, lines) = best_of(5, || {
        let mut lines = 0;
        for chunk in bytes.chunks(64 * 1024) {
            lines += memchr::memchr2_iter(b'\n', b'\r', black_box(chunk)).count();
        }
        lines
    });
    let (parse, seen) = best_of(5, || {
        let mut parser = Parser::default();
        let mut n = 0usize;
        for chunk in bytes.chunks(64 * 1024) {
            parser
                .feed(black_box(chunk), |item| {
                    if let Item::Event(e) = item {
                        n += e.data.len() & 1 | 1;
                    }
                    Ok::<_, ParseError>(Flow::Continue)
                })
                .expect("valid stream");
        }
        n
    });
    assert_eq!(seen, events);
    // What `sse tail --json` does per read, without the I/O: parse and print NDJSON.
    let (json, printed) = best_of(5, || {
        let mut parser = Parser::default();
        let mut printer = printer(Mode::Json, Look::plain(), None, false);
        let mut out = Out::with_capacity(256 * 1024);
        let mut arrival = Arrival {
            wall: std::time::SystemTime::now(),
            gap: Duration::ZERO,
            connection: 1,
            read: 0,
        };
        let mut printed = 0;
        for chunk in bytes.chunks(64 * 1024) {
            arrival.read += 1;
            parser
                .feed(black_box(chunk), |item| {
                    if let Item::Event(e) = item {
                        printer.event(&mut out, &e, &arrival).expect("in memory");
                    }
                    Ok::<_, ParseError>(Flow::Continue)
                })
                .expect("valid stream");
            printed += black_box(out.buf.as_bytes()).len();
            out.buf.clear();
        }
        printed
    });
    // Worst case for chunking: every read is 7 bytes, so lines always straddle reads.
    let (small, _) = best_of(3, || {
        let mut parser = Parser::default();
        let mut n = 0usize;
        for chunk in bytes[..bytes.len() / 10].chunks(7) {
            parser
                .feed(black_box(chunk), |_| {
                    n += 1;
                    Ok::<_, ParseError>(Flow::Continue)
                })
                .expect("valid stream");
        }
        n
    });

    println!("stream: {events} events, {mb:.0} MB (~100 bytes each), fed in 64 KiB reads");
    println!(
        "reference (memchr line scan): {:>8.0} MB/s  ({lines} line ends)",
        mb / reference.as_secs_f64()
    );
    println!(
        "parser:                       {:>8.0} MB/s  {:>6.1} M events/s  = {:.2}x the reference time",
        mb / parse.as_secs_f64(),
        events as f64 / parse.as_secs_f64() / 1e6,
        parse.as_secs_f64() / reference.as_secs_f64()
    );
    println!(
        "parse + print --json:         {:>8.0} MB/s  {:>6.1} M events/s  = {:.2}x the reference time  ({:.0} MB out)",
        mb / json.as_secs_f64(),
        events as f64 / json.as_secs_f64() / 1e6,
        json.as_secs_f64() / reference.as_secs_f64(),
        printed as f64 / 1e6
    );
    println!(
        "parser, 7-byte reads:         {:>8.0} MB/s",
        mb / 10.0 / small.as_secs_f64()
    );
}
