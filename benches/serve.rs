//! `sse serve` under many clients: `cargo bench --bench serve` (`-- quick` for a short run).
//!
//! For 100, 1,000 and 4,000 concurrent readers it reports (1) events/s delivered in
//! total with `--loop --interval 0s` (throughput), beside a minimal reference emitter in
//! this process (a thread per connection writing the same chunked event in a loop), as
//! a ratio; and (2) the server's RSS while holding that many slow streams (one event a
//! second), and so the memory per idle stream.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

const EVENT: &str = "data: {\"seq\":1,\"msg\":\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}\n\n";

fn script(name: &str, text: &str) -> String {
    let path = std::env::temp_dir().join(format!("sse-bench-{name}.txt"));
    std::fs::write(&path, text).expect("write script");
    path.display().to_string()
}

struct Server {
    child: Child,
    addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(args: &[&str]) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sse"))
        .arg("serve")
        .args(args)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sse serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let url = line.trim().trim_start_matches("listening on http://");
    Server {
        addr: url.split('/').next().unwrap_or_default().to_string(),
        child,
    }
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// N readers on `addr` for `time`; returns bytes read in total after a warm-up.
fn readers(addr: &str, n: usize, time: Duration) -> u64 {
    let total = Arc::new(AtomicU64::new(0));
    let counting = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let mut handles = Vec::new();
    for _ in 0..n {
        let (addr, total, counting, stop) = (
            addr.to_string(),
            total.clone(),
            counting.clone(),
            stop.clone(),
        );
        let h = thread::Builder::new().stack_size(64 * 1024).spawn(move || {
            let Ok(mut s) = TcpStream::connect(&addr) else {
                return;
            };
            let _ = s.write_all(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n");
            let _ = s.set_read_timeout(Some(Duration::from_millis(200)));
            let mut buf = vec![0u8; 64 * 1024];
            while !stop.load(Ordering::Relaxed) {
                match s.read(&mut buf) {
                    Ok(0) => break,
                    Ok(k) if counting.load(Ordering::Relaxed) => {
                        total.fetch_add(k as u64, Ordering::Relaxed);
                    }
                    _ => {}
                }
            }
        });
        handles.extend(h.ok());
    }
    thread::sleep(Duration::from_millis(500 + n as u64 / 4));
    counting.store(true, Ordering::SeqCst);
    let t = Instant::now();
    thread::sleep(time);
    counting.store(false, Ordering::SeqCst);
    let elapsed = t.elapsed();
    stop.store(true, Ordering::SeqCst);
    for h in handles {
        let _ = h.join();
    }
    (total.load(Ordering::SeqCst) as f64 / elapsed.as_secs_f64()) as u64
}

/// The reference: a thread per connection writing the same chunked event forever.
fn reference_emitter() -> (String, Arc<AtomicBool>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    thread::spawn(move || {
        let chunk = format!("{:x}\r\n{EVENT}\r\n", EVENT.len());
        for stream in listener.incoming() {
            if flag.load(Ordering::Relaxed) {
                break;
            }
            let Ok(mut s) = stream else { continue };
            let chunk = chunk.clone();
            let _ = thread::Builder::new().stack_size(64 * 1024).spawn(move || {
                let mut head = [0u8; 1024];
                let _ = s.read(&mut head);
                let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
                while s.write_all(chunk.as_bytes()).is_ok() {}
            });
        }
    });
    (addr, stop)
}

fn main() {
    let quick = std::env::args().any(|a| a == "quick");
    let time = Duration::from_secs(if quick { 1 } else { 3 });
    let wire = (format!("{:x}\r\n\r\n", EVENT.len()).len() + EVENT.len()) as f64;
    let fast = script("fast", EVENT);
    let slow = script("slow", &format!("{EVENT}@sleep 1s\n"));
    let (ref_addr, ref_stop) = reference_emitter();
    println!(
        "event: {} bytes ({} on the wire, chunked); {} s per throughput run",
        EVENT.len(),
        wire,
        time.as_secs()
    );
    println!(
        "{:>7}  {:>14}  {:>14}  {:>6}  {:>12}  {:>14}",
        "clients", "sse serve ev/s", "reference ev/s", "ratio", "held RSS", "per idle stream"
    );
    for n in [100usize, 1000, 4000] {
        let server = start(&[&fast, "--loop", "--interval", "0s"]);
        let ours = readers(&server.addr, n, time) as f64 / wire;
        drop(server);
        let reference = readers(&ref_addr, n, time) as f64 / wire;
        let server = start(&[&slow, "--loop"]);
        let idle = rss_kib(server.child.id());
        let stop = Arc::new(AtomicBool::new(false));
        let mut held = Vec::new();
        for _ in 0..n {
            if let Ok(mut s) = TcpStream::connect(&server.addr) {
                let _ = s.write_all(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n");
                held.push(s);
            }
        }
        thread::sleep(Duration::from_millis(1500 + n as u64 / 2));
        let rss = rss_kib(server.child.id());
        stop.store(true, Ordering::SeqCst);
        println!(
            "{n:>7}  {:>14.0}  {:>14.0}  {:>6.2}  {:>9} KiB  {:>10.1} KiB   ({} held)",
            ours,
            reference,
            ours / reference,
            rss,
            (rss.saturating_sub(idle)) as f64 / held.len().max(1) as f64,
            held.len()
        );
        drop(held);
        drop(server);
    }
    ref_stop.store(true, Ordering::SeqCst);
}
