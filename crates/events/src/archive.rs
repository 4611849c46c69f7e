//! Compressed and archived datasets: gzip, tar (inside gzip or not) and zip, unpacked
//! as a stream by the reading thread (`source.rs`). Limits guard against
//! decompression bombs and are counted as the bytes come; archive member names are
//! only labels (nothing is written to disk), so path traversal in them cannot escape
//! anywhere.

/// Most bytes a compressed dataset may expand to.
pub const MAX_EXPANDED: u64 = 8 * 1024 * 1024 * 1024;
/// Most a dataset may expand relative to its compressed size.
pub const MAX_RATIO: u64 = 200;

/// True if `bytes` start with the gzip magic.
pub fn is_gzip(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0x1f, 0x8b])
}

/// True if `bytes` hold a tar archive (the `ustar` magic at offset 257).
pub fn is_tar(bytes: &[u8]) -> bool {
    bytes.get(257..262) == Some(b"ustar")
}

/// True if `bytes` start like a zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}
