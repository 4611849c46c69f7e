//! The types a detection document's keys must have, checked before it is read: a
//! wrong type is a located error, never a silent default (a score of `"high"` read as
//! 0, a `tests:` string read as no tests, a list as the search).

use serde_yaml_ng::Value as Y;

/// What a key must hold.
#[derive(Clone, Copy)]
enum Kind {
    /// Non-empty text.
    Text,
    /// A number, or text that is one (`"80"`).
    Number,
    /// A list.
    List,
    /// A map.
    Map,
}

impl Kind {
    fn holds(self, v: &Y) -> bool {
        match (self, v) {
            (Kind::Text, Y::String(s)) => !s.trim().is_empty(),
            (Kind::Number, Y::Number(_)) => true,
            (Kind::Number, Y::String(s)) => s.trim().parse::<f64>().is_ok(),
            (Kind::List, Y::Sequence(_)) => true,
            (Kind::Map, Y::Mapping(_)) => true,
            _ => false,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Text => "text",
            Kind::Number => "a number",
            Kind::List => "a list",
            Kind::Map => "a map",
        }
    }
}

/// Keys by path: `a.b` is key `b` of map `a`; `a[].b` is key `b` of each item of list
/// `a`. A key that is absent is not checked here (what is required is decided where
/// it is read), except `search`.
const SHAPE: &[(&str, Kind)] = &[
    ("name", Kind::Text),
    ("search", Kind::Text),
    ("tags", Kind::Map),
    ("tags.risk_score", Kind::Number),
    ("tags.impact", Kind::Number),
    ("tags.confidence", Kind::Number),
    ("tags.observable", Kind::List),
    ("tags.observable[].name", Kind::Text),
    ("rba", Kind::Map),
    ("rba.risk_objects", Kind::List),
    ("rba.risk_objects[].field", Kind::Text),
    ("rba.risk_objects[].score", Kind::Number),
    ("rba.threat_objects", Kind::List),
    ("tests", Kind::List),
    ("tests[]", Kind::Map),
    ("tests[].attack_data", Kind::List),
    ("tests[].attack_data[]", Kind::Map),
    ("tests[].attack_data[].data", Kind::Text),
];

/// A value at `path` of `doc` that does not have its kind: the key (its last part)
/// and what is wrong.
pub fn problem(doc: &Y) -> Option<(String, String)> {
    if doc.get("search").is_none() && doc.get("name").is_some() {
        if doc.get("tests").is_some() || doc.get("tags").is_some() {
            return Some(("search".into(), "the detection has no `search`".into()));
        }
        return None;
    }
    for &(path, kind) in SHAPE {
        let mut found = Vec::new();
        values(doc, path, &mut found);
        for v in found {
            if !kind.holds(v) {
                let key = path
                    .rsplit('.')
                    .next()
                    .unwrap_or(path)
                    .trim_end_matches("[]");
                return Some((
                    key.to_string(),
                    format!("`{path}` must be {}; it is {}", kind.name(), describe(v)),
                ));
            }
        }
    }
    None
}

/// The values at `path` (every item where the path goes through a list).
fn values<'a>(v: &'a Y, path: &str, out: &mut Vec<&'a Y>) {
    let (head, rest) = match path.split_once('.') {
        Some((h, r)) => (h, Some(r)),
        None => (path, None),
    };
    let (key, each) = match head.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (head, false),
    };
    let Some(next) = v.as_mapping().and_then(|m| m.get(key)) else {
        return;
    };
    let items: Vec<&Y> = match (each, next) {
        (true, Y::Sequence(items)) => items.iter().collect(),
        (true, _) => return,
        (false, one) => vec![one],
    };
    for item in items {
        match rest {
            Some(r) => values(item, r, out),
            None => out.push(item),
        }
    }
}

fn describe(v: &Y) -> String {
    match v {
        Y::Null => "empty (null)".into(),
        Y::String(s) if s.trim().is_empty() => "empty".into(),
        Y::String(s) => format!("the text {:?}", s.chars().take(40).collect::<String>()),
        Y::Number(n) => format!("the number {n}"),
        Y::Bool(b) => format!("{b}"),
        Y::Sequence(_) => "a list".into(),
        Y::Mapping(_) => "a map".into(),
        Y::Tagged(_) => "a tagged value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::problem;

    fn check(yaml: &str) -> Option<String> {
        let doc: serde_yaml_ng::Value = serde_yaml_ng::from_str(yaml).unwrap();
        problem(&doc).map(|(_, m)| m)
    }

    #[test]
    fn wrong_types_are_named() {
        let ok =
            "name: a\nsearch: x\ntags:\n  risk_score: '80'\ntests:\n- attack_data:\n  - data: u\n";
        assert_eq!(check(ok), None);
        let cases = [
            (
                "name: a\nsearch: x\ntags:\n  risk_score: high\n",
                "`tags.risk_score` must be a number; it is the text \"high\"",
            ),
            (
                "name: a\nsearch: x\ntests: t\n",
                "`tests` must be a list; it is the text \"t\"",
            ),
            (
                "name: a\nsearch: [x]\n",
                "`search` must be text; it is a list",
            ),
            (
                "name: a\nsearch:\n",
                "`search` must be text; it is empty (null)",
            ),
            (
                "name: a\nsearch: x\nrba:\n  risk_objects:\n  - field: dest\n    score: ''\n",
                "`rba.risk_objects[].score` must be a number; it is empty",
            ),
            (
                "name: a\nsearch: x\ntests:\n- attack_data: {data: u}\n",
                "`tests[].attack_data` must be a list; it is a map",
            ),
            ("name: a\ntests: []\n", "the detection has no `search`"),
        ];
        for (yaml, want) in cases {
            assert_eq!(check(yaml).as_deref(), Some(want), "{yaml}");
        }
    }
}
