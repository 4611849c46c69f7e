//! Plain-text questions about a search that do not need the SPL parser: which field
//! names it mentions, and which `$field$` tokens a message uses.

use std::collections::BTreeSet;

fn is_field_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '{' | '}' | '-' | ':')
}

/// Every word of `search` that could be a field name, lower-cased, with data-model
/// prefixes stripped too (`Processes.user` also gives `user`). A field a search can
/// output is among them: a result field comes from a by-clause, an `AS` alias, an
/// `eval` assignment or a `table`, all of which name it. This is contentctl's own test
/// for "a field the search uses" (`field in search.lower()`), made exact at word
/// boundaries so that `process` is not found inside `process_name`.
pub fn search_words(search: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for word in search.split(|c: char| !is_field_char(c)) {
        let word = word.trim_matches(|c: char| matches!(c, '.' | '-' | ':'));
        if word.is_empty() || word.chars().all(|c| c.is_ascii_digit()) {
            continue;
        }
        let lower = word.to_ascii_lowercase();
        if let Some((_, last)) = lower.rsplit_once('.') {
            if !last.is_empty() {
                out.insert(last.to_string());
            }
        }
        out.insert(lower);
    }
    out
}

/// True when `search` names `field` (see [`search_words`]).
pub fn search_names(search: &str, field: &str) -> bool {
    search_words(search).contains(&field.to_ascii_lowercase())
}

/// `$field$` names in a message, in order, without repeats.
pub fn message_fields(message: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let parts: Vec<&str> = message.split('$').collect();
    for (i, p) in parts.iter().enumerate() {
        if i % 2 == 1
            && i + 1 < parts.len()
            && !p.is_empty()
            && !p.contains(' ')
            && !out.iter().any(|o| o == p)
        {
            out.push(p.to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_of_a_tstats_search() {
        let s = "| tstats `security_content_summariesonly` count min(_time) as firstTime from datamodel=Endpoint.Processes where Processes.process_name=rundll32.exe by Processes.user Processes.process_name Processes.dest | `drop_dm_object_name(Processes)`";
        let w = search_words(s);
        for f in [
            "user",
            "dest",
            "process_name",
            "firsttime",
            "processes.user",
        ] {
            assert!(w.contains(f), "{f} missing from {w:?}");
        }
        assert!(!w.contains("parent_process_name"));
        assert!(!w.contains("process"), "process is only inside other words");
        assert!(search_names(s, "Dest"));
        assert!(!search_names(s, "src"));
    }

    #[test]
    fn message_fields_in_order() {
        assert_eq!(
            message_fields(
                "dump on $dest_device_id$ by $dest_device_user$ ($dest_device_id$) costs $5"
            ),
            vec!["dest_device_id", "dest_device_user"]
        );
    }
}
