//! The real events a corpus is made of: every file under a samples directory is read
//! with firedrill's own readers (`firedrill_events::read_events`) and each event's
//! `_raw` becomes a template. EVTX records come out of firedrill's EVTX reader as the
//! `evtx` crate renders them (indented, double-quoted, with an XML declaration);
//! [`splunk_xml`] rewrites that into the single-line form Splunk's XmlWinEventLog
//! holds, with the same elements, attributes and values.

use crate::template::Template;
use firedrill_events::{read_events, Format, SourceMeta};
use quick_xml::events::{BytesStart, Event as X};
use quick_xml::Reader;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Where a template came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Origin {
    /// An EVTX record rendered to XmlWinEventLog text.
    Evtx,
    /// An event of an XmlWinEventLog text file, as it is.
    XmlText,
    /// A JSON line (NXLog) from a text or archive file, as it is.
    Json,
}

/// All templates, by kind.
#[derive(Debug, Default)]
pub struct Samples {
    /// Windows events (XmlWinEventLog text), by lower-case channel.
    pub windows: BTreeMap<String, Vec<Template>>,
    /// JSON lines.
    pub json: Vec<Template>,
    /// Files read, with their format and event count.
    pub files: Vec<(PathBuf, String, usize)>,
    /// Events dropped because the same text was already a template.
    pub duplicates: usize,
    /// Events of other formats not used.
    pub unused: usize,
}

impl Samples {
    /// Every Windows template, in channel order (the fallback pool).
    pub fn all_windows(&self) -> Vec<&Template> {
        self.windows.values().flatten().collect()
    }

    /// Templates by origin: (origin, count, bytes).
    pub fn origins(&self) -> BTreeMap<Origin, (usize, usize)> {
        let mut out: BTreeMap<Origin, (usize, usize)> = BTreeMap::new();
        for t in self.windows.values().flatten().chain(&self.json) {
            let e = out.entry(t.origin).or_default();
            e.0 += 1;
            e.1 += t.len_hint();
        }
        out
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// Reads every event file below `dir` (sorted by path, so the result is the same on
/// every machine). Files that are not event data (MANIFEST, TSV, licenses) are left out.
pub fn load(dir: &Path) -> Result<Samples, String> {
    let mut files = Vec::new();
    walk(dir, &mut files).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut s = Samples::default();
    let mut seen: HashSet<String> = HashSet::new();
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase());
        let name = name.unwrap_or_default();
        if name.ends_with(".tsv") || name == "manifest.txt" || name.starts_with("license") {
            continue;
        }
        let bytes = std::fs::read(&f).map_err(|e| format!("{}: {e}", f.display()))?;
        let out = match read_events(&bytes, &SourceMeta::default()) {
            Ok(o) => o,
            Err(_) => continue,
        };
        s.files
            .push((f.clone(), format!("{:?}", out.format), out.events.len()));
        for ev in out.events {
            let Some(raw) = ev.get("_raw").as_text() else {
                continue;
            };
            let (origin, text) = match out.format {
                Format::Evtx => match splunk_xml(&raw) {
                    Ok(t) => (Origin::Evtx, t),
                    Err(_) => continue,
                },
                Format::XmlWinEventLog => (Origin::XmlText, raw.trim().to_string()),
                Format::Json if !raw.contains('\n') => (Origin::Json, raw.trim().to_string()),
                _ => {
                    s.unused += 1;
                    continue;
                }
            };
            if !seen.insert(text.clone()) {
                s.duplicates += 1;
                continue;
            }
            let t = Template::parse(&text, origin);
            if origin == Origin::Json {
                s.json.push(t);
            } else {
                let channel = ev
                    .get("Channel")
                    .as_text()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                s.windows.entry(channel).or_default().push(t);
            }
        }
    }
    Ok(s)
}

/// Escapes text as Windows renders element text: `&`, `<` and `>` only.
fn push_text(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

fn push_attr_value(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
}

fn push_start(out: &mut String, e: &BytesStart<'_>) -> Result<(), String> {
    out.push('<');
    out.push_str(&String::from_utf8_lossy(e.name().as_ref()));
    for a in e.attributes() {
        let a = a.map_err(|e| e.to_string())?;
        out.push(' ');
        out.push_str(&String::from_utf8_lossy(a.key.as_ref()));
        out.push_str("='");
        let v = a.unescape_value().map_err(|e| e.to_string())?;
        push_attr_value(out, &v);
        out.push('\'');
    }
    Ok(())
}

/// Rewrites one rendered `<Event>` (as the `evtx` crate renders it) into Splunk's
/// XmlWinEventLog form: no declaration, no indentation, single-quoted attributes,
/// empty elements self-closed (`<Correlation/>`), text escaped as Windows escapes it.
/// Element text is kept as it is (firedrill's reader trims Data values, as the add-on does).
pub fn splunk_xml(rendered: &str) -> Result<String, String> {
    let mut reader = Reader::from_str(rendered);
    let mut out = String::with_capacity(rendered.len());
    // The start tag written but not yet closed with `>`, and text seen since.
    let mut open = false;
    let mut text = String::new();
    let mut depth = 0usize;
    let mut in_system = false;
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            X::Start(e) => {
                if open {
                    out.push('>');
                }
                if !text.trim().is_empty() {
                    out.push_str(&text);
                }
                text.clear();
                push_start(&mut out, &e)?;
                open = true;
                depth += 1;
                if e.name().as_ref() == b"System" {
                    in_system = true;
                }
            }
            X::Empty(e) => {
                if open {
                    out.push('>');
                }
                if !text.trim().is_empty() {
                    out.push_str(&text);
                }
                text.clear();
                push_start(&mut out, &e)?;
                out.push_str("/>");
                open = false;
            }
            X::Text(t) if depth > 0 => {
                push_text(&mut text, &t.decode().map_err(|e| e.to_string())?)
            }
            X::CData(t) => push_text(&mut text, &String::from_utf8_lossy(&t)),
            X::GeneralRef(r) => {
                let name = r.decode().map_err(|e| e.to_string())?;
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    push_text(&mut text, c.encode_utf8(&mut [0; 4]));
                } else {
                    match quick_xml::escape::resolve_xml_entity(&name) {
                        Some(s) => push_text(&mut text, s),
                        None => {
                            text.push('&');
                            text.push_str(&name);
                            text.push(';');
                        }
                    }
                }
            }
            X::End(e) => {
                let name = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                // Windows self-closes empty System elements (`<Correlation/>`,
                // `<Security/>`) but writes an empty value as `<Data Name='x'></Data>`.
                if open && text.trim().is_empty() && in_system {
                    out.push_str("/>");
                } else if open && text.trim().is_empty() {
                    out.push_str("></");
                    out.push_str(&name);
                    out.push('>');
                } else {
                    if open {
                        out.push('>');
                        out.push_str(&text);
                    } else if !text.trim().is_empty() {
                        out.push_str(&text);
                    }
                    out.push_str("</");
                    out.push_str(&name);
                    out.push('>');
                }
                text.clear();
                open = false;
                depth = depth.saturating_sub(1);
                if name == "System" {
                    in_system = false;
                }
            }
            X::Eof => break,
            _ => {}
        }
    }
    if !out.starts_with("<Event") {
        return Err("not an <Event> element".into());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_xml_becomes_one_splunk_line() {
        let rendered = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Event xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\">\n  <System>\n    <Provider Name=\"Microsoft-Windows-Sysmon\" Guid=\"{5770385f-c22a-43e0-bf4c-06f5698ffbd9}\">\n    </Provider>\n    <EventID>1</EventID>\n    <Correlation>\n    </Correlation>\n    <Computer>ws1</Computer>\n  </System>\n  <EventData>\n    <Data Name=\"CommandLine\">a &amp; &quot;b&quot; &lt;c&gt; it's</Data>\n    <Data Name=\"Empty\"></Data>\n  </EventData>\n</Event>";
        assert_eq!(
            splunk_xml(rendered).unwrap(),
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Sysmon' Guid='{5770385f-c22a-43e0-bf4c-06f5698ffbd9}'/><EventID>1</EventID><Correlation/><Computer>ws1</Computer></System><EventData><Data Name='CommandLine'>a &amp; \"b\" &lt;c&gt; it's</Data><Data Name='Empty'></Data></EventData></Event>"
        );
    }
}
