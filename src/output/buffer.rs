//! The bytes printed between two flushes, and the JSON string escaper that writes into it.
//!
//! A printer makes many small writes per event. Into a `Vec` each one is a capacity
//! check and a `memcpy` call; here the storage is initialised once and kept, so the
//! escaper can reserve room for a whole string and then store whole blocks in place,
//! with no call per escaped character. JSON data is full of quotes, so the escaper
//! finds every byte to escape in a 16-byte block at once (SSE2, `crate::simd`) and
//! walks them without reading the block again.

use std::io::{self, Write};

/// Longest run of input escaped after one reservation: the worst case (every byte
/// written as `\u00XX`) reserves six times this, so a huge string never reserves
/// six times its own size.
const ESCAPE_BLOCK: usize = 4096;

#[derive(Debug, Default)]
pub struct Buffer {
    /// Initialised storage; the first `len` bytes are the output.
    bytes: Vec<u8>,
    len: usize,
}

impl Buffer {
    pub fn with_capacity(capacity: usize) -> Self {
        Buffer {
            bytes: vec![0; capacity],
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The next `n` bytes of storage, to be written and then committed with `len += n`.
    #[inline]
    fn room(&mut self, n: usize) -> &mut [u8] {
        let end = self.len + n;
        if end > self.bytes.len() {
            self.grow(end);
        }
        &mut self.bytes[self.len..end]
    }

    /// Initialises storage up to `end`, and no further: the Vec's own capacity grows
    /// geometrically, but only bytes about to be written are zeroed and made resident
    /// (a huge event costs its size here, not twice that).
    #[cold]
    fn grow(&mut self, end: usize) {
        self.bytes.resize(end, 0);
    }

    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        self.room(s.len()).copy_from_slice(s);
        self.len += s.len();
    }

    /// `s` as a JSON string literal, escaped exactly as serde_json escapes it.
    pub fn push_json_str(&mut self, s: &str) {
        self.push(b"\"");
        self.push_json_chars(s);
        self.push(b"\"");
    }

    /// [`Buffer::push_json_str`] for a terminal: DEL and the C1 controls (which JSON
    /// may leave raw, and xterm obeys as CSI and friends) are escaped too, as `\u007f`
    /// and `\u009b`. The same JSON value.
    pub fn push_json_str_for_terminal(&mut self, s: &str) {
        self.push(b"\"");
        let mut rest = s;
        while let Some((at, c)) = rest
            .char_indices()
            .find(|&(_, c)| matches!(c, '\x7f'..='\u{9f}'))
        {
            self.push_json_chars(&rest[..at]);
            let hex = |n: u32| b"0123456789abcdef"[(n & 0xf) as usize];
            self.push(&[b'\\', b'u', b'0', b'0', hex(c as u32 >> 4), hex(c as u32)]);
            rest = &rest[at + c.len_utf8()..];
        }
        self.push_json_chars(rest);
        self.push(b"\"");
    }

    fn push_json_chars(&mut self, s: &str) {
        for block in s.as_bytes().chunks(ESCAPE_BLOCK) {
            self.push_escaped(block);
        }
    }

    fn push_escaped(&mut self, s: &[u8]) {
        // Six output bytes per input byte at worst, and slack for one whole-block store.
        let out = self.room(s.len() * 6 + 16);
        self.len += escape_into(s, out);
    }
}

#[cfg(target_arch = "x86_64")]
use escape_blocks as escape_into;
#[cfg(not(target_arch = "x86_64"))]
use escape_words as escape_into;

/// Escapes `s` into `out` 16 bytes at a time with a mask of the bytes to escape (SSE2);
/// the length written. `out` has room for `6 * s.len() + 16` bytes.
#[cfg(target_arch = "x86_64")]
fn escape_blocks(s: &[u8], out: &mut [u8]) -> usize {
    let mut i = 0;
    let mut o = 0;
    while let Some(block) = s[i..].first_chunk::<16>() {
        out[o..o + 16].copy_from_slice(block);
        let mut mask = crate::simd::json_escapes(block);
        i += 16;
        if mask == 0 {
            o += 16;
            continue;
        }
        let mut tmp = [0u8; 32];
        tmp[..16].copy_from_slice(block);
        let mut start = 0;
        while mask != 0 {
            let k = mask.trailing_zeros() as usize;
            mask &= mask - 1;
            out[o..o + 16].copy_from_slice(&tmp[start..start + 16]);
            o += k - start;
            o += escape(tmp[k], &mut out[o..]);
            start = k + 1;
        }
        out[o..o + 16].copy_from_slice(&tmp[start..start + 16]);
        o += 16 - start;
    }
    o + escape_words(&s[i..], &mut out[o..])
}

/// Escapes `s` into `out` eight bytes at a time (SWAR), for targets without the SSE2
/// path; the length written. `out` has room for `6 * s.len()` bytes.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn escape_words(s: &[u8], out: &mut [u8]) -> usize {
    let mut i = 0;
    let mut o = 0;
    // Copy eight bytes, then look: when the word was clean the copy stands, and
    // otherwise the output resumes at the first byte that needs an escape.
    while let Some(word) = s.get(i..i + 8) {
        out[o..o + 8].copy_from_slice(word);
        let mask = dirty8(u64::from_le_bytes([
            word[0], word[1], word[2], word[3], word[4], word[5], word[6], word[7],
        ]));
        if mask == 0 {
            i += 8;
            o += 8;
            continue;
        }
        let clean = (mask.trailing_zeros() / 8) as usize;
        o += clean;
        o += escape(s[i + clean], &mut out[o..]);
        i += clean + 1;
    }
    for &b in &s[i..] {
        if ESCAPE[usize::from(b)] == 0 {
            out[o] = b;
            o += 1;
        } else {
            o += escape(b, &mut out[o..]);
        }
    }
    o
}

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.push(buf);
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.push(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// For each byte: 0 when it is written as itself, else the letter of its escape
/// (`u` for `\u00XX`). The same choices as serde_json.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        table[b] = b'u';
        b += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

/// Writes the escape for `b` (a byte that needs one) at the start of `out`; its length.
#[inline]
fn escape(b: u8, out: &mut [u8]) -> usize {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    match ESCAPE[usize::from(b)] {
        b'u' => {
            out[..6].copy_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
            6
        }
        letter => {
            out[..2].copy_from_slice(&[b'\\', letter]);
            2
        }
    }
}

/// The high bit of each byte that is a control character, `"` or `\\` (SWAR: a borrow
/// into a byte's high bit marks it). Bits above the lowest may be false alarms caused
/// by a borrow, so only the lowest set bit is trusted, and "zero" is exact.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline]
fn dirty8(x: u64) -> u64 {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let below_space = x.wrapping_sub(LO * 0x20) & !x;
    let q = x ^ (LO * u64::from(b'"'));
    let quote = q.wrapping_sub(LO) & !q;
    let b = x ^ (LO * u64::from(b'\\'));
    let backslash = b.wrapping_sub(LO) & !b;
    (below_space | quote | backslash) & HI
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(s: &str) -> String {
        let mut out = Buffer::with_capacity(0);
        out.push_json_str(s);
        String::from_utf8(out.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn strings_escape_exactly_as_serde_json() {
        let mut cases: Vec<String> = vec![
            "".into(),
            "plain".into(),
            "a \"quoted\" \\ back".into(),
            "tabs\tand\nlines\r\u{8}\u{c}\u{0}\u{1f}\u{7f}".into(),
            "unicode \u{e9}\u{1F43C}\u{2028}/".into(),
            "x".repeat(15) + "\"" + &"y".repeat(40) + "\n",
            "\"".repeat(ESCAPE_BLOCK * 2 + 3),
            "\u{1}".repeat(ESCAPE_BLOCK + 1),
            "é".repeat(ESCAPE_BLOCK),
        ];
        for b in 0u8..=0x7f {
            cases.push(format!(
                "{}{}{}",
                "z".repeat(b as usize % 19),
                b as char,
                "w".repeat(17)
            ));
        }
        for s in cases {
            let want = serde_json::to_string(&s).unwrap();
            assert_eq!(escaped(&s), want, "{s:?}");
            // The portable escaper too, wherever the tests run.
            let mut out = vec![0; s.len() * 6];
            let n = escape_words(s.as_bytes(), &mut out);
            assert_eq!(out[..n], want.as_bytes()[1..want.len() - 1], "{s:?}");
        }
    }

    #[test]
    fn random_strings_escape_exactly_as_serde_json() {
        const CHARS: [&str; 10] = [
            "x", "\"", "\\", "\n", "\u{1}", "\u{1f}", " ", "é", "🐼", "abcdefgh",
        ];
        let mut rng = crate::testing::Rng::new(0x2545_f491_4f6c_dd1d);
        for _ in 0..5000 {
            let s: String = (0..rng.below(60)).map(|_| *rng.pick(&CHARS)).collect();
            assert_eq!(escaped(&s), serde_json::to_string(&s).unwrap(), "{s:?}");
        }
    }

    #[test]
    fn writes_append_and_clear_keeps_the_storage() {
        let mut out = Buffer::with_capacity(4);
        out.push(b"abc");
        out.write_all(b"defgh").unwrap();
        out.push_json_str("q\"");
        assert_eq!(out.as_bytes(), b"abcdefgh\"q\\\"\"");
        out.clear();
        assert!(out.is_empty());
        write!(out, "{}", 42).unwrap();
        assert_eq!(out.as_bytes(), b"42");
    }

    #[test]
    fn the_word_test_agrees_with_the_byte_test() {
        let needs_escape = |b: u8| ESCAPE[usize::from(b)] != 0;
        let mut rng = crate::testing::Rng::new(0x2545_f491_4f6c_dd1d);
        for _ in 0..200_000 {
            let rng = rng.next_u64();
            // Bias towards the interesting bytes.
            let word = rng & 0x7f7f_7f7f_7f7f_7f7f ^ ((rng >> 3) & 0x8080_8080_8080_8080);
            let bytes = word.to_le_bytes();
            let first = bytes.iter().position(|&b| needs_escape(b));
            let mask = dirty8(word);
            assert_eq!(
                (mask != 0).then(|| (mask.trailing_zeros() / 8) as usize),
                first,
                "{bytes:?}"
            );
        }
        for special in [
            0u8, 0x1f, 0x20, b'"', b'\\', 0x7f, 0x80, 0xff, b'!', b'#', b'[', b']',
        ] {
            for pos in 0..8 {
                let mut bytes = [b'a'; 8];
                bytes[pos] = special;
                assert_eq!(
                    dirty8(u64::from_le_bytes(bytes)) == 0,
                    !needs_escape(special),
                    "{special:#x} at {pos}"
                );
            }
        }
    }
}
