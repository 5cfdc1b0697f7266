//! The event-stream parser: the same bytes give the same items and the same size-limit
//! outcome however they are cut into reads. The input's first bytes choose the limit
//! and the cuts (`sse::testing::split_case`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (max, cuts, stream) = sse::testing::split_case(data);
    sse::testing::check_splits(stream, &cuts, max);
});
