//! Streaming a URL (or copying a local file) into the cache: written to a temporary
//! file beside the target and renamed, so an interrupted transfer leaves nothing.

use crate::FetchError;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A temporary file beside `target`, named with this process's id; partial files a
/// killed run left beside it (their process is gone) are removed first.
fn temp_beside(target: &Path) -> PathBuf {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = target
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    remove_stale_parts(target, &name);
    target.with_file_name(format!(".{name}.part-{}-{n}", std::process::id()))
}

/// Removes `.NAME.part-PID-N` files beside `target` whose process no longer runs (where
/// `/proc` tells; elsewhere they are left) and that have not grown for ten minutes (a
/// run in another container sharing the cache has pids this one cannot see).
fn remove_stale_parts(target: &Path, name: &str) {
    let (Some(dir), true) = (target.parent(), Path::new("/proc/self").exists()) else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let prefix = format!(".{name}.part-");
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let pid = file
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split('-').next())
            .and_then(|p| p.parse::<u32>().ok());
        let idle = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|d| d > std::time::Duration::from_secs(600));
        if let (Some(pid), true) = (pid, idle) {
            if !Path::new(&format!("/proc/{pid}")).exists() {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

fn io(path: &Path, e: impl std::fmt::Display) -> FetchError {
    FetchError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The largest download accepted (attack_data's largest file is under 500 MB).
pub const MAX_DOWNLOAD: u64 = 8 << 30;
/// When a transfer counts as stalled: slower than `min_rate` bytes per second on
/// average once `after` has passed (a server silent for a whole read timeout is
/// caught by the client's own timeout).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stall {
    /// How long a transfer may run before its rate is checked.
    pub after: std::time::Duration,
    /// The least average rate, in bytes per second, after that.
    pub min_rate: f64,
}

impl Default for Stall {
    /// 4 KiB/s on average after two minutes.
    fn default() -> Stall {
        Stall {
            after: std::time::Duration::from_secs(120),
            min_rate: 4096.0,
        }
    }
}

fn human(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 => format!("{} MiB", b >> 20),
        b => format!("{b} bytes"),
    }
}

/// Why the first bytes of a download are not a dataset: an HTML page (an error or
/// login page served with 200) or nothing at all.
fn not_data(head: &[u8], total: u64) -> Option<&'static str> {
    if total == 0 {
        return Some("the server sent an empty body");
    }
    let start = String::from_utf8_lossy(&head[..head.len().min(512)]).to_ascii_lowercase();
    let start = start.trim_start_matches('\u{feff}').trim_start();
    (start.starts_with("<!doctype html") || start.starts_with("<html"))
        .then_some("the server sent an HTML page, not a dataset")
}

/// Downloads `url` to `target`, refusing more than `max` bytes and a transfer that
/// `stall`s.
pub fn to_file(
    client: &reqwest::blocking::Client,
    url: &str,
    target: &Path,
    progress: bool,
    max: u64,
    stall: Stall,
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
    let too_big = || transfer(format!("more than the {} a dataset may have", human(max)));
    if expected.is_some_and(|n| n > max) {
        return Err(too_big());
    }
    let started = std::time::Instant::now();
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
        let mut head: Vec<u8> = Vec::new();
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
                        None => transfer(format!(
                            "after {got} bytes in {:.0} s: {e}",
                            started.elapsed().as_secs_f64()
                        )),
                    })
                }
            };
            if n == 0 {
                break;
            }
            if head.len() < 512 {
                head.extend_from_slice(&buf[..n.min(512 - head.len())]);
            }
            if got + n as u64 > max {
                return Err(too_big());
            }
            let elapsed = started.elapsed();
            if elapsed > stall.after && (got as f64) < stall.min_rate * elapsed.as_secs_f64() {
                return Err(transfer(format!(
                    "stalled: {got} bytes in {:.1} s (under {} bytes/s on average)",
                    elapsed.as_secs_f64(),
                    stall.min_rate
                )));
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
        if let Some(why) = not_data(&head, got) {
            return Err(transfer(why.to_string()));
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
