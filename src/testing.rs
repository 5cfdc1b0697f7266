//! What tests share across the crate: one seeded random generator for the unit tests'
//! random inputs. Compiled for `cargo test` and for the fuzz targets (`--cfg fuzzing`,
//! which cargo-fuzz sets), never into the shipped binary.

/// A small seeded generator (xorshift64, shifts 13/7/17): the same seed gives the same
/// inputs on every machine, so a failing random case can be rerun.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator started at `seed` (xorshift stays at 0 forever, so 0 is replaced).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_is_seeded_and_covers_its_range() {
        let a: Vec<u64> = {
            let mut rng = Rng::new(7);
            (0..4).map(|_| rng.next_u64()).collect()
        };
        let mut rng = Rng::new(7);
        assert_eq!(a, (0..4).map(|_| rng.next_u64()).collect::<Vec<_>>());
        let mut seen = [false; 10];
        for _ in 0..1000 {
            seen[rng.below(10)] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_ne!(Rng::new(0).next_u64(), 0);
    }
}
