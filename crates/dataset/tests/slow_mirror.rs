//! A mirror that trickles (1 byte every 50 ms) is stopped as stalled, with the bytes
//! and seconds in the error, and leaves no partial file in the cache.

use firedrill_dataset::{FetchOptions, Fetcher, Stall, UPSTREAM_PREFIX};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

/// Serves one request: headers at once, then the body a byte at a time.
fn trickling_server(body_len: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let Ok((mut s, _)) = listener.accept() else {
            return;
        };
        let mut buf = [0u8; 4096];
        let _ = s.read(&mut buf);
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {body_len}\r\n\r\n");
        if s.write_all(head.as_bytes()).is_err() {
            return;
        }
        for _ in 0..body_len {
            if s.write_all(b"x").and_then(|_| s.flush()).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    format!("http://{addr}")
}

#[test]
fn a_trickling_mirror_is_stalled_and_leaves_nothing() {
    let cache = tempfile::tempdir().unwrap();
    let fetcher = Fetcher::new(FetchOptions {
        data_dir: cache.path().to_path_buf(),
        mirror: Some(trickling_server(10_000)),
        offline: false,
        progress: false,
        allowed: Vec::new(),
    })
    .unwrap()
    .with_stall(Stall {
        after: Duration::from_millis(600),
        min_rate: 1000.0,
    });
    let started = std::time::Instant::now();
    let err = fetcher
        .fetch(&format!("{UPSTREAM_PREFIX}/datasets/t/slow.log"))
        .unwrap_err()
        .to_string();
    assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    assert!(
        err.contains("stalled: ") && err.contains(" bytes in "),
        "{err}"
    );
    assert!(err.contains("slow.log"), "{err}");
    let left: Vec<_> = walk(cache.path());
    assert!(
        left.iter().all(|p| !p.contains("slow.log")),
        "partial files left: {left:?}"
    );
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p.display().to_string());
        }
    }
    out
}

/// The metadata YAML beside a dataset is read when it is metadata-sized; a huge one
/// (a hostile mirror's) is not read at all.
#[test]
fn metadata_beside_a_dataset_is_read_only_when_small() {
    for (padding, found) in [(0usize, true), (2 << 20, false)] {
        let mirror = tempfile::tempdir().unwrap();
        let cache = tempfile::tempdir().unwrap();
        let dir = mirror.path().join("datasets/t/x");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("data.log"), "event\n").unwrap();
        let yml = format!(
            "# {}\ndatasets:\n- name: x\n  path: /datasets/t/x/data.log\n  sourcetype: acme:web\n",
            "p".repeat(padding)
        );
        std::fs::write(dir.join("x.yml"), yml).unwrap();
        let fetcher = Fetcher::new(FetchOptions {
            data_dir: cache.path().to_path_buf(),
            mirror: Some(mirror.path().display().to_string()),
            offline: false,
            progress: false,
            allowed: Vec::new(),
        })
        .unwrap();
        let l = fetcher
            .locate(&format!("{UPSTREAM_PREFIX}/datasets/t/x/data.log"))
            .unwrap();
        assert_eq!(
            l.meta.and_then(|m| m.sourcetype).is_some(),
            found,
            "padding {padding}"
        );
    }
}
