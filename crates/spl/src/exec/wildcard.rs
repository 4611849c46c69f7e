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

    /// The literal pieces between the `*`s (lower-case): every match contains each.
    pub fn pieces(&self) -> &[Vec<u8>] {
        &self.pieces
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

/// Splunk's default breakers (`segmenters.conf`): the major ones (space, brackets,
/// quotes, `|!;,&?+*`…) and the minor ones (`/ : = @ . - $ # % \\ _`). Bytes of
/// non-ASCII text never break.
pub fn is_breaker(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t'
            | b'\n'
            | b'\r'
            | b'\x0b'
            | b'\x0c'
            | b'['
            | b']'
            | b'<'
            | b'>'
            | b'('
            | b')'
            | b'{'
            | b'}'
            | b'|'
            | b'!'
            | b';'
            | b','
            | b'\''
            | b'"'
            | b'*'
            | b'&'
            | b'?'
            | b'+'
            | b'/'
            | b':'
            | b'='
            | b'@'
            | b'.'
            | b'-'
            | b'$'
            | b'#'
            | b'%'
            | b'\\'
            | b'_'
    )
}

/// A bare search term: it matches where it lies on segment boundaries of the text, as
/// Splunk matches terms against the segments of `_raw` (`fail` matches `login fail`
/// and `fail:` but not `failed`; `fail*` matches `failed`; `*ail*` matches anywhere).
/// A term that starts or ends with a breaker needs no boundary on that side.
#[derive(Clone, Debug, PartialEq)]
pub struct Term {
    pieces: Vec<Vec<u8>>,
    /// The first piece must start at a boundary.
    bound_start: bool,
    /// The last piece must end at a boundary.
    bound_end: bool,
    /// Matched with case (`CASE(term)`).
    case: bool,
}

impl Term {
    /// Compiles a term (case-insensitive).
    pub fn new(term: &str) -> Term {
        Term::build(term, false)
    }

    /// Compiles a term matched with its case (`CASE(term)`).
    pub fn with_case(term: &str) -> Term {
        Term::build(term, true)
    }

    fn build(term: &str, case: bool) -> Term {
        let lower = if case {
            term.to_string()
        } else {
            term.to_ascii_lowercase()
        };
        let pieces: Vec<Vec<u8>> = lower
            .split('*')
            .filter(|p| !p.is_empty())
            .map(|p| p.as_bytes().to_vec())
            .collect();
        let first = lower.as_bytes().first().copied();
        let last = lower.as_bytes().last().copied();
        Term {
            bound_start: first.is_some_and(|b| b != b'*' && !is_breaker(b)),
            bound_end: last.is_some_and(|b| b != b'*' && !is_breaker(b)),
            pieces,
            case,
        }
    }

    /// The longest literal piece (lower-case): text every match contains.
    pub fn longest_piece(&self) -> Option<&[u8]> {
        self.pieces
            .iter()
            .max_by_key(|p| p.len())
            .map(Vec::as_slice)
    }

    /// The literal pieces between the `*`s (lower-case unless matched with case):
    /// every match contains each.
    pub fn pieces(&self) -> &[Vec<u8>] {
        &self.pieces
    }

    fn find(&self, hay: &[u8], needle: &[u8]) -> Option<usize> {
        if self.case {
            memchr::memmem::find(hay, needle)
        } else {
            find_ci(hay, needle)
        }
    }

    /// True if the term matches `text` on segment boundaries, ignoring ASCII case.
    pub fn matches(&self, text: &str) -> bool {
        let t = text.as_bytes();
        let n = self.pieces.len();
        if n == 0 {
            return true;
        }
        let starts_ok = |at: usize| !self.bound_start || at == 0 || is_breaker(t[at - 1]);
        let ends_ok = |end: usize| !self.bound_end || end == t.len() || is_breaker(t[end]);
        let mut from = 0;
        // Each place the first piece starts on a boundary is a candidate.
        while let Some(rel) = self.find(&t[from..], &self.pieces[0]) {
            let at = from + rel;
            from = at + 1;
            if !starts_ok(at) {
                continue;
            }
            let mut pos = at + self.pieces[0].len();
            if n == 1 {
                if ends_ok(pos) {
                    return true;
                }
                continue;
            }
            // Middle pieces: leftmost is always best for what follows.
            let mut ok = true;
            for piece in &self.pieces[1..n - 1] {
                match self.find(&t[pos..], piece) {
                    Some(r) => pos += r + piece.len(),
                    None => {
                        ok = false;
                        break;
                    }
                }
            }
            if !ok {
                return false;
            }
            // The last piece: any occurrence that ends on a boundary.
            let last = &self.pieces[n - 1];
            let mut p = pos;
            while let Some(r) = self.find(&t[p..], last) {
                if ends_ok(p + r + last.len()) {
                    return true;
                }
                p += r + 1;
            }
            return false;
        }
        false
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

    #[test]
    fn terms_match_whole_segments() {
        let t = |term: &str, text: &str| Term::new(term).matches(text);
        assert!(t("fail", "login fail for bob"));
        assert!(t("FAIL", "status=fail"));
        assert!(!t("fail", "login failed"));
        assert!(t("fail*", "login failed"));
        assert!(!t("ail*", "login failed"));
        assert!(t("*ail*", "login failed"));
        assert!(t("10.1.2", "src=10.1.2.3"));
        assert!(!t("0.1.2", "src=10.1.2.3"));
        assert!(t("bob@corp", "user=bob@corp.example"));
        assert!(t(".exe", "cmd.exe"));
        assert!(t("login f*d", "login failed"));
        assert!(!t("log*fail", "login failed"));
        assert!(t("a*c", "xx abc ac"));
        assert!(t("*", ""));
        assert!(t("über", "x über y"));
        assert!(!t("ber", "x über y"));
        // Search Manual, "Use CASE() and TERM()": CASE(error) matches only `error`.
        assert!(Term::with_case("error").matches("an error here"));
        assert!(!Term::with_case("error").matches("an ERROR here"));
        assert!(Term::with_case("%ASA-1*").matches("x %ASA-1-134568"));
        assert!(!Term::with_case("%ASA-1*").matches("x %asa-1-134568"));
    }
}
