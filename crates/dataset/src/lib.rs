//! Datasets for firedrill: each dataset a detection names is fetched once into a cache
//! that mirrors attack_data's layout (so a clone of attack_data works as the cache),
//! written atomically, recorded with its size and sha256 in a lock file, and checked
//! against the lock on every use.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod download;
mod lock;
mod meta;

pub use download::Stall;
pub use meta::DatasetMeta;

use lock::{Entry, Lock};
use sha2::{Digest, Sha256};
use std::fmt;
use std::io::Read;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;

/// Where attack_data serves dataset files.
pub const UPSTREAM_PREFIX: &str =
    "https://media.githubusercontent.com/media/splunk/attack_data/master";

/// The lock file's name inside the data directory.
pub const LOCK_FILE: &str = "firedrill.lock";

/// How datasets are found.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// The cache directory (default `attack_data`).
    pub data_dir: PathBuf,
    /// Replaces [`UPSTREAM_PREFIX`]: an http(s) URL, a `file://` URL or a directory.
    pub mirror: Option<String>,
    /// Never touch the network.
    pub offline: bool,
    /// Show a progress bar for downloads.
    pub progress: bool,
    /// Directories besides the cache and a local mirror that a dataset reference in
    /// content may name a file in (`--allow-path`). Content is untrusted: any other
    /// local path is refused.
    pub allowed: Vec<PathBuf>,
}

/// A dataset ready to read.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetched {
    /// The reference as given.
    pub reference: String,
    /// The local file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Its sha256, lower-case hex.
    pub sha256: String,
    /// True if this call downloaded (or copied) it.
    pub downloaded: bool,
    /// source/sourcetype from attack_data's metadata YAML, when found.
    pub meta: Option<DatasetMeta>,
}

/// A dataset file found (downloaded if it had to be) but not yet checked against the
/// lock: the reader hashes it while reading it, in the same pass, and hands the digest
/// to [`Fetcher::confirm`].
#[derive(Clone, Debug, PartialEq)]
pub struct Located {
    /// The reference as given.
    pub reference: String,
    /// The local file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// True if this call downloaded (or copied) it.
    pub downloaded: bool,
    /// source/sourcetype from attack_data's metadata YAML, when found.
    pub meta: Option<DatasetMeta>,
    /// Its key in the lock file (`None` for a local path, which has no lock entry).
    lock_key: Option<String>,
}

impl Located {
    /// A local file named on the command line (no lock entry, no download).
    pub fn local(path: &Path) -> Result<Located, FetchError> {
        if !path.is_file() {
            return Err(io(path, "no such dataset file"));
        }
        check_not_lfs(path)?;
        let size = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
        Ok(Located {
            reference: path.display().to_string(),
            path: path.to_path_buf(),
            size,
            downloaded: false,
            meta: None,
            lock_key: None,
        })
    }
}

/// Why a dataset is not available.
#[derive(Debug)]
pub enum FetchError {
    /// `--offline` and not in the cache.
    Missing {
        /// The reference.
        reference: String,
        /// Where it would be.
        path: PathBuf,
    },
    /// The server answered with an error status.
    Http {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The connection failed or the body was cut short.
    Transfer {
        /// The URL.
        url: String,
        /// What happened.
        message: String,
    },
    /// The body was shorter (or longer) than announced.
    Truncated {
        /// The URL.
        url: String,
        /// Announced length.
        expected: u64,
        /// Bytes received.
        got: u64,
    },
    /// The cached file does not match the lock file.
    Mismatch {
        /// The file.
        path: PathBuf,
        /// What differs.
        what: String,
        /// Locked value.
        expected: String,
        /// Actual value.
        actual: String,
    },
    /// The file is a Git LFS pointer, not the data.
    LfsPointer {
        /// The file or URL.
        at: String,
    },
    /// A reference that cannot be mapped to a cache path.
    BadReference {
        /// The reference.
        reference: String,
        /// Why.
        reason: String,
    },
    /// A local path in content outside the cache, the mirror and the allowed roots.
    NotAllowed {
        /// The reference.
        reference: String,
    },
    /// A file system error.
    Io {
        /// The path.
        path: PathBuf,
        /// The error.
        message: String,
    },
    /// The lock file is malformed.
    Lock {
        /// The lock file.
        path: PathBuf,
        /// Its line.
        line: usize,
        /// What is wrong.
        message: String,
    },
}

impl fmt::Display for FetchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FetchError::NotAllowed { reference } => write!(
                f,
                "dataset {reference} is a local file outside the dataset cache and the mirror; content may only name files there (allow a directory with --allow-path DIR)"
            ),
            FetchError::Missing { reference, path } => write!(
                f,
                "dataset {reference} is missing from the cache ({}); run `firedrill fetch` without --offline to download it",
                path.display()
            ),
            FetchError::Http { url, status: 404 } => write!(f, "dataset not found at {url} (HTTP 404)"),
            FetchError::Http { url, status } => write!(f, "HTTP {status} from {url}"),
            FetchError::Transfer { url, message } => write!(f, "download of {url} failed: {message}"),
            FetchError::Truncated { url, expected, got } => write!(
                f,
                "download of {url} was cut short: {got} of {expected} bytes; nothing was kept"
            ),
            FetchError::Mismatch {
                path,
                what,
                expected,
                actual,
            } => write!(
                f,
                "{} does not match the lock file: {what} is {actual}, locked {expected}; delete it to download again, or remove its line from {LOCK_FILE} to accept it",
                path.display()
            ),
            FetchError::LfsPointer { at } => write!(
                f,
                "{at} is a Git LFS pointer, not the dataset (in a clone of attack_data, run `git lfs pull`)"
            ),
            FetchError::BadReference { reference, reason } => write!(f, "bad dataset reference {reference}: {reason}"),
            FetchError::Io { path, message } => write!(f, "{}: {message}", path.display()),
            FetchError::Lock { path, line, message } => write!(f, "{}:{line}: {message}", path.display()),
        }
    }
}

impl std::error::Error for FetchError {}

fn io(path: &Path, e: impl fmt::Display) -> FetchError {
    FetchError::Io {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// True if `bytes` start like a Git LFS pointer file.
pub fn lfs_pointer(bytes: &[u8]) -> bool {
    bytes.starts_with(b"version https://git-lfs.github.com/spec/")
}

/// The sha256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String, FetchError> {
    let mut f = std::fs::File::open(path).map_err(|e| io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// A relative path with no `..`, root or prefix components.
fn safe_relative(rel: &str, reference: &str) -> Result<PathBuf, FetchError> {
    // The path becomes a line of the lock file: a tab or newline would forge entries.
    if reference.chars().any(char::is_control) {
        return Err(FetchError::BadReference {
            reference: reference.escape_debug().to_string(),
            reason: "it holds control characters".into(),
        });
    }
    let p = Path::new(rel.trim_start_matches('/'));
    if p.as_os_str().is_empty() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(FetchError::BadReference {
            reference: reference.to_string(),
            reason: "its path leaves the data directory".into(),
        });
    }
    Ok(p.to_path_buf())
}

/// Where a reference is cached, relative to the data directory: upstream URLs keep
/// their path under the upstream prefix; other URLs go under `external/<host>/`.
fn cache_rel(reference: &str) -> Result<PathBuf, FetchError> {
    if let Some(rest) = reference.strip_prefix(UPSTREAM_PREFIX) {
        return safe_relative(rest, reference);
    }
    for scheme in ["https://", "http://"] {
        if let Some(rest) = reference.strip_prefix(scheme) {
            let rest = rest.split(['?', '#']).next().unwrap_or(rest);
            return safe_relative(&format!("external/{rest}"), reference);
        }
    }
    Err(FetchError::BadReference {
        reference: reference.to_string(),
        reason: "not an http(s) URL".into(),
    })
}

/// `path` made absolute and its `.` and `..` resolved by their text, touching nothing.
fn lexical(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The cache path of a reference.
pub fn cache_path(data_dir: &Path, reference: &str) -> Result<PathBuf, FetchError> {
    Ok(data_dir.join(cache_rel(reference)?))
}

/// Fetches, caches and verifies datasets. Safe to share between threads.
pub struct Fetcher {
    opts: FetchOptions,
    lock: Mutex<Lock>,
    client: std::sync::OnceLock<Result<reqwest::blocking::Client, String>>,
    roots: std::sync::OnceLock<Vec<PathBuf>>,
    lexical: std::sync::OnceLock<Vec<PathBuf>>,
    stall: download::Stall,
}

impl Fetcher {
    /// A fetcher over `opts.data_dir`, reading its lock file if there is one.
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FetchError> {
        let lock = Lock::load(&opts.data_dir.join(LOCK_FILE))?;
        Ok(Fetcher {
            opts,
            lock: Mutex::new(lock),
            client: std::sync::OnceLock::new(),
            roots: std::sync::OnceLock::new(),
            lexical: std::sync::OnceLock::new(),
            stall: download::Stall::default(),
        })
    }

    /// The same fetcher with another idea of a stalled download (the default: under
    /// 4 KiB/s on average after two minutes).
    pub fn with_stall(mut self, stall: download::Stall) -> Fetcher {
        self.stall = stall;
        self
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, String> {
        self.client
            .get_or_init(|| {
                reqwest::blocking::Client::builder()
                    .user_agent(concat!("firedrill/", env!("CARGO_PKG_VERSION")))
                    .connect_timeout(std::time::Duration::from_secs(30))
                    // Per read: a server silent this long has stalled (a slow one is
                    // caught by the download's minimum rate).
                    .timeout(std::time::Duration::from_secs(60))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| e.clone())
    }

    /// Where the bytes for a cache-relative path come from: a URL or a local file.
    fn origin(&self, reference: &str, rel: &Path) -> Origin {
        let upstream = reference.starts_with(UPSTREAM_PREFIX);
        match (&self.opts.mirror, upstream) {
            (Some(m), true) => {
                let rel = rel.to_string_lossy().replace('\\', "/");
                if m.starts_with("http://") || m.starts_with("https://") {
                    Origin::Url(format!("{}/{rel}", m.trim_end_matches('/')))
                } else {
                    let dir = m.strip_prefix("file://").unwrap_or(m);
                    Origin::File(Path::new(dir).join(rel))
                }
            }
            _ => Origin::Url(reference.to_string()),
        }
    }

    /// Resolves one dataset reference to a verified local file: [`Fetcher::locate`],
    /// then the file's sha256, then [`Fetcher::confirm`].
    pub fn fetch(&self, reference: &str) -> Result<Fetched, FetchError> {
        let l = self.locate(reference)?;
        let sha256 = sha256_file(&l.path)?;
        self.confirm(&l, &sha256)?;
        Ok(Fetched {
            reference: l.reference,
            path: l.path,
            size: l.size,
            sha256,
            downloaded: l.downloaded,
            meta: l.meta,
        })
    }

    /// The directories local references may name files in, resolved.
    fn local_roots(&self) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = self
            .root_dirs()
            .into_iter()
            .filter_map(|r| std::fs::canonicalize(r).ok())
            .collect();
        roots.sort();
        roots.dedup();
        roots
    }

    /// A local reference from content, resolved (relative to the cache) and checked
    /// to lie inside the cache, a local mirror or an allowed root: by its text first
    /// (nothing outside is looked at), then after following symbolic links.
    fn allowed_local(&self, reference: &str, path: &Path) -> Result<PathBuf, FetchError> {
        let path = self.opts.data_dir.join(path);
        let not_allowed = || FetchError::NotAllowed {
            reference: reference.to_string(),
        };
        // First by the text alone, so that nothing outside is even looked at...
        let lexical = lexical(&path);
        let lexical_roots = self.lexical.get_or_init(|| self.lexical_roots());
        if !lexical_roots.iter().any(|r| lexical.starts_with(r)) {
            return Err(not_allowed());
        }
        // ...then after following symbolic links.
        let roots = self.roots.get_or_init(|| self.local_roots());
        let inside = |p: &Path| roots.iter().any(|r| p.starts_with(r));
        match std::fs::canonicalize(&path) {
            Ok(real) if inside(&real) && real.is_file() => Ok(real),
            Ok(real) if inside(&real) => Err(io(&path, "not a regular file")),
            Err(_) => Err(io(&path, "no such dataset file")),
            _ => Err(not_allowed()),
        }
    }

    /// The roots as absolute paths, `..` resolved by their text.
    fn lexical_roots(&self) -> Vec<PathBuf> {
        self.root_dirs().iter().map(|r| lexical(r)).collect()
    }

    /// The cache, a local mirror and the allowed directories, as given.
    fn root_dirs(&self) -> Vec<PathBuf> {
        let mirror = self
            .opts
            .mirror
            .as_deref()
            .filter(|m| !m.starts_with("http://") && !m.starts_with("https://"))
            .map(|m| PathBuf::from(m.strip_prefix("file://").unwrap_or(m)));
        std::iter::once(self.opts.data_dir.clone())
            .chain(mirror)
            .chain(self.opts.allowed.iter().cloned())
            .collect()
    }

    /// A cached file, checked to lie in the cache after following symbolic links (a
    /// link committed into a cache inside a checkout must not lead elsewhere).
    fn in_cache(&self, reference: &str, path: &Path) -> Result<(), FetchError> {
        let cache =
            std::fs::canonicalize(&self.opts.data_dir).map_err(|e| io(&self.opts.data_dir, e))?;
        match std::fs::canonicalize(path) {
            Ok(real) if real.starts_with(&cache) => Ok(()),
            Ok(_) => Err(FetchError::NotAllowed {
                reference: reference.to_string(),
            }),
            Err(e) => Err(io(path, e)),
        }
    }

    /// Resolves one dataset reference (an upstream URL, another http(s) URL, a
    /// `file://` URL or a local path) to a local file, downloading it if needed and
    /// checking its size against the lock; the content is checked by
    /// [`Fetcher::confirm`] once it has been read.
    pub fn locate(&self, reference: &str) -> Result<Located, FetchError> {
        let local = reference
            .strip_prefix("file://")
            .map(PathBuf::from)
            .or_else(|| (!reference.contains("://")).then(|| PathBuf::from(reference)));
        if let Some(path) = local {
            let path = self.allowed_local(reference, &path)?;
            check_not_lfs(&path)?;
            let size = std::fs::metadata(&path).map_err(|e| io(&path, e))?.len();
            return Ok(Located {
                reference: reference.to_string(),
                path,
                size,
                downloaded: false,
                meta: None,
                lock_key: None,
            });
        }
        let rel = cache_rel(reference)?;
        let path = self.opts.data_dir.join(&rel);
        let key = rel.to_string_lossy().replace('\\', "/");
        let downloaded = if path.is_file() {
            false
        } else if self.opts.offline {
            return Err(FetchError::Missing {
                reference: reference.to_string(),
                path,
            });
        } else {
            match self.origin(reference, &rel) {
                Origin::Url(url) => {
                    let client = self.client().map_err(|message| FetchError::Transfer {
                        url: url.clone(),
                        message,
                    })?;
                    download::to_file(
                        client,
                        &url,
                        &path,
                        self.opts.progress,
                        download::MAX_DOWNLOAD,
                        self.stall,
                    )?;
                }
                Origin::File(src) => download::copy_file(&src, &path)?,
            }
            true
        };
        self.in_cache(reference, &path)?;
        check_not_lfs(&path)?;
        let size = std::fs::metadata(&path).map_err(|e| io(&path, e))?.len();
        let locked = self.lock.lock().ok().and_then(|l| l.get(&key).cloned());
        if let Some(e) = &locked {
            if e.size != size {
                return Err(FetchError::Mismatch {
                    path: path.to_path_buf(),
                    what: "size".into(),
                    expected: e.size.to_string(),
                    actual: size.to_string(),
                });
            }
        }
        let meta = meta::find(self, &rel);
        Ok(Located {
            reference: reference.to_string(),
            path,
            size,
            downloaded,
            meta,
            lock_key: Some(key),
        })
    }

    /// Checks the sha256 of a located file (computed while reading it) against its
    /// lock entry, or records the entry when there is none.
    pub fn confirm(&self, l: &Located, sha256: &str) -> Result<(), FetchError> {
        let Some(key) = &l.lock_key else {
            return Ok(());
        };
        self.verify(key, &l.path, &l.reference, l.size, sha256)
    }

    /// Checks a cached file's digest against its lock entry, or adds the entry.
    fn verify(
        &self,
        key: &str,
        path: &Path,
        reference: &str,
        size: u64,
        sha: &str,
    ) -> Result<(), FetchError> {
        let sha = sha.to_string();
        let locked = self.lock.lock().ok().and_then(|l| l.get(key).cloned());
        match locked {
            Some(e) if e.sha256 != sha => Err(FetchError::Mismatch {
                path: path.to_path_buf(),
                what: "sha256".into(),
                expected: e.sha256,
                actual: sha,
            }),
            Some(_) => Ok(()),
            None => {
                let entry = Entry {
                    size,
                    sha256: sha.clone(),
                    reference: reference.to_string(),
                };
                let mut l = self.lock.lock().map_err(|_| FetchError::Io {
                    path: self.opts.data_dir.join(LOCK_FILE),
                    message: "the lock was poisoned by a panic".into(),
                })?;
                // Another run sharing the cache may have locked it meanwhile.
                let held = l.add(&self.opts.data_dir.join(LOCK_FILE), key, entry)?;
                if held.sha256 != sha {
                    return Err(FetchError::Mismatch {
                        path: path.to_path_buf(),
                        what: "sha256".into(),
                        expected: held.sha256,
                        actual: sha,
                    });
                }
                Ok(())
            }
        }
    }

    /// Gets an optional side file (metadata YAML): cached, else downloaded unless
    /// offline; absence or any error is `None`.
    fn side_file(&self, rel: &Path) -> Option<PathBuf> {
        let path = self.opts.data_dir.join(rel);
        if path.is_file() {
            return Some(path);
        }
        if self.opts.offline {
            return None;
        }
        let reference = format!(
            "{UPSTREAM_PREFIX}/{}",
            rel.to_string_lossy().replace('\\', "/")
        );
        match self.origin(&reference, rel) {
            Origin::Url(url) => download::to_file(
                self.client().ok()?,
                &url,
                &path,
                false,
                meta::MAX_META,
                self.stall,
            )
            .ok()?,
            Origin::File(src) => download::copy_file(&src, &path).ok()?,
        }
        Some(path)
    }
}

enum Origin {
    Url(String),
    File(PathBuf),
}

fn check_not_lfs(path: &Path) -> Result<(), FetchError> {
    let mut head = [0u8; 64];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .map_err(|e| io(path, e))?;
    if lfs_pointer(&head[..n]) {
        return Err(FetchError::LfsPointer {
            at: path.display().to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_paths_mirror_upstream_and_refuse_traversal() {
        let d = Path::new("cache");
        assert_eq!(
            cache_path(d, &format!("{UPSTREAM_PREFIX}/datasets/a/b.log")).unwrap(),
            Path::new("cache/datasets/a/b.log")
        );
        assert_eq!(
            cache_path(d, "https://example.test/x/y.log?z=1").unwrap(),
            Path::new("cache/external/example.test/x/y.log")
        );
        assert!(cache_path(d, &format!("{UPSTREAM_PREFIX}/datasets/../../etc/passwd")).is_err());
        assert!(cache_path(d, "ftp://x/y").is_err());
        // A newline or tab would forge a line of the lock file.
        assert!(cache_path(d, "https://h/a\nb.log").is_err());
        assert!(cache_path(d, "https://h/a\tb.log").is_err());
    }

    #[test]
    fn lfs_pointers_are_recognised() {
        assert!(lfs_pointer(
            b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\n"
        ));
        assert!(!lfs_pointer(b"<Event xmlns="));
    }
}
