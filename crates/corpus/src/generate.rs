//! Writing the corpus: each planned file is streamed (1 MiB chunks, hashed as they
//! are written) to a temporary file that is renamed into place, then the lock file
//! and the dataset metadata YAML are written beside them.

use crate::plan::{out_path, Kind, PlannedFile};
use crate::samples::Samples;
use crate::template::{Fill, Template};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::Path;

/// A small, fast, seedable generator (SplitMix64); the corpus needs reproducible
/// variety, not cryptographic randomness.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded from `text` (its sha256).
    pub fn from_text(text: &str) -> Rng {
        let h = Sha256::digest(text.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        Rng(u64::from_le_bytes(b))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
}

/// One file written.
#[derive(Clone, Debug)]
pub struct Written {
    /// Its path relative to the output directory.
    pub path: String,
    /// Bytes written.
    pub size: u64,
    /// sha256, lower-case hex.
    pub sha256: String,
    /// Events written.
    pub events: u64,
    /// Which sample pool its events came from.
    pub pool: String,
}

/// The templates a file of `kind` is made of, and the pool's name: the channel's own
/// events, else (no sample of that channel) every Windows event.
pub fn pool<'a>(samples: &'a Samples, kind: &Kind) -> (Vec<&'a Template>, String) {
    match kind {
        Kind::Json => (samples.json.iter().collect(), "json (NXLog)".into()),
        Kind::Windows(Some(ch)) if samples.windows.contains_key(ch) => (
            samples.windows[ch].iter().collect(),
            format!("windows {ch}"),
        ),
        Kind::Windows(Some(ch)) => (
            samples.all_windows(),
            format!("windows any (no {ch} sample)"),
        ),
        Kind::Windows(None) => (
            samples.all_windows(),
            "windows any (no channel named)".into(),
        ),
    }
}

/// Host names shaped like the ones in attack_data (`win-dc-881393.attackrange.local`,
/// `DESKTOP-4T0LQ7B`, ...).
fn host_name(rng: &mut Rng) -> String {
    const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    match rng.below(5) {
        0 => format!("win-dc-{:06}.attackrange.local", rng.below(1_000_000)),
        1 => format!("win-host-{:06}.attackrange.local", rng.below(1_000_000)),
        2 => format!("ar-win-{}.attackrange.local", rng.below(20)),
        3 => {
            let tail: String = (0..7)
                .map(|_| ALNUM[rng.below(ALNUM.len() as u64) as usize] as char)
                .collect();
            format!("DESKTOP-{tail}")
        }
        _ => format!("ws{:04}.corp.example", rng.below(10_000)),
    }
}

/// 2019-01-01T00:00:00Z in seconds.
const BASE_SECS: i64 = 1_546_300_800;
const CHUNK: usize = 1 << 20;

/// Writes one file: events drawn from `pool` with times moving forward, record ids
/// counting up and hosts from a small per-file set, until the next event would pass
/// the target size (a file with a target always gets at least one event). The same
/// plan and pool give the same bytes.
pub fn write_file(out: &Path, f: &PlannedFile, pool: &[&Template]) -> std::io::Result<Written> {
    let path = out_path(out, f);
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_file_name(format!(
        "{}.firedrill-corpus-tmp",
        path.file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default()
    ));
    let mut file = std::fs::File::create(&tmp)?;
    let mut hasher = Sha256::new();
    let mut chunk: Vec<u8> = Vec::with_capacity(CHUNK + (1 << 16));
    let mut rng = Rng::from_text(&f.path);
    let hosts: Vec<String> = (0..1 + rng.below(4)).map(|_| host_name(&mut rng)).collect();
    let mut time_ns = (BASE_SECS + rng.below(5 * 365 * 86_400) as i64) * 1_000_000_000
        + rng.below(10_000_000) as i64 * 100;
    let mean_step_100ns = 200_000 + rng.below(20_000_000);
    let mut record = 1 + rng.below(5_000_000);
    let sep: &[u8] = if f.kind == Kind::Json { b"\n" } else { b"\r\n" };
    let (mut size, mut events) = (0u64, 0u64);
    if !pool.is_empty() && f.target > 0 {
        'events: loop {
            let mut placed = false;
            for _ in 0..8 {
                let t = pool[rng.below(pool.len() as u64) as usize];
                let host = &hosts[rng.below(hosts.len() as u64) as usize];
                let before = chunk.len();
                t.render(
                    &Fill {
                        time_ns,
                        record,
                        host,
                    },
                    &mut chunk,
                );
                chunk.extend_from_slice(sep);
                let n = (chunk.len() - before) as u64;
                if size + n <= f.target || events == 0 {
                    size += n;
                    events += 1;
                    placed = true;
                    break;
                }
                chunk.truncate(before);
            }
            if !placed {
                break 'events;
            }
            if chunk.len() >= CHUNK {
                hasher.update(&chunk);
                file.write_all(&chunk)?;
                chunk.clear();
            }
            time_ns += 100 * rng.below(2 * mean_step_100ns + 1) as i64;
            record += 1;
        }
    }
    hasher.update(&chunk);
    file.write_all(&chunk)?;
    drop(file);
    std::fs::rename(&tmp, &path)?;
    Ok(Written {
        path: f.path.clone(),
        size,
        sha256: hex::encode(hasher.finalize()),
        events,
        pool: String::new(),
    })
}

/// The lock file header firedrill writes.
const LOCK_HEADER: &str =
    "# firedrill dataset lock: path\tsize\tsha256\treference (checked on every use)";

/// Writes `firedrill.lock`: one line per lock key of every written file, sorted.
pub fn write_lock(out: &Path, files: &[(&PlannedFile, &Written)]) -> std::io::Result<usize> {
    let mut lines: Vec<String> = Vec::new();
    for (f, w) in files {
        for (key, reference) in &f.keys {
            lines.push(format!("{key}\t{}\t{}\t{reference}", w.size, w.sha256));
        }
    }
    lines.sort();
    let mut text = format!("{LOCK_HEADER}\n");
    for l in &lines {
        text.push_str(l);
        text.push('\n');
    }
    let path = out.join(firedrill_dataset::LOCK_FILE);
    let tmp = out.join("firedrill.lock.firedrill-corpus-tmp");
    std::fs::write(&tmp, text)?;
    std::fs::rename(tmp, path)?;
    Ok(lines.len())
}

/// Copies attack_data's metadata YAML (`<folder>/<folder>.yml` and its siblings, kept
/// under `metadata` as `datasets/` is) beside the files of each dataset folder, as a
/// cache filled by firedrill holds it. Returns how many files were copied.
pub fn copy_metadata(
    out: &Path,
    metadata: &Path,
    files: &[&PlannedFile],
) -> std::io::Result<usize> {
    let mut dirs: Vec<&str> = files
        .iter()
        .filter_map(|f| f.path.strip_prefix("datasets/"))
        .filter_map(|p| p.rsplit_once('/').map(|(d, _)| d))
        .collect();
    dirs.sort();
    dirs.dedup();
    let mut copied = 0;
    for d in dirs {
        let src = d.split('/').fold(metadata.to_path_buf(), |p, s| p.join(s));
        let Ok(rd) = std::fs::read_dir(&src) else {
            continue;
        };
        let mut ymls: Vec<_> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "yml" || e == "yaml"))
            .collect();
        ymls.sort();
        let dst = d.split('/').fold(out.join("datasets"), |p, s| p.join(s));
        std::fs::create_dir_all(&dst)?;
        for y in ymls {
            if let Some(name) = y.file_name() {
                std::fs::copy(&y, dst.join(name))?;
                copied += 1;
            }
        }
    }
    Ok(copied)
}
