//! HEC over TLS against a server on 127.0.0.1 with a self-signed certificate (as
//! Splunk's own are): `--ca` with that certificate is trusted, nothing else is, and a
//! refusal says why.

use firedrill_replay::{replay, HecError, Outgoing, ReplayOptions};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// A HEC that answers every request with success over TLS; counts data requests.
fn tls_hec() -> (String, Arc<AtomicUsize>) {
    tls_hec_with("cert.pem", "key.pem")
}

/// [`tls_hec`] presenting the certificate `cert` (its key in `key`).
fn tls_hec_with(cert: &str, key: &str) -> (String, Arc<AtomicUsize>) {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(fixture(cert))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_file(fixture(key)).unwrap();
    let config = Arc::new(
        rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap(),
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let data = Arc::new(AtomicUsize::new(0));
    let counter = data.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming().flatten() {
            let (config, counter) = (config.clone(), counter.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(config).unwrap();
                let mut tls = BufReader::new(rustls::StreamOwned::new(conn, tcp));
                loop {
                    let mut line = String::new();
                    if tls.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let mut length = 0usize;
                    loop {
                        let mut h = String::new();
                        if tls.read_line(&mut h).unwrap_or(0) == 0 {
                            return;
                        }
                        if h.trim().is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            if k.eq_ignore_ascii_case("content-length") {
                                length = v.trim().parse().unwrap_or(0);
                            }
                        }
                    }
                    let mut body = vec![0; length];
                    if tls.read_exact(&mut body).is_err() {
                        return;
                    }
                    if line.starts_with("POST") {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    let reply = r#"{"text":"Success","code":0}"#;
                    let out = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{reply}",
                        reply.len()
                    );
                    if tls.get_mut().write_all(out.as_bytes()).is_err() {
                        return;
                    }
                    let _ = tls.get_mut().flush();
                }
            });
        }
    });
    (url, data)
}

fn send(url: &str, ca: Option<PathBuf>) -> Result<u64, HecError> {
    let events = (0..5).map(|i| Outgoing {
        raw: format!("event {i}"),
        time: None,
        host: None,
        source: None,
        sourcetype: None,
        index: None,
    });
    let opts = ReplayOptions {
        urls: vec![url.to_string()],
        token: "00000000-1111-2222-3333-444444444444".into(),
        ca_file: ca,
        ..ReplayOptions::default()
    };
    replay(events, &opts, &|_| {}).map(|s| s.accepted)
}

#[test]
fn a_self_signed_server_is_trusted_with_its_certificate_and_only_then() {
    let (url, data) = tls_hec();
    assert_eq!(send(&url, Some(fixture("cert.pem"))).unwrap(), 5);
    assert!(data.load(Ordering::SeqCst) >= 1);
    for ca in [None, Some(fixture("other.pem"))] {
        let e = send(&url, ca.clone()).unwrap_err().to_string();
        assert!(
            e.contains(&url) && e.contains("certificate") && e.contains("--ca"),
            "{ca:?}: {e}"
        );
        // What is wrong with it, in words.
        assert!(e.contains(": the server"), "{ca:?}: {e}");
    }
    // A certificate given with --ca is that server whatever name it carries
    // (Splunk's default certificate names no host): by another name, still trusted.
    let by_name = url.replace("127.0.0.1", "localhost");
    assert_eq!(send(&by_name, Some(fixture("cert.pem"))).unwrap(), 5);
    // Not a certificate at all: an error naming the file.
    let e = send(&url, Some(fixture("README.md")))
        .unwrap_err()
        .to_string();
    assert!(e.contains("README.md"), "{e}");
}

#[test]
fn a_certificate_for_another_name_or_out_of_date_is_refused_saying_so() {
    // Signed by a CA given with --ca: the chain is trusted, then name and dates checked.
    for (cert, what) in [
        (
            "mismatch.pem",
            "the server's certificate is not for this host name",
        ),
        ("expired.pem", "the server's certificate has expired"),
    ] {
        let (url, data) = tls_hec_with(cert, "server-key.pem");
        let e = send(&url, Some(fixture("ca.pem"))).unwrap_err().to_string();
        assert!(e.contains(what) && e.contains(&url), "{cert}: {e}");
        assert_eq!(data.load(Ordering::SeqCst), 0, "{cert}: nothing sent");
    }
}
