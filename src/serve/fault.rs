//! What each `--fault` does to a response (the names and their parser are in `value`).

pub use crate::value::Fault;

impl Fault {
    /// Whether the whole response is held back until the script ends (gzip is not:
    /// it sends what the compressor emits by itself, which for a small stream is nothing).
    pub fn holds_body(&self) -> bool {
        matches!(self, Fault::Buffer | Fault::Etag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_buffer_and_etag_hold_the_body() {
        assert!(
            Fault::Etag.holds_body() && !Fault::Gzip.holds_body() && !Fault::Http10.holds_body()
        );
    }
}
