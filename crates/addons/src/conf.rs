//! Splunk's `.conf` syntax: `[stanza]` headers, `key = value` settings, lines whose
//! first non-blank character is `#` are comments, and a value whose line ends in `\`
//! goes on over the next line (the line break kept). Settings before the first
//! header belong to `[default]`; a key given twice in a stanza keeps its last value.

use crate::error::{AddonError, ErrorKind};
use std::path::Path;

/// The largest add-on file read (real ones are a few hundred kilobytes).
pub const MAX_FILE_BYTES: u64 = 16 << 20;

/// One `key = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting {
    /// The key as written.
    pub key: String,
    /// The value, trimmed.
    pub value: String,
    /// 1-based line of the key.
    pub line: usize,
}

/// One `[stanza]` and its settings, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stanza {
    /// The name between the brackets.
    pub name: String,
    /// 1-based line of the header (0 for the implicit `[default]`).
    pub line: usize,
    /// The settings.
    pub settings: Vec<Setting>,
}

/// Reads and parses one file.
pub fn read(path: &Path) -> Result<Vec<Stanza>, AddonError> {
    let io = |m: String| AddonError::new(ErrorKind::Io, path, 0, m);
    let meta = std::fs::metadata(path).map_err(|e| io(e.to_string()))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err(io(format!(
            "{} bytes: larger than the {MAX_FILE_BYTES}-byte limit for an add-on file",
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| io(e.to_string()))?;
    let text = std::str::from_utf8(&bytes).map_err(|e| {
        let at = e.valid_up_to();
        let line = bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1;
        AddonError::new(
            ErrorKind::Syntax,
            path,
            line,
            format!("not UTF-8 (byte offset {at})"),
        )
    })?;
    parse(path, text)
}

/// Parses `text` (the file's contents; `path` names it in errors).
pub fn parse(path: &Path, text: &str) -> Result<Vec<Stanza>, AddonError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut stanzas = vec![Stanza {
        name: "default".into(),
        line: 0,
        settings: Vec::new(),
    }];
    let mut lines = text.lines().enumerate();
    while let Some((i, raw)) = lines.next() {
        let line = i + 1;
        let t = raw.trim();
        if t.is_empty() || t.starts_with('#') {
            continue;
        }
        if t.starts_with('[') {
            let Some(close) = t.rfind(']') else {
                return Err(AddonError::new(
                    ErrorKind::Syntax,
                    path,
                    line,
                    "a stanza header without its closing `]`",
                ));
            };
            let name = t[1..close].trim().to_string();
            match stanzas.iter().position(|s| s.name == name) {
                // A stanza given twice in one file: Splunk merges the two.
                Some(p) => {
                    let s = stanzas.remove(p);
                    stanzas.push(s);
                }
                None => stanzas.push(Stanza {
                    name,
                    line,
                    settings: Vec::new(),
                }),
            }
            continue;
        }
        let Some((key, first)) = raw.split_once('=') else {
            return Err(AddonError::new(
                ErrorKind::Syntax,
                path,
                line,
                "expected `[stanza]`, `key = value` or a `#` comment",
            ));
        };
        let key = key.trim();
        if key.is_empty() {
            return Err(AddonError::new(
                ErrorKind::Syntax,
                path,
                line,
                "a setting without a key",
            ));
        }
        let mut value = first.trim_start().to_string();
        while value.ends_with('\\') {
            value.pop();
            value.push('\n');
            match lines.next() {
                Some((_, more)) => value.push_str(more),
                None => break,
            }
        }
        let value = value.trim().to_string();
        let stanza = stanzas
            .last_mut()
            .expect("the default stanza is always there");
        stanza.settings.retain(|s| s.key != key);
        stanza.settings.push(Setting {
            key: key.to_string(),
            value,
            line,
        });
    }
    Ok(stanzas)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Vec<Stanza>, AddonError> {
        parse(Path::new("props.conf"), text)
    }

    #[test]
    fn stanzas_settings_comments_and_continuations() {
        let s = p("# c\nTZ = UTC\n[st]\nEXTRACT-a = (?<x>\\d+)\n  # c2\nEVAL-y = if(x>1,\\\n \"big\", \"small\")\n[st]\nEXTRACT-a = (?<z>.)\n").unwrap();
        assert_eq!(s[0].name, "default");
        assert_eq!(s[0].settings[0].value, "UTC");
        assert_eq!(s[1].name, "st");
        let keys: Vec<_> = s[1]
            .settings
            .iter()
            .map(|x| (x.key.as_str(), x.line))
            .collect();
        assert_eq!(keys, [("EVAL-y", 6), ("EXTRACT-a", 9)]);
        assert_eq!(s[1].settings[0].value, "if(x>1,\n \"big\", \"small\")");
        assert_eq!(s[1].settings[1].value, "(?<z>.)");
    }

    #[test]
    fn value_keeps_equals_and_hashes() {
        let s = p("[a]\nREGEX = a=(?<b>[^#]+) # not a comment\n").unwrap();
        assert_eq!(s[1].settings[0].value, "a=(?<b>[^#]+) # not a comment");
    }

    #[test]
    fn bom_is_skipped() {
        assert_eq!(p("\u{feff}[a]\nk = v\n").unwrap()[1].name, "a");
    }

    #[test]
    fn errors_name_the_line() {
        for (text, line, want) in [
            ("[a]\njust words\n", 2, "expected"),
            ("[a\n", 1, "closing"),
            ("[a]\n = v\n", 2, "without a key"),
        ] {
            let e = p(text).unwrap_err();
            assert_eq!((e.line, e.kind), (line, ErrorKind::Syntax), "{text:?}");
            assert!(
                e.to_string().starts_with(&format!("props.conf:{line}: ")),
                "{e}"
            );
            assert!(e.message.contains(want), "{e}");
        }
    }
}
