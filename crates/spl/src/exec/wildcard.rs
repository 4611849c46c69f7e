//! Splunk `*` wildcard patterns, matched with ASCII case folding (search semantics),
//! without allocating per match.

/// A compiled wildcard pattern: lower-cased literal pieces between `*`s.
#[derive(Clone, Debug, PartialEq)]
pub struct Wildcard {
    pieces: Vec<Vec<u8>>,
    anchored_start: bool,
    anchored_end: bool,
}

/// Finds `needle` (already lower-case) in `hay`, ignoring ASCII case.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    if hay.len() < needle.len() {
        return None;
    }
    let first = needle[0];
    let upper = first.to_ascii_uppercase();
    let last_start = hay.len() - needle.len();
    let mut i = 0;
    while i <= last_start {
        let rel = memchr::memchr2(first, upper, &hay[i..=last_start])?;
        let at = i + rel;
        if hay[at..at + needle.len()].eq_ignore_ascii_case(needle) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

impl Wildcard {
    /// Compiles `pattern` (case-insensitive).
    pub fn new(pattern: &str) -> Wildcard {
        let lower = pattern.to_ascii_lowercase();
        let pieces = if lower.contains('*') {
            lower
                .split('*')
                .filter(|p| !p.is_empty())
                .map(|p| p.as_bytes().to_vec())
                .collect()
        } else {
            vec![lower.as_bytes().to_vec()]
        };
        Wildcard {
            anchored_start: !lower.starts_with('*'),
            anchored_end: !lower.ends_with('*'),
            pieces,
        }
    }

    /// The longest literal piece (lower-case): text every match contains.
    pub fn longest_piece(&self) -> Option<&[u8]> {
        self.pieces
            .iter()
            .max_by_key(|p| p.len())
            .map(Vec::as_slice)
    }

    /// True if the pattern is just `*` (matches any present value).
    pub fn is_any(&self) -> bool {
        self.pieces.is_empty() && !self.anchored_start
    }

    /// Matches `text` against the pattern, ignoring ASCII case.
    pub fn matches(&self, text: &str) -> bool {
        let t = text.as_bytes();
        let n = self.pieces.len();
        if n == 0 {
            return !self.anchored_start || t.is_empty();
        }
        if n == 1 && self.anchored_start && self.anchored_end {
            return t.eq_ignore_ascii_case(&self.pieces[0]);
        }
        let mut pos = 0;
        for (i, piece) in self.pieces.iter().enumerate() {
            let first = i == 0;
            let last = i == n - 1;
            if first && self.anchored_start {
                if t.len() < piece.len() || !t[..piece.len()].eq_ignore_ascii_case(piece) {
                    return false;
                }
                pos = piece.len();
                if last && self.anchored_end {
                    return t.len() == piece.len();
                }
                continue;
            }
            if last && self.anchored_end {
                return t.len() >= pos + piece.len()
                    && t[t.len() - piece.len()..].eq_ignore_ascii_case(piece);
            }
            match find_ci(&t[pos..], piece) {
                Some(at) => pos += at + piece.len(),
                None => return false,
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_fold_case() {
        assert!(Wildcard::new("*comsvcs.dll*").matches(r"C:\x\COMSVCS.DLL, MiniDump"));
        assert!(Wildcard::new("rundll32.exe").matches("RUNDLL32.EXE"));
        assert!(!Wildcard::new("rundll32.exe").matches("rundll32.exe2"));
        assert!(Wildcard::new("a*c").matches("abc"));
        assert!(!Wildcard::new("a*c").matches("abd"));
        assert!(Wildcard::new("*").matches(""));
        assert!(Wildcard::new("a*b*c").matches("a_b_c"));
        assert!(!Wildcard::new("ab*ba").matches("aba"));
        assert!(Wildcard::new("").matches(""));
        assert!(!Wildcard::new("").matches("x"));
        assert!(Wildcard::new("*MiniDump*").matches("comsvcs.dll minidump 1"));
    }
}
