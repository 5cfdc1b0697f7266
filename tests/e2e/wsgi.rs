//! `sse doctor` against Python WSGI stacks from Debian 12, on gunicorn 20.1
//! (python3-gunicorn): Flask 2.2 with Flask-Compress 1.4 (python3-flask-compress) and
//! Django 3.2 with its GZipMiddleware (python3-django), each streaming one event a second
//! (fixtures/wsgi). Flask-Compress 1.4 compresses only COMPRESS_MIMETYPES, and to do so
//! reads the whole body (`response.get_data()`); Django 3.2's GZipMiddleware compresses a
//! StreamingHttpResponse without flushing between chunks (django/utils/text.py
//! `compress_sequence`) and skips responses that already have a Content-Encoding.

use std::process::Command;

use crate::real::*;
use crate::support::*;

const INSTALL: &str =
    "apt-get install -y python3-flask python3-flask-compress python3-django python3-gunicorn";

/// gunicorn serving `app` (module:variable) from fixtures/wsgi on a free port, when
/// python3 on PATH has Flask, Flask-Compress, Django before 5 and gunicorn.
fn gunicorn(app: &str) -> Option<Listening> {
    let python = python(INSTALL)?;
    let probe = Command::new(&python)
        .args([
            "-c",
            "import flask, flask_compress, gunicorn, django; print(django.VERSION[0])",
        ])
        .output()
        .unwrap();
    let django_major = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    // What these tests saw is Django 3.2's GZipMiddleware; later ones flush each chunk.
    if !probe.status.success() || django_major.parse::<u32>().map_or(true, |m| m >= 5) {
        missing(
            &format!("python3 with Flask, Flask-Compress, gunicorn and Django before 5 is needed (Django {django_major:?})"),
            INSTALL,
        );
        return None;
    }
    let dir = fixture("wsgi");
    Some(start_on_free_port(
        "gunicorn",
        (Out::Stderr, "Listening at:"),
        |port| {
            let mut cmd = Command::new(&python);
            cmd.current_dir(&dir)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .args(["-m", "gunicorn", "--bind"])
                .arg(format!("127.0.0.1:{port}"))
                .arg(app);
            cmd
        },
    ))
}

/// doctor's report on `path` of gunicorn serving `app`, watched for 8 s.
fn watch(app: &str, path: &str) -> Option<Report> {
    let app = gunicorn(app)?;
    Some(doctor(&app.url(path), "8s"))
}

#[test]
fn flask_compress_leaves_an_event_stream_alone_by_default() {
    let Some(report) = watch("flask_app:default", "/events") else {
        return;
    };
    report.assert_no_fail_with(4);
}

#[test]
fn flask_compress_with_event_stream_in_its_mimetypes_holds_the_whole_body() {
    let Some(report) = watch("flask_app:listed", "/events") else {
        return;
    };
    report.assert_fail_naming("Flask-Compress", "COMPRESS_MIMETYPES", 4);
}

#[test]
fn django_gzip_middleware_holds_a_streaming_response() {
    let Some(report) = watch("django_app:application", "/events") else {
        return;
    };
    report.assert_fail_naming("Django", "response['Content-Encoding'] = 'identity'", 4);
}

#[test]
fn django_streaming_response_with_content_encoding_identity_passes() {
    let Some(report) = watch("django_app:application", "/identity/events") else {
        return;
    };
    report.assert_no_fail_with(4);
}

/// `Content-Encoding: identity` is no encoding at all (RFC 9110 8.4.1): nothing to warn
/// about, least of all with the fix that put it there.
#[test]
fn content_encoding_identity_is_not_compression() {
    let Some(report) = watch("django_app:application", "/identity/events") else {
        return;
    };
    assert_eq!(report.status("content-encoding"), "PASS", "{report}");
}
