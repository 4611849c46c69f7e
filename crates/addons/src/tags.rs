//! Event types and tags: `eventtypes.conf` (`[name]` with `search = <search terms>`)
//! and `tags.conf` (`[eventtype=name]` or `[field=value]` with `tagname = enabled`),
//! compiled once. Search time gives each event `eventtype` (the event types whose
//! search it matches) and `tag` (the tags of those event types and of its field
//! values), both sorted, after every `props.conf` setting, as Splunk computes them
//! last. Data model constraints (`tag=process tag=report`) read `tag`.

use crate::compile::Finding;
use crate::error::{AddonError, ErrorKind};
use crate::layer::{Layered, Merged};
use firedrill_spl::search::Matcher;
use firedrill_value::{FieldRef, Fields, FieldsMut, Value, Want};

/// Settings of an `eventtypes.conf` stanza that change nothing at search time.
const DISPLAY_ONLY: &[&str] = &["description", "color", "priority", "tags"];

/// One event type, compiled.
pub(crate) struct EventType {
    pub(crate) name: String,
    pub(crate) matcher: Matcher,
    /// Its tags (from `tags.conf`), sorted.
    pub(crate) tags: Vec<String>,
}

/// Tags given to events whose `field` has `value` (any value, ASCII case ignored).
pub(crate) struct PairTags {
    pub(crate) field: FieldRef,
    pub(crate) value: String,
    pub(crate) tags: Vec<String>,
}

/// Every event type and tag.
pub(crate) struct Tagger {
    pub(crate) types: Vec<EventType>,
    pub(crate) pairs: Vec<PairTags>,
    tag: FieldRef,
    eventtype: FieldRef,
}

/// Parses a search as an event type's or a constraint's: every term is supported,
/// no macro and no subsearch.
pub(crate) fn compile_search(
    text: &str,
    file: &std::path::Path,
    line: usize,
    what: &str,
) -> Result<Matcher, AddonError> {
    let err = |m: String| AddonError::new(ErrorKind::Search, file, line, format!("{what}: {m}"));
    if let Some(at) = text.find('`') {
        return Err(err(format!(
            "macros are not expanded here:\n{}",
            firedrill_spl::span::render_caret(
                text,
                firedrill_spl::Span::new(at, text.len()),
                "a macro"
            )
        )));
    }
    let e = firedrill_spl::parse::parse_search_expr(text)
        .map_err(|e| err(firedrill_spl::span::render_caret(text, e.span, &e.message)))?;
    if firedrill_spl::search::has_subsearch(&e) {
        return Err(err("a subsearch is not allowed here".into()));
    }
    Ok(firedrill_spl::search::compile(&e))
}

fn enabled(p: &crate::layer::Placed) -> Result<bool, AddonError> {
    match p.value.to_ascii_lowercase().as_str() {
        "enabled" | "true" | "1" => Ok(true),
        "disabled" | "false" | "0" => Ok(false),
        other => Err(AddonError::new(
            ErrorKind::Value,
            &p.file,
            p.line,
            format!("a tag is `enabled` or `disabled`, not `{other}`"),
        )),
    }
}

fn tags_of(m: &Merged) -> Result<Vec<String>, AddonError> {
    let mut out = Vec::new();
    for (tag, p) in &m.settings {
        if enabled(p)? {
            out.push(tag.clone());
        }
    }
    out.sort();
    Ok(out)
}

impl Tagger {
    /// Compiles the layered `eventtypes.conf` and `tags.conf`; settings it cannot apply
    /// go to `findings`.
    pub(crate) fn compile(l: &Layered, findings: &mut Vec<Finding>) -> Result<Tagger, AddonError> {
        let mut out = Tagger {
            types: Vec::new(),
            pairs: Vec::new(),
            tag: FieldRef::new("tag"),
            eventtype: FieldRef::new("eventtype"),
        };
        for (name, m) in &l.eventtypes {
            if name == "default" {
                continue;
            }
            let mut search = None;
            let mut disabled = false;
            for (key, p) in &m.settings {
                match key.as_str() {
                    "search" => search = Some(p),
                    "disabled" => disabled = enabled(p)?,
                    k if DISPLAY_ONLY.contains(&k) => {}
                    _ => findings.push(Finding {
                        file: p.file.clone(),
                        line: p.line,
                        stanza: name.clone(),
                        key: key.clone(),
                        why: "not an eventtypes.conf setting firedrill knows".into(),
                    }),
                }
            }
            if disabled {
                continue;
            }
            let Some(search) = search else {
                return Err(AddonError::new(
                    ErrorKind::Value,
                    &m.file,
                    m.line,
                    format!("event type `{name}` has no `search`"),
                ));
            };
            if search.value.contains('`') {
                findings.push(Finding {
                    file: search.file.clone(),
                    line: search.line,
                    stanza: name.clone(),
                    key: "search".into(),
                    why: "the search uses a macro, which firedrill does not expand: the event type is not applied".into(),
                });
                continue;
            }
            let matcher = compile_search(
                &search.value,
                &search.file,
                search.line,
                &format!("event type `{name}`"),
            )?;
            let tags = match l.tags.get(&format!("eventtype={name}")) {
                Some(t) => tags_of(t)?,
                None => Vec::new(),
            };
            out.types.push(EventType {
                name: name.clone(),
                matcher,
                tags,
            });
        }
        for (name, m) in &l.tags {
            let Some((field, value)) = name.split_once('=') else {
                if name != "default" {
                    findings.push(Finding {
                        file: m.file.clone(),
                        line: m.line,
                        stanza: name.clone(),
                        key: String::new(),
                        why: "a tags.conf stanza is `[field=value]`".into(),
                    });
                }
                continue;
            };
            if field == "eventtype" {
                if !l.eventtypes.contains_key(value) {
                    findings.push(Finding {
                        file: m.file.clone(),
                        line: m.line,
                        stanza: name.clone(),
                        key: String::new(),
                        why: format!("no eventtypes.conf defines `{value}`"),
                    });
                }
                continue;
            }
            out.pairs.push(PairTags {
                field: FieldRef::new(field),
                value: value.to_ascii_lowercase(),
                tags: tags_of(m)?,
            });
        }
        Ok(out)
    }

    /// Adds what event types and tags read when `tag` or `eventtype` is wanted.
    pub(crate) fn expand(&self, want: &mut Want) {
        if !(want.wants("tag") || want.wants("eventtype")) {
            return;
        }
        let mut add: Vec<&str> = Vec::new();
        for t in &self.types {
            t.matcher.fields(&mut add);
        }
        add.extend(self.pairs.iter().map(|p| p.field.as_str()));
        for f in add {
            if want.get(f).is_none() {
                want.add(f);
            }
        }
    }

    /// True if this sets `field` (`eventtype` and `tag`, when there is any).
    pub(crate) fn writes(&self, field: &str) -> bool {
        matches!(field, "tag" | "eventtype") && !(self.types.is_empty() && self.pairs.is_empty())
    }

    /// Sets `eventtype` and `tag` on `ev` when wanted.
    pub(crate) fn apply(&self, ev: &mut dyn FieldsMut, want: &Want) {
        let (tag_ref, et_ref) = (&self.tag, &self.eventtype);
        let want_tags = want.all || want.wants_sym(tag_ref.sym);
        let want_types = want.all || want.wants_sym(et_ref.sym);
        if !(want_tags || want_types) || (self.types.is_empty() && self.pairs.is_empty()) {
            return;
        }
        let mut types: Vec<&str> = Vec::new();
        let mut tags: Vec<&str> = Vec::new();
        {
            let fields: &dyn Fields = &*ev;
            for t in &self.types {
                if t.matcher.matches(fields) {
                    types.push(&t.name);
                    tags.extend(t.tags.iter().map(String::as_str));
                }
            }
            for p in &self.pairs {
                let hit = fields.get(&p.field).is_some_and(|v| {
                    v.values().iter().any(|x| match x {
                        Value::Str(s) => s.eq_ignore_ascii_case(&p.value),
                        other => other.to_string().eq_ignore_ascii_case(&p.value),
                    })
                });
                if hit {
                    tags.extend(p.tags.iter().map(String::as_str));
                }
            }
        }
        tags.sort_unstable();
        tags.dedup();
        if want_types {
            set_list(ev, et_ref, &types);
        }
        if want_tags {
            set_list(ev, tag_ref, &tags);
        }
    }
}

fn set_list(ev: &mut dyn FieldsMut, f: &FieldRef, items: &[&str]) {
    match items {
        [] => ev.remove(f),
        [one] => ev.set(f, Value::str(*one)),
        many => ev.set(
            f,
            Value::multi(many.iter().map(|s| Value::str(*s)).collect()),
        ),
    }
}
