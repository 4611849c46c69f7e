//! Search macros: definitions keyed by name and argument count, and expansion with
//! `$arg$` substitution, nesting, Splunk's built-in `drop_dm_object_name`, undefined
//! `*_filter` macros as `search *`, and triple-backtick comments stripped.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

/// One macro definition.
#[derive(Clone, Debug, PartialEq)]
pub struct Macro {
    /// Name without the `(N)` suffix.
    pub name: String,
    /// Argument names, in order.
    pub args: Vec<String>,
    /// The text it expands to.
    pub definition: String,
    /// The file it came from.
    pub file: PathBuf,
}

/// Macros keyed by name and argument count.
#[derive(Clone, Debug, Default)]
pub struct MacroSet {
    map: HashMap<(String, usize), Macro>,
}

impl MacroSet {
    /// The macro `name` taking `nargs` arguments.
    pub fn get(&self, name: &str, nargs: usize) -> Option<&Macro> {
        self.map.get(&(name.to_string(), nargs))
    }

    /// Adds (or replaces) a macro.
    pub fn insert(&mut self, m: Macro) {
        self.map.insert((m.name.clone(), m.args.len()), m);
    }

    /// Every macro.
    pub fn iter(&self) -> impl Iterator<Item = &Macro> {
        self.map.values()
    }

    /// How many macros there are.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

/// A search after macro expansion.
#[derive(Clone, Debug, PartialEq)]
pub struct Expanded {
    /// The expanded text.
    pub text: String,
    /// Macros used (name with `(N)` for N arguments).
    pub used: Vec<String>,
    /// Undefined `*_filter` macros replaced by `search *`.
    pub defaulted: Vec<String>,
}

/// Why expansion failed.
#[derive(Clone, Debug, PartialEq)]
pub enum MacroError {
    /// A macro the content does not define.
    Undefined {
        /// Its name.
        name: String,
        /// Arguments given.
        nargs: usize,
        /// Byte offset in the text being expanded.
        offset: usize,
    },
    /// A backtick with no closing backtick.
    Unclosed {
        /// Byte offset.
        offset: usize,
    },
    /// Expansion does not terminate.
    Recursion {
        /// The macro that keeps expanding.
        name: String,
    },
}

impl fmt::Display for MacroError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MacroError::Undefined {
                name,
                nargs,
                offset,
            } => {
                let call = if *nargs == 0 {
                    name.clone()
                } else {
                    format!("{name}({nargs})")
                };
                write!(
                    f,
                    "macro `{call}` is not defined in the content (byte offset {offset})"
                )
            }
            MacroError::Unclosed { offset } => {
                write!(f, "unclosed macro backtick at byte offset {offset}")
            }
            MacroError::Recursion { name } => write!(f, "macro `{name}` expands without end"),
        }
    }
}

impl std::error::Error for MacroError {}

/// Removes ```triple-backtick comments```.
pub fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("```") {
        out.push_str(&rest[..i]);
        match rest[i + 3..].find("```") {
            Some(j) => rest = &rest[i + 3 + j + 3..],
            None => {
                rest = "";
                break;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Splits macro arguments on top-level commas (not inside quotes or parentheses).
fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut prev = ' ';
    for ch in s.chars() {
        match ch {
            '"' if prev != '\\' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                prev = ch;
                continue;
            }
            _ => {}
        }
        cur.push(ch);
        prev = ch;
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur.trim().to_string());
    }
    out
}

const MAX_DEPTH: usize = 30;

/// Expands every macro in `search`.
pub fn expand_macros(search: &str, macros: &MacroSet) -> Result<Expanded, MacroError> {
    let mut e = Expanded {
        text: String::new(),
        used: Vec::new(),
        defaulted: Vec::new(),
    };
    e.text = expand(
        &strip_comments(search),
        macros,
        &mut e.used,
        &mut e.defaulted,
        0,
    )?;
    Ok(e)
}

fn expand(
    text: &str,
    macros: &MacroSet,
    used: &mut Vec<String>,
    defaulted: &mut Vec<String>,
    depth: usize,
) -> Result<String, MacroError> {
    let mut out = String::with_capacity(text.len());
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut quoted = false;
    let mut last = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'"' => quoted = !quoted,
            b'`' if !quoted => {
                let close = text[i + 1..]
                    .find('`')
                    .map(|j| i + 1 + j)
                    .ok_or(MacroError::Unclosed { offset: i })?;
                out.push_str(&text[last..i]);
                let call = text[i + 1..close].trim();
                let (name, args) = match call.find('(') {
                    Some(p) if call.ends_with(')') => {
                        (call[..p].trim(), split_args(&call[p + 1..call.len() - 1]))
                    }
                    _ => (call, Vec::new()),
                };
                let body = match macros.get(name, args.len()) {
                    Some(m) => {
                        if depth >= MAX_DEPTH {
                            return Err(MacroError::Recursion {
                                name: name.to_string(),
                            });
                        }
                        let mut def = m.definition.clone();
                        for (a, v) in m.args.iter().zip(&args) {
                            def = def.replace(&format!("${a}$"), v);
                        }
                        used.push(if args.is_empty() {
                            name.to_string()
                        } else {
                            format!("{name}({})", args.len())
                        });
                        expand(&def, macros, used, defaulted, depth + 1)?
                    }
                    None if name == "drop_dm_object_name" && args.len() == 1 => {
                        format!("rename {}.* AS *", args[0])
                    }
                    None if name.ends_with("_filter") && args.is_empty() => {
                        defaulted.push(name.to_string());
                        "search *".to_string()
                    }
                    None => {
                        return Err(MacroError::Undefined {
                            name: name.to_string(),
                            nargs: args.len(),
                            offset: i,
                        })
                    }
                };
                out.push_str(&body);
                i = close + 1;
                last = i;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out.push_str(text.get(last..).unwrap_or(""));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set() -> MacroSet {
        let mut s = MacroSet::default();
        let mut add = |name: &str, args: &[&str], def: &str| {
            s.insert(Macro {
                name: name.into(),
                args: args.iter().map(|a| a.to_string()).collect(),
                definition: def.into(),
                file: PathBuf::new(),
            })
        };
        add("summaries", &[], "summariesonly=`cfg` x=1");
        add("cfg", &[], "false");
        add("ctime", &["field"], "convert ctime($field$)");
        add("pair", &["a", "b"], "search $a$=$b$ | head 1");
        s
    }

    #[test]
    fn nested_args_and_pipes() {
        let e = expand_macros(
            "| tstats `summaries` count | `ctime(firstTime)` | `pair(\"x,y\", z)`",
            &set(),
        )
        .unwrap();
        assert_eq!(e.text, "| tstats summariesonly=false x=1 count | convert ctime(firstTime) | search \"x,y\"=z | head 1");
        assert!(e.used.contains(&"ctime(1)".to_string()));
    }

    #[test]
    fn builtins_defaults_and_comments() {
        let e = expand_macros(
            "x ```a `comment` here``` | `drop_dm_object_name(Processes)` | `my_detection_filter`",
            &set(),
        )
        .unwrap();
        assert_eq!(e.text, "x  | rename Processes.* AS * | search *");
        assert_eq!(e.defaulted, vec!["my_detection_filter"]);
    }

    #[test]
    fn undefined_names_offset_and_quotes_are_skipped() {
        let err = expand_macros("abc | `nope(1)`", &set()).unwrap_err();
        assert_eq!(
            err,
            MacroError::Undefined {
                name: "nope".into(),
                nargs: 1,
                offset: 6
            }
        );
        assert!(err.to_string().contains("nope(1)"));
        let e = expand_macros("eval n=mvcount(split(p, \"`\")) | `cfg`", &set()).unwrap();
        assert_eq!(e.text, "eval n=mvcount(split(p, \"`\")) | false");
        assert!(matches!(
            expand_macros("a `cfg", &set()),
            Err(MacroError::Unclosed { .. })
        ));
    }
}
