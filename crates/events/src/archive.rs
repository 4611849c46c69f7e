//! Compressed and archived datasets: gzip, tar (inside gzip or not) and zip. Limits guard
//! against decompression bombs; archive member names are only labels (nothing is
//! written to disk), so path traversal in them cannot escape anywhere.

use std::io::Read;

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

/// Decompresses gzip within the limits; the error says which limit was hit.
pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let limit = MAX_EXPANDED.min((bytes.len() as u64).saturating_mul(MAX_RATIO).max(1 << 20));
    let mut out = Vec::new();
    let mut d = flate2::read::MultiGzDecoder::new(bytes).take(limit + 1);
    d.read_to_end(&mut out)
        .map_err(|e| format!("gzip data is corrupt: {e}"))?;
    if out.len() as u64 > limit {
        return Err(format!(
            "gzip data expands past {limit} bytes ({MAX_RATIO}x its size or {MAX_EXPANDED} bytes): refusing a possible decompression bomb"
        ));
    }
    Ok(out)
}

/// The regular files in a tar archive: (name, bytes).
pub fn untar(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let mut total = 0u64;
    let mut ar = tar::Archive::new(bytes);
    let entries = ar
        .entries()
        .map_err(|e| format!("tar archive is corrupt: {e}"))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("tar archive is corrupt: {e}"))?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = entry
            .path()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_else(|_| "?".into());
        total += entry.size();
        if total > MAX_EXPANDED {
            return Err(format!("tar archive holds more than {MAX_EXPANDED} bytes"));
        }
        let mut data = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut data)
            .map_err(|e| format!("tar member {name} is corrupt: {e}"))?;
        out.push((name, data));
    }
    Ok(out)
}

/// True if `bytes` start like a zip archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The files in a zip archive: (name, bytes), within the same limits as gzip.
pub fn unzip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut ar = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .map_err(|e| format!("zip archive is corrupt: {e}"))?;
    let limit = MAX_EXPANDED.min((bytes.len() as u64).saturating_mul(MAX_RATIO).max(1 << 20));
    let mut total = 0u64;
    let mut out = Vec::new();
    for i in 0..ar.len() {
        let mut f = ar
            .by_index(i)
            .map_err(|e| format!("zip member {i} cannot be read: {e}"))?;
        if f.is_dir() {
            continue;
        }
        let name = f
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| format!("member {i}"));
        let mut data = Vec::new();
        (&mut f)
            .take(limit - total.min(limit) + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("zip member {name} is corrupt or encrypted: {e}"))?;
        total += data.len() as u64;
        if total > limit {
            return Err(format!(
                "zip archive expands past {limit} bytes: refusing a possible decompression bomb"
            ));
        }
        out.push((name, data));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_round_trip_and_bomb_limit() {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(b"hello").unwrap();
        let gz = e.finish().unwrap();
        assert!(is_gzip(&gz));
        assert_eq!(gunzip(&gz).unwrap(), b"hello");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&vec![b'a'; 50 << 20]).unwrap();
        let bomb = e.finish().unwrap();
        let err = gunzip(&bomb).unwrap_err();
        assert!(err.contains("decompression bomb"), "{err}");
        assert!(gunzip(b"\x1f\x8bnot gzip").is_err());
    }

    #[test]
    fn zip_members() {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        w.start_file("data/a.log", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(b"x=1\ny=2\n").unwrap();
        let bytes = w.finish().unwrap().into_inner();
        assert!(is_zip(&bytes));
        let files = unzip(&bytes).unwrap();
        assert_eq!(
            files,
            vec![("data/a.log".to_string(), b"x=1\ny=2\n".to_vec())]
        );
        assert!(unzip(b"PK\x03\x04broken").is_err());
    }

    #[test]
    fn tar_members() {
        let mut b = tar::Builder::new(Vec::new());
        let data = b"line1\nline2\n";
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_cksum();
        b.append_data(&mut h, "a/b.log", &data[..]).unwrap();
        let bytes = b.into_inner().unwrap();
        assert!(is_tar(&bytes));
        let files = untar(&bytes).unwrap();
        assert_eq!(files.last().unwrap().0, "a/b.log");
        assert_eq!(files.last().unwrap().1, data);
    }
}
