//! Streaming a URL (or copying a local file) into the cache: written to a temporary
//! file beside the target and renamed, so an interrupted transfer leaves nothing.

use crate::FetchError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn temp_beside(target: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.part-{}-{n}", std::process::id()))
}

fn io(path: &Path, e: impl std::fmt::Display) -> FetchError {
    FetchError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Downloads `url` to `target`.
pub fn to_file(
    client: &reqwest::blocking::Client,
    url: &str,
    target: &Path,
    progress: bool,
) -> Result<(), FetchError> {
    let transfer = |message: String| FetchError::Transfer {
        url: url.to_string(),
        message,
    };
    let mut resp = client
        .get(url)
        .send()
        .map_err(|e| transfer(e.to_string()))?;
    let status = resp.status();
    if !status.is_success() {
        return Err(FetchError::Http {
            url: url.to_string(),
            status: status.as_u16(),
        });
    }
    let expected = resp.content_length();
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let tmp = temp_beside(target);
    let result = (|| {
        let mut out = std::fs::File::create(&tmp).map_err(|e| io(&tmp, e))?;
        let bar = progress.then(|| {
            let b = indicatif::ProgressBar::new(expected.unwrap_or(0));
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} {bar:30} {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_message(
                target
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            b
        });
        let mut got = 0u64;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = match resp.read(&mut buf) {
                Ok(n) => n,
                Err(e) => {
                    return Err(match expected {
                        Some(exp) => FetchError::Truncated {
                            url: url.to_string(),
                            expected: exp,
                            got,
                        },
                        None => transfer(format!("after {got} bytes: {e}")),
                    })
                }
            };
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n]).map_err(|e| io(&tmp, e))?;
            got += n as u64;
            if let Some(b) = &bar {
                b.set_position(got);
            }
        }
        if let Some(b) = &bar {
            b.finish_and_clear();
        }
        if let Some(exp) = expected {
            if exp != got {
                return Err(FetchError::Truncated {
                    url: url.to_string(),
                    expected: exp,
                    got,
                });
            }
        }
        out.sync_all().map_err(|e| io(&tmp, e))?;
        Ok(())
    })();
    match result {
        Ok(()) => std::fs::rename(&tmp, target).map_err(|e| io(target, e)),
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            Err(e)
        }
    }
}

/// Copies a local mirror's file into the cache.
pub fn copy_file(src: &Path, target: &Path) -> Result<(), FetchError> {
    if !src.is_file() {
        return Err(io(src, "not found in the mirror"));
    }
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    let tmp = temp_beside(target);
    if let Err(e) = std::fs::copy(src, &tmp) {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(src, e));
    }
    std::fs::rename(&tmp, target).map_err(|e| io(target, e))
}
