//! `sse tail --record`: what it writes, replayed by `sse serve`.

use crate::support::*;

#[test]
fn record_replays_with_the_original_gaps() {
    let original = script("rec-src", "@header X-Accel-Buffering: no\nevent: a\nid: 1\ndata: one\n\n@sleep 300ms\n: ping\n\n@sleep 200ms\nid: 2\ndata: two\ndata: lines\n\n");
    let (_server, url) = serve(&[original.to_str().unwrap()]);
    let recording = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("recorded.txt");
    let out = run_ok(&[
        "tail",
        &url,
        "--no-reconnect",
        "--json",
        "--record",
        recording.to_str().unwrap(),
    ]);
    let first = json_lines(&out);
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(text.contains("@header X-Accel-Buffering: no"), "{text}");
    assert!(text.contains("@sleep"), "{text}");

    // Replay the recording and tail it again: same events, same gaps within 50 ms.
    let (_replay, replay_url) = serve(&[recording.to_str().unwrap()]);
    let out = run_ok(&["tail", &replay_url, "--no-reconnect", "--json"]);
    let second = json_lines(&out);
    assert_eq!(first.len(), 2);
    assert_eq!(second.len(), 2);
    for (a, b) in first.iter().zip(&second) {
        for key in ["event", "data", "id"] {
            assert_eq!(a[key], b[key]);
        }
    }
    let gap = |v: &serde_json::Value| v["gap_ms"].as_f64().unwrap();
    assert!(
        (gap(&first[1]) - gap(&second[1])).abs() < 50.0,
        "{} vs {}",
        gap(&first[1]),
        gap(&second[1])
    );
}

#[test]
fn a_header_with_control_characters_is_dropped_so_the_recording_replays() {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Evil: a\u{9b}31mb\r\nX-Kept: yes\r\n\r\n";
    let server = RawServer::new(
        "/events",
        vec![vec![
            send(head.as_bytes()),
            send(b"data: one\n\n"),
            Step::Close,
        ]],
    );
    let recording =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("recorded-hostile.txt");
    run_ok(&[
        "tail",
        &server.url,
        "--no-reconnect",
        "--record",
        recording.to_str().unwrap(),
    ]);
    server.join();
    let text = std::fs::read_to_string(&recording).unwrap();
    assert!(text.contains("@header X-Kept: yes"), "{text}");
    assert!(!text.contains('\u{9b}'), "{text}");
    assert!(
        text.contains("# not replayed: @header X-Evil: a\\u{9b}31mb"),
        "{text}"
    );

    let (_replay, url) = serve(&[recording.to_str().unwrap()]);
    let out = run_ok(&["tail", &url, "--no-reconnect", "--json"]);
    assert_eq!(data_of(&json_lines(&out)), ["one"]);
}

#[test]
fn the_replay_line_serves_the_recorded_path_for_the_recorded_method() {
    // PUT too: serve answers the stream path whatever the method.
    for (method, prefix) in [("POST", "sse tail -X POST "), ("PUT", "sse tail -X PUT ")] {
        replay_line_works(method, prefix);
    }
}

/// Records a stream opened with `method`, then runs the recording's replay line.
fn replay_line_works(method: &str, prefix: &str) {
    let original = script("rec-chat", "data: {\"delta\":\"hi\"}\n\ndata: [DONE]\n\n");
    let (_server, url) = serve(&[original.to_str().unwrap(), "--path", "/v1/chat"]);
    let recording = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("recorded-chat-{method}.txt"));
    run_ok(&[
        "tail",
        &url,
        "-X",
        method,
        "-d",
        "{}",
        "--json",
        "--record",
        recording.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&recording).unwrap();
    let first = text.lines().next().unwrap();
    let replay = first
        .split_once("replay with: ")
        .unwrap_or_else(|| panic!("no replay line: {first}"))
        .1;
    let (serve_cmd, tail_cmd) = replay.split_once(", then: ").unwrap_or((replay, ""));
    // Run the printed commands (their words need no quoting here), on a free port.
    let serve_args: Vec<&str> = serve_cmd.split(' ').collect();
    assert_eq!(serve_args[..2], ["sse", "serve"], "{first}");
    let (_replay, replay_url) = serve(&serve_args[2..]);
    let port = host_port(&replay_url);
    let tail_args: Vec<String> = tail_cmd
        .split(' ')
        .skip(1)
        .map(|w| w.replace("127.0.0.1:8080", &port))
        .collect();
    assert!(tail_cmd.starts_with(prefix), "{first}");
    let mut args: Vec<&str> = tail_args.iter().map(String::as_str).collect();
    args.extend(["--no-reconnect", "--json"]);
    let out = run_ok(&args);
    assert_eq!(
        data_of(&json_lines(&out)),
        ["{\"delta\":\"hi\"}"],
        "{first}"
    );
}

#[test]
fn recording_onto_an_existing_file_says_it_replaces_it() {
    let original = script("rec-replace-src", "data: one\n\n");
    let (_server, url) = serve(&[original.to_str().unwrap()]);
    let recording =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("recorded-replaced.txt");
    std::fs::write(&recording, "an earlier recording\n").unwrap();
    let out = run_ok(&[
        "tail",
        &url,
        "--no-reconnect",
        "--record",
        recording.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("--record: replacing {}", recording.display())),
        "{stderr}"
    );
    assert!(!std::fs::read_to_string(&recording)
        .unwrap()
        .contains("an earlier recording"));
}
