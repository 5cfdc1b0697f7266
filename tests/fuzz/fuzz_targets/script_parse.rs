//! `sse serve`'s script parser: any text is a script or a one-line error, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Scripts are read as UTF-8 text (a file that is not fails before parsing).
    if let Ok(text) = std::str::from_utf8(data) {
        sse::testing::check_script(text);
    }
});
