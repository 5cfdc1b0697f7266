//! The LLM mocks in examples/llm, trusted by real clients: the openai and anthropic
//! Python SDKs from PyPI (pinned in fixtures/sdk/requirements.txt, in a venv of their
//! own) stream from `sse serve` playing each script, driven by fixtures/sdk/client.py,
//! and each test asserts what the SDK really makes of it: a whole stream, one cut before
//! its end, an error inside a 200, a 429 with `Retry-After`, through `create(stream=True)`
//! and through the SDK's `stream()` helper. Where the SDK accepts a cut answer without a
//! word, the test also shows that `sse tail` does not.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde_json::Value;

use crate::support::*;

const INSTALL: &str = "/usr/bin/python3 -m venv /opt/sse-sdk && /opt/sse-sdk/bin/pip install -r tests/e2e/fixtures/sdk/requirements.txt && export SSE_SDK_PYTHON=/opt/sse-sdk/bin/python";

/// Where `.ci/run` makes the venv; tried when `SSE_SDK_PYTHON` is not set.
const VENV_PYTHON: &str = "/opt/sse-sdk/bin/python";

/// A Python that imports both SDKs, and their versions for failure messages.
struct Sdk {
    python: PathBuf,
    versions: String,
}

/// `SSE_SDK_PYTHON` when set (it must import both SDKs), else the first of the venv
/// `.ci/run` makes and python3 on PATH that does. Probed once for all tests.
fn sdk() -> Option<&'static Sdk> {
    static FOUND: OnceLock<Option<Sdk>> = OnceLock::new();
    let found = FOUND.get_or_init(|| {
        let probe = |python: &Path| {
            let out = Command::new(python)
                .args([
                    "-c",
                    "import openai, anthropic; print('openai', openai.__version__, 'anthropic', anthropic.__version__)",
                ])
                .output()
                .ok()?;
            out.status.success().then(|| Sdk {
                python: python.to_path_buf(),
                versions: String::from_utf8_lossy(&out.stdout).trim().to_string(),
            })
        };
        match std::env::var_os("SSE_SDK_PYTHON").filter(|p| !p.is_empty()) {
            Some(python) => Some(probe(Path::new(&python)).unwrap_or_else(|| {
                panic!("SSE_SDK_PYTHON={python:?} cannot import openai and anthropic; install: {INSTALL}")
            })),
            None => [PathBuf::from(VENV_PYTHON), PathBuf::from("python3")]
                .iter()
                .find_map(|python| probe(python)),
        }
    });
    if found.is_none() {
        missing(
            "no Python with the openai and anthropic SDKs (SSE_SDK_PYTHON, /opt/sse-sdk, python3)",
            INSTALL,
        );
    }
    found.as_ref()
}

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/llm")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// The API a driver call speaks, and the path its SDK posts to.
#[derive(Clone, Copy)]
enum Api {
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
}

impl Api {
    fn driver_name(self) -> &'static str {
        match self {
            Api::OpenAiChat => "openai-chat",
            Api::OpenAiResponses => "openai-responses",
            Api::Anthropic => "anthropic",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Api::OpenAiChat => "/v1/chat/completions",
            Api::OpenAiResponses => "/v1/responses",
            Api::Anthropic => "/v1/messages",
        }
    }
}

/// What the SDK made of one stream (client.py's JSON line), the server that played it
/// (its stderr log names each request) and the stream's URL.
struct Run {
    answer: Value,
    server: Spawned,
    url: String,
}

impl Run {
    fn str(&self, key: &str) -> Option<&str> {
        self.answer[key].as_str()
    }
}

/// `sse serve SCRIPT --path PATH EXTRA`, and the SDK for `api` streaming one answer from
/// it with `create(stream=True)`, `retries` retries allowed. `None` when no Python has
/// the SDKs (skipped).
fn stream(api: Api, script: &str, extra: &[&str], retries: u32) -> Option<Run> {
    drive(api.driver_name(), api, script, extra, retries)
}

/// The same with the SDK's `stream()` helper, which assembles the answer, and its
/// `get_final_*()` (the last event is then "final").
fn helper(api: Api, script: &str) -> Option<Run> {
    drive(
        &format!("{}-helper", api.driver_name()),
        api,
        script,
        &[],
        0,
    )
}

fn drive(driver_api: &str, api: Api, script: &str, extra: &[&str], retries: u32) -> Option<Run> {
    let sdk = sdk()?;
    let script = example(script);
    let mut args = vec![script.as_str(), "--path", api.path()];
    args.extend_from_slice(extra);
    let (server, url) = serve(&args);
    let base = url.strip_suffix(api.path()).expect("serve prints the path");
    let driver = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/e2e/fixtures/sdk/client.py");
    let mut cmd = Command::new(&sdk.python);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1").arg(&driver).args([
        driver_api,
        base,
        &retries.to_string(),
    ]);
    let out = output_within(&mut cmd, RUN);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "client.py {driver_api} ({}) exited with {}:\n{stdout}\n{stderr}\nserver:\n{}",
        sdk.versions,
        out.status,
        server.stderr()
    );
    let answer = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|e| panic!("client.py printed no JSON line ({e}): {stdout:?}\n{stderr}"));
    Some(Run {
        answer,
        server,
        url,
    })
}

#[test]
fn openai_sdk_reads_a_whole_chat_stream() {
    let Some(run) = stream(Api::OpenAiChat, "openai-done.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("text"), Some("The answer is 42."), "{}", run.answer);
    assert_eq!(run.str("finish"), Some("stop"), "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
    let run = helper(Api::OpenAiChat, "openai-done.txt").unwrap();
    assert_eq!(run.str("text"), Some("The answer is 42."), "{}", run.answer);
    assert_eq!(run.str("last"), Some("final"), "{}", run.answer);
    assert_eq!(run.str("finish"), Some("stop"), "{}", run.answer);
}

#[test]
fn openai_sdk_accepts_a_chat_stream_cut_before_done_and_sse_does_not() {
    // The body ends cleanly (the chunked terminator is sent) but without `[DONE]`: the
    // SDK ends the iteration as if the answer were whole, with no finish reason.
    let Some(run) = stream(Api::OpenAiChat, "openai-cut.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("text"), Some("The answer is"), "{}", run.answer);
    assert_eq!(run.answer["finish"], Value::Null, "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
    let out = run_exit(&["tail", &run.url, "-d", "{}", "--text", "-q"], 1);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "The answer is\n");
    // The stream() helper assembles it into a final completion without a word too.
    let run = helper(Api::OpenAiChat, "openai-cut.txt").unwrap();
    assert_eq!(run.str("text"), Some("The answer is"), "{}", run.answer);
    assert_eq!(run.str("last"), Some("final"), "{}", run.answer);
    assert_eq!(run.answer["finish"], Value::Null, "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
}

#[test]
fn openai_sdk_raises_a_connection_error_when_the_body_is_cut() {
    // --fault close-after drops the connection inside the chunked body: that the SDK sees.
    let Some(run) = stream(
        Api::OpenAiChat,
        "openai-done.txt",
        &["--fault", "close-after=2"],
        0,
    ) else {
        return;
    };
    assert_eq!(
        run.str("error"),
        Some("APIConnectionError"),
        "{}",
        run.answer
    );
    assert_eq!(run.str("module"), Some("openai"), "{}", run.answer);
    assert_eq!(run.str("text"), Some("The answer is 42."), "{}", run.answer);
    assert_eq!(run.answer["finish"], Value::Null, "{}", run.answer);
}

#[test]
fn openai_sdk_raises_the_error_chunk_inside_a_200() {
    let Some(run) = stream(Api::OpenAiChat, "openai-error-midstream.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("error"), Some("APIError"), "{}", run.answer);
    assert_eq!(
        run.str("message"),
        Some("The server had an error while processing your request. Sorry about that!"),
        "{}",
        run.answer
    );
    assert_eq!(run.str("text"), Some("The answer"), "{}", run.answer);
    let by_helper = helper(Api::OpenAiChat, "openai-error-midstream.txt").unwrap();
    assert_eq!(
        by_helper.str("error"),
        Some("APIError"),
        "{}",
        by_helper.answer
    );
    // sse tail says the same, on stderr, exit 1.
    let out = run_exit(&["tail", &run.url, "-d", "{}", "--text", "-q"], 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the stream reported an error: server_error: The server had an error"),
        "{err}"
    );
}

/// A 429 with `Retry-After: 2`: RateLimitError at once without retries; with one retry
/// the SDK asks again, no sooner than Retry-After says, and then raises.
fn assert_rate_limited(api: Api, script: &str, message: &str) {
    let Some(run) = stream(api, script, &[], 0) else {
        return;
    };
    assert_eq!(run.str("error"), Some("RateLimitError"), "{}", run.answer);
    assert_eq!(run.answer["status"], 429, "{}", run.answer);
    let said = run.str("message").unwrap_or_default();
    assert!(said.contains(message), "{}", run.answer);

    let Some(run) = stream(api, script, &[], 1) else {
        return;
    };
    assert_eq!(run.str("error"), Some("RateLimitError"), "{}", run.answer);
    let seconds = run.answer["seconds"].as_f64().unwrap();
    assert!(seconds >= 2.0, "retried before Retry-After: {}", run.answer);
    let request = format!("POST {}", api.path());
    run.server.stderr_line_with(&request, LIVE);
    run.server.stderr_line_with(&request, LIVE);
}

#[test]
fn openai_sdk_raises_rate_limit_error_on_a_429_and_honours_retry_after() {
    assert_rate_limited(
        Api::OpenAiChat,
        "openai-429.txt",
        "Rate limit reached for gpt-4o",
    );
}

#[test]
fn openai_sdk_reads_a_whole_responses_stream() {
    let Some(run) = stream(Api::OpenAiResponses, "responses-done.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("text"), Some("The answer is 42."), "{}", run.answer);
    assert_eq!(
        run.str("last"),
        Some("response.completed"),
        "{}",
        run.answer
    );
    assert_eq!(run.str("finish"), Some("completed"), "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
    let out = run_ok(&["tail", &run.url, "-d", "{}", "--text"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "The answer is 42.\n");
    let run = helper(Api::OpenAiResponses, "responses-done.txt").unwrap();
    assert_eq!(run.str("text"), Some("The answer is 42."), "{}", run.answer);
    assert_eq!(run.str("last"), Some("final"), "{}", run.answer);
    assert_eq!(run.str("finish"), Some("completed"), "{}", run.answer);
}

#[test]
fn openai_responses_cut_is_accepted_by_create_and_refused_by_the_stream_helper() {
    let Some(run) = stream(Api::OpenAiResponses, "responses-cut.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("text"), Some("The answer"), "{}", run.answer);
    assert_eq!(
        run.str("last"),
        Some("response.output_text.delta"),
        "{}",
        run.answer
    );
    assert_eq!(run.str("finish"), Some("in_progress"), "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
    let out = run_exit(&["tail", &run.url, "-d", "{}", "--text", "-q"], 1);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "The answer\n");
    // Only this helper checks for the end: get_final_response() raises.
    let run = helper(Api::OpenAiResponses, "responses-cut.txt").unwrap();
    assert_eq!(run.str("error"), Some("RuntimeError"), "{}", run.answer);
    assert_eq!(
        run.str("message"),
        Some("Didn't receive a `response.completed` event."),
        "{}",
        run.answer
    );
}

#[test]
fn anthropic_sdk_reads_a_whole_messages_stream() {
    let Some(run) = stream(Api::Anthropic, "anthropic-done.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("text"), Some("The answer is 42."), "{}", run.answer);
    assert_eq!(run.str("last"), Some("message_stop"), "{}", run.answer);
    assert_eq!(run.str("finish"), Some("end_turn"), "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
    let out = run_ok(&["tail", &run.url, "-d", "{}", "--text"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "The answer is 42.\n");
    let run = helper(Api::Anthropic, "anthropic-done.txt").unwrap();
    assert_eq!(run.str("text"), Some("The answer is 42."), "{}", run.answer);
    assert_eq!(run.str("last"), Some("final"), "{}", run.answer);
    assert_eq!(run.str("finish"), Some("end_turn"), "{}", run.answer);
}

#[test]
fn anthropic_sdk_accepts_a_stream_cut_before_message_stop_and_sse_does_not() {
    let Some(run) = stream(Api::Anthropic, "anthropic-cut.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("text"), Some("The answer"), "{}", run.answer);
    assert_eq!(
        run.str("last"),
        Some("content_block_delta"),
        "{}",
        run.answer
    );
    assert_eq!(run.answer["finish"], Value::Null, "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
    let out = run_exit(&["tail", &run.url, "-d", "{}", "--text", "-q"], 1);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "The answer\n");
    // get_final_message() gives the partial message, its stop_reason null.
    let run = helper(Api::Anthropic, "anthropic-cut.txt").unwrap();
    assert_eq!(run.str("text"), Some("The answer"), "{}", run.answer);
    assert_eq!(run.str("last"), Some("final"), "{}", run.answer);
    assert_eq!(run.answer["finish"], Value::Null, "{}", run.answer);
    assert_eq!(run.answer["error"], Value::Null, "{}", run.answer);
}

#[test]
fn anthropic_sdk_raises_httpx2s_error_when_the_body_is_cut() {
    // Unlike openai's, this SDK lets the HTTP library's exception out unwrapped.
    let Some(run) = stream(
        Api::Anthropic,
        "anthropic-done.txt",
        &["--fault", "close-after=5"],
        0,
    ) else {
        return;
    };
    assert_eq!(
        run.str("error"),
        Some("RemoteProtocolError"),
        "{}",
        run.answer
    );
    assert_eq!(run.str("module"), Some("httpx2"), "{}", run.answer);
    assert_eq!(
        run.str("last"),
        Some("content_block_delta"),
        "{}",
        run.answer
    );
}

#[test]
fn anthropic_sdk_raises_the_overloaded_error_event_inside_a_200() {
    let Some(run) = stream(Api::Anthropic, "anthropic-overloaded.txt", &[], 0) else {
        return;
    };
    assert_eq!(run.str("error"), Some("APIStatusError"), "{}", run.answer);
    assert_eq!(run.answer["status"], 200, "{}", run.answer);
    let said = run.str("message").unwrap_or_default();
    assert!(
        said.contains("overloaded_error") && said.contains("Overloaded"),
        "{}",
        run.answer
    );
    assert_eq!(run.str("text"), Some("Hello"), "{}", run.answer);
    let run = helper(Api::Anthropic, "anthropic-overloaded.txt").unwrap();
    assert_eq!(run.str("error"), Some("APIStatusError"), "{}", run.answer);
}

#[test]
fn anthropic_sdk_raises_rate_limit_error_on_a_429_and_honours_retry_after() {
    assert_rate_limited(
        Api::Anthropic,
        "anthropic-429.txt",
        "'type': 'rate_limit_error'",
    );
}
