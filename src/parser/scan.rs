//! Finding line ends (CR and LF) in a chunk, in order.
//!
//! SSE lines are short: a typical event is an `id:` line, a `data:` line and a blank
//! line, so a search per line (memchr) spends most of its time starting up. On x86_64
//! this scans 64 bytes at a time with SSE2 (`crate::simd`) into a bit mask, and each
//! line end then costs a few instructions. Other targets use memchr per line end.

/// The positions of CR and LF bytes in `bytes[from..]`, in increasing order.
#[cfg(target_arch = "x86_64")]
pub type LineEnds<'a> = BlockScan<'a>;
#[cfg(not(target_arch = "x86_64"))]
pub type LineEnds<'a> = MemchrScan<'a>;

/// Scans 64-byte blocks into bit masks of CR and LF positions.
#[cfg(target_arch = "x86_64")]
pub struct BlockScan<'a> {
    bytes: &'a [u8],
    /// Offset of the block `mask` describes.
    base: usize,
    /// Line ends in the current block not yet returned, bit k for `base + k`.
    mask: u64,
}

#[cfg(target_arch = "x86_64")]
impl<'a> BlockScan<'a> {
    pub fn new(bytes: &'a [u8], from: usize) -> Self {
        let mut scan = BlockScan {
            bytes,
            base: from,
            mask: 0,
        };
        scan.mask = scan.block_mask();
        scan
    }

    fn block_mask(&self) -> u64 {
        let rest = self.bytes.get(self.base..).unwrap_or(&[]);
        match rest.first_chunk::<64>() {
            Some(block) => crate::simd::line_ends(block),
            // A few bytes (a slow stream's read): look at each.
            None if rest.len() < 16 => rest
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n' || b == b'\r')
                .fold(0, |mask, (k, _)| mask | 1 << k),
            None => {
                // The last, short block: pad with bytes that are not line ends.
                let mut block = [0u8; 64];
                block[..rest.len()].copy_from_slice(rest);
                crate::simd::line_ends(&block)
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
impl Iterator for BlockScan<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.base += 64;
            if self.base >= self.bytes.len() {
                return None;
            }
            self.mask = self.block_mask();
        }
        let at = self.base + self.mask.trailing_zeros() as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

/// One memchr search per line end.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
pub struct MemchrScan<'a> {
    bytes: &'a [u8],
    at: usize,
}

#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
impl<'a> MemchrScan<'a> {
    pub fn new(bytes: &'a [u8], from: usize) -> Self {
        MemchrScan { bytes, at: from }
    }
}

impl Iterator for MemchrScan<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let found = self.at + memchr::memchr2(b'\n', b'\r', self.bytes.get(self.at..)?)?;
        self.at = found + 1;
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(bytes: &[u8], from: usize) -> Vec<usize> {
        (from..bytes.len())
            .filter(|&i| bytes[i] == b'\n' || bytes[i] == b'\r')
            .collect()
    }

    #[test]
    fn both_scans_find_every_line_end_in_order() {
        let mut rng = crate::testing::Rng::new(0x2545_f491_4f6c_dd1d);
        for round in 0..2000usize {
            let len = round % 300;
            // Mostly ordinary bytes, some CR and LF, some bytes near them.
            let bytes: Vec<u8> = (0..len)
                .map(|_| *rng.pick(&[b'\n', b'\r', b'x', 0x8a, 0x8d, 0x0b, 0xff, b'a']))
                .collect();
            for from in [0, 1, len / 3, len.saturating_sub(1), len] {
                let want = naive(&bytes, from);
                assert_eq!(LineEnds::new(&bytes, from).collect::<Vec<_>>(), want);
                assert_eq!(MemchrScan::new(&bytes, from).collect::<Vec<_>>(), want);
            }
        }
    }
}
