//! Hash functions for eval (`md5`, `sha1`, `sha256`, `sha512`), lower-case hex.

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

/// The hex digest of `data` with algorithm `name`.
pub fn digest(name: &str, data: &[u8]) -> String {
    match name {
        "md5" => hex(&Md5::digest(data)),
        "sha1" => hex(&Sha1::digest(data)),
        "sha512" => hex(&Sha512::digest(data)),
        _ => hex(&Sha256::digest(data)),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
