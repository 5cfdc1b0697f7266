//! MCP's Streamable HTTP against a server nobody here wrote: the official MCP Python SDK
//! from PyPI (`mcp`, pinned in fixtures/mcp/requirements.txt, in the LLM SDKs' venv)
//! serving fixtures/mcp/server.py, stateful with resumable streams, with JSON answers,
//! and stateless. `sse tail` opens both revisions (2025-11-25 with initialize and a
//! session, 2026-07-28 with per-request headers); `sse doctor` names the revision and
//! checks what it requires, passing on the SDK and failing on a mock that ignores
//! sessions (examples/mcp/no-session.txt). And the other way round: the SDK's client
//! trusts the mocks in examples/mcp that `sse serve` plays (fixtures/mcp/client.py).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::*;

const INSTALL: &str = "/usr/bin/python3 -m venv /opt/sse-sdk && /opt/sse-sdk/bin/pip install -r tests/e2e/fixtures/sdk/requirements.txt -r tests/e2e/fixtures/mcp/requirements.txt && export SSE_SDK_PYTHON=/opt/sse-sdk/bin/python";

/// Where `.ci/run` makes the venv; tried when `SSE_SDK_PYTHON` is not set.
const VENV_PYTHON: &str = "/opt/sse-sdk/bin/python";

const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"sse-e2e","version":"1"}}}"#;

/// What `params._meta` of a 2026-07-28 request must hold.
const MODERN_META: &str = r#""io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"sse-e2e","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}"#;

/// A Python that imports the MCP SDK: `SSE_SDK_PYTHON` when set (it must), else the
/// venv `.ci/run` makes, else python3 on PATH. Probed once for all tests.
fn python() -> Option<&'static PathBuf> {
    static FOUND: OnceLock<Option<PathBuf>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let imports = |python: &Path| {
            Command::new(python)
                .args(["-c", "import mcp.server.mcpserver"])
                .output()
                .is_ok_and(|out| out.status.success())
        };
        match std::env::var_os("SSE_SDK_PYTHON").filter(|p| !p.is_empty()) {
            Some(python) => {
                let python = PathBuf::from(python);
                assert!(
                    imports(&python),
                    "SSE_SDK_PYTHON={python:?} cannot import mcp; install: {INSTALL}"
                );
                Some(python)
            }
            None => [PathBuf::from(VENV_PYTHON), PathBuf::from("python3")]
                .into_iter()
                .find(|python| imports(python)),
        }
    });
    if found.is_none() {
        missing(
            "no Python with the MCP SDK (SSE_SDK_PYTHON, /opt/sse-sdk, python3)",
            INSTALL,
        );
    }
    found.as_ref()
}

/// The SDK serving fixtures/mcp/server.py with `flags`, and its endpoint's URL (the
/// server binds a free port itself and prints it once it listens). `None`: skipped.
fn sdk_server(flags: &[&str]) -> Option<(Spawned, String)> {
    let python = python()?;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/fixtures/mcp");
    let mut cmd = Command::new(python);
    cmd.current_dir(&dir)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .arg("server.py")
        .args(flags);
    let server = Spawned::new(cmd);
    let line = server.next_line(LIVE);
    let url = line
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    Some((server, url))
}

/// `sse tail URL --color never ARGS -d BODY`, to its end.
fn tail(url: &str, body: &str, args: &[&str], code: i32) -> (String, String) {
    let mut argv = vec!["tail", url, "--color", "never", "-d", body];
    argv.extend_from_slice(args);
    let out = run_exit(&argv, code);
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The session id `sse tail` says the server assigned.
fn session_in(stderr: &str) -> String {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix("* MCP session "))
        .and_then(|rest| rest.split(':').next())
        .unwrap_or_else(|| panic!("no session line in:\n{stderr}"))
        .to_string()
}

fn tools_call(id: u32, tool: &str, arguments: &str) -> String {
    format!(
        r#"{{"jsonrpc":"2.0","id":{id},"method":"tools/call","params":{{"name":"{tool}","arguments":{arguments}}}}}"#
    )
}

#[test]
fn tail_initializes_then_calls_a_tool_in_the_session_over_sse_answers() {
    let Some((_server, url)) = sdk_server(&[]) else {
        return;
    };
    let (out, err) = tail(&url, INITIALIZE, &[], 0);
    assert!(
        out.contains("priming: a resume point for Last-Event-ID"),
        "{out}"
    );
    assert!(out.contains("result #1 in "), "{out}");
    assert!(out.contains("\"protocolVersion\": \"2025-11-25\""), "{out}");
    let session = session_in(&err);

    // The second request of the session carries its id, or the SDK refuses it.
    let call = tools_call(2, "steps", r#"{"n":2}"#);
    let header = format!("Mcp-Session-Id: {session}");
    let (out, _) = tail(
        &url,
        &call,
        &["-H", &header, "-H", "MCP-Protocol-Version: 2025-11-25"],
        0,
    );
    let lines: Vec<&str> = out.lines().filter(|l| l.contains("  message  ")).collect();
    assert!(lines[0].contains("priming"), "{out}");
    assert!(lines[1].contains("notifications/message"), "{out}");
    assert!(lines[2].contains("notifications/message"), "{out}");
    assert!(lines[3].contains("result #2 in "), "{out}");
    assert!(out.contains("2 steps done"), "{out}");
    let (_, err) = tail(&url, &call, &[], 1);
    assert!(err.contains("400 Bad Request"), "{err}");
    assert!(err.contains("Missing session ID"), "{err}");
}

#[test]
fn tail_shows_a_json_answer_as_one_event() {
    let Some((_server, url)) = sdk_server(&["--json"]) else {
        return;
    };
    let out = run_ok(&["tail", &url, "--json", "-d", INITIALIZE]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let answer: Value = serde_json::from_str(lines[0]["data"].as_str().unwrap()).unwrap();
    assert_eq!(answer["id"], 1);
    assert_eq!(answer["result"]["protocolVersion"], "2025-11-25");
    let session = session_in(&String::from_utf8_lossy(&out.stderr));

    let header = format!("Mcp-Session-Id: {session}");
    let note = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;
    let (_, err) = tail(&url, note, &["-H", &header], 0);
    assert!(err.contains("202 Accepted"), "{err}");
    let (out, _) = tail(
        &url,
        &tools_call(2, "add", r#"{"a":1,"b":2}"#),
        &["-H", &header],
        0,
    );
    assert!(out.contains("result #2 in "), "{out}");
    assert!(
        out.contains("\"structuredContent\": {\"result\": 3}"),
        "{out}"
    );
}

#[test]
fn tail_resumes_a_stream_the_sdk_closes_before_its_answer() {
    let Some((_server, url)) = sdk_server(&[]) else {
        return;
    };
    let (_, err) = tail(&url, INITIALIZE, &[], 0);
    let header = format!("Mcp-Session-Id: {}", session_in(&err));
    // The SDK primes (and so may close) streams only for 2025-11-25 and later.
    let version = "MCP-Protocol-Version: 2025-11-25";
    let (out, err) = tail(
        &url,
        &tools_call(2, "pause", "{}"),
        &["-H", &header, "-H", version],
        0,
    );
    assert!(
        err.contains("resuming with a GET and Last-Event-ID"),
        "{err}"
    );
    assert!(out.contains("result #2 in "), "{out}");
    assert!(out.contains("answered after resumption"), "{out}");
    // Without resumption the answer is lost, and that is a failure.
    let (_, err) = tail(
        &url,
        &tools_call(3, "pause", "{}"),
        &["-H", &header, "-H", version, "--no-reconnect"],
        1,
    );
    assert!(
        err.contains("the stream ended before the answer to request #3"),
        "{err}"
    );
}

#[test]
fn tail_sends_a_modern_requests_headers_which_the_sdk_checks() {
    let Some((_server, url)) = sdk_server(&[]) else {
        return;
    };
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":"p","method":"tools/call","params":{{"name":"steps","arguments":{{"n":2}},"_meta":{{"progressToken":"t",{MODERN_META}}}}}}}"#
    );
    let (out, err) = tail(&url, &body, &[], 0);
    assert!(
        !err.contains("MCP session"),
        "no session in 2026-07-28: {err}"
    );
    let progress = out.matches("notifications/progress").count();
    assert_eq!(progress, 2, "{out}");
    assert!(out.contains("result #\"p\" in "), "{out}");
    // Without the Mcp-Method header the SDK rejects it, as the revision says it must.
    let (_, err) = tail(&url, &body, &["-H", "Mcp-Method:"], 1);
    assert!(
        err.contains("400 Bad Request") && err.contains("-32020"),
        "{err}"
    );
}

/// A session id learned from the answer is sent on the run's own later request: a
/// stream cut after its priming event is resumed with a GET carrying it, the
/// Last-Event-ID and the version the answer negotiated.
#[test]
fn tail_sends_the_session_it_was_given_when_it_resumes() {
    let server = RawServer::new(
        "/mcp",
        vec![
            vec![
                send(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nMcp-Session-Id: s-42\r\n\r\n"),
                send(b"id: 1\ndata:\nretry: 10\n\n"),
                Step::Close,
            ],
            vec![
                send(SSE_HEAD),
                send(b"id: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"protocolVersion\":\"2025-11-25\"}}\n\n"),
                Step::Close,
            ],
        ],
    );
    let (out, _) = tail(&server.url, INITIALIZE, &[], 0);
    assert!(out.contains("result #1 in "), "{out}");
    let requests = server.requests();
    assert!(requests[0].starts_with("POST "), "{requests:?}");
    assert_eq!(server.header(0, "Mcp-Session-Id"), None);
    assert_eq!(
        server.header(0, "Accept").as_deref(),
        Some("application/json, text/event-stream")
    );
    assert!(requests[1].starts_with("GET "), "{requests:?}");
    assert_eq!(server.header(1, "Mcp-Session-Id").as_deref(), Some("s-42"));
    assert_eq!(server.header(1, "Last-Event-ID").as_deref(), Some("1"));
    server.join();
}

/// `sse doctor URL ARGS --json`, exiting with `code`: its report.
fn doctor(url: &str, args: &[&str], code: i32) -> Value {
    let mut argv = vec!["doctor", url, "--json"];
    argv.extend_from_slice(args);
    let out = run_exit(&argv, code);
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Each check's name and status, in order.
fn checks(report: &Value) -> Vec<(String, String)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["check"].as_str().unwrap().to_string(),
                c["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn doctor_names_both_revisions_of_the_sdk_and_its_checks_pass() {
    let Some((_server, url)) = sdk_server(&[]) else {
        return;
    };
    // A JSON-RPC body makes it an MCP endpoint without --mcp.
    let report = doctor(&url, &["-d", INITIALIZE], 0);
    assert_eq!(
        report["revisions"],
        serde_json::json!(["2025-11-25", "2026-07-28"])
    );
    assert!(
        report["session"].as_str().is_some_and(|s| !s.is_empty()),
        "{report}"
    );
    let names: Vec<String> = checks(&report).into_iter().map(|(name, _)| name).collect();
    assert_eq!(
        names,
        [
            "mcp revision",
            "mcp session",
            "mcp session required",
            "mcp unknown session",
            "mcp protocol version",
            "mcp resume",
            "mcp get",
            "mcp headers",
            "mcp stateless"
        ]
    );
    assert!(checks(&report).iter().all(|(_, s)| s == "PASS"), "{report}");
    let resume = &report["checks"][5]["seen"];
    assert!(
        resume.as_str().unwrap().contains("1 answer replayed"),
        "{resume}"
    );
}

#[test]
fn doctor_on_the_stateless_sdk_finds_no_session_and_nothing_to_resume() {
    let Some((_server, url)) = sdk_server(&["--stateless"]) else {
        return;
    };
    let report = doctor(&url, &["--mcp"], 0);
    assert_eq!(report["session"], Value::Null);
    let found = checks(&report);
    assert!(
        !found.iter().any(|(n, _)| n == "mcp unknown session"),
        "{found:?}"
    );
    assert!(
        found.contains(&("mcp resume".into(), "WARN".into())),
        "{found:?}"
    );
    assert!(
        found.contains(&("mcp headers".into(), "PASS".into())),
        "{found:?}"
    );
}

#[test]
fn doctor_fails_a_mock_that_hands_out_a_session_and_never_checks_it() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/mcp/no-session.txt");
    let (_server, url) = serve(&[script.to_str().unwrap(), "--path", "/mcp"]);
    let report = doctor(&url, &["--mcp"], 1);
    assert_eq!(report["revisions"], serde_json::json!(["2025-11-25"]));
    let found = checks(&report);
    for failed in ["mcp session", "mcp unknown session", "mcp protocol version"] {
        assert!(
            found.contains(&(failed.into(), "FAIL".into())),
            "{failed}: {found:?}"
        );
    }
    assert!(
        found.contains(&("mcp session required".into(), "WARN".into())),
        "{found:?}"
    );
    // The same script serves `sse tail`, which shows its answer as JSON-RPC.
    let (out, err) = tail(&url, INITIALIZE, &[], 0);
    assert!(out.contains("result #1 in "), "{out}");
    assert!(err.contains("MCP session mock-session-1"), "{err}");
}

/// What the SDK's client (fixtures/mcp/client.py: `ClientSession.initialize()` over its
/// Streamable HTTP transport) made of `sse serve` playing `example`; the server; its URL.
fn sdk_client_on(example: &str) -> Option<(Value, Spawned, String)> {
    let python = python()?;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = root.join("examples/mcp").join(example);
    let (server, url) = serve(&[script.to_str().unwrap(), "--path", "/mcp"]);
    let mut cmd = Command::new(python);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .arg(root.join("tests/e2e/fixtures/mcp/client.py"))
        .arg(&url);
    let out = output_within(&mut cmd, RUN);
    assert!(out.status.success(), "client.py: {out:?}");
    let line = String::from_utf8(out.stdout).unwrap();
    Some((serde_json::from_str(line.trim()).unwrap(), server, url))
}

#[test]
fn the_sdk_client_opens_a_session_on_the_mcp_mocks() {
    let Some((answer, _server, _)) = sdk_client_on("no-session.txt") else {
        return;
    };
    assert_eq!(answer["protocolVersion"], "2025-11-25", "{answer}");
    assert_eq!(answer["server"], "no-session-mock", "{answer}");
}

#[test]
fn the_sdk_client_resumes_the_mock_that_closes_before_its_answer() {
    let Some((answer, server, url)) = sdk_client_on("initialize-resumed.txt") else {
        return;
    };
    assert_eq!(answer["server"], "resumed-mock", "{answer}");
    // The answer only comes on the resumed stream: the SDK asked for it as the mock says.
    let resumed = server.stderr_line_with("GET /mcp", LIVE);
    assert!(resumed.contains("Last-Event-ID: 1"), "{resumed}");
    // sse tail does the same.
    let (out, err) = tail(&url, INITIALIZE, &[], 0);
    assert!(
        err.contains("resuming with a GET and Last-Event-ID"),
        "{err}"
    );
    assert!(out.contains("result #1 in "), "{out}");
}
