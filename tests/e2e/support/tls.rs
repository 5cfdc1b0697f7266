//! An HTTPS test server with a self-signed certificate for `localhost`, made in the test
//! with rcgen: for tail's TLS errors and doctor's http2 probe.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

/// Serves `connections` connections (any number with `None`, and then the handle never
/// ends), each on its own thread, offering `alpn`. A connection that sends a request head
/// gets `answer` and a clean TLS close; one that only shakes hands, or refuses the
/// certificate, is let go. Joining the handle waits for every planned connection.
pub fn tls_server(
    alpn: &[&[u8]],
    answer: &'static [u8],
    connections: Option<usize>,
) -> (u16, JoinHandle<()>) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![certified.cert.der().clone()], key)
    .unwrap();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = thread::spawn(move || {
        let mut served = Vec::new();
        for tcp in listener.incoming().take(connections.unwrap_or(usize::MAX)) {
            let Ok(tcp) = tcp else { break };
            let config = Arc::clone(&config);
            served.push(thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match tls.read(&mut byte) {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let _ = tls.write_all(answer);
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }));
        }
        for conn in served {
            conn.join().unwrap();
        }
    });
    (port, handle)
}
