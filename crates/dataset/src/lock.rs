//! The lock file: one line per cached dataset, `path<TAB>size<TAB>sha256<TAB>reference`,
//! sorted by path, written atomically.

use crate::FetchError;
use std::collections::BTreeMap;
use std::path::Path;

/// One locked dataset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub size: u64,
    pub sha256: String,
    pub reference: String,
}

/// All entries, by path relative to the data directory.
#[derive(Debug, Default)]
pub struct Lock {
    entries: BTreeMap<String, Entry>,
}

const HEADER: &str =
    "# firedrill dataset lock: path\tsize\tsha256\treference (checked on every use)";

impl Lock {
    /// Reads the lock file; a missing file is an empty lock.
    pub fn load(path: &Path) -> Result<Lock, FetchError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Lock::default()),
            Err(e) => {
                return Err(FetchError::Io {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                })
            }
        };
        let mut entries = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let cols: Vec<&str> = line.split('\t').collect();
            let bad = |message: &str| FetchError::Lock {
                path: path.to_path_buf(),
                line: i + 1,
                message: message.to_string(),
            };
            if cols.len() < 3 {
                return Err(bad(
                    "expected path, size, sha256 and reference separated by tabs",
                ));
            }
            let size = cols[1].parse().map_err(|_| bad("size is not a number"))?;
            if cols[2].len() != 64 || !cols[2].chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(bad("sha256 is not 64 hex digits"));
            }
            entries.insert(
                cols[0].to_string(),
                Entry {
                    size,
                    sha256: cols[2].to_ascii_lowercase(),
                    reference: cols.get(3).unwrap_or(&"").to_string(),
                },
            );
        }
        Ok(Lock { entries })
    }

    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.get(key)
    }

    /// Adds `key` to the lock file at `path` unless another run added it first, and
    /// returns the entry the file then holds for it. The read, merge and write happen
    /// under an exclusive lock on a guard file beside it, so runs sharing a cache
    /// never lose each other's entries; this lock takes every entry the file holds.
    pub fn add(&mut self, path: &Path, key: &str, e: Entry) -> Result<Entry, FetchError> {
        let io = |err: std::io::Error| FetchError::Io {
            path: path.to_path_buf(),
            message: err.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let guard = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path.with_extension("lock.guard"))
            .map_err(io)?;
        guard.lock().map_err(io)?;
        let on_disk = Lock::load(path)?;
        self.entries.extend(on_disk.entries);
        let held = self.entries.entry(key.to_string()).or_insert(e).clone();
        let saved = self.save(path);
        let _ = guard.unlock();
        saved.map(|()| held)
    }

    /// Writes the lock file atomically (temporary file, then rename).
    pub fn save(&self, path: &Path) -> Result<(), FetchError> {
        let io = |e: std::io::Error| FetchError::Io {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut text = String::from(HEADER);
        text.push('\n');
        for (k, e) in &self.entries {
            text.push_str(&format!("{k}\t{}\t{}\t{}\n", e.size, e.sha256, e.reference));
        }
        let tmp = path.with_extension(format!("lock.tmp-{}", std::process::id()));
        std::fs::write(&tmp, text).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}
