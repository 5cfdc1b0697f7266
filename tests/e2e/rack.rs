//! `sse doctor` against Rack 2.2 (Debian's ruby-rack) on Puma (Debian's puma) with
//! Rack::ETag in front of a body that yields one event a second
//! (fixtures/rack/config.ru). Rack 2.2's Rack::ETag hashes the whole body unless the
//! response has an ETag or a Last-Modified header; since 2.2.0 `Cache-Control: no-cache`
//! no longer makes it skip (lib/rack/etag.rb, `skip_caching?`).

use std::process::Command;

use crate::real::*;
use crate::support::*;

const INSTALL: &str = "apt-get install -y ruby-rack puma";

/// Puma serving fixtures/rack/config.ru on a free loopback port.
fn puma() -> Option<Listening> {
    puma_serving("rack", INSTALL)
}

/// Puma serving fixtures/`app`/config.ru on a free loopback port, with Rack 2.2.
fn puma_serving(app: &str, install: &str) -> Option<Listening> {
    let puma = require_program(&["puma"], install)?;
    let ruby = require_program(&["ruby"], install)?;
    // These tests are about Rack 2.2's Rack::ETag; Rack 3 behaves otherwise.
    let rack = Command::new(ruby)
        .args(["-e", "require 'rack'; print Rack.release"])
        .output()
        .unwrap();
    let version = String::from_utf8_lossy(&rack.stdout);
    if !version.starts_with("2.2.") {
        missing(&format!("Rack 2.2 is needed, found {version:?}"), install);
        return None;
    }
    let dir = fixture(app);
    let mut cmd = Command::new(puma);
    cmd.current_dir(&dir)
        .args(["--bind", "tcp://127.0.0.1:0", "--environment", "test"])
        .arg(dir.join("config.ru"));
    Some(start_printing_url("puma", cmd))
}

/// Rack::ETag held the stream (all four events came late) and doctor names it, with the
/// fix seen to work on Rack 2.2 (`rack_etag_leaves_a_stream_with_last_modified_alone`),
/// not the no-cache that does not.
fn assert_etag_named_with_the_fix_that_works(report: &Report) {
    report.assert_fail_naming("Rack::ETag", "Last-Modified", 4);
    assert!(!report.fail_fixes().contains("no-cache"), "{report}");
}

#[test]
fn rack_etag_holds_the_stream_and_doctor_names_it_with_a_fix_that_works_on_2_2() {
    let Some(puma) = puma() else { return };
    let report = doctor(&puma.url("/etag"), "8s");
    assert_etag_named_with_the_fix_that_works(&report);
}

#[test]
fn rack_etag_with_cache_control_no_cache_still_holds_the_stream_on_2_2() {
    let Some(puma) = puma() else { return };
    let report = doctor(&puma.url("/no-cache"), "8s");
    // The response already has no-cache: recommending it again would be advice that
    // has just been seen not to work.
    assert_etag_named_with_the_fix_that_works(&report);
}

#[test]
fn rack_etag_leaves_a_stream_with_last_modified_alone() {
    let Some(puma) = puma() else { return };
    let report = doctor(&puma.url("/last-modified"), "8s");
    report.assert_no_fail_with(4);
}

#[test]
fn rack_stream_without_the_etag_middleware_passes() {
    let Some(puma) = puma() else { return };
    let report = doctor(&puma.url("/plain"), "8s");
    report.assert_no_fail_with(4);
}

/// The same app (`/plain`, no Rack::ETag) on another Rack server, on a free port:
/// `server args`, with `PORT` in `args` standing for the port. With `hook`, Ruby runs
/// `hook` and then loads the server's script (`ruby -e HOOK SERVER ARGS`).
fn rack_server(
    server: &str,
    ready: Ready,
    hook: Option<&str>,
    install: &str,
    args: &[&str],
) -> Option<Listening> {
    let binary = require_program(&[server], install)?;
    let ruby = match hook {
        Some(_) => Some(require_program(&["ruby"], install)?),
        None => None,
    };
    let dir = fixture("rack");
    Some(start_on_free_port(server, ready, |port| {
        let port = port.to_string();
        let mut cmd = match (&ruby, hook) {
            (Some(ruby), Some(hook)) => {
                let mut cmd = Command::new(ruby);
                cmd.arg("-e").arg(hook).arg(&binary);
                cmd
            }
            _ => Command::new(&binary),
        };
        cmd.current_dir(&dir)
            .args(args.iter().map(|a| if *a == "PORT" { &port } else { *a }));
        cmd
    }))
}

/// Thin prints "Listening on" before it listens, and says nothing after: this says so
/// on stderr once EventMachine.start_server (bind and listen(2)) has returned.
const THIN_LISTENING: &str = "require 'eventmachine'; \
    EM.singleton_class.prepend(Module.new { def start_server(*a, &b); \
    super.tap { $stderr.puts 'sse-test: thin listens' }; end }); load ARGV.shift";

/// Thin (Debian's thin, EventMachine) writes nothing until the body has been iterated to
/// its end: the whole stream arrives at once, with no Content-Length. The fix is a
/// server that streams: the same app on Puma passes (`rack_stream_without_the_etag_middleware_passes`).
#[test]
fn thin_holds_the_whole_body_and_doctor_names_it() {
    let Some(thin) = rack_server(
        "thin",
        (Out::Stderr, "sse-test: thin listens"),
        Some(THIN_LISTENING),
        "apt-get install -y thin",
        &["-a", "127.0.0.1", "-p", "PORT", "-R", "config.ru", "start"],
    ) else {
        return;
    };
    let report = doctor(&thin.url("/plain"), "8s");
    report.assert_fail_naming("Thin", "Puma", 4);
}

/// WEBrick through Rack 2.2's handler (rack/handler/webrick.rb) appends every part of
/// the body to a string and sends it with a Content-Length when it ends.
#[test]
fn webrick_holds_the_whole_body_and_doctor_names_it() {
    let Some(webrick) = rack_server(
        "rackup",
        // Logged after WEBrick's listen(2).
        (Out::Stderr, "WEBrick::HTTPServer#start"),
        None,
        "apt-get install -y ruby-rack ruby-webrick",
        &[
            "-s",
            "webrick",
            "-o",
            "127.0.0.1",
            "-p",
            "PORT",
            "config.ru",
        ],
    ) else {
        return;
    };
    let report = doctor(&webrick.url("/plain"), "8s");
    report.assert_fail_naming("WEBrick", "Puma", 4);
}

const RAILS_INSTALL: &str = "apt-get install -y ruby-rack puma ruby-railties ruby-actionpack";

/// Rails 6.1 (fixtures/rails/config.ru) on Puma, when Rails can be loaded.
fn rails() -> Option<Listening> {
    let ruby = require_program(&["ruby"], RAILS_INSTALL)?;
    let loads = Command::new(ruby)
        .args([
            "-e",
            "require 'action_controller/railtie'; print Rails.version",
        ])
        .output()
        .unwrap();
    if !loads.status.success() {
        missing(
            "Rails (action_controller/railtie) cannot be loaded",
            RAILS_INSTALL,
        );
        return None;
    }
    puma_serving("rails", RAILS_INSTALL)
}

/// The case issue 9 starts from: ActionController::Live already sends
/// `Cache-Control: no-cache`, and Rails' default stack's Rack::ETag (Rack 2.2) still holds
/// the whole stream.
#[test]
fn rails_live_behind_rack_etag_holds_the_stream_and_doctor_gives_the_fix_that_works() {
    let Some(rails) = rails() else { return };
    let report = doctor(&rails.url("/events"), "8s");
    assert_etag_named_with_the_fix_that_works(&report);
}

/// doctor's fix, as it words it: `response.headers['Last-Modified'] = Time.now.httpdate`
/// in the Live action before the first write.
#[test]
fn rails_live_with_last_modified_set_streams_live() {
    let Some(rails) = rails() else { return };
    let report = doctor(&rails.url("/last-modified/events"), "8s");
    report.assert_no_fail_with(4);
}
