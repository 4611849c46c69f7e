//! Opening a dataset, the one way `run`, `explain`, `replay` and the Splunk check all
//! do it: locate the file (cache, lock, mirror, download), take `source`/`sourcetype`
//! from the test or else from attack_data's metadata beside the file, read it as a
//! stream of event batches in bounded memory (hashing it in the same pass), and once
//! the pass is over check the digest against the lock and report what the reader
//! skipped.

use crate::report::DatasetReport;
use firedrill_dataset::{Fetcher, Located};
use firedrill_events::{Format, ReadOptions, SourceMeta, Stream};
use firedrill_value::{Fields, Record, Row, Want};
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
    /// The `.conf` add-ons its events get: the built-in ones, and the user's
    /// (`--addons`) over them.
    pub knowledge: Option<Arc<dyn firedrill_events::SearchTime>>,
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
    Opened {
        key,
        located,
        meta,
        knowledge: Some(firedrill_addons::builtin::get()),
    }
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
            read_ms: 0.0,
            error: None,
        }
    }

    /// Starts reading: events come in batches holding the fields in `want` (every
    /// field with [`Want::everything`]).
    pub fn read(&self, want: Arc<Want>) -> Result<Reading, String> {
        self.read_codes(want, None, None)
    }

    /// Like [`Opened::read`], delivering only the Windows events whose EventCode is one
    /// of `codes` and the XmlWinEventLog events whose text meets `need` (the others
    /// are counted, not parsed).
    pub fn read_codes(
        &self,
        want: Arc<Want>,
        codes: Option<Arc<std::collections::HashSet<String>>>,
        need: Option<Arc<firedrill_value::Need>>,
    ) -> Result<Reading, String> {
        let path = &self.located.path;
        let opts = ReadOptions {
            event_codes: codes,
            need,
            knowledge: self.knowledge.clone(),
            ..ReadOptions::with_want(want)
        };
        let stream = firedrill_events::open(path, &self.meta, &opts)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Reading {
            stream,
            skipped: Vec::new(),
            skipped_count: 0,
        })
    }
}

/// A dataset being read.
pub struct Reading {
    stream: Stream,
    skipped: Vec<firedrill_events::Skipped>,
    skipped_count: u64,
}

/// One batch of events: records of the wanted fields, or rows of every field.
pub enum Events {
    /// Only the wanted fields.
    Records(Vec<Record>),
    /// Every field.
    Rows(Vec<Row>),
}

impl Events {
    /// The events, as fields.
    pub fn iter(&self) -> Box<dyn Iterator<Item = &dyn Fields> + '_> {
        match self {
            Events::Records(r) => Box::new(r.iter().map(|e| e as &dyn Fields)),
            Events::Rows(r) => Box::new(r.iter().map(|e| e as &dyn Fields)),
        }
    }

    /// The event at `i`.
    pub fn get(&self, i: usize) -> &dyn Fields {
        match self {
            Events::Records(r) => &r[i],
            Events::Rows(r) => &r[i],
        }
    }

    /// How many.
    pub fn len(&self) -> usize {
        match self {
            Events::Records(r) => r.len(),
            Events::Rows(r) => r.len(),
        }
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The events as rows (every field must have been wanted).
    pub fn into_rows(self) -> Vec<Row> {
        match self {
            Events::Rows(r) => r,
            Events::Records(r) => r.iter().map(|e| e.to_row()).collect(),
        }
    }
}

/// What a finished pass over a dataset found.
pub struct ReadEnd {
    /// Events read.
    pub events: u64,
    /// Regions skipped.
    pub skipped: u64,
}

impl Reading {
    /// The format being read (for re-reading an event whole, see
    /// [`firedrill_events::reparse`]).
    pub fn format(&self) -> Format {
        self.stream.format()
    }

    /// The next batch of events in file order; `None` at the end. An error names the
    /// file and what went wrong (a decompression limit, a broken archive).
    pub fn next_batch(&mut self) -> Result<Option<Events>, String> {
        loop {
            let Some(b) = self
                .stream
                .next_batch()
                .map_err(|e| format!("{}: {e}", self.stream.name()))?
            else {
                return Ok(None);
            };
            self.skipped_count += b.skipped.len() as u64;
            let room = 5usize.saturating_sub(self.skipped.len());
            self.skipped.extend(b.skipped.into_iter().take(room));
            if !b.records.is_empty() {
                return Ok(Some(Events::Records(b.records)));
            }
            if !b.rows.is_empty() {
                return Ok(Some(Events::Rows(b.rows)));
            }
        }
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
        let end = self.stream.finish();
        if let Some(f) = fetcher {
            f.confirm(&opened.located, &end.sha256)
                .map_err(|e| e.to_string())?;
        }
        let path = opened.located.path.display();
        for s in &self.skipped {
            warn(format!(
                "{path}: skipped {} bytes at byte offset {}: {}",
                s.len, s.offset, s.reason
            ));
        }
        if self.skipped_count > 5 {
            warn(format!(
                "{path}: … and {} more skipped regions",
                self.skipped_count - 5
            ));
        }
        if let Some(why) = end.shortfall() {
            warn(format!("{path}: {why}"));
        }
        Ok(ReadEnd {
            events: end.events,
            skipped: self.skipped_count,
        })
    }
}
