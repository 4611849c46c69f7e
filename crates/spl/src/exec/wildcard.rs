//! Splunk `*` wildcard patterns, matched with ASCII case folding (search semantics).

/// A compiled wildcard pattern: literal pieces between `*`s.
#[derive(Clone, Debug, PartialEq)]
pub struct Wildcard {
    pieces: Vec<String>,
    anchored_start: bool,
    anchored_end: bool,
}

impl Wildcard {
    /// Compiles `pattern` (case-insensitive).
    pub fn new(pattern: &str) -> Wildcard {
        let lower = pattern.to_ascii_lowercase();
        let pieces: Vec<String> = lower
            .split('*')
            .filter(|p| !p.is_empty())
            .map(String::from)
            .collect();
        Wildcard {
            anchored_start: !lower.starts_with('*'),
            anchored_end: !lower.ends_with('*'),
            pieces,
        }
        .normalise(&lower)
    }

    fn normalise(mut self, lower: &str) -> Wildcard {
        if !lower.contains('*') {
            self.pieces = vec![lower.to_string()];
        }
        self
    }

    /// True if the pattern is just `*` (matches any present value).
    pub fn is_any(&self) -> bool {
        self.pieces.is_empty() && !self.anchored_start
    }

    /// Matches `text` against the pattern, ignoring ASCII case.
    pub fn matches(&self, text: &str) -> bool {
        if self.pieces.is_empty() {
            return !self.anchored_start || text.is_empty();
        }
        let lower;
        let text = if text.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = text.to_ascii_lowercase();
            lower.as_str()
        } else {
            text
        };
        let n = self.pieces.len();
        if n == 1 && self.anchored_start && self.anchored_end {
            return text == self.pieces[0];
        }
        let mut pos = 0;
        for (i, piece) in self.pieces.iter().enumerate() {
            let first = i == 0;
            let last = i == n - 1;
            if first && self.anchored_start {
                if !text.starts_with(piece.as_str()) {
                    return false;
                }
                pos = piece.len();
                if last && self.anchored_end {
                    return text.len() == piece.len();
                }
                continue;
            }
            if last && self.anchored_end {
                return text.len() >= pos + piece.len() && text[pos..].ends_with(piece.as_str());
            }
            match text.get(pos..).and_then(|t| t.find(piece.as_str())) {
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
    }
}
