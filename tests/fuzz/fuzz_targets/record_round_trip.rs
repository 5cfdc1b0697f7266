//! `sse tail --record` → `sse serve` → parser: every stream the parser accepts replays
//! with the same event type, data and id sequence.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    sse::testing::check_round_trip(data);
});
