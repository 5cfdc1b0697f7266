//! The two byte classifiers on the hot path of `sse tail`, 16 bytes per instruction with
//! SSE2. SSE2 is part of the x86_64 baseline, so every x86_64 CPU has it and no runtime
//! check is needed. The `unsafe` here is loads from byte arrays whose size is in their
//! type (the crate's other `unsafe` is `sse serve`'s calls into libc, each with its
//! `SAFETY` comment). Other targets use the portable code beside each caller.
#![cfg(target_arch = "x86_64")]

use std::arch::x86_64::{
    __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8, _mm_or_si128,
    _mm_set1_epi8,
};

/// Bit k set when `block[k]` is CR or LF.
#[inline]
pub fn line_ends(block: &[u8; 64]) -> u64 {
    let mut mask = 0u64;
    for (k, lane) in block.chunks_exact(16).enumerate() {
        // SAFETY: SSE2 is in the x86_64 baseline. `lane` is 16 readable bytes
        // (chunks_exact), the size of an __m128i, and loadu needs no alignment.
        let hits = unsafe {
            let v = _mm_loadu_si128(lane.as_ptr().cast::<__m128i>());
            let lf = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8));
            let cr = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\r' as i8));
            _mm_movemask_epi8(_mm_or_si128(lf, cr))
        };
        // movemask gives 16 bits in the low half of an i32.
        mask |= u64::from(hits as u16) << (16 * k);
    }
    mask
}

/// Bit k set when `block[k]` needs escaping in a JSON string: `"`, `\` or a control
/// character (below U+0020).
#[inline]
pub fn json_escapes(block: &[u8; 16]) -> u32 {
    // SAFETY: SSE2 is in the x86_64 baseline. `block` is 16 readable bytes, the size of
    // an __m128i, and loadu needs no alignment.
    let hits = unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
        // Unsigned v < 0x20 exactly when max(v, 0x1f) == 0x1f.
        let low = _mm_set1_epi8(0x1f);
        let control = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
        _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control))
    };
    u32::from(hits as u16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_match_a_byte_by_byte_test() {
        let mut rng = crate::testing::Rng::new(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let mut block = [0u8; 64];
            for b in block.iter_mut() {
                *b = rng.next_u64() as u8;
            }
            let want: u64 = (0..64)
                .filter(|&k| block[k] == b'\n' || block[k] == b'\r')
                .map(|k| 1 << k)
                .sum();
            assert_eq!(line_ends(&block), want);
            let first: &[u8; 16] = block.first_chunk().unwrap();
            let want: u32 = (0..16)
                .filter(|&k| first[k] < 0x20 || first[k] == b'"' || first[k] == b'\\')
                .map(|k| 1 << k)
                .sum();
            assert_eq!(json_escapes(first), want, "{first:?}");
        }
    }
}
