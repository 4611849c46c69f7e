//! Reading a dataset file once, as a stream, in bounded memory.
//!
//! A [`Stream`] pulls the file's bytes from its reading thread (see `source.rs`: it
//! hashes them and unpacks gzip/tar/zip as they come), finds the events in each piece
//! with the format's splitter (carrying a partial event over to the next piece), and
//! when a batch's worth of events is found parses them in parallel (rayon), keeping
//! only the wanted fields and computing only the wanted add-on fields. Memory is a
//! few pieces, one batch of raw events and its parsed output — never the file.

use crate::evtx_reader::{self, Chunks};
use crate::json_reader::JsonSplit;
use crate::lines::{ClassicSplit, LineSplit};
use crate::out::{meta_refs, Ev, EvOut, Names, Out};
use crate::source::{self, Input, Piece};
use crate::xmlwin::XmlSplit;
use crate::SearchTime;
use crate::{
    by_sourcetype, json_reader, lines, sniff, xmlwin, Format, ReadError, Skipped, SourceMeta,
};
use firedrill_value::{Record, Row, Sym, Want};
use rayon::prelude::*;
use std::io::{Read, Seek};
use std::path::Path;
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::thread::JoinHandle;

/// The default batch: 8 MiB of raw events.
pub const DEFAULT_BATCH_BYTES: usize = 8 << 20;

/// How to read.
#[derive(Clone, Debug)]
pub struct ReadOptions {
    /// The fields to keep. With [`Want::all`] every field is kept and batches hold
    /// [`Row`]s; otherwise they hold [`Record`]s of the named fields (plus `_time`,
    /// `host`, `source` and `sourcetype`; `_raw` only if named). Add-on fields are
    /// computed only when named; what computing them reads is read but not kept
    /// (call [`expand_want_with`](crate::expand_want_with) first to keep it too).
    pub want: Arc<Want>,
    /// About how many bytes of raw events make a batch (the unit of parallel parsing).
    pub batch_bytes: usize,
    /// Keep only XmlWinEventLog and EVTX events whose `EventID` is one of these:
    /// the others are counted but not parsed (when every search reading the file
    /// needs one of a few EventCodes). Events without an `EventID` are kept.
    pub event_codes: Option<Arc<std::collections::HashSet<String>>>,
    /// Keep only XmlWinEventLog events (and EVTX records, tested as the XML they
    /// render to) whose raw text meets this condition (built from fields that
    /// [`raw_piece`](crate::raw_piece) says hold pieces of it): the others are counted
    /// but not parsed, so one that would not parse is not reported skipped (as with
    /// [`ReadOptions::event_codes`]). Events with character references
    /// (`&#…;`, which may spell any text), comments, CDATA sections or processing
    /// instructions (which a value's text runs across) are kept.
    pub need: Option<Arc<firedrill_value::Need>>,
    /// The add-ons (built-in apps and a user's) whose fields are computed.
    pub knowledge: Option<Arc<dyn SearchTime>>,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            want: Arc::new(Want::everything()),
            batch_bytes: DEFAULT_BATCH_BYTES,
            event_codes: None,
            need: None,
            knowledge: None,
        }
    }
}

impl ReadOptions {
    /// Options keeping `want`, with the default batch size.
    pub fn with_want(want: Arc<Want>) -> ReadOptions {
        ReadOptions {
            want,
            ..ReadOptions::default()
        }
    }
}

/// The next events of a stream, in file order.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// The events as records of the wanted fields (when not everything is wanted).
    pub records: Vec<Record>,
    /// The events as rows of every field (when everything is wanted).
    pub rows: Vec<Row>,
    /// Regions that are not events, with their byte offsets (in the decompressed
    /// data, and the archive member's name first in the reason, for archives).
    pub skipped: Vec<Skipped>,
}

impl Batch {
    /// The number of events.
    pub fn len(&self) -> usize {
        self.records.len() + self.rows.len()
    }

    /// True when the batch holds no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a finished stream read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamEnd {
    /// The format (for an archive, its last readable member's).
    pub format: Format,
    /// Events delivered.
    pub events: u64,
    /// Skipped regions delivered.
    pub skipped: u64,
    /// The file's size as stored.
    pub bytes: u64,
    /// Lower-case hex SHA-256 of the file as stored (compressed bytes for gzip/tar.gz).
    pub sha256: String,
    /// The bytes the readers were given (after decompression and unpacking).
    pub content_bytes: u64,
    /// Of those, the bytes inside events or inside regions reported skipped.
    pub accounted_bytes: u64,
}

/// Content below this size is not checked by [`StreamEnd::shortfall`].
const SHORTFALL_MIN: u64 = 64 << 10;

impl StreamEnd {
    /// When less than half of a dataset's content was read as events or reported
    /// skipped, says so: the rest (separators, padding) cannot explain it, and a
    /// verdict over the events read would be about part of the data only.
    pub fn shortfall(&self) -> Option<String> {
        (self.content_bytes >= SHORTFALL_MIN && self.accounted_bytes < self.content_bytes / 2)
            .then(|| {
                format!(
                    "only {} of its {} bytes were read as events or reported skipped: the dataset yields fewer events than its size implies",
                    self.accounted_bytes, self.content_bytes
                )
            })
    }
}

/// A region of a member to parse as one event (absolute offsets in the member).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unit {
    pub(crate) start: u64,
    pub(crate) end: u64,
    /// Format-specific: how the event was delimited.
    pub(crate) kind: u8,
}

enum Split {
    Xml(XmlSplit),
    Lines(LineSplit),
    Classic(ClassicSplit),
    Json(JsonSplit),
}

impl Split {
    fn new(f: Format, base: u64) -> Split {
        match f {
            Format::XmlWinEventLog | Format::Evtx => Split::Xml(XmlSplit::new(base)),
            Format::Json => Split::Json(JsonSplit::new(base)),
            Format::WinEventLog => Split::Classic(ClassicSplit::new(base)),
            Format::Lines | Format::Text | Format::Unknown => Split::Lines(LineSplit::new(base)),
        }
    }

    fn scan(&mut self, buf: &[u8], base: u64, eof: bool, u: &mut Vec<Unit>, s: &mut Vec<Skipped>) {
        match self {
            Split::Xml(x) => x.scan(buf, base, eof, u, s),
            Split::Lines(x) => x.scan(buf, base, eof, u, s),
            Split::Classic(x) => x.scan(buf, base, eof, u, s),
            Split::Json(x) => x.scan(buf, base, eof, u, s),
        }
    }

    fn needed_from(&self) -> u64 {
        match self {
            Split::Xml(x) => x.needed_from(),
            Split::Lines(x) => x.needed_from(),
            Split::Classic(x) => x.needed_from(),
            Split::Json(x) => x.needed_from(),
        }
    }
}

enum Mode {
    Records {
        names: Names,
        /// What the add-ons compute: the wanted fields and their inputs.
        need: Want,
        /// Read to compute add-on fields but not wanted: removed after (by symbol
        /// index, so an event's fields are checked without a search).
        drop: Vec<bool>,
    },
    Rows,
}

/// The reading mode for each format a stream meets, made on first use: the fields
/// add-ons read depend on the events' sourcetype, which is the format's own when
/// the metadata gives none.
struct Modes {
    want: Arc<Want>,
    slots: [std::sync::OnceLock<Mode>; Format::COUNT],
}

impl Modes {
    fn new(want: Arc<Want>) -> Modes {
        Modes {
            want,
            slots: std::array::from_fn(|_| std::sync::OnceLock::new()),
        }
    }

    fn get(&self, format: Format, meta: &SourceMeta, knowledge: Option<&dyn SearchTime>) -> &Mode {
        self.slots[format as usize].get_or_init(|| {
            let st = meta
                .sourcetype
                .as_deref()
                .unwrap_or(format.default_sourcetype());
            mode_for(&self.want, knowledge, st)
        })
    }
}

struct Ctx {
    meta: SourceMeta,
    modes: Modes,
    event_codes: Option<Arc<std::collections::HashSet<String>>>,
    need: Option<Arc<firedrill_value::Need>>,
    batch: u64,
    knowledge: Option<Arc<dyn SearchTime>>,
    /// The reader the sourcetype names, if it names one.
    by_st: Option<Format>,
}

enum Evt {
    Rec(Record),
    Row(Row),
    /// Counted, not delivered (see [`ReadOptions::event_codes`]).
    Filtered,
}

/// One file in the stream (the stream itself, or an archive member).
struct Member {
    label: Option<String>,
    size: Option<u64>,
    format: Option<Format>,
    split: Option<Split>,
    /// Whole EVTX data (it needs random access).
    evtx: bool,
    buf: Vec<u8>,
    base: u64,
    seen: u64,
    units: Vec<Unit>,
    unit_bytes: u64,
    skipped: Vec<Skipped>,
    failed: Option<String>,
}

impl Member {
    fn new(label: Option<String>, size: Option<u64>) -> Member {
        Member {
            label,
            size,
            format: None,
            split: None,
            evtx: false,
            buf: Vec::new(),
            base: 0,
            seen: 0,
            units: Vec::new(),
            unit_bytes: 0,
            skipped: Vec::new(),
            failed: None,
        }
    }

    /// Drops the bytes no longer needed.
    fn drain(&mut self) {
        let Some(split) = &self.split else { return };
        let mut keep = split.needed_from();
        if let Some(u) = self.units.first() {
            keep = keep.min(u.start);
        }
        let cut = keep.min(self.base + self.buf.len() as u64).max(self.base);
        let n = (cut - self.base) as usize;
        if n > 0 {
            self.buf.drain(..n);
            self.base = cut;
        }
    }
}

/// EVTX chunks being read.
struct EvtxRun {
    chunks: Chunks,
    /// The number of the next chunk (its bytes start at 4096 + number × 64 KiB).
    next: u64,
    label: Option<String>,
    /// The hash of an EVTX file, computed in a separate sequential pass.
    hash: Option<JoinHandle<std::io::Result<(u64, String)>>>,
}

/// Chunks per EVTX batch.
const EVTX_CHUNK: u64 = 64 * 1024;

/// A dataset file being read: call [`next_batch`](Stream::next_batch) until it
/// returns `None`, then [`finish`](Stream::finish).
pub struct Stream {
    name: String,
    ctx: Ctx,
    pieces: Option<Receiver<Piece>>,
    evtx: Option<EvtxRun>,
    member: Option<Member>,
    out: Batch,
    out_bytes: u64,
    end: StreamEnd,
    done: bool,
    error: Option<ReadError>,
}

/// Opens a dataset file. The format is chosen as [`read_events`](crate::read_events)
/// chooses it: magic bytes for gzip, tar, zip and EVTX, then the sourcetype, then the
/// first 4 KiB. The file is read once, sequentially, and hashed in the same pass;
/// EVTX and zip, which need random access, are hashed by a second sequential pass.
pub fn open(path: &Path, meta: &SourceMeta, opts: &ReadOptions) -> Result<Stream, ReadError> {
    let name = path.display().to_string();
    let io = |e: std::io::Error| ReadError::Io(format!("cannot read {name}: {e}"));
    let mut f = std::fs::File::open(path).map_err(io)?;
    let len = f.metadata().map_err(io)?.len();
    let mut head = Vec::with_capacity(8);
    (&mut f).take(8).read_to_end(&mut head).map_err(io)?;
    f.rewind().map_err(io)?;
    let mut s = Stream::new(name.clone(), meta, opts);
    if evtx_reader::is_evtx(&head) {
        let (chunks, cut) = evtx_reader::chunks_of_file(f)?;
        s.out.skipped.extend(cut);
        s.end.content_bytes = len;
        s.end.accounted_bytes = evtx_reader::HEADER.min(len);
        let p = path.to_path_buf();
        let hash = std::thread::Builder::new()
            .name("firedrill-hash".into())
            .spawn(move || source::hash_file(&p))
            .map_err(|e| ReadError::Io(format!("cannot start a hashing thread: {e}")))?;
        s.end.format = Format::Evtx;
        s.evtx = Some(EvtxRun {
            chunks,
            next: 0,
            label: None,
            hash: Some(hash),
        });
    } else {
        let zip = crate::archive::is_zip(&head);
        s.pieces = Some(source::spawn(Input::File(f, len), zip)?);
        s.prime()?;
    }
    Ok(s)
}

/// Opens a stream over any reader (`name` labels it). A zip or EVTX inside is read
/// into memory first (both need random access); everything else streams.
pub fn open_reader(
    r: Box<dyn Read + Send>,
    name: &str,
    meta: &SourceMeta,
    opts: &ReadOptions,
) -> Result<Stream, ReadError> {
    open_input(Input::Reader(r, None), name, meta, opts)
}

/// A stream over bytes in memory (their length is known, for the gzip ratio limit).
pub(crate) fn open_bytes(
    bytes: Vec<u8>,
    meta: &SourceMeta,
    opts: &ReadOptions,
) -> Result<Stream, ReadError> {
    let len = bytes.len() as u64;
    open_input(
        Input::Reader(Box::new(std::io::Cursor::new(bytes)), Some(len)),
        "<bytes>",
        meta,
        opts,
    )
}

fn open_input(
    input: Input,
    name: &str,
    meta: &SourceMeta,
    opts: &ReadOptions,
) -> Result<Stream, ReadError> {
    let mut s = Stream::new(name.to_string(), meta, opts);
    s.pieces = Some(source::spawn(input, false)?);
    s.prime()?;
    Ok(s)
}

fn mode_for(want: &Want, knowledge: Option<&dyn SearchTime>, sourcetype: &str) -> Mode {
    if want.all {
        return Mode::Rows;
    }
    let mut need = want.clone();
    crate::expand_want_for(&mut need, knowledge, Some(sourcetype));
    let m = meta_refs();
    let always = [m.time.sym, m.host.sym, m.source.sym, m.sourcetype.sym];
    let dropped: Vec<Sym> = need
        .names()
        .filter(|n| want.get(n).is_none())
        .filter_map(|n| need.get(n))
        .filter(|s| !always.contains(s))
        .collect();
    let mut drop = vec![false; dropped.iter().map(|s| s.index() + 1).max().unwrap_or(0)];
    for s in dropped {
        drop[s.index()] = true;
    }
    Mode::Records {
        names: Names::of_want(&need),
        need,
        drop,
    }
}

/// Parses one event into the stream's output (`ev`: a reusable builder).
fn parse_one(
    ctx: &Ctx,
    ev: &mut Ev,
    format: Format,
    bytes: &[u8],
    kind: u8,
) -> Result<Evt, String> {
    if let Some(codes) = &ctx.event_codes {
        if matches!(format, Format::XmlWinEventLog | Format::Evtx) {
            if let Some(id) = xmlwin::event_id(bytes) {
                if !codes.contains(id) {
                    return Ok(Evt::Filtered);
                }
            }
        }
    }
    if let Some(n) = &ctx.need {
        if format == Format::XmlWinEventLog && !admits(n, bytes) {
            return Ok(Evt::Filtered);
        }
    }
    match ctx.modes.get(format, &ctx.meta, ctx.knowledge.as_deref()) {
        Mode::Records { names, need, drop } => {
            let mut o = EvOut::new(ev, names);
            parse_into(format, bytes, kind, &ctx.meta, &mut o)?;
            if let Some(k) = &ctx.knowledge {
                k.apply(ev, need);
            }
            Ok(Evt::Rec(ev.take_record(drop)))
        }
        Mode::Rows => {
            let names = Names::everything();
            let mut o = EvOut::new(ev, names);
            parse_into(format, bytes, kind, &ctx.meta, &mut o)?;
            if let Some(k) = &ctx.knowledge {
                k.apply(ev, &Want::everything());
            }
            Ok(Evt::Row(ev.take_row(names)))
        }
    }
}

thread_local! {
    /// The lower-case copy of an event [`admits`] searches.
    static LOWER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// True if an XmlWinEventLog event's text meets `need`, or holds what makes a value
/// other than a piece of the text: a character reference (`&#…;` may spell any
/// text), a comment or CDATA section (`<!`) or a processing instruction (`<?`),
/// which a value's text runs across.
fn admits(need: &firedrill_value::Need, bytes: &[u8]) -> bool {
    use memchr::memmem::Finder;
    static BREAKS: std::sync::OnceLock<[Finder<'static>; 3]> = std::sync::OnceLock::new();
    let breaks =
        BREAKS.get_or_init(|| [Finder::new(b"&#"), Finder::new(b"<!"), Finder::new(b"<?")]);
    LOWER.with(|l| need.admits_raw(bytes, &mut l.borrow_mut()))
        || breaks.iter().any(|f| f.find(bytes).is_some())
}

/// The reader a file's metadata names: an add-on's `KV_MODE`/`INDEXED_EXTRACTIONS`
/// first, then the sourcetype's own (`data/sourcetypes.yml`); `None` to sniff.
fn reader_for(meta: &SourceMeta, knowledge: Option<&dyn SearchTime>) -> Option<Format> {
    match knowledge.and_then(|k| k.kv_mode(meta)) {
        Some(crate::KvMode::Json) => Some(Format::Json),
        Some(crate::KvMode::None) => Some(Format::Text),
        None => meta.sourcetype.as_deref().and_then(by_sourcetype),
    }
}

pub(crate) fn parse_into<O: Out>(
    format: Format,
    bytes: &[u8],
    kind: u8,
    meta: &SourceMeta,
    out: &mut O,
) -> Result<(), String> {
    match format {
        Format::XmlWinEventLog | Format::Evtx => xmlwin::parse_event(bytes, meta, out),
        Format::Json => json_reader::json_event(bytes, kind, meta, out),
        Format::WinEventLog => {
            lines::classic_event(bytes, meta, out);
            Ok(())
        }
        Format::Lines => {
            lines::line_event(bytes, kind, meta, out, true);
            Ok(())
        }
        Format::Text => {
            lines::line_event(bytes, kind, meta, out, false);
            Ok(())
        }
        Format::Unknown => Err("no reader for this format".into()),
    }
}

fn why(format: Format, msg: String) -> String {
    match format {
        Format::Json => format!("not JSON: {msg}"),
        _ => format!("malformed event: {msg}"),
    }
}

fn labelled(label: &Option<String>, mut s: Skipped) -> Skipped {
    if let Some(l) = label {
        s.reason = format!("{l}: {}", s.reason);
    }
    s
}

impl Stream {
    fn new(name: String, meta: &SourceMeta, opts: &ReadOptions) -> Stream {
        Stream {
            name,
            ctx: Ctx {
                meta: meta.clone(),
                modes: Modes::new(opts.want.clone()),
                event_codes: opts.event_codes.clone(),
                need: opts.need.clone(),
                batch: opts.batch_bytes.max(1) as u64,
                knowledge: opts.knowledge.clone(),
                by_st: reader_for(meta, opts.knowledge.as_deref()),
            },
            pieces: None,
            evtx: None,
            member: None,
            out: Batch::default(),
            out_bytes: 0,
            end: StreamEnd {
                format: Format::Unknown,
                events: 0,
                skipped: 0,
                bytes: 0,
                sha256: String::new(),
                content_bytes: 0,
                accounted_bytes: 0,
            },
            done: false,
            error: None,
        }
    }

    /// The name given at open.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The format, once known (for an archive: its latest member's so far).
    pub fn format(&self) -> Format {
        self.end.format
    }

    /// Reads until the format of a plain file is known, so that `open` reports an
    /// unsupported format at once.
    fn prime(&mut self) -> Result<(), ReadError> {
        while !self.done && self.error.is_none() {
            match &self.member {
                Some(m) if m.label.is_some() || m.format.is_some() || m.failed.is_some() => break,
                _ => {}
            }
            if self.evtx.is_some() {
                break;
            }
            self.step()?;
        }
        match self.error.take() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The next events in file order, `None` at the end. After an error the stream is
    /// over (events delivered before it were read correctly).
    pub fn next_batch(&mut self) -> Result<Option<Batch>, ReadError> {
        loop {
            if self.out_bytes >= self.ctx.batch
                || ((self.done || self.error.is_some())
                    && (!self.out.is_empty() || !self.out.skipped.is_empty()))
            {
                return Ok(Some(self.take()));
            }
            if let Some(e) = self.error.take() {
                self.done = true;
                self.pieces = None;
                return Err(e);
            }
            if self.done {
                return Ok(None);
            }
            if let Err(e) = self.step() {
                self.error = Some(e);
            }
        }
    }

    fn take(&mut self) -> Batch {
        let mut b = std::mem::take(&mut self.out);
        self.out_bytes = 0;
        self.end.events += b.len() as u64;
        self.end.skipped += b.skipped.len() as u64;
        self.end.accounted_bytes += b.skipped.iter().map(|s| s.len).sum::<u64>();
        b.skipped.shrink_to_fit();
        b
    }

    /// Makes progress: one piece, or one batch of EVTX chunks.
    fn step(&mut self) -> Result<(), ReadError> {
        if self.evtx.is_some() {
            return self.evtx_step();
        }
        let Some(rx) = &self.pieces else {
            self.done = true;
            return Ok(());
        };
        match rx.recv() {
            Ok(p) => self.piece(p),
            Err(_) => {
                self.pieces = None;
                Err(ReadError::Io(format!(
                    "{}: the reading thread stopped before the end",
                    self.name
                )))
            }
        }
    }

    fn piece(&mut self, p: Piece) -> Result<(), ReadError> {
        match p {
            Piece::Begin { label, size } => {
                self.member = Some(Member::new(label, size));
                Ok(())
            }
            Piece::Data(d) => self.data(d),
            Piece::End => self.end_member(),
            Piece::MemberError(e) => {
                if let Some(m) = &mut self.member {
                    let l = m.label.clone().unwrap_or_default();
                    m.failed.get_or_insert(format!("archive member {l}: {e}"));
                }
                Ok(())
            }
            Piece::Fatal(e) => {
                self.pieces = None;
                Err(e)
            }
            Piece::Done { bytes, sha256 } => {
                self.end.bytes = bytes;
                self.end.sha256 = sha256;
                self.pieces = None;
                self.done = true;
                Ok(())
            }
        }
    }

    fn data(&mut self, d: Vec<u8>) -> Result<(), ReadError> {
        let Some(mut m) = self.member.take() else {
            return Ok(());
        };
        let r = self.member_data(&mut m, d);
        self.member = Some(m);
        r
    }

    fn member_data(&mut self, m: &mut Member, d: Vec<u8>) -> Result<(), ReadError> {
        m.seen += d.len() as u64;
        self.end.content_bytes += d.len() as u64;
        if m.failed.is_some() {
            return Ok(());
        }
        // The first piece becomes the buffer; later ones are copied into it, so the
        // buffer keeps its capacity from batch to batch (no regrowing, no new pages).
        if m.buf.capacity() == 0 && m.format.is_some() && !m.evtx {
            m.buf = d;
        } else {
            m.buf.extend_from_slice(&d);
        }
        if m.format.is_none() {
            if m.buf.len() < 4096 {
                return Ok(());
            }
            self.decide(m)?;
        }
        if m.failed.is_some() || m.evtx {
            return Ok(());
        }
        self.scan(m, false);
        Ok(())
    }

    /// Chooses the member's reader from its first bytes.
    fn decide(&mut self, m: &mut Member) -> Result<(), ReadError> {
        let f = if evtx_reader::is_evtx(&m.buf) {
            Format::Evtx
        } else {
            self.ctx
                .by_st
                .unwrap_or_else(|| sniff(&m.buf[..m.buf.len().min(4096)]))
        };
        if f == Format::Unknown {
            let e = ReadError::UnsupportedFormat {
                sourcetype: self.ctx.meta.sourcetype.clone(),
                start: String::from_utf8_lossy(&m.buf[..m.buf.len().min(40)]).into_owned(),
            };
            match &m.label {
                None => return Err(e),
                Some(l) => {
                    m.failed = Some(format!("archive member {l}: {e}"));
                    m.buf = Vec::new();
                    return Ok(());
                }
            }
        }
        m.format = Some(f);
        if f == Format::Evtx {
            m.evtx = true;
        } else {
            self.end.format = f;
            m.split = Some(Split::new(f, m.base));
        }
        Ok(())
    }

    fn scan(&mut self, m: &mut Member, eof: bool) {
        let Some(split) = &mut m.split else { return };
        let before = m.units.len();
        split.scan(&m.buf, m.base, eof, &mut m.units, &mut m.skipped);
        m.unit_bytes += m.units[before..]
            .iter()
            .map(|u| u.end - u.start)
            .sum::<u64>();
        if eof || m.unit_bytes >= self.ctx.batch {
            self.flush(m);
        } else {
            m.drain();
        }
    }

    /// Parses the member's pending events in parallel into the output batch.
    fn flush(&mut self, m: &mut Member) {
        let format = m.format.unwrap_or(Format::Lines);
        let ctx = &self.ctx;
        let (buf, base) = (&m.buf, m.base);
        let parsed: Vec<Result<Evt, Skipped>> = m
            .units
            .par_iter()
            .map_init(Ev::default, |ev, u| {
                let bytes = &buf[(u.start - base) as usize..(u.end - base) as usize];
                parse_one(ctx, ev, format, bytes, u.kind).map_err(|msg| Skipped {
                    offset: u.start,
                    len: u.end - u.start,
                    reason: why(format, msg),
                })
            })
            .collect();
        let mut skipped = std::mem::take(&mut m.skipped);
        for p in parsed {
            match p {
                Ok(e) => self.push(e),
                Err(s) => skipped.push(s),
            }
        }
        skipped.sort_by_key(|s| s.offset);
        self.out
            .skipped
            .extend(skipped.into_iter().map(|s| labelled(&m.label, s)));
        self.out_bytes += m.unit_bytes;
        self.end.accounted_bytes += m.unit_bytes;
        m.units.clear();
        m.unit_bytes = 0;
        m.drain();
    }

    fn push(&mut self, e: Evt) {
        match e {
            Evt::Rec(r) => self.out.records.push(r),
            Evt::Row(r) => self.out.rows.push(r),
            Evt::Filtered => self.end.events += 1,
        }
    }

    fn end_member(&mut self) -> Result<(), ReadError> {
        let Some(mut m) = self.member.take() else {
            return Ok(());
        };
        if m.failed.is_none() && m.format.is_none() {
            self.decide(&mut m)?;
        }
        if let Some(reason) = m.failed.take() {
            // Complete events read before the error stay; the rest is reported.
            if !m.units.is_empty() {
                self.flush(&mut m);
            }
            self.out.skipped.push(Skipped {
                offset: 0,
                len: m.size.unwrap_or(m.seen),
                reason,
            });
            return Ok(());
        }
        if m.evtx {
            match evtx_reader::chunks_of_buffer(std::mem::take(&mut m.buf)) {
                Ok((chunks, cut)) => {
                    let label = m.label.clone();
                    self.out.skipped.extend(cut.map(|s| labelled(&label, s)));
                    self.end.accounted_bytes += evtx_reader::HEADER.min(m.seen);
                    self.end.format = Format::Evtx;
                    self.evtx = Some(EvtxRun {
                        chunks,
                        next: 0,
                        label: m.label,
                        hash: None,
                    });
                }
                Err(e) => match &m.label {
                    None => return Err(e),
                    Some(l) => self.out.skipped.push(Skipped {
                        offset: 0,
                        len: m.size.unwrap_or(m.seen),
                        reason: format!("archive member {l}: {e}"),
                    }),
                },
            }
            return Ok(());
        }
        self.scan(&mut m, true);
        Ok(())
    }

    /// Reads and parses one batch of EVTX chunks, each chunk on its own thread.
    fn evtx_step(&mut self) -> Result<(), ReadError> {
        let Some(run) = &mut self.evtx else {
            return Ok(());
        };
        let want = (self.ctx.batch / EVTX_CHUNK).max(1);
        let mut chunks = Vec::new();
        for c in run.chunks.by_ref() {
            chunks.push(c);
            if chunks.len() as u64 >= want {
                break;
            }
        }
        if chunks.is_empty() {
            let run = self.evtx.take().unwrap_or_else(|| unreachable!());
            if let Some(h) = run.hash {
                let (bytes, sha256) = h
                    .join()
                    .map_err(|_| ReadError::Io("the hashing thread failed".into()))?
                    .map_err(|e| ReadError::Io(format!("cannot read {}: {e}", self.name)))?;
                self.end.bytes = bytes;
                self.end.sha256 = sha256;
                self.done = true;
            }
            return Ok(());
        }
        let n = chunks.len() as u64;
        let first = run.next;
        run.next += n;
        let ctx = &self.ctx;
        let parsed: Vec<Vec<Result<Evt, Skipped>>> = chunks
            .into_par_iter()
            .enumerate()
            .map_init(Ev::default, |ev, (i, c)| {
                // What cannot be read is placed at its chunk: the finest position the
                // EVTX parser gives.
                let number = first + i as u64;
                let (offset, len) = evtx_reader::chunk_span(number);
                let mut out = Vec::new();
                evtx_reader::records(c, |r| {
                    out.push(match r {
                        Ok((id, xml)) => {
                            parse_one(ctx, ev, Format::XmlWinEventLog, xml.as_bytes(), 0).map_err(
                                |msg| Skipped {
                                    offset,
                                    len,
                                    reason: format!("EVTX chunk {number}, record {id}: {msg}"),
                                },
                            )
                        }
                        Err(msg) => Err(Skipped {
                            offset,
                            len,
                            reason: format!("EVTX chunk {number}: {msg}"),
                        }),
                    })
                });
                out
            })
            .collect();
        let label = run.label.clone();
        for p in parsed.into_iter().flatten() {
            match p {
                Ok(e) => self.push(e),
                Err(s) => self.out.skipped.push(labelled(&label, s)),
            }
        }
        self.out_bytes += n * EVTX_CHUNK;
        self.end.accounted_bytes += n * EVTX_CHUNK;
        Ok(())
    }

    /// Ends the stream: what it read, the file's size and SHA-256. Called before the
    /// last batch, the rest of the file is still read and hashed (not parsed), and
    /// the counts are of what was delivered.
    pub fn finish(mut self) -> StreamEnd {
        if let Some(run) = self.evtx.take() {
            if let Some(h) = run.hash {
                if let Ok(Ok((bytes, sha256))) = h.join() {
                    self.end.bytes = bytes;
                    self.end.sha256 = sha256;
                }
            }
        }
        if let Some(rx) = self.pieces.take() {
            for p in rx.iter() {
                match p {
                    Piece::Done { bytes, sha256 } => {
                        self.end.bytes = bytes;
                        self.end.sha256 = sha256;
                        break;
                    }
                    Piece::Fatal(_) => break,
                    _ => {}
                }
            }
        }
        self.end
    }
}
