//! Reading a compressed body as it arrives: every encoding a browser offers.

use std::io::Read;

/// A browser's Accept-Encoding, for `sse doctor` (compression layers only buffer when
/// the request allows compression).
pub const BROWSER_ACCEPT_ENCODING: &str = "gzip, deflate, br, zstd";

/// Whether [`decode_body`] can read a body with this Content-Encoding: every encoding
/// [`BROWSER_ACCEPT_ENCODING`] offers, so doctor never asks for what it cannot read.
pub fn can_decode(content_encoding: &str) -> bool {
    matches!(
        content_encoding.trim().to_ascii_lowercase().as_str(),
        "" | "identity" | "gzip" | "x-gzip" | "deflate" | "br" | "zstd"
    )
}

/// The largest zstd window accepted: 8 MiB, what HTTP's zstd encoding allows (RFC 9659),
/// so a hostile server cannot make the decoder allocate zstd's default 128 MiB.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// Wraps a body in the decoder its Content-Encoding names; an encoding `sse` does not
/// decode gives the body back unchanged as the error. Every decoder hands out what it
/// has decoded as soon as the compressor flushed it, without waiting for more input:
/// a compressed stream stays live.
pub fn decode_body<R: Read + Send + 'static>(
    content_encoding: Option<&str>,
    raw: R,
) -> Result<Box<dyn Read + Send>, R> {
    match content_encoding
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
        .as_str()
    {
        "" | "identity" => Ok(Box::new(raw)),
        "gzip" | "x-gzip" => Ok(Box::new(flate2::read::MultiGzDecoder::new(raw))),
        "deflate" => Ok(Box::new(flate2::read::ZlibDecoder::new(raw))),
        "br" => Ok(Box::new(brotli_decompressor::Decompressor::new(raw, 4096))),
        "zstd" => Ok(match zstd::stream::read::Decoder::new(raw) {
            Ok(mut decoder) => match decoder.window_log_max(ZSTD_WINDOW_LOG_MAX) {
                Ok(()) => Box::new(decoder),
                Err(e) => Box::new(Failed(Some(e))),
            },
            Err(e) => Box::new(Failed(Some(e))),
        }),
        _ => Err(raw),
    }
}

/// A body whose decoder could not be set up: the first read says why.
struct Failed(Option<std::io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_decoded_by_their_encoding() {
        use std::io::Write as _;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"data: x\n\n").unwrap();
        let packed = gz.finish().unwrap();
        let mut out = String::new();
        decode_body(Some("gzip"), std::io::Cursor::new(packed))
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "data: x\n\n");
        assert!(decode_body(Some("compress"), std::io::empty()).is_err());
        assert!(decode_body(None, std::io::empty()).is_ok());
    }

    /// A body that gives `first`, then fails: a decoder that wants more input before
    /// handing out what the first part holds would hit the failure instead.
    #[derive(Debug)]
    struct HeldAfter(Option<Vec<u8>>);

    impl Read for HeldAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match self.0.take() {
                Some(first) => {
                    buf[..first.len()].copy_from_slice(&first);
                    Ok(first.len())
                }
                None => Err(std::io::Error::other("the server holds the rest")),
            }
        }
    }

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Decodes `first` (a flushed first part) through a body that then holds, and the
    /// whole body; both must give what was compressed.
    fn live_and_whole(encoding: &str, first: &[u8], rest: &[u8]) {
        let mut buf = vec![0; 4096];
        let mut live = decode_body(Some(encoding), HeldAfter(Some(first.to_vec()))).unwrap();
        let n = live.read(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"id: 1\ndata: one\n\n",
            "{encoding}: first event live"
        );
        let whole = [first, rest].concat();
        let mut out = String::new();
        decode_body(Some(encoding), std::io::Cursor::new(whole))
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(
            out, "id: 1\ndata: one\n\nid: 2\ndata: two\n\n",
            "{encoding}"
        );
    }

    #[test]
    fn every_offered_encoding_decodes_live() {
        for enc in BROWSER_ACCEPT_ENCODING.split(", ") {
            assert!(can_decode(enc), "{enc} is offered, so it must decode");
        }
        // Node 20's zlib.createBrotliCompress(), flushed after the first event (as
        // Express's compression does on res.flush()).
        live_and_whole(
            "br",
            &hex("0b088069643a20310a646174613a206f6e650a0a"),
            &hex("80000869643a20320a646174613a2074776f0a0a03"),
        );
        // zstd flushed mid-frame (as Caddy's encode does), then a second frame.
        use std::io::Write as _;
        let mut z = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        z.write_all(b"id: 1\ndata: one\n\n").unwrap();
        z.flush().unwrap();
        let first = z.get_ref().clone();
        let frame = z.finish().unwrap();
        let rest = [
            &frame[first.len()..],
            &zstd::encode_all(&b"id: 2\ndata: two\n\n"[..], 3).unwrap(),
        ]
        .concat();
        live_and_whole("zstd", &first, &rest);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(b"id: 1\ndata: one\n\n").unwrap();
        gz.flush().unwrap();
        let first = gz.get_ref().clone();
        gz.write_all(b"id: 2\ndata: two\n\n").unwrap();
        let all = gz.finish().unwrap();
        live_and_whole("gzip", &first, &all[first.len()..]);
    }

    #[test]
    fn a_zstd_window_past_8_mib_is_refused() {
        let big = zstd::stream::encode_all(&vec![b'x'; 1 << 20][..], 3).unwrap();
        let mut params = zstd::stream::write::Encoder::new(Vec::new(), 3).unwrap();
        params.window_log(27).unwrap();
        params.long_distance_matching(true).unwrap();
        use std::io::Write as _;
        params.write_all(&vec![b'y'; 1 << 20]).unwrap();
        let huge_window = params.finish().unwrap();
        let mut out = Vec::new();
        assert!(decode_body(Some("zstd"), std::io::Cursor::new(big))
            .unwrap()
            .read_to_end(&mut out)
            .is_ok());
        assert!(decode_body(Some("zstd"), std::io::Cursor::new(huge_window))
            .unwrap()
            .read_to_end(&mut out)
            .is_err());
    }
}
