//! A closed stdout (`sse tail URL | head`) is a quiet, normal end.

use std::io::{BufRead, BufReader};

use crate::support::*;

#[test]
fn closed_stdout_ends_quietly_with_status_0() {
    let (open, wait) = gate();
    let server = RawServer::new(
        "/e",
        vec![vec![
            send(SSE_HEAD),
            send(b"data: 1\n\n"),
            wait,
            send(b"data: 2\n\ndata: 3\n\n"),
            Step::Close,
        ]],
    );
    let mut cmd = sse();
    cmd.args(["tail", &server.url, "--json"]);
    let (mut tail, stdout) = Spawned::with_raw_stdout(cmd);
    let mut reader = BufReader::new(stdout);
    let mut first = String::new();
    reader.read_line(&mut first).unwrap();
    assert_eq!(json(&first)["data"], "1");
    drop(reader); // like `head -1` exiting
    open.send(()).unwrap();
    let status = tail.wait(LIVE);
    assert_eq!(status.code(), Some(0), "stderr: {}", tail.stderr());
    let stderr = tail.stderr();
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe") && !stderr.contains("sse:"),
        "{stderr}"
    );
    server.join();
}

#[test]
fn head_in_a_real_shell_pipeline() {
    let (_server, url) = serve(&["--loop", "--interval", "0s"]);
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "'{}' tail '{url}' --json | head -3",
            env!("CARGO_BIN_EXE_sse")
        ))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 3);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
        "{stderr}"
    );
}
