//! Necessary conditions on an event's raw text: texts that must occur in it (ignoring
//! ASCII case) for some search to admit it. A reader tests them on the bytes of each
//! event before parsing it, and skips (counts, but does not parse) events that fail:
//! a detection whose filter asks for `process=*comsvcs.dll*` cannot admit an event
//! whose text holds no `comsvcs.dll`.
//!
//! A condition is only sound for fields whose values are pieces of the raw text; the
//! stage that builds one decides which fields those are. The texts themselves are
//! kept to what survives any escaping a format applies: runs of ASCII letters, digits
//! and punctuation that no format escapes (see [`Need::text`]).

use memchr::memmem::Finder;

/// Texts shorter than this are not worth a search (and match nearly everything).
const MIN_TEXT: usize = 3;

/// A condition on an event's raw text.
#[derive(Clone, Debug)]
pub enum Need {
    /// This text (ASCII lower-case) occurs.
    Text(Box<Finder<'static>>),
    /// Every condition holds.
    All(Vec<Need>),
    /// Some condition holds (none: never).
    Any(Vec<Need>),
}

/// Bytes kept in a text: what no format's escaping rewrites (XML escapes `&<>"'` as
/// `&name;`, JSON `"\/`; neither escapes letters, digits or the rest of ASCII
/// punctuation).
fn plain(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'&' | b';' | b'<' | b'>' | b'"' | b'\'' | b'\\' | b'/')
}

impl Need {
    /// What a value containing `literal` puts in the raw text: each run of plain bytes
    /// of at least three, all of them (`None` when there is none: no condition). A run
    /// right after `&` may be an entity's name (a value may hold `&gt;` where the text
    /// has `>`): not required.
    pub fn text(literal: &[u8]) -> Option<Need> {
        let mut runs = Vec::new();
        let (mut start, mut after_amp) = (0, false);
        for i in 0..=literal.len() {
            let b = literal.get(i).copied();
            if b.is_some_and(plain) {
                continue;
            }
            let run = &literal[start..i];
            if run.len() >= MIN_TEXT && !after_amp {
                runs.push(Need::Text(Box::new(
                    Finder::new(&run.to_ascii_lowercase()).into_owned(),
                )));
            }
            after_amp = b == Some(b'&');
            start = i + 1;
        }
        Need::all(runs)
    }

    /// Every condition of `items` (`None` when there is none).
    pub fn all(mut items: Vec<Need>) -> Option<Need> {
        match items.len() {
            0 => None,
            1 => items.pop(),
            _ => Some(Need::All(items)),
        }
    }

    /// Some condition of `items`, when each alternative has one (`None`: one of them
    /// may hold whatever the text, so nothing is required).
    pub fn any(items: Vec<Option<Need>>) -> Option<Need> {
        let mut items: Vec<Need> = items.into_iter().collect::<Option<_>>()?;
        if items.len() == 1 {
            return items.pop();
        }
        Some(Need::Any(items))
    }

    /// True if `lower` (a raw text in ASCII lower-case) meets the condition.
    pub fn admits(&self, lower: &[u8]) -> bool {
        match self {
            Need::Text(f) => f.find(lower).is_some(),
            Need::All(items) => items.iter().all(|n| n.admits(lower)),
            Need::Any(items) => items.iter().any(|n| n.admits(lower)),
        }
    }

    /// True if `raw` meets the condition, ignoring ASCII case (`scratch` is reused to
    /// hold its lower-case copy).
    pub fn admits_raw(&self, raw: &[u8], scratch: &mut Vec<u8>) -> bool {
        scratch.clear();
        scratch.extend(raw.iter().map(u8::to_ascii_lowercase));
        self.admits(scratch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admits(n: &Need, raw: &str) -> bool {
        n.admits_raw(raw.as_bytes(), &mut Vec::new())
    }

    #[test]
    fn texts_are_the_plain_runs_of_a_literal() {
        let n = Need::text(b"C:\\Windows\\System32\\rundll32.exe").unwrap();
        assert!(admits(
            &n,
            "<Data>c:\\WINDOWS\\system32\\RunDll32.EXE</Data>"
        ));
        // Each run is required, not their order or what lies between.
        assert!(admits(&n, "rundll32.exe windows System32 c:"));
        assert!(!admits(&n, "c:\\Windows\\System32\\cmd.exe"));
        // A quote or an ampersand may be escaped (&quot; &amp;): not required.
        let q = Need::text(b"a&b \"quoted\"").unwrap();
        assert!(admits(&q, "a&amp;b &quot;quoted&quot;"));
        assert!(Need::text(b"* ab ").is_none());
        // The reader keeps `&gt;` where the text may have `>`: neither `gt` nor
        // `quot` is required.
        let e = Need::text(b"whoami &gt;out.txt &quot;abc").unwrap();
        assert!(admits(&e, "whoami >out.txt \"abc"));
        assert!(Need::text("é".as_bytes()).is_none());
    }

    #[test]
    fn all_and_any() {
        let t = |s: &str| Need::text(s.as_bytes());
        let n = Need::all(vec![t("comsvcs").unwrap(), t("minidump").unwrap()]).unwrap();
        assert!(admits(&n, "COMSVCS.dll, MiniDump"));
        assert!(!admits(&n, "comsvcs.dll"));
        let either = Need::any(vec![t("rundll32"), t("regsvr32")]).unwrap();
        assert!(admits(&either, "regsvr32.exe"));
        assert!(!admits(&either, "cmd.exe"));
        // An alternative without a condition makes the whole unconditional.
        assert!(Need::any(vec![t("rundll32"), None]).is_none());
        // No alternative at all: nothing is admitted.
        assert!(!admits(&Need::any(vec![]).unwrap(), "anything"));
    }
}
