//! Helpers for end-to-end tests: the real binary, real servers, no sleeps to synchronise.

#![allow(dead_code)]

mod tls;
pub use tls::tls_server;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// Generous bound for anything that should happen "at once".
pub const LIVE: Duration = Duration::from_secs(10);

/// The longest a raw server waits at a [`Step::Wait`] before failing the test: longer
/// than any test holds a gate on purpose.
pub const GATE: Duration = Duration::from_secs(30);

/// The first of `names` found as an executable on PATH, for a test that needs a program
/// from outside the repository (nginx, Chromium, ...). When none is there the test should
/// return at once: `let Some(nginx) = require_program(&["nginx"], "apt-get install -y
/// nginx-light") else { return };`. See [`missing`] for what is printed, or how it fails.
pub fn require_program(names: &[&str], install: &str) -> Option<PathBuf> {
    let found = names.iter().find_map(|name| on_path(name));
    if found.is_none() {
        missing(
            &format!("{} not found on PATH", names.join(" or ")),
            install,
        );
    }
    found
}

/// Reports that something a test needs is missing. On a machine set up for all tests
/// (`SSE_REAL_TESTS=1`, as `.ci/run` sets after installing everything) that fails the
/// test; otherwise it prints one line naming the test, what is missing and the command
/// that installs it, and returns so the test can pass without running.
pub fn missing(what: &str, install: &str) {
    let test = thread::current().name().unwrap_or("a test").to_string();
    if std::env::var_os("SSE_REAL_TESTS").is_some_and(|v| !v.is_empty() && v != "0") {
        panic!("{what} (SSE_REAL_TESTS is set); install: {install}");
    }
    // Straight to the stream: `cargo test` captures `eprintln!` of passing tests, and a
    // skip nobody sees is a test that silently stopped running.
    let line = format!("skipped: {test}: {what}; install: {install}\n");
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// `name` as PATH would resolve it: a path with a slash as given, else the first
/// executable file called `name` in a PATH directory. PATH only, so a test run with a
/// PATH that lacks a program sees the machine as one without it.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let executable = |p: &Path| {
        std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    };
    if name.contains('/') {
        let path = PathBuf::from(name);
        return executable(&path).then_some(path);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .filter(|dir| !dir.as_os_str().is_empty())
        .map(|dir| dir.join(name))
        .find(|p| executable(p))
}

/// The `sse` binary with a clean environment for colour and backtraces.
pub fn sse() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sse"));
    cmd.env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("http_proxy")
        .env_remove("HTTP_PROXY")
        .env_remove("https_proxy")
        .env_remove("HTTPS_PROXY")
        .env_remove("all_proxy")
        .env_remove("ALL_PROXY")
        .env("RUST_BACKTRACE", "0")
        .stdin(Stdio::null());
    cmd
}

/// A running child whose stdout lines (and stderr) are read on threads.
pub struct Spawned {
    pub child: Child,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    stderr_lines: Receiver<String>,
    /// The threads reading the child's output, joined once it has exited.
    readers: Vec<thread::JoinHandle<()>>,
}

/// One of a child's output streams.
#[derive(Clone, Copy, Debug)]
pub enum Out {
    Stdout,
    Stderr,
}

impl Spawned {
    pub fn new(cmd: Command) -> Spawned {
        let (mut spawned, stdout) = Spawned::with_raw_stdout(cmd);
        let (tx, lines) = mpsc::channel();
        spawned
            .readers
            .push(thread::spawn(move || forward(stdout, tx)));
        spawned.lines = lines;
        spawned
    }

    /// A child whose stdout the test reads itself (to close it early).
    pub fn with_raw_stdout(cmd: Command) -> (Spawned, ChildStdout) {
        let mut spawned = Spawned::with_stdout(cmd, Stdio::piped());
        let stdout = spawned.child.stdout.take().expect("stdout is piped");
        (spawned, stdout)
    }

    /// A child whose stdout goes to `stdout` (another process's stdin, a file); only its
    /// stderr is read.
    pub fn with_stdout(mut cmd: Command, stdout: Stdio) -> Spawned {
        let mut child = cmd
            .stdout(stdout)
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sse");
        let (_, lines) = mpsc::channel();
        let stderr = Arc::new(Mutex::new(String::new()));
        let (etx, stderr_lines) = mpsc::channel();
        let err_text = Arc::clone(&stderr);
        let child_stderr = child.stderr.take().expect("stderr is piped");
        let reader = thread::spawn(move || {
            for line in BufReader::new(child_stderr).lines() {
                let Ok(line) = line else { break };
                let mut text = err_text.lock().unwrap();
                text.push_str(&line);
                text.push('\n');
                drop(text);
                let _ = etx.send(line);
            }
        });
        Spawned {
            child,
            lines,
            stderr,
            stderr_lines,
            readers: vec![reader],
        }
    }

    /// The next stdout line, or a failure that shows the child's stderr.
    pub fn next_line(&self, timeout: Duration) -> String {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => line,
            Err(RecvTimeoutError::Timeout) => panic!(
                "no stdout line within {timeout:?}; stderr:\n{}",
                self.stderr()
            ),
            Err(RecvTimeoutError::Disconnected) => {
                panic!("stdout closed; stderr:\n{}", self.stderr())
            }
        }
    }

    /// Waits for a stderr line containing `needle`.
    pub fn stderr_line_with(&self, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr_lines.recv_timeout(left) {
                Ok(line) if line.contains(needle) => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "no stderr line with {needle:?} within {timeout:?}; stderr:\n{}",
                    self.stderr()
                ),
            }
        }
    }

    /// The next line on `on` (stdout or stderr) containing `needle`; Err(Timeout) when
    /// none comes within `timeout`, Err(Disconnected) when the stream ends first (the
    /// child exited), for a caller that retries rather than fails.
    pub fn try_line_with(
        &self,
        on: Out,
        needle: &str,
        timeout: Duration,
    ) -> Result<String, RecvTimeoutError> {
        let lines = match on {
            Out::Stdout => &self.lines,
            Out::Stderr => &self.stderr_lines,
        };
        let deadline = Instant::now() + timeout;
        loop {
            let line = lines.recv_timeout(deadline.saturating_duration_since(Instant::now()))?;
            if line.contains(needle) {
                return Ok(line);
            }
        }
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits for the child to exit, then for its output to be read to the end. A child
    /// still running after `timeout` is killed and the test fails.
    pub fn wait(&mut self, timeout: Duration) -> ExitStatus {
        let Some(status) = wait_within(&mut self.child, timeout) else {
            panic!(
                "still running after {timeout:?}; stderr:\n{}",
                self.stderr()
            );
        };
        // The pipes' write ends closed with the child: the readers are at their end.
        for reader in self.readers.drain(..) {
            reader.join().expect("an output reader panicked");
        }
        status
    }

    /// Waits (within [`LIVE`]) for the child to exit with `code`, showing its stderr if
    /// it does not.
    pub fn assert_exit(&mut self, code: i32) {
        let status = self.wait(LIVE);
        assert_eq!(
            status.code(),
            Some(code),
            "exited with {status}; stderr:\n{}",
            self.stderr()
        );
    }

    /// All remaining stdout lines until the child closes it.
    pub fn rest(&self, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        loop {
            match self
                .lines
                .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            {
                Ok(line) => out.push(line),
                Err(RecvTimeoutError::Disconnected) => return out,
                Err(RecvTimeoutError::Timeout) => panic!(
                    "stdout still open after {timeout:?}; got {out:?}; stderr:\n{}",
                    self.stderr()
                ),
            }
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits for `child` to exit, for at most `timeout`; `None` when it was still running
/// then and a watchdog thread killed it. Nothing polls: this thread blocks until the child
/// exits, the watchdog until the deadline or until told the child is gone.
pub fn wait_within(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    use std::os::unix::process::ExitStatusExt;
    let killed = block_until_exit(child, timeout);
    let status = child.wait().expect("wait for a child");
    // Killed at the deadline and dead of that SIGKILL: it had not finished by itself.
    (!killed || status.signal() != Some(libc::SIGKILL)).then_some(status)
}

/// Like [`wait_within`], and the peak resident memory of the child in KiB (the
/// `ru_maxrss` that wait4 reports for it). It takes the child: reaped by wait4, it is one
/// `Child` must not wait for or kill again.
pub fn wait_with_peak_kib(child: Child, timeout: Duration) -> (Option<ExitStatus>, u64) {
    use std::os::unix::process::ExitStatusExt;
    let killed = block_until_exit(&child, timeout);
    let mut raw = 0;
    // SAFETY: rusage is plain integers, for which all zeros is a value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = child.id() as libc::pid_t;
    // SAFETY: wait4 writes only to the two out-parameters, both valid for writing.
    let reaped = unsafe { libc::wait4(pid, &mut raw, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let status = ExitStatus::from_raw(raw);
    let peak = u64::try_from(usage.ru_maxrss).unwrap_or(0);
    let finished = !killed || status.signal() != Some(libc::SIGKILL);
    (finished.then_some(status), peak)
}

/// Blocks until `child` has exited, leaving it unreaped (waitid with WNOWAIT); a watchdog
/// thread sends it SIGKILL if `timeout` passes first. True when the watchdog fired.
/// Unreaped, the child keeps its pid until the caller reaps it, so the watchdog can never
/// signal another process that was given the same pid.
fn block_until_exit(child: &Child, timeout: Duration) -> bool {
    let pid = child.id();
    let (gone, watch) = mpsc::channel::<()>();
    let watchdog = thread::spawn(move || {
        let fired = watch.recv_timeout(timeout) == Err(RecvTimeoutError::Timeout);
        if fired {
            // SAFETY: kill touches no memory; the pid is still this process's child.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
        }
        fired
    });
    loop {
        // SAFETY: siginfo_t is plain data, for which all zeros is a value.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let flags = libc::WEXITED | libc::WNOWAIT;
        // SAFETY: waitid writes only to `info`, valid for writing.
        if unsafe { libc::waitid(libc::P_PID, pid, &mut info, flags) } == 0 {
            break;
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => {}
            // Reaped already (a `try_wait` saw it end): its status is in the `Child`.
            Some(libc::ECHILD) => break,
            _ => panic!("waitid({pid}): {}", std::io::Error::last_os_error()),
        }
    }
    drop(gone);
    watchdog.join().expect("the watchdog thread panicked")
}

fn forward(stdout: impl Read, tx: Sender<String>) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { break };
        if tx.send(line).is_err() {
            break;
        }
    }
}

/// `sse serve --port 0 ARGS`, with its URL read back from stdout.
pub fn serve(args: &[&str]) -> (Spawned, String) {
    let mut cmd = sse();
    cmd.args(["serve", "--port", "0"]).args(args);
    let server = Spawned::new(cmd);
    let line = server.next_line(LIVE);
    let url = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    (server, url)
}

/// Writes a script to a temporary file named for the test.
pub fn script(name: &str, text: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("scripts");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.txt"));
    std::fs::write(&path, text).unwrap();
    path
}

/// A loopback port where a connection is refused, held for as long as this lives: a TCP
/// socket bound to it that never listens, so the kernel answers a SYN with a reset. It
/// is bound without SO_REUSEADDR, so nothing else can bind the port meanwhile (binding
/// a listener on port 0 and dropping it frees the port for anyone, such as another
/// test's server, before the test uses it).
pub struct RefusedPort {
    /// Held, never read: closing it frees the port.
    _socket: std::os::fd::OwnedFd,
    pub port: u16,
}

impl RefusedPort {
    pub fn new() -> RefusedPort {
        use std::os::fd::FromRawFd;
        // SAFETY: plain system calls on a descriptor this function owns; the address
        // structs are valid for the lengths given.
        unsafe {
            let raw = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(raw >= 0, "socket: {}", std::io::Error::last_os_error());
            let fd = std::os::fd::OwnedFd::from_raw_fd(raw);
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let at = &mut addr as *mut libc::sockaddr_in as *mut libc::sockaddr;
            assert_eq!(
                libc::bind(raw, at, len),
                0,
                "bind: {}",
                std::io::Error::last_os_error()
            );
            let mut got = len;
            assert_eq!(libc::getsockname(raw, at, &mut got), 0);
            RefusedPort {
                _socket: fd,
                port: u16::from_be(addr.sin_port),
            }
        }
    }
}

impl Default for RefusedPort {
    fn default() -> RefusedPort {
        RefusedPort::new()
    }
}

/// One step of a raw server's answer to one connection.
pub enum Step {
    Send(Vec<u8>),
    /// Wait until the test says so (lock-step with what the client printed): it sends on
    /// the gate's Sender, or drops it. A gate still shut after [`GATE`] fails the test.
    Wait(Receiver<()>),
    /// Read and keep one more request on this connection (after answering a CONNECT,
    /// the request sent through the tunnel).
    Read,
    /// Close the connection now.
    Close,
}

pub fn send(bytes: &[u8]) -> Step {
    Step::Send(bytes.to_vec())
}

pub const SSE_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n";

/// One request a raw server received: the head as text and the body it announced.
#[derive(Clone, Debug)]
pub struct Request {
    pub head: String,
    pub body: Vec<u8>,
}

/// A TcpListener that answers each connection with the next list of steps, exactly,
/// and keeps the requests it received. Like xh's test server it fails the test when
/// dropped if its thread panicked, if it was never hit, or if fewer connections came
/// than it was given answers for.
pub struct RawServer {
    pub url: String,
    pub port: u16,
    requests: Arc<Mutex<Vec<Request>>>,
    planned: usize,
    accepted: Arc<Mutex<usize>>,
    panicked: Arc<std::sync::atomic::AtomicBool>,
    handle: Option<thread::JoinHandle<()>>,
    expect_hit: bool,
}

/// Sets its flag when dropped by a panicking thread.
struct PanicFlag(Arc<std::sync::atomic::AtomicBool>);

impl Drop for PanicFlag {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
}

impl RawServer {
    pub fn new(path: &str, connections: Vec<Vec<Step>>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let accepted = Arc::new(Mutex::new(0));
        let panicked = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let planned = connections.len();
        let (seen, count, flag) = (
            Arc::clone(&requests),
            Arc::clone(&accepted),
            Arc::clone(&panicked),
        );
        let handle = thread::spawn(move || {
            for steps in connections {
                let Ok((mut stream, _)) = listener.accept() else {
                    return;
                };
                // Dropped before the stream: a panic is flagged before the client sees
                // the connection close, so the test cannot pass in between.
                let _flag = PanicFlag(Arc::clone(&flag));
                *count.lock().unwrap() += 1;
                let first = read_request(&mut stream);
                seen.lock().unwrap().push(first);
                for step in steps {
                    match step {
                        Step::Send(bytes) => {
                            if stream.write_all(&bytes).is_err() {
                                break;
                            }
                            let _ = stream.flush();
                        }
                        Step::Wait(rx) => match rx.recv_timeout(GATE) {
                            Ok(()) | Err(RecvTimeoutError::Disconnected) => {}
                            // Carrying on would let a test pass that never opened its
                            // gate, only 30 s slower: fail it instead (join and drop
                            // see the flag).
                            Err(RecvTimeoutError::Timeout) => panic!(
                                "a raw server's gate was still shut after {GATE:?}: the \
                                 test never opened it (send on its Sender, or drop it)"
                            ),
                        },
                        Step::Read => {
                            let next = read_request(&mut stream);
                            seen.lock().unwrap().push(next);
                        }
                        Step::Close => break,
                    }
                }
                let _ = stream.shutdown(std::net::Shutdown::Both);
            }
        });
        RawServer {
            url: format!("http://127.0.0.1:{port}{path}"),
            port,
            requests,
            planned,
            accepted,
            panicked,
            handle: Some(handle),
            expect_hit: true,
        }
    }

    /// The request heads so far, one string each.
    pub fn requests(&self) -> Vec<String> {
        self.requests
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.head.clone())
            .collect()
    }

    /// The body of the Nth request (0-based).
    pub fn body(&self, n: usize) -> Vec<u8> {
        self.requests.lock().unwrap()[n].body.clone()
    }

    /// The value of a header in the Nth request (0-based), case-insensitive.
    pub fn header(&self, n: usize, name: &str) -> Option<String> {
        let requests = self.requests();
        header_in(requests.get(n)?, name)
    }

    /// Waits for the server to have answered every connection it was given.
    pub fn join(mut self) {
        if let Some(h) = self.handle.take() {
            if h.join().is_err() {
                panic!("the raw server's thread panicked (its message is above)");
            }
        }
    }

    /// For a server the test expects no client to reach.
    pub fn unused(mut self) {
        self.expect_hit = false;
        self.planned = 0;
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        if thread::panicking() {
            return;
        }
        assert!(
            !self.panicked.load(std::sync::atomic::Ordering::SeqCst),
            "the raw server's thread panicked (its message is above)"
        );
        if self.expect_hit {
            assert!(
                !self.requests.lock().unwrap().is_empty(),
                "the raw server was never hit"
            );
        }
        let accepted = *self.accepted.lock().unwrap();
        assert!(
            accepted >= self.planned,
            "the raw server was given answers for {} connections but only {accepted} came",
            self.planned
        );
    }
}

/// The value of header `name` in a request or response head, case-insensitive.
pub fn header_in(head: &str, name: &str) -> Option<String> {
    head.lines().skip(1).find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_string())
    })
}

/// Reads one request: the head up to the blank line, then as many body bytes as its
/// Content-Length announces (a test body: at most 1 MiB).
fn read_request(stream: &mut TcpStream) -> Request {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    // A byte at a time, so nothing after this request's head is taken from the stream.
    while !buf.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => break,
            Ok(_) => buf.push(byte[0]),
        }
    }
    let head = String::from_utf8_lossy(&buf).into_owned();
    let length = header_in(&head, "Content-Length")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0)
        .min(1 << 20);
    let mut body = vec![0; length];
    let read = read_full(stream, &mut body);
    body.truncate(read);
    Request { head, body }
}

fn read_full(stream: &mut TcpStream, buf: &mut [u8]) -> usize {
    let mut filled = 0;
    while filled < buf.len() {
        match stream.read(&mut buf[filled..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => filled += n,
        }
    }
    filled
}

/// A lock-step gate: the server waits on the receiver; the test opens it.
pub fn gate() -> (Sender<()>, Step) {
    let (tx, rx) = mpsc::channel();
    (tx, Step::Wait(rx))
}

/// A chunked body piece.
pub fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

/// Reads a whole raw HTTP exchange against `addr`: sends `request`, returns all bytes
/// until close (or `timeout`).
pub fn raw_exchange(addr: &str, request: &[u8], timeout: Duration) -> Vec<u8> {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    out
}

/// Splits a raw response into head and (de-chunked when chunked) body.
pub fn split(response: &[u8]) -> (String, Vec<u8>) {
    let end = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8_lossy(&response[..end]).into_owned();
    let mut body = response[end + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    (head, body)
}

pub fn dechunk(mut raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = raw.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&raw[..eol]).unwrap().trim(), 16).unwrap();
        if size == 0 {
            break;
        }
        out.extend_from_slice(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
    out
}

/// `http://127.0.0.1:PORT/events` → `127.0.0.1:PORT`.
pub fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

/// Parses one `--json` line, checking the contract keys are there.
pub fn json(line: &str) -> serde_json::Value {
    let v: serde_json::Value =
        serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line:?}"));
    for key in ["event", "data", "id"] {
        assert!(
            v.get(key).is_some_and(|k| k.is_string()),
            "{key} missing in {line}"
        );
    }
    v
}

/// Every stdout line of a finished `--json` run, parsed and checked.
pub fn json_lines(out: &std::process::Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(json)
        .collect()
}

/// The `data` of each `--json` line.
pub fn data_of(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|v| v["data"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// Checks how a finished `sse` exited, showing its stderr and stdout if not as expected.
pub fn assert_exit(out: &std::process::Output, code: i32) {
    assert!(
        out.status.code() == Some(code),
        "expected exit code {code}, got {}\n{}",
        out.status,
        evidence(out)
    );
}

/// The most a command run to its end may take: past it the child is killed and the test
/// fails, rather than hanging the run (a tail that reconnects when it should not).
pub const RUN: Duration = Duration::from_secs(60);

/// `cmd.output()`, bounded: a child still running after `timeout` is killed (by
/// [`wait_within`]'s watchdog) and the test fails with what it printed.
pub fn output_within(cmd: &mut Command, timeout: Duration) -> std::process::Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let status = wait_within(&mut child, timeout);
    let out = std::process::Output {
        status: status.unwrap_or_else(|| child.wait().unwrap()),
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    };
    assert!(
        status.is_some(),
        "{:?} still running after {timeout:?}\n{}",
        cmd.get_args().collect::<Vec<_>>(),
        evidence(&out)
    );
    out
}

/// Runs `sse ARGS` to the end (within [`RUN`]) and checks it succeeded, showing its
/// output if not.
pub fn run_ok(args: &[&str]) -> std::process::Output {
    let out = output_within(sse().args(args), RUN);
    assert!(
        out.status.success(),
        "sse {args:?} exited with {}\n{}",
        out.status,
        evidence(&out)
    );
    out
}

/// `sse tail -k URL --no-reconnect` to the end: the line it said the stream ended with
/// (`* stream reset by the server after 2.0 s: INTERNAL_ERROR`), and all of stderr.
pub fn tail_end(url: &str) -> (String, String) {
    let out = run_ok(&["tail", "-k", url, "--no-reconnect"]);
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    let last = err
        .lines()
        .rfind(|l| l.starts_with("* "))
        .unwrap_or("")
        .to_string();
    (last, err)
}

/// Runs `sse ARGS` to the end (within [`RUN`]) and checks it exited with `code`, showing
/// its output if not.
pub fn run_exit(args: &[&str], code: i32) -> std::process::Output {
    let out = output_within(sse().args(args), RUN);
    assert_exit(&out, code);
    out
}

/// A finished command's stderr and (the end of) its stdout, for a failure message.
fn evidence(out: &std::process::Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tail = stdout
        .char_indices()
        .nth_back(4000)
        .map_or(&stdout[..], |(i, _)| &stdout[i..]);
    format!(
        "stderr:\n{}\nstdout{}:\n{tail}",
        String::from_utf8_lossy(&out.stderr),
        if tail.len() < stdout.len() {
            " (its end)"
        } else {
            ""
        }
    )
}

/// Runs `cmd` with `input` on its stdin, to the end. The input is written on its own
/// thread, so a child that prints as it reads never blocks on a full stdout pipe.
pub fn run_with_stdin(mut cmd: Command, input: Vec<u8>) -> std::process::Output {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // sse may stop reading before the end (that is the point of -n): ignore EPIPE.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// A command whose stdout is a pseudo-terminal (stderr piped, so no status line), read
/// as it writes; it can be resized between reads as a window is.
pub struct Terminal {
    child: Child,
    master: std::os::fd::OwnedFd,
    screen: Receiver<Vec<u8>>,
    /// What arrived so far, CR LF made LF.
    pub text: String,
}

impl Terminal {
    /// Starts `cmd` on a terminal `cols` columns wide.
    pub fn start(mut cmd: Command, cols: u16) -> Terminal {
        use std::os::fd::{FromRawFd, OwnedFd};
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes two descriptors into the ints it is given; the winsize
        // struct is valid for the call.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &winsize(cols),
            )
        };
        assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
        // SAFETY: both descriptors were just opened by openpty and are owned here alone.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        cmd.stdout(Stdio::from(slave)).stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        // The parent's copy of the slave side goes with the command: the child holds the last.
        drop(cmd);
        let mut reader = std::fs::File::from(master.try_clone().unwrap());
        let (tx, screen) = mpsc::channel();
        thread::spawn(move || {
            let mut buf = [0; 4096];
            // Ends with EIO once the child, the slave's last holder, has exited.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                if tx.send(buf[..n].to_vec()).is_err() {
                    break;
                }
            }
        });
        Terminal {
            child,
            master,
            screen,
            text: String::new(),
        }
    }

    fn take(&mut self, bytes: &[u8]) {
        self.text
            .push_str(&String::from_utf8_lossy(bytes).replace("\r\n", "\n"));
    }

    /// Waits (within [`LIVE`]) until the screen holds `needle`.
    pub fn wait_for(&mut self, needle: &str) {
        let deadline = Instant::now() + LIVE;
        while !self.text.contains(needle) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.screen.recv_timeout(left) {
                Ok(bytes) => self.take(&bytes),
                Err(_) => panic!("{needle:?} did not show; the screen:\n{}", self.text),
            }
        }
    }

    /// The window is now `cols` columns wide.
    pub fn resize(&self, cols: u16) {
        use std::os::fd::AsRawFd;
        // SAFETY: TIOCSWINSZ reads a valid winsize struct; the descriptor is open.
        let rc = unsafe { libc::ioctl(self.master.as_raw_fd(), libc::TIOCSWINSZ, &winsize(cols)) };
        assert_eq!(rc, 0, "TIOCSWINSZ: {}", std::io::Error::last_os_error());
    }

    /// Waits (within [`RUN`]) for the command to exit; its status and the whole screen.
    pub fn finish(mut self) -> (ExitStatus, String) {
        let status = wait_within(&mut self.child, RUN).expect("the command did not exit");
        while let Ok(bytes) = self.screen.recv_timeout(LIVE) {
            self.take(&bytes);
        }
        (status, self.text)
    }
}

fn winsize(cols: u16) -> libc::winsize {
    libc::winsize {
        ws_row: 40,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    }
}
