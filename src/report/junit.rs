//! JUnit XML (one `<testcase>` per detection test) written with quick-xml, for CI
//! systems that display test results.

use crate::report::RunReport;
use crate::verdict::Status;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;
use std::io::Cursor;

/// Renders the report as JUnit XML.
pub fn render(r: &RunReport) -> Result<String, quick_xml::Error> {
    let mut w = Writer::new_with_indent(Cursor::new(Vec::new()), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests: usize = r.detections.iter().map(|d| d.tests.len().max(1)).sum();
    let count = |s: Status| {
        r.detections
            .iter()
            .flat_map(|d| {
                if d.tests.is_empty() {
                    vec![d.status]
                } else {
                    d.tests.iter().map(|t| t.status).collect()
                }
            })
            .filter(|x| *x == s)
            .count()
            .to_string()
    };
    let time = format!("{:.3}", r.summary.duration_ms / 1000.0);
    let mut suites = BytesStart::new("testsuites");
    suites.push_attribute(("name", "firedrill"));
    w.write_event(Event::Start(suites))?;
    let mut suite = BytesStart::new("testsuite");
    let (tests_s, fail_s, err_s, skip_s) = (
        tests.to_string(),
        count(Status::Fail),
        count(Status::Error),
        count(Status::Skip),
    );
    suite.push_attribute(("name", "firedrill"));
    suite.push_attribute(("tests", tests_s.as_str()));
    suite.push_attribute(("failures", fail_s.as_str()));
    suite.push_attribute(("errors", err_s.as_str()));
    suite.push_attribute(("skipped", skip_s.as_str()));
    suite.push_attribute(("time", time.as_str()));
    w.write_event(Event::Start(suite))?;
    for d in &r.detections {
        let cases: Vec<(String, Status, String, f64)> = if d.tests.is_empty() {
            vec![(d.name.clone(), d.status, d.reason.to_string(), 0.0)]
        } else {
            d.tests
                .iter()
                .map(|t| {
                    (
                        format!("{} / {}", d.name, t.name),
                        t.status,
                        t.reason.to_string(),
                        t.duration_ms,
                    )
                })
                .collect()
        };
        let classname = xml_text(&d.file);
        for (name, status, reason, ms) in cases {
            let (name, reason) = (xml_text(&name), xml_text(&reason));
            let mut case = BytesStart::new("testcase");
            let t = format!("{:.3}", ms / 1000.0);
            case.push_attribute(("name", name.as_ref()));
            case.push_attribute(("classname", classname.as_ref()));
            case.push_attribute(("time", t.as_str()));
            w.write_event(Event::Start(case))?;
            let tag = match status {
                Status::Pass => None,
                Status::Fail => Some("failure"),
                Status::Error => Some("error"),
                Status::Skip => Some("skipped"),
            };
            if let Some(tag) = tag {
                let first = reason.lines().next().unwrap_or("").to_string();
                let mut el = BytesStart::new(tag);
                el.push_attribute(("message", first.as_str()));
                w.write_event(Event::Start(el))?;
                w.write_event(Event::Text(BytesText::new(&reason)))?;
                w.write_event(Event::End(BytesEnd::new(tag)))?;
            }
            w.write_event(Event::End(BytesEnd::new("testcase")))?;
        }
    }
    w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(String::from_utf8_lossy(&w.into_inner().into_inner()).into_owned())
}

/// `s` with every character XML 1.0 cannot carry (control characters other than tab,
/// newline and carriage return, U+FFFE and U+FFFF) written as `\u{…}`, so a name or
/// search holding one still gives a valid report.
fn xml_text(s: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r')
            || ('\u{20}'..='\u{d7ff}').contains(&c)
            || ('\u{e000}'..='\u{fffd}').contains(&c)
            || c >= '\u{10000}'
    };
    if s.chars().all(allowed) {
        return s.into();
    }
    s.chars()
        .map(|c| {
            if allowed(c) {
                c.to_string()
            } else {
                format!("\\u{{{:x}}}", c as u32)
            }
        })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::xml_text;

    #[test]
    fn characters_xml_cannot_carry_are_written_as_escapes() {
        assert_eq!(
            xml_text("a\u{0}b\u{1b}c\u{fffe}"),
            "a\\u{0}b\\u{1b}c\\u{fffe}"
        );
        assert_eq!(xml_text("tab\tok é 😀"), "tab\tok é 😀");
    }
}
