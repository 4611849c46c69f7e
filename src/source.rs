//! Opening a dataset, the one way `run`, `explain`, `replay` and the Splunk check all
//! do it: locate the file (cache, lock, mirror, download), take `source`/`sourcetype`
//! from the test or else from attack_data's metadata beside the file, read it as a
//! stream of event batches, and once the pass is over check its digest against the
//! lock and report what the reader skipped.

use crate::report::DatasetReport;
use firedrill_dataset::{Fetcher, Located};
use firedrill_events::{read_events, Skipped, SourceMeta};
use firedrill_value::{Event, Want};
use sha2::{Digest, Sha256};
use std::path::Path;
use std::sync::Arc;

/// A dataset as a test names it: reference, and the source and sourcetype it gives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DatasetKey {
    /// URL or path.
    pub reference: String,
    /// `source` given by the test.
    pub source: Option<String>,
    /// `sourcetype` given by the test.
    pub sourcetype: Option<String>,
}

/// A dataset file found and ready to read.
pub struct Opened {
    /// How the test named it.
    pub key: DatasetKey,
    /// The file.
    pub located: Located,
    /// The metadata its events get.
    pub meta: SourceMeta,
}

/// Locates a test's dataset through the fetcher.
pub fn open(fetcher: &Fetcher, key: &DatasetKey) -> Result<Opened, String> {
    let located = fetcher.locate(&key.reference).map_err(|e| e.to_string())?;
    Ok(with_meta(key.clone(), located))
}

/// A file named on the command line (`--dataset`, `explain`, `replay`).
pub fn open_file(
    path: &Path,
    source: Option<String>,
    sourcetype: Option<String>,
) -> Result<Opened, String> {
    let located = Located::local(path).map_err(|e| e.to_string())?;
    let key = DatasetKey {
        reference: path.display().to_string(),
        source,
        sourcetype,
    };
    Ok(with_meta(key, located))
}

fn with_meta(key: DatasetKey, located: Located) -> Opened {
    let from_yaml = located.meta.as_ref();
    let meta = SourceMeta {
        source: key
            .source
            .clone()
            .or_else(|| from_yaml.and_then(|m| m.source.clone())),
        sourcetype: key
            .sourcetype
            .clone()
            .or_else(|| from_yaml.and_then(|m| m.sourcetype.clone())),
        host: None,
    };
    Opened { key, located, meta }
}

impl Opened {
    /// The report entry of this dataset before it is read.
    pub fn report(&self) -> DatasetReport {
        DatasetReport {
            reference: self.key.reference.clone(),
            path: Some(self.located.path.display().to_string()),
            events: 0,
            skipped: 0,
            source: self.meta.source.clone(),
            sourcetype: self.meta.sourcetype.clone(),
            downloaded: self.located.downloaded,
            error: None,
        }
    }

    /// Starts reading: the events come in batches; only the fields in `want` need be
    /// there (more may be).
    pub fn read(&self, want: Arc<Want>) -> Result<Reading, String> {
        let _ = want;
        let path = &self.located.path;
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let out =
            read_events(&bytes, &self.meta).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Reading {
            count: out.events.len() as u64,
            events: out.events.into_iter(),
            skipped: out.skipped,
            sha256,
        })
    }
}

/// A dataset being read.
pub struct Reading {
    events: std::vec::IntoIter<Event>,
    skipped: Vec<Skipped>,
    sha256: String,
    count: u64,
}

/// What a finished pass over a dataset found.
pub struct ReadEnd {
    /// Events read.
    pub events: u64,
    /// Regions skipped.
    pub skipped: u64,
}

/// Events per batch: enough to keep every core busy, few enough to bound memory.
const BATCH: usize = 4096;

impl Reading {
    /// The next batch of events in file order; `None` at the end.
    pub fn next_batch(&mut self) -> Option<Vec<Event>> {
        let batch: Vec<Event> = self.events.by_ref().take(BATCH).collect();
        (!batch.is_empty()).then_some(batch)
    }

    /// Ends the pass: the digest checked against the lock (a mismatch is an error
    /// naming the file), skipped regions reported through `warn` (the first five with
    /// their byte offsets).
    pub fn finish(
        self,
        opened: &Opened,
        fetcher: Option<&Fetcher>,
        warn: &(dyn Fn(String) + Sync),
    ) -> Result<ReadEnd, String> {
        if let Some(f) = fetcher {
            f.confirm(&opened.located, &self.sha256)
                .map_err(|e| e.to_string())?;
        }
        let path = opened.located.path.display();
        for s in self.skipped.iter().take(5) {
            warn(format!(
                "{path}: skipped {} bytes at byte offset {}: {}",
                s.len, s.offset, s.reason
            ));
        }
        if self.skipped.len() > 5 {
            warn(format!(
                "{path}: … and {} more skipped regions",
                self.skipped.len() - 5
            ));
        }
        Ok(ReadEnd {
            events: self.count,
            skipped: self.skipped.len() as u64,
        })
    }
}
