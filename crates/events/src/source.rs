//! The byte side of a stream, on its own thread: reads the file once, hashes the
//! bytes as stored, unpacks gzip, tar and zip as they come (within the limits), and
//! hands the stream the data of each file inside, a piece at a time, through a
//! bounded channel (so at most a few pieces are ever in flight).
//!
//! Every error is tagged with the layer it comes from, so an error inside an archive
//! member (a corrupt `.gz` in a tar) skips that member while an error in the archive
//! itself ends the stream, as reading the whole file at once did.

use crate::archive::{is_gzip, is_tar, is_zip, MAX_EXPANDED, MAX_RATIO};
use crate::ReadError;
use sha2::{Digest, Sha256};
use std::cell::{Cell, RefCell};
use std::fmt;
use std::io::{self, BufRead, BufReader, Read, Seek};
use std::rc::Rc;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes per data piece (the first piece of a file is smaller: most dataset files
/// are small, and a large buffer costs page faults for each).
const PIECE: usize = 1 << 20;
const FIRST_PIECE: usize = 64 << 10;
/// Read buffers between the layers.
const BUF: usize = 64 << 10;
/// Pieces in flight between the reading thread and the stream.
const IN_FLIGHT: usize = 4;
/// Archives inside archives, at most.
const MAX_DEPTH: usize = 8;

/// What the reading thread sends.
pub(crate) enum Piece {
    /// A file begins: `label` is its name inside the archive (`None`: the stream
    /// itself, or a gzip of it); `size`, when known.
    Begin {
        label: Option<String>,
        size: Option<u64>,
    },
    /// The next bytes of the current file.
    Data(Vec<u8>),
    /// The current file is complete.
    End,
    /// The current archive member cannot be read further: skip it.
    MemberError(ReadError),
    /// The stream cannot be read further.
    Fatal(ReadError),
    /// Everything was read.
    Done { bytes: u64, sha256: String },
}

/// Where the bytes come from.
pub(crate) enum Input {
    /// A file on disk, with its size.
    File(std::fs::File, u64),
    /// Any reader, with its size if known.
    Reader(Box<dyn Read + Send>, Option<u64>),
}

/// An error from one layer of the unpacking.
#[derive(Debug)]
struct Tagged {
    depth: usize,
    err: ReadError,
}

impl fmt::Display for Tagged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.err.fmt(f)
    }
}

impl std::error::Error for Tagged {}

fn tag(depth: usize, err: ReadError) -> io::Error {
    io::Error::other(Tagged { depth, err })
}

/// The tagged error inside `e`, or `e` tagged as coming from `depth` with `wrap`.
fn untag(e: io::Error, depth: usize, wrap: impl FnOnce(&io::Error) -> ReadError) -> Tagged {
    if !e.get_ref().is_some_and(|x| x.is::<Tagged>()) {
        return Tagged {
            depth,
            err: wrap(&e),
        };
    }
    let msg = e.to_string();
    match e.into_inner().map(|b| b.downcast::<Tagged>()) {
        Some(Ok(t)) => *t,
        _ => Tagged {
            depth,
            err: ReadError::Io(msg),
        },
    }
}

/// Why emitting stopped.
enum Stop {
    /// The stream was dropped: nobody listens.
    Closed,
    Fatal(ReadError),
}

type Sent = Result<(), Stop>;

/// Where pieces go, and the budget every layer of nesting shares: the data delivered
/// in all, whatever archives and gzip streams it came out of, may be at most
/// [`MAX_RATIO`] times the input's size (or [`MAX_EXPANDED`]), so a bomb nested in
/// archives is stopped as surely as a flat one.
struct Tx<'a> {
    chan: &'a SyncSender<Piece>,
    delivered: Cell<u64>,
    /// The input's size when known before reading.
    size: Option<u64>,
    /// The input bytes read so far (for an input of unknown size).
    tap: Option<TapRead>,
}

impl Tx<'_> {
    fn send(&self, p: Piece) -> Sent {
        if let Piece::Data(d) = &p {
            let total = self.delivered.get() + d.len() as u64;
            self.delivered.set(total);
            if total > self.limit() {
                return Err(Stop::Fatal(ReadError::Limit(format!(
                    "the contents expand past {} bytes ({MAX_RATIO}x the input's size or {MAX_EXPANDED} bytes, every nested archive counted together): refusing a possible decompression bomb",
                    self.limit()
                ))));
            }
        }
        self.chan.send(p).map_err(|_| Stop::Closed)
    }

    /// The most data the input may expand to (a plain file, whatever its size,
    /// delivers no more than itself).
    fn limit(&self) -> u64 {
        let input = self
            .size
            .or_else(|| self.tap.as_ref().map(|t| t.0.borrow().bytes))
            .unwrap_or(0);
        MAX_EXPANDED
            .min(input.saturating_mul(MAX_RATIO).max(1 << 20))
            .max(input)
    }

    /// What may still be delivered (for a member that must be held in memory).
    fn room(&self) -> u64 {
        self.limit().saturating_sub(self.delivered.get())
    }
}

/// The file's bytes as read, hashed and counted.
struct Tap {
    inner: Box<dyn Read>,
    sha: Sha256,
    bytes: u64,
}

#[derive(Clone)]
struct TapRead(Rc<RefCell<Tap>>);

impl Read for TapRead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut t = self.0.borrow_mut();
        let n = t
            .inner
            .read(buf)
            .map_err(|e| tag(0, ReadError::Io(format!("read error: {e}"))))?;
        t.sha.update(&buf[..n]);
        t.bytes += n as u64;
        Ok(n)
    }
}

/// Counts the bytes a decoder takes in.
struct Count<R> {
    inner: R,
    n: Rc<Cell<u64>>,
}

impl<R: Read> Read for Count<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.n.set(self.n.get() + n as u64);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Count<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.n.set(self.n.get() + amt as u64);
        self.inner.consume(amt)
    }
}

/// The most a gzip stream of `compressed` bytes may expand to.
fn gzip_limit(compressed: u64) -> u64 {
    MAX_EXPANDED.min(compressed.saturating_mul(MAX_RATIO).max(1 << 20))
}

/// Decompressed gzip, counted against the limit as it comes: of the known
/// compressed size, or else of the compressed bytes taken in so far.
struct Gunzip<R: BufRead> {
    dec: flate2::bufread::MultiGzDecoder<Count<R>>,
    taken: Rc<Cell<u64>>,
    size: Option<u64>,
    out: u64,
    depth: usize,
}

impl<R: BufRead> Read for Gunzip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.dec.read(buf) {
            Ok(n) => n,
            Err(e) => {
                let t = untag(e, self.depth, |e| {
                    ReadError::Archive(format!("gzip data is corrupt: {e}"))
                });
                return Err(tag(t.depth, t.err));
            }
        };
        self.out += n as u64;
        let limit = gzip_limit(self.size.unwrap_or(self.taken.get()));
        if self.out > limit {
            let of = match self.size {
                Some(_) => "its size",
                None => "the compressed bytes read so far",
            };
            return Err(tag(
                self.depth,
                ReadError::Limit(format!(
                    "gzip data expands past {limit} bytes ({MAX_RATIO}x {of} or {MAX_EXPANDED} bytes): refusing a possible decompression bomb"
                )),
            ));
        }
        Ok(n)
    }
}

/// Tags errors of an archive member's reader as the archive's.
struct Member<R> {
    inner: R,
    depth: usize,
    what: &'static str,
    name: String,
}

impl<R: Read> Read for Member<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let t = untag(e, self.depth, |e| {
                ReadError::Archive(format!(
                    "{} {} is corrupt{}: {e}",
                    self.what,
                    self.name,
                    if self.what == "zip member" {
                        " or encrypted"
                    } else {
                        ""
                    }
                ))
            });
            tag(t.depth, t.err)
        })
    }
}

/// Reads up to `n` bytes (fewer only at the end of input).
fn peek(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

fn join(label: &Option<String>, name: &str) -> String {
    match label {
        Some(l) => format!("{l}: {name}"),
        None => name.to_string(),
    }
}

/// What a read error means here: inside the current archive member (`floor` is the
/// depth at which it began) it skips the member; otherwise it ends the stream.
fn failed(tx: &Tx<'_>, e: io::Error, depth: usize, floor: Option<usize>) -> Sent {
    let t = untag(e, depth, |e| ReadError::Io(format!("read error: {e}")));
    match floor {
        Some(f) if t.depth > f => tx.send(Piece::MemberError(t.err)),
        _ => Err(Stop::Fatal(t.err)),
    }
}

/// Sends the files in `r`: unpacks gzip, tar and zip; anything else is one file.
/// `size` is the compressed size of `r` when known (for the gzip ratio limit).
fn emit(
    mut r: Box<dyn BufRead + '_>,
    label: Option<String>,
    size: Option<u64>,
    depth: usize,
    floor: Option<usize>,
    tx: &Tx<'_>,
) -> Sent {
    let head = match peek(&mut r, 512) {
        Ok(h) => h,
        Err(e) => {
            tx.send(Piece::Begin {
                label: label.clone(),
                size,
            })?;
            failed(tx, e, depth, floor)?;
            return tx.send(Piece::End);
        }
    };
    let nested = depth < MAX_DEPTH;
    let mut r: Box<dyn BufRead + '_> = Box::new(io::Cursor::new(head.clone()).chain(r));
    if nested && is_gzip(&head) {
        let taken = Rc::new(Cell::new(0));
        let dec = flate2::bufread::MultiGzDecoder::new(Count {
            inner: r,
            n: taken.clone(),
        });
        let gz = Gunzip {
            dec,
            taken,
            size,
            out: 0,
            depth: depth + 1,
        };
        return emit(
            Box::new(BufReader::with_capacity(BUF, gz)),
            label,
            None,
            depth + 1,
            floor,
            tx,
        );
    }
    if nested && is_tar(&head) {
        return untar(r, label, depth + 1, tx);
    }
    if nested && is_zip(&head) {
        // zip needs its central directory, at the end: a zip inside a stream is read
        // into memory (within the expansion limit) and unpacked there.
        let mut all = Vec::new();
        if let Err(e) = r
            .take(tx.room().min(MAX_EXPANDED) + 1)
            .read_to_end(&mut all)
        {
            tx.send(Piece::Begin { label, size })?;
            failed(tx, e, depth, floor)?;
            return tx.send(Piece::End);
        }
        let len = all.len() as u64;
        return unzip(io::Cursor::new(all), len, label, depth + 1, tx).map(|_| ());
    }
    tx.send(Piece::Begin { label, size })?;
    let mut want = FIRST_PIECE;
    loop {
        let mut piece = Vec::with_capacity(want);
        let got = (&mut r).take(want as u64).read_to_end(&mut piece);
        want = PIECE;
        match got {
            Ok(0) => break,
            Ok(_) => tx.send(Piece::Data(piece))?,
            Err(e) => {
                if !piece.is_empty() {
                    tx.send(Piece::Data(piece))?;
                }
                failed(tx, e, depth, floor)?;
                break;
            }
        }
    }
    tx.send(Piece::End)
}

fn untar(r: Box<dyn BufRead + '_>, label: Option<String>, depth: usize, tx: &Tx<'_>) -> Sent {
    let corrupt = |e: io::Error| {
        let t = untag(e, depth, |e| {
            ReadError::Archive(format!("tar archive is corrupt: {e}"))
        });
        Stop::Fatal(t.err)
    };
    let mut ar = tar::Archive::new(r);
    let entries = ar.entries().map_err(corrupt)?;
    let mut total = 0u64;
    for entry in entries {
        let entry = entry.map_err(corrupt)?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "?".into());
        let size = entry.size();
        total += size;
        if total > MAX_EXPANDED {
            return Err(Stop::Fatal(ReadError::Limit(format!(
                "tar archive holds more than {MAX_EXPANDED} bytes"
            ))));
        }
        let member = Member {
            inner: entry,
            depth,
            what: "tar member",
            name: name.clone(),
        };
        emit(
            Box::new(BufReader::with_capacity(BUF, member)),
            Some(join(&label, &name)),
            Some(size),
            depth,
            Some(depth),
            tx,
        )?;
    }
    Ok(())
}

fn unzip<R: Read + Seek>(
    r: R,
    len: u64,
    label: Option<String>,
    depth: usize,
    tx: &Tx<'_>,
) -> Result<R, Stop> {
    let mut ar = zip::ZipArchive::new(r)
        .map_err(|e| Stop::Fatal(ReadError::Archive(format!("zip archive is corrupt: {e}"))))?;
    let limit = MAX_EXPANDED.min(len.saturating_mul(MAX_RATIO).max(1 << 20));
    let total = Rc::new(Cell::new(0u64));
    for i in 0..ar.len() {
        let f = ar.by_index(i).map_err(|e| {
            Stop::Fatal(ReadError::Archive(format!(
                "zip member {i} cannot be read: {e}"
            )))
        })?;
        if f.is_dir() {
            continue;
        }
        let name = f
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("member {i}"));
        let size = f.size();
        let counted = ZipLimit {
            inner: f,
            total: total.clone(),
            limit,
            depth,
        };
        let member = Member {
            inner: counted,
            depth,
            what: "zip member",
            name: name.clone(),
        };
        emit(
            Box::new(BufReader::with_capacity(BUF, member)),
            Some(join(&label, &name)),
            Some(size),
            depth,
            Some(depth),
            tx,
        )?;
    }
    Ok(ar.into_inner())
}

/// Counts a zip archive's expanded bytes against its limit as they come.
struct ZipLimit<R> {
    inner: R,
    total: Rc<Cell<u64>>,
    limit: u64,
    depth: usize,
}

impl<R: Read> Read for ZipLimit<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.total.set(self.total.get() + n as u64);
        if self.total.get() > self.limit {
            return Err(tag(
                self.depth,
                ReadError::Limit(format!(
                    "zip archive expands past {} bytes: refusing a possible decompression bomb",
                    self.limit
                )),
            ));
        }
        Ok(n)
    }
}

fn hash_all(mut r: impl Read) -> io::Result<(u64, String)> {
    let mut sha = Sha256::new();
    let mut buf = vec![0u8; 4 * BUF];
    let mut n = 0u64;
    loop {
        let k = r.read(&mut buf)?;
        if k == 0 {
            break;
        }
        sha.update(&buf[..k]);
        n += k as u64;
    }
    Ok((n, hex(&sha.finalize())))
}

/// Lower-case hex.
pub(crate) fn hex(b: &[u8]) -> String {
    const D: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(D[(x >> 4) as usize] as char);
        s.push(D[(x & 15) as usize] as char);
    }
    s
}

/// The SHA-256 of a whole file, in one sequential pass (for the formats read with
/// random access).
pub(crate) fn hash_file(path: &std::path::Path) -> io::Result<(u64, String)> {
    hash_all(std::fs::File::open(path)?)
}

fn produce(input: Input, zip_file: bool, chan: &SyncSender<Piece>) -> Sent {
    if zip_file {
        // A zip on disk is read with random access, member by member; its hash is a
        // second, sequential pass over the file.
        let Input::File(f, len) = input else {
            unreachable!("zip_file is only set for files")
        };
        let tx = &Tx {
            chan,
            delivered: Cell::new(0),
            size: Some(len),
            tap: None,
        };
        let mut f = unzip(f, len, None, 1, tx)?;
        f.rewind()
            .map_err(|e| Stop::Fatal(ReadError::Io(format!("read error: {e}"))))?;
        let (bytes, sha256) =
            hash_all(f).map_err(|e| Stop::Fatal(ReadError::Io(format!("read error: {e}"))))?;
        return tx.send(Piece::Done { bytes, sha256 });
    }
    let (inner, size): (Box<dyn Read>, Option<u64>) = match input {
        Input::File(f, len) => (Box::new(f), Some(len)),
        Input::Reader(r, len) => (r, len),
    };
    let tap = TapRead(Rc::new(RefCell::new(Tap {
        inner,
        sha: Sha256::new(),
        bytes: 0,
    })));
    let tx = &Tx {
        chan,
        delivered: Cell::new(0),
        size,
        tap: Some(tap.clone()),
    };
    emit(
        Box::new(BufReader::with_capacity(BUF, tap.clone())),
        None,
        size,
        0,
        None,
        tx,
    )?;
    // Whatever the formats did not read (tar padding, trailing bytes) is hashed too.
    io::copy(&mut tap.clone(), &mut io::sink())
        .map_err(|e| Stop::Fatal(untag(e, 0, |e| ReadError::Io(format!("read error: {e}"))).err))?;
    let t = tap.0.borrow();
    let (bytes, sha256) = (t.bytes, hex(&t.sha.clone().finalize()));
    tx.send(Piece::Done { bytes, sha256 })
}

/// Starts the reading thread.
pub(crate) fn spawn(input: Input, zip_file: bool) -> Result<Receiver<Piece>, ReadError> {
    let (tx, rx) = sync_channel(IN_FLIGHT);
    std::thread::Builder::new()
        .name("firedrill-read".into())
        .stack_size(512 << 10)
        .spawn(move || {
            let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                produce(input, zip_file, &tx)
            }));
            match run {
                Ok(Ok(())) | Ok(Err(Stop::Closed)) => {}
                Ok(Err(Stop::Fatal(e))) => {
                    let _ = tx.send(Piece::Fatal(e));
                }
                Err(p) => {
                    let msg = p
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| p.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    let _ = tx.send(Piece::Fatal(ReadError::Io(format!(
                        "the reading thread failed: {msg}"
                    ))));
                }
            }
        })
        .map_err(|e| ReadError::Io(format!("cannot start a reading thread: {e}")))?;
    Ok(rx)
}
