//! A real event with the parts that vary between events of a real file (time, record
//! id, host) cut out as slots; everything else is written back byte for byte, so the
//! event keeps its shape.

use crate::samples::Origin;
use std::io::Write;
use std::ops::Range;

/// A varying part of an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// `SystemTime='2021-09-22T13:18:31.589696800Z'` with this many fraction digits.
    SystemTime(u8),
    /// Sysmon's `UtcTime`: `2021-09-22 13:18:31.147`.
    UtcTime,
    /// NXLog's `EventTime`/`EventReceivedTime`: `2020-08-01 05:46:46`.
    NxTime,
    /// `EventRecordID` / `RecordNumber`.
    RecordId,
    /// `Computer` / `Hostname`.
    Host,
}

/// What the slots of one event are filled with.
#[derive(Clone, Copy, Debug)]
pub struct Fill<'a> {
    /// Event time, nanoseconds since 1970 (UTC).
    pub time_ns: i64,
    /// Record number.
    pub record: u64,
    /// Host name.
    pub host: &'a str,
}

/// One event, cut into literal text and slots.
#[derive(Clone, Debug)]
pub struct Template {
    /// Where it came from.
    pub origin: Origin,
    text: String,
    parts: Vec<(Range<usize>, Option<Slot>)>,
}

/// Finds `open` … `close` in `text`, returning the range between them.
fn between(text: &str, open: &str, close: &str) -> Option<Range<usize>> {
    let start = text.find(open)? + open.len();
    let len = text[start..].find(close)?;
    Some(start..start + len)
}

fn quoted_attr(text: &str, name: &str) -> Option<Range<usize>> {
    between(text, &format!("{name}='"), "'").or_else(|| between(text, &format!("{name}=\""), "\""))
}

fn digits(text: &str, at: usize) -> Range<usize> {
    let len = text[at..].bytes().take_while(u8::is_ascii_digit).count();
    at..at + len
}

impl Template {
    /// Cuts the slots out of a Windows XML event or an NXLog JSON line.
    pub fn parse(text: &str, origin: Origin) -> Template {
        let mut slots: Vec<(Range<usize>, Slot)> = Vec::new();
        if origin == Origin::Json {
            for key in ["\"EventTime\":\"", "\"EventReceivedTime\":\""] {
                if let Some(r) = between(text, key, "\"") {
                    if r.len() == 19 {
                        slots.push((r, Slot::NxTime));
                    }
                }
            }
            if let Some(at) = text.find("\"RecordNumber\":") {
                let r = digits(text, at + "\"RecordNumber\":".len());
                if !r.is_empty() {
                    slots.push((r, Slot::RecordId));
                }
            }
            if let Some(r) = between(text, "\"Hostname\":\"", "\"") {
                slots.push((r, Slot::Host));
            }
            if let Some(r) = between(text, "\"UtcTime\":\"", "\"") {
                if r.len() == 23 {
                    slots.push((r, Slot::UtcTime));
                }
            }
        } else {
            if let Some(r) = quoted_attr(text, "SystemTime") {
                let v = &text[r.clone()];
                let frac = v
                    .split_once('.')
                    .map(|(_, f)| f.trim_end_matches('Z').len())
                    .unwrap_or(0);
                if v.len() >= 20 && v.ends_with('Z') && v.as_bytes()[10] == b'T' && frac <= 9 {
                    slots.push((r, Slot::SystemTime(frac as u8)));
                }
            }
            if let Some(r) = between(text, "<EventRecordID>", "</EventRecordID>") {
                slots.push((r, Slot::RecordId));
            }
            if let Some(r) = between(text, "<Computer>", "</Computer>") {
                slots.push((r, Slot::Host));
            }
            if let Some(r) = between(text, "<Data Name='UtcTime'>", "</Data>")
                .or_else(|| between(text, "<Data Name=\"UtcTime\">", "</Data>"))
            {
                if r.len() == 23 {
                    slots.push((r, Slot::UtcTime));
                }
            }
        }
        slots.sort_by_key(|(r, _)| r.start);
        let mut parts = Vec::new();
        let mut pos = 0;
        for (r, slot) in slots {
            if r.start < pos {
                continue;
            }
            parts.push((pos..r.start, Some(slot)));
            pos = r.end;
        }
        parts.push((pos..text.len(), None));
        Template {
            origin,
            text: text.to_string(),
            parts,
        }
    }

    /// The template's own text (its slots holding the original values).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The slots it has, in order.
    pub fn slots(&self) -> Vec<Slot> {
        self.parts.iter().filter_map(|(_, s)| *s).collect()
    }

    /// About how long a rendered event is (the original's length).
    pub fn len_hint(&self) -> usize {
        self.text.len()
    }

    /// Appends the event with its slots filled.
    pub fn render(&self, fill: &Fill<'_>, out: &mut Vec<u8>) {
        let bytes = self.text.as_bytes();
        for (lit, slot) in &self.parts {
            out.extend_from_slice(&bytes[lit.clone()]);
            match slot {
                None => {}
                Some(Slot::SystemTime(frac)) => {
                    push_datetime(out, fill.time_ns, b'T');
                    if *frac > 0 {
                        out.push(b'.');
                        let ns = fill.time_ns.rem_euclid(1_000_000_000) as u32;
                        let mut buf = [0u8; 9];
                        push_padded(&mut buf, ns, 9);
                        out.extend_from_slice(&buf[..*frac as usize]);
                    }
                    out.push(b'Z');
                }
                Some(Slot::UtcTime) => {
                    push_datetime(out, fill.time_ns, b' ');
                    let ms = (fill.time_ns.rem_euclid(1_000_000_000) / 1_000_000) as u32;
                    let mut buf = [0u8; 3];
                    push_padded(&mut buf, ms, 3);
                    out.push(b'.');
                    out.extend_from_slice(&buf);
                }
                Some(Slot::NxTime) => push_datetime(out, fill.time_ns, b' '),
                Some(Slot::RecordId) => {
                    let _ = write!(out, "{}", fill.record);
                }
                Some(Slot::Host) => out.extend_from_slice(fill.host.as_bytes()),
            }
        }
    }
}

fn push_padded(buf: &mut [u8], mut v: u32, width: usize) {
    for i in (0..width).rev() {
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// `YYYY-MM-DD<sep>HH:MM:SS`.
fn push_datetime(out: &mut Vec<u8>, time_ns: i64, sep: u8) {
    let secs = time_ns.div_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400) as u32;
    let mut buf = *b"0000-00-00T00:00:00";
    push_padded(&mut buf[0..4], y.clamp(0, 9999) as u32, 4);
    push_padded(&mut buf[5..7], m, 2);
    push_padded(&mut buf[8..10], d, 2);
    buf[10] = sep;
    push_padded(&mut buf[11..13], s / 3600, 2);
    push_padded(&mut buf[14..16], s / 60 % 60, 2);
    push_padded(&mut buf[17..19], s % 60, 2);
    out.extend_from_slice(&buf);
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>1</EventID><TimeCreated SystemTime='2021-09-22T13:18:31.589696800Z'/><EventRecordID>1342872</EventRecordID><Computer>dc.attackrange.local</Computer></System><EventData><Data Name='UtcTime'>2021-09-22 13:18:31.147</Data><Data Name='Image'>C:\\x.exe</Data></EventData></Event>";

    #[test]
    fn xml_slots_are_filled_and_the_rest_kept() {
        let t = Template::parse(XML, Origin::XmlText);
        assert_eq!(
            t.slots(),
            vec![
                Slot::SystemTime(9),
                Slot::RecordId,
                Slot::Host,
                Slot::UtcTime
            ]
        );
        let mut out = Vec::new();
        // 2024-02-29T23:59:58.1234567Z
        let fill = Fill {
            time_ns: 1_709_251_198_123_456_700,
            record: 7,
            host: "ws-01.corp",
        };
        t.render(&fill, &mut out);
        let expected = XML
            .replace(
                "2021-09-22T13:18:31.589696800Z",
                "2024-02-29T23:59:58.123456700Z",
            )
            .replace(">1342872<", ">7<")
            .replace("dc.attackrange.local", "ws-01.corp")
            .replace("2021-09-22 13:18:31.147", "2024-02-29 23:59:58.123");
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn json_slots() {
        let line = r#"{"EventTime":"2020-08-01 05:46:46","Hostname":"win-dc-881393.attackrange.local","RecordNumber":951,"UtcTime":"2020-08-01 05:46:30.063","EventReceivedTime":"2020-08-01 05:46:47","x":1}"#;
        let t = Template::parse(line, Origin::Json);
        assert_eq!(t.slots().len(), 5);
        let mut out = Vec::new();
        t.render(
            &Fill {
                time_ns: 0,
                record: 12,
                host: "h",
            },
            &mut out,
        );
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"EventTime":"1970-01-01 00:00:00","Hostname":"h","RecordNumber":12,"UtcTime":"1970-01-01 00:00:00.000","EventReceivedTime":"1970-01-01 00:00:00","x":1}"#
        );
    }
}
