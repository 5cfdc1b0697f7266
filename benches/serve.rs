//! `sse serve` under many clients, beside the best reference we can write, in the same
//! run: `cargo bench --bench serve` (`-- quick` for one round of each).
//!
//! The reference is an independent, minimal, std-only emitter, run as its own process
//! (this bench binary started with `SSE_BENCH_REFERENCE`), so both servers are measured
//! the same way:
//! - fan-out: it builds the whole response once (head, the script's body as one chunk,
//!   the last chunk) and sends it with one `write_all` per client, on a thread per
//!   client: everything is due at once, so that is all a server has to do;
//! - slow streams: one thread writes the prebuilt event to every (non-blocking) socket
//!   once a second; no thread or buffer per client.
//!
//! Reported: (1) fan-out: N clients each read all 10,000 events of an `--interval 0s`
//! script at once; events/s in total (median of the rounds) and when the first event
//! reached the median client, from the moment all clients set off (median of the rounds); (2) 10,000 slow streams (one event a second,
//! `--loop`): how many are held (each got its first event), the server's RSS and so the
//! memory per idle stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Barrier, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

const EVENT: &str = "data: {\"seq\":1,\"msg\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n\n";
const EVENTS: usize = 10_000;
const SLOW_STREAMS: usize = 10_000;
const HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

fn main() {
    if let Ok(mode) = std::env::var("SSE_BENCH_REFERENCE") {
        return reference(&mode);
    }
    let quick = std::env::args().any(|a| a == "quick");
    let rounds = if quick { 1 } else { 5 };
    // `-- fan-out` skips the slow streams.
    let limit = raise_open_file_limit();
    println!("machine: {}", machine());
    println!("open files: {limit}; event: {} bytes; {EVENTS} events per client; median of {rounds} round(s)", EVENT.len());

    let fast = script("fast", &EVENT.repeat(EVENTS));
    println!();
    println!("fan-out: every client reads all {EVENTS} events of `sse serve --interval 0s`");
    println!(
        "{:>7}  {:>15} {:>15} {:>6}  {:>17} {:>17} {:>6}",
        "clients",
        "sse serve ev/s",
        "reference ev/s",
        "ratio",
        "sse 1st event p50",
        "ref 1st event p50",
        "ratio"
    );
    for n in [100usize, 1000] {
        let mut ours = Vec::new();
        let mut theirs = Vec::new();
        for _ in 0..rounds {
            let server = start_sse(&[&fast, "--interval", "0s"]);
            ours.push(fan_out(server.addr, n));
            drop(server);
            let server = start_reference("fast");
            theirs.push(fan_out(server.addr, n));
        }
        // Each round runs both servers back to back: its ratio is the least disturbed
        // by other load on the machine, so the rounds' ratios are shown too.
        let ratios: Vec<String> = ours
            .iter()
            .zip(&theirs)
            .map(|(o, t)| format!("{:.2}", o.events_per_s / t.events_per_s))
            .collect();
        let firsts: Vec<String> = ours
            .iter()
            .zip(&theirs)
            .map(|(o, t)| format!("{:.2}", o.first_p50 / t.first_p50))
            .collect();
        let (o, t) = (median_run(ours), median_run(theirs));
        println!(
            "{n:>7}  {:>15.0} {:>15.0} {:>5.2}x  {:>14.1} ms {:>14.1} ms {:>5.2}x",
            o.events_per_s,
            t.events_per_s,
            o.events_per_s / t.events_per_s,
            o.first_p50 * 1e3,
            t.first_p50 * 1e3,
            o.first_p50 / t.first_p50
        );
        println!(
            "         rounds: events/s ratio {}; first-event ratio {}",
            ratios.join(" "),
            firsts.join(" ")
        );
    }
    if std::env::args().any(|a| a == "fan-out") {
        return;
    }

    let slow = script("slow", &format!("{EVENT}@sleep 1s\n"));
    println!();
    println!("{SLOW_STREAMS} slow streams (one event a second)");
    println!(
        "{:>10}  {:>6}  {:>11}  {:>11}  {:>15}",
        "server", "held", "idle RSS", "held RSS", "per idle stream"
    );
    for (name, server) in [
        ("sse serve", start_sse(&[&slow, "--loop"])),
        ("reference", start_reference("slow")),
    ] {
        let idle = rss_kib(server.child.id());
        let (held, rss, threads) = hold(&server, SLOW_STREAMS);
        println!(
            "{name:>10}  {held:>6}  {idle:>7} KiB  {rss:>7} KiB  {:>11.1} KiB   ({threads} threads)",
            rss.saturating_sub(idle) as f64 / held.max(1) as f64
        );
    }
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kib| kib / 1024 / 1024);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{cores} cores ({model}), {mem} GiB RAM, Linux {}",
        kernel.trim()
    )
}

fn raise_open_file_limit() -> libc::rlim_t {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid rlimit to fill, then the same back with a raised soft limit.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
            limit.rlim_cur = limit.rlim_max;
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
    limit.rlim_cur
}

fn script(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("sse-bench-{name}.txt"));
    std::fs::write(&path, text).expect("write script");
    path.display().to_string()
}

struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(mut cmd: Command) -> Server {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start a server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let addr = line
        .trim()
        .trim_start_matches("listening on http://")
        .split('/')
        .next()
        .unwrap_or_default()
        .parse()
        .expect("an address");
    Server { child, addr }
}

fn start_sse(args: &[&str]) -> Server {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sse"));
    cmd.arg("serve").args(args).args(["--port", "0"]);
    start(cmd)
}

fn start_reference(mode: &str) -> Server {
    let mut cmd = Command::new(std::env::current_exe().expect("this bench"));
    cmd.env("SSE_BENCH_REFERENCE", mode);
    start(cmd)
}

fn rss_kib(pid: u32) -> u64 {
    status_field(pid, "VmRSS:")
}

fn status_field(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

struct Run {
    events_per_s: f64,
    first_p50: f64,
}

fn median_run(mut runs: Vec<Run>) -> Run {
    runs.sort_by(|a, b| a.events_per_s.total_cmp(&b.events_per_s));
    let mut firsts: Vec<f64> = runs.iter().map(|r| r.first_p50).collect();
    firsts.sort_by(f64::total_cmp);
    Run {
        events_per_s: runs[runs.len() / 2].events_per_s,
        first_p50: firsts[firsts.len() / 2],
    }
}

/// `n` clients connect at once and each reads the whole response; every one must get
/// all events.
fn fan_out(addr: SocketAddr, n: usize) -> Run {
    let barrier = Arc::new(Barrier::new(n + 1));
    let start = Arc::new(OnceLock::new());
    let firsts = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let mut handles = Vec::new();
    for _ in 0..n {
        let (barrier, start, firsts) = (barrier.clone(), start.clone(), firsts.clone());
        handles.push(
            thread::Builder::new()
                .stack_size(128 * 1024)
                .spawn(move || {
                    barrier.wait();
                    let started: Instant = *start.get().expect("set before the barrier");
                    let mut s = TcpStream::connect(addr).expect("connect");
                    s.write_all(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n")
                        .expect("request");
                    let mut buf = vec![0u8; 256 * 1024];
                    let finder = memchr::memmem::Finder::new(b"data:");
                    let mut events = 0;
                    let mut first = None;
                    // An event's "data:" may straddle two reads.
                    let mut carry = Vec::new();
                    loop {
                        let k = s.read(&mut buf).expect("read");
                        if k == 0 {
                            break;
                        }
                        carry.extend_from_slice(&buf[..k]);
                        let seen = finder.find_iter(&carry).count();
                        if seen > 0 && first.is_none() {
                            first = Some(started.elapsed().as_secs_f64());
                        }
                        events += seen;
                        // A kept tail of 4 bytes cannot hold a whole "data:": never counted twice.
                        let keep = carry.len().min(4);
                        carry.drain(..carry.len() - keep);
                    }
                    assert_eq!(events, EVENTS, "a client got {events} events");
                    firsts.lock().expect("lock").push(first.unwrap_or(f64::NAN));
                })
                .expect("client thread"),
        );
    }
    let started = *start.get_or_init(Instant::now);
    barrier.wait();
    for h in handles {
        h.join().expect("a client failed");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let mut firsts = std::mem::take(&mut *firsts.lock().expect("lock"));
    firsts.sort_by(f64::total_cmp);
    Run {
        events_per_s: (n * EVENTS) as f64 / elapsed,
        first_p50: firsts[firsts.len() / 2],
    }
}

/// Opens `n` streams and counts those that got their first event; returns (held, the
/// server's RSS while holding them, its thread count).
fn hold(server: &Server, n: usize) -> (usize, u64, u64) {
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        if let Ok(mut s) = TcpStream::connect_timeout(&server.addr, Duration::from_secs(10)) {
            if s.write_all(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n")
                .is_ok()
            {
                streams.push(s);
            }
        }
    }
    let mut held = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut buf = [0u8; 4096];
    for s in &mut streams {
        let _ = s.set_read_timeout(Some(
            deadline
                .saturating_duration_since(Instant::now())
                .max(Duration::from_millis(10)),
        ));
        let mut got = Vec::new();
        while let Ok(k) = s.read(&mut buf) {
            if k == 0 {
                break;
            }
            got.extend_from_slice(&buf[..k]);
            if memchr::memmem::find(&got, b"data:").is_some() {
                held += 1;
                break;
            }
        }
    }
    let pid = server.child.id();
    (held, rss_kib(pid), status_field(pid, "Threads:"))
}

/// The reference server (this binary with `SSE_BENCH_REFERENCE=fast|slow`).
fn reference(mode: &str) {
    raise_open_file_limit();
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    println!(
        "listening on http://{}/events",
        listener.local_addr().expect("addr")
    );
    let _ = std::io::stdout().flush();
    if mode == "slow" {
        let chunk = format!("{:x}\r\n{EVENT}\r\n", EVENT.len()).into_bytes();
        let clients: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let writer = clients.clone();
        thread::spawn(move || loop {
            writer
                .lock()
                .expect("lock")
                .retain_mut(|s| match s.write(&chunk) {
                    Ok(_) => true,
                    Err(e) => e.kind() == std::io::ErrorKind::WouldBlock,
                });
            thread::sleep(Duration::from_secs(1));
        });
        let mut first = HEAD.as_bytes().to_vec();
        first.extend_from_slice(format!("{:x}\r\n{EVENT}\r\n", EVENT.len()).as_bytes());
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            if s.write_all(&first).is_ok() && s.set_nonblocking(true).is_ok() {
                clients.lock().expect("lock").push(s);
            }
        }
        return;
    }
    let body = EVENT.repeat(EVENTS);
    let mut response = HEAD.as_bytes().to_vec();
    response.extend_from_slice(format!("{:x}\r\n", body.len()).as_bytes());
    response.extend_from_slice(body.as_bytes());
    response.extend_from_slice(b"\r\n0\r\n\r\n");
    let response: Arc<[u8]> = response.into();
    for s in listener.incoming() {
        let Ok(mut s) = s else { continue };
        let response = response.clone();
        let _ = thread::Builder::new().stack_size(64 * 1024).spawn(move || {
            // The request head, then everything at once.
            let mut head = Vec::new();
            let mut buf = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match s.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(k) => head.extend_from_slice(&buf[..k]),
                }
            }
            let _ = s.set_nodelay(true);
            let _ = s.write_all(&response);
        });
    }
}
