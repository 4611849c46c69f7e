//! Runs sharing one cache: every run's lock entries are kept.

use firedrill_dataset::{FetchOptions, Fetcher, LOCK_FILE, UPSTREAM_PREFIX};

#[test]
fn two_runs_sharing_a_cache_lose_no_lock_entries() {
    let mirror = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let n = 40;
    for i in 0..n {
        let f = mirror.path().join(format!("datasets/t/{i}/data.log"));
        std::fs::create_dir_all(f.parent().unwrap()).unwrap();
        std::fs::write(&f, format!("event {i}\n")).unwrap();
    }
    let fetcher = || {
        Fetcher::new(FetchOptions {
            data_dir: cache.path().to_path_buf(),
            mirror: Some(mirror.path().display().to_string()),
            offline: false,
            progress: false,
            allowed: Vec::new(),
        })
        .unwrap()
    };
    // Two fetchers, each with its own view of the lock, as two processes have.
    let (a, b) = (fetcher(), fetcher());
    std::thread::scope(|s| {
        for (k, f) in [(0, &a), (1, &b)] {
            s.spawn(move || {
                for i in (k..n).step_by(2) {
                    f.fetch(&format!("{UPSTREAM_PREFIX}/datasets/t/{i}/data.log"))
                        .unwrap();
                }
            });
        }
    });
    let lock = std::fs::read_to_string(cache.path().join(LOCK_FILE)).unwrap();
    let entries = lock.lines().filter(|l| !l.starts_with('#')).count();
    assert_eq!(entries, n, "{lock}");
    // A third run sees every entry: a changed file is caught.
    std::fs::write(cache.path().join("datasets/t/7/data.log"), "tampered\n").unwrap();
    let err = fetcher()
        .fetch(&format!("{UPSTREAM_PREFIX}/datasets/t/7/data.log"))
        .unwrap_err();
    assert!(err.to_string().contains("data.log"), "{err}");
}

#[test]
fn partial_files_of_a_killed_run_are_removed() {
    let mirror = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let rel = "datasets/t/a/data.log";
    std::fs::create_dir_all(mirror.path().join("datasets/t/a")).unwrap();
    std::fs::write(mirror.path().join(rel), "event\n").unwrap();
    let dir = cache.path().join("datasets/t/a");
    std::fs::create_dir_all(&dir).unwrap();
    // A pid no process has (beyond Linux's pid_max), and this process's own.
    let stale = dir.join(".data.log.part-4294967295-0");
    let live = dir.join(format!(".data.log.part-{}-99", std::process::id()));
    std::fs::write(&stale, "half").unwrap();
    std::fs::write(&live, "half").unwrap();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for f in [&stale, &live] {
        std::fs::File::options()
            .write(true)
            .open(f)
            .unwrap()
            .set_modified(hour_ago)
            .unwrap();
    }
    // A part of a process this run cannot see, still being written.
    let fresh = dir.join(".data.log.part-4294967294-0");
    std::fs::write(&fresh, "half").unwrap();
    let f = Fetcher::new(FetchOptions {
        data_dir: cache.path().to_path_buf(),
        mirror: Some(mirror.path().display().to_string()),
        offline: false,
        progress: false,
        allowed: Vec::new(),
    })
    .unwrap();
    f.fetch(&format!("{UPSTREAM_PREFIX}/{rel}")).unwrap();
    assert!(!stale.exists(), "the killed run's part is gone");
    assert!(live.exists(), "a running process's part is kept");
    assert!(fresh.exists(), "a part written to lately is kept");
}
