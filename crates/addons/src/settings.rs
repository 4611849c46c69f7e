//! What firedrill does with each `props.conf` and `transforms.conf` setting, as a
//! table: applied at search time (and in which phase of Splunk's search-time
//! sequence), or not applied, and why. A setting in no row is reported as unknown.

/// The phases of Splunk's search-time sequence that firedrill applies, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// `TIME_FORMAT` (with `TIME_PREFIX`, `MAX_TIMESTAMP_LOOKAHEAD`): the event's
    /// `_time` from its text, as Splunk takes it when indexing.
    Time,
    /// `EXTRACT-<class>`: inline regular expressions, classes in ASCII order.
    Extract,
    /// `REPORT-<class>`: transforms named in `transforms.conf`, classes in ASCII order.
    Report,
    /// `FIELDALIAS-<class>`.
    Alias,
    /// `EVAL-<field>`: calculated fields, all computed from the same event (Splunk
    /// evaluates them as if in parallel).
    Eval,
    /// `LOOKUP-<class>`: automatic CSV lookups, classes in ASCII order, after the
    /// calculated fields.
    Lookup,
    /// `rename`: the sourcetype's new name (handled before the others).
    Rename,
    /// `KV_MODE`, `INDEXED_EXTRACTIONS`: how the reader takes fields from the text
    /// (read before the events are, not applied to each).
    Reader,
}

/// How firedrill handles a setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handling {
    /// Applied, in this phase.
    Applied(Phase),
    /// Not applied: why (shown by `firedrill addons check`).
    NotApplied(&'static str),
    /// Describes the stanza for Splunk Web; nothing to apply.
    Metadata,
}

use Handling::*;

const INDEX_TIME: &str =
    "an index-time setting: firedrill's readers split events by the data's format";
const KV: &str = "firedrill's readers extract fields by the data's format (XML, JSON, key=value): only KV_MODE and INDEXED_EXTRACTIONS change that";

/// `props.conf`: (key, or prefix when it ends in `-`, how). Keys compare ignoring case.
pub const PROPS: &[(&str, Handling)] = &[
    ("EXTRACT-", Applied(Phase::Extract)),
    ("REPORT-", Applied(Phase::Report)),
    ("FIELDALIAS-", Applied(Phase::Alias)),
    ("EVAL-", Applied(Phase::Eval)),
    ("rename", Applied(Phase::Rename)),
    ("LOOKUP-", Applied(Phase::Lookup)),
    ("KV_MODE", Applied(Phase::Reader)),
    ("AUTO_KV_JSON", NotApplied(KV)),
    ("KV_TRIM_SPACES", NotApplied(KV)),
    ("INDEXED_EXTRACTIONS", Applied(Phase::Reader)),
    ("TRANSFORMS-", NotApplied(INDEX_TIME)),
    ("SEDCMD-", NotApplied(INDEX_TIME)),
    ("SHOULD_LINEMERGE", NotApplied(INDEX_TIME)),
    ("LINE_BREAKER", NotApplied(INDEX_TIME)),
    ("LINE_BREAKER_LOOKBEHIND", NotApplied(INDEX_TIME)),
    ("BREAK_ONLY_BEFORE", NotApplied(INDEX_TIME)),
    ("BREAK_ONLY_BEFORE_DATE", NotApplied(INDEX_TIME)),
    ("MUST_BREAK_AFTER", NotApplied(INDEX_TIME)),
    ("MUST_NOT_BREAK_AFTER", NotApplied(INDEX_TIME)),
    ("MUST_NOT_BREAK_BEFORE", NotApplied(INDEX_TIME)),
    ("MAX_EVENTS", NotApplied(INDEX_TIME)),
    ("TRUNCATE", NotApplied(INDEX_TIME)),
    ("TIME_FORMAT", Applied(Phase::Time)),
    ("TIME_PREFIX", Applied(Phase::Time)),
    ("MAX_TIMESTAMP_LOOKAHEAD", Applied(Phase::Time)),
    ("TZ", NotApplied("firedrill reads a time without an offset as UTC")),
    ("DATETIME_CONFIG", NotApplied(INDEX_TIME)),
    ("MAX_DAYS_AGO", NotApplied(INDEX_TIME)),
    ("MAX_DAYS_HENCE", NotApplied(INDEX_TIME)),
    ("CHARSET", NotApplied(INDEX_TIME)),
    ("NO_BINARY_CHECK", NotApplied(INDEX_TIME)),
    ("EVENT_BREAKER_ENABLE", NotApplied(INDEX_TIME)),
    ("EVENT_BREAKER", NotApplied(INDEX_TIME)),
    ("ANNOTATE_PUNCT", NotApplied(INDEX_TIME)),
    ("SEGMENTATION", NotApplied(INDEX_TIME)),
    ("SEGMENTATION-", NotApplied(INDEX_TIME)),
    ("HEADER_FIELD_LINE_NUMBER", NotApplied(INDEX_TIME)),
    ("FIELD_DELIMITER", NotApplied(INDEX_TIME)),
    ("FIELD_NAMES", NotApplied(INDEX_TIME)),
    ("TIMESTAMP_FIELDS", NotApplied(INDEX_TIME)),
    ("priority", NotApplied("stanza priority is not applied: firedrill orders matching source:: and host:: stanzas by name")),
    ("category", Metadata),
    ("description", Metadata),
    ("pulldown_type", Metadata),
    ("LEARN_MODEL", Metadata),
    ("LEARN_SOURCETYPE", Metadata),
    ("given_type", Metadata),
];

/// `transforms.conf`, for the transforms a `REPORT-` names.
pub const TRANSFORMS: &[(&str, Handling)] = &[
    ("REGEX", Applied(Phase::Report)),
    ("FORMAT", Applied(Phase::Report)),
    ("SOURCE_KEY", Applied(Phase::Report)),
    ("MV_ADD", Applied(Phase::Report)),
    ("CLEAN_KEYS", Applied(Phase::Report)),
    ("KEEP_EMPTY_VALS", Applied(Phase::Report)),
    ("DELIMS", Applied(Phase::Report)),
    ("FIELDS", Applied(Phase::Report)),
    ("CAN_OPTIMIZE", Metadata),
    (
        "DEST_KEY",
        NotApplied("an index-time transform (DEST_KEY): not applied at search time"),
    ),
    (
        "WRITE_META",
        NotApplied("an index-time transform (WRITE_META): not applied at search time"),
    ),
    (
        "REPEAT_MATCH",
        NotApplied("an index-time setting: search-time transforms match repeatedly anyway"),
    ),
    ("DEFAULT_VALUE", NotApplied("an index-time setting")),
    ("LOOKAHEAD", NotApplied("an index-time setting")),
    ("INGEST_EVAL", NotApplied("an index-time setting")),
    ("filename", Applied(Phase::Lookup)),
    ("case_sensitive_match", Applied(Phase::Lookup)),
    ("match_type", Applied(Phase::Lookup)),
    ("min_matches", Applied(Phase::Lookup)),
    ("max_matches", Applied(Phase::Lookup)),
    ("default_match", Applied(Phase::Lookup)),
    (
        "external_cmd",
        NotApplied("an external (scripted) lookup: not run"),
    ),
    ("external_type", NotApplied("an external lookup: not run")),
    (
        "fields_list",
        NotApplied("an external or KV store lookup: not run"),
    ),
    (
        "collection",
        NotApplied("a KV store lookup: not available offline"),
    ),
    (
        "time_field",
        NotApplied("a time-based lookup: matched without its time"),
    ),
    (
        "time_format",
        NotApplied("a time-based lookup: matched without its time"),
    ),
    (
        "max_offset_secs",
        NotApplied("a time-based lookup: matched without its time"),
    ),
    (
        "min_offset_secs",
        NotApplied("a time-based lookup: matched without its time"),
    ),
    ("batch_index_query", Metadata),
    ("allow_caching", Metadata),
    ("replicate", Metadata),
];

/// The row for `key` in `table`.
pub fn handling(table: &[(&str, Handling)], key: &str) -> Option<Handling> {
    table.iter().find_map(|(k, h)| {
        let hit = match k.strip_suffix('-') {
            Some(_) => {
                key.len() > k.len()
                    && key
                        .get(..k.len())
                        .is_some_and(|p| p.eq_ignore_ascii_case(k))
            }
            None => key.eq_ignore_ascii_case(k),
        };
        hit.then_some(*h)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_and_names_ignore_case() {
        assert_eq!(handling(PROPS, "eVaL-x"), Some(Applied(Phase::Eval)));
        assert_eq!(handling(PROPS, "EVAL-"), None);
        assert_eq!(handling(PROPS, "kv_mode"), Some(Applied(Phase::Reader)));
        assert_eq!(handling(PROPS, "auto_kv_json"), Some(NotApplied(KV)));
        assert_eq!(handling(PROPS, "FROBNICATE"), None);
        // A prefix's length may end inside a multi-byte character.
        assert_eq!(handling(PROPS, "EVALé"), None);
        assert_eq!(handling(PROPS, "EXTRACTé-x"), None);
    }
}
