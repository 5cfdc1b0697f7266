//! The JSON stream reader (NDJSON, JSON text sequences, arrays): the same bytes give
//! the same values and the same end however they are cut into reads, and it never
//! panics. The input's first bytes choose the limit and the cuts, the stream's first
//! byte the format (`sse::testing::json_split_case`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (format, max, cuts, stream) = sse::testing::json_split_case(data);
    sse::testing::check_json_splits(format, stream, &cuts, max);
});
