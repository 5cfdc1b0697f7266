//! `sse doctor` against Starlette (Debian's python3-starlette 0.26) on uvicorn (Debian's
//! python3-uvicorn), serving fixtures/starlette/app.py: one event a second through
//! Starlette's GZipMiddleware, and the same stream outside it. Before 0.46 the middleware
//! writes each chunk into a GzipFile without flushing it (starlette/middleware/gzip.py),
//! so only the gzip header leaves before the stream ends.

use std::process::Command;

use crate::real::*;
use crate::support::*;

const INSTALL: &str = "apt-get install -y python3-starlette python3-uvicorn";

/// uvicorn serving the fixture app on a free port, when python3 on PATH has Starlette
/// before 0.46 and uvicorn.
fn uvicorn() -> Option<Listening> {
    let python = python(INSTALL)?;
    let probe = Command::new(&python)
        .args([
            "-c",
            "import starlette, uvicorn; print(starlette.__version__)",
        ])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    let before_0_46 = version
        .split('.')
        .map(|part| part.parse::<u32>().unwrap_or(0))
        .take(2)
        .collect::<Vec<_>>()
        .as_slice()
        < [0, 46].as_slice();
    if !probe.status.success() || !before_0_46 {
        missing(
            &format!(
                "python3 with Starlette before 0.46 and uvicorn is needed (Starlette {version:?})"
            ),
            INSTALL,
        );
        return None;
    }
    let dir = fixture("starlette");
    Some(start_on_free_port(
        "uvicorn",
        (Out::Stderr, "Uvicorn running on"),
        |port| {
            let mut cmd = Command::new(&python);
            cmd.current_dir(&dir)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .args(["-m", "uvicorn", "app:app", "--host", "127.0.0.1", "--port"])
                .arg(port.to_string());
            cmd
        },
    ))
}

#[test]
fn starlette_gzip_middleware_holds_a_stream_and_doctor_names_it() {
    let Some(app) = uvicorn() else { return };
    let report = doctor(&app.url("/gzip/events"), "8s");
    report.assert_fail_naming("Starlette", "GZipMiddleware", 4);
}

#[test]
fn starlette_stream_outside_gzip_middleware_passes() {
    let Some(app) = uvicorn() else { return };
    let report = doctor(&app.url("/plain/events"), "8s");
    report.assert_no_fail_with(4);
}

/// `sse check` against a server nobody here wrote: what `sse tail --record` captured of
/// Starlette's stream is a contract the same stream passes, and a contract the stream
/// breaks (a fifth tick it never sends) fails naming the early end.
#[test]
fn a_starlette_stream_recorded_by_tail_passes_sse_check_against_itself() {
    let Some(app) = uvicorn() else { return };
    let url = app.url("/plain/events");
    let dir = temp_dir("starlette-check");
    let recording = dir.join("contract.txt");
    run_ok(&[
        "tail",
        &url,
        "--no-reconnect",
        "-q",
        "--record",
        recording.to_str().unwrap(),
    ]);
    let out = run_ok(&["check", &url, recording.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("✓ event 4 (line "), "{text}");
    assert!(text.contains("PASS: 6 expectations met"), "{text}");
    let more = dir.join("five.txt");
    let five = std::fs::read_to_string(&recording)
        .unwrap()
        .replace("@close", "id: 5\ndata: tick 5\n\n@close");
    std::fs::write(&more, five).unwrap();
    let out = run_exit(&["check", &url, more.to_str().unwrap()], 1);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("\"tick 5\": the stream ended "), "{text}");
}
