//! `sse serve`'s request-head reader: never a panic, and the same request (or refusal)
//! however the head arrives in reads. The input's first bytes choose the cuts as for
//! `parser_splits` (`sse::testing::split_case`); the rest is what the client sent.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (_, cuts, bytes) = sse::testing::split_case(data);
    sse::testing::check_head(bytes, &cuts);
});
