//! `sse serve` under hostile clients, at CI scale: dozens of legitimate slow streams
//! while garbage, slowloris and vanishing clients hit the server. Every legitimate event
//! arrives, and once the hostile clients are gone (or timed out by the server) its
//! thread count is back where it started.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::{Duration, Instant};

use crate::support::*;

const EVENTS: usize = 8;
const LEGIT: usize = 40;

/// The server's threads, from /proc.
fn threads(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no thread count in {status}"))
}

/// Waits until process `pid` has at most `want` threads, or `bound` has passed, and
/// returns how many it has. Nothing polls on a clock: each round blocks in poll(2) on a
/// pidfd per thread (PIDFD_THREAD, Linux 6.9), readable once that thread has exited.
fn threads_down_to(pid: u32, want: usize, bound: Duration) -> usize {
    // PIDFD_THREAD, not yet named by the libc crate, has the value of O_EXCL.
    const PIDFD_THREAD: libc::c_long = libc::O_EXCL as libc::c_long;
    let deadline = Instant::now() + bound;
    loop {
        let tids: Vec<libc::c_long> = std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        let left = deadline.saturating_duration_since(Instant::now());
        if tids.len() <= want || left.is_zero() {
            return tids.len();
        }
        let mut fds: Vec<libc::pollfd> = Vec::new();
        for tid in tids {
            // SAFETY: pidfd_open takes two integers and returns a new descriptor or -1.
            let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, tid, PIDFD_THREAD) };
            if fd < 0 {
                // Gone since the listing (ESRCH), or a kernel without thread pidfds.
                let err = std::io::Error::last_os_error();
                assert_eq!(err.raw_os_error(), Some(libc::ESRCH), "pidfd_open: {err}");
                continue;
            }
            fds.push(libc::pollfd {
                fd: fd as libc::c_int,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        let ms = libc::c_int::try_from(left.as_millis()).unwrap_or(libc::c_int::MAX);
        // SAFETY: `fds` is a valid array of `fds.len()` pollfd structs.
        unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
        for pollfd in fds {
            // SAFETY: each descriptor was opened above and is closed once.
            unsafe { libc::close(pollfd.fd) };
        }
    }
}

/// A legitimate client: the whole stream, its events' data in order.
fn legit(addr: &str) -> Vec<String> {
    let response = raw_exchange(
        addr,
        b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n",
        LIVE * 3,
    );
    let (head, body) = split(&response);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut data = Vec::new();
    let mut parser = sse::parser::Parser::default();
    parser
        .feed_each(&body, |item| {
            if let sse::parser::Item::Event(e) = item {
                data.push(e.data.to_string());
            }
        })
        .unwrap();
    data
}

/// Bytes no HTTP server should choke on.
const GARBAGE: [&[u8]; 6] = [
    b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03\r\n\r\n",
    b"\0\0\0\0\0\0\0\0\r\n\r\n",
    b"GET /events HTTP/9.9\r\n\r\n",
    b"GET /events HTTP/1.1\r\nBad Header Line\r\n\r\n",
    b"\xff\xfe\xfd GET / \r\n\r\n",
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
];

#[test]
fn legit_streams_survive_garbage_slowloris_and_vanishing_clients() {
    let mut text = String::new();
    for n in 1..=EVENTS {
        text.push_str(&format!("id: {n}\ndata: event {n}\n\n@sleep 60ms\n"));
    }
    let (mut server, url) = serve(&[script("hostile", &text).to_str().unwrap()]);
    let addr = host_port(&url);
    let pid = server.child.id();
    let start = threads(pid);

    let legit_clients: Vec<_> = (0..LEGIT)
        .map(|_| {
            let addr = addr.clone();
            thread::spawn(move || legit(&addr))
        })
        .collect();

    // Slowloris: a head a byte at a time, never finished. Half leave when the legit
    // streams are done; the other half never do, so the server has to time them out.
    // Each trickles at the pace of a wait on its own channel, until its sender goes.
    let (mut leave, mut stay) = (Vec::new(), Vec::new());
    let mut slow = Vec::new();
    for k in 0..10 {
        let addr = addr.clone();
        let (tx, pace) = mpsc::channel::<()>();
        if k % 2 == 0 {
            leave.push(tx)
        } else {
            stay.push(tx)
        }
        slow.push(thread::spawn(move || {
            let mut stream = TcpStream::connect(&addr).unwrap();
            let head = b"GET /events HTTP/1.1\r\nHost: x\r\nX-Slow: ";
            for byte in head.iter().chain(std::iter::repeat(&b'z')) {
                if stream.write_all(&[*byte]).is_err() {
                    return; // the server gave up on us (408, then close)
                }
                let wait = pace.recv_timeout(Duration::from_millis(50));
                if wait != Err(RecvTimeoutError::Timeout) {
                    return;
                }
            }
        }));
    }

    // Garbage, and clients that vanish: at once, mid-head, and mid-stream with a reset
    // (closing with unread data makes the kernel send RST).
    for round in 0..10 {
        let garbage = GARBAGE[round % GARBAGE.len()];
        let answer = raw_exchange(&addr, garbage, LIVE);
        assert!(
            answer.starts_with(b"HTTP/1.1 4") || answer.starts_with(b"HTTP/1.1 5"),
            "{garbage:?} got {:?}",
            String::from_utf8_lossy(&answer)
        );
        drop(TcpStream::connect(&addr).unwrap());
        let mut half = TcpStream::connect(&addr).unwrap();
        half.write_all(b"GET /events HTTP/1.1\r\nHo").unwrap();
        drop(half);
        let mut reset = TcpStream::connect(&addr).unwrap();
        reset
            .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
            .unwrap();
        let mut first = [0u8; 1];
        reset.read_exact(&mut first).unwrap();
        let _ = reset.shutdown(Shutdown::Read);
        drop(reset);
    }

    let want: Vec<String> = (1..=EVENTS).map(|n| format!("event {n}")).collect();
    for client in legit_clients {
        assert_eq!(client.join().unwrap(), want);
    }
    drop(leave);
    // The hostile clients are gone or going; the ones that stay are cut by the server's
    // head timeout (10 s). Wait, within a bound, for the threads to go.
    let now = threads_down_to(pid, start, Duration::from_secs(40));
    assert_eq!(
        now,
        start,
        "threads: {start} at the start, {now} now; stderr:\n{}",
        server.stderr()
    );
    drop(stay);
    for client in slow {
        client.join().unwrap();
    }
    // And it still serves.
    assert_eq!(legit(&addr), want);
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server died"
    );
}
