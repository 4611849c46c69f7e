//! Search macros: definitions keyed by name and argument count, and expansion with
//! `$arg$` substitution, nesting, Splunk's built-in `drop_dm_object_name`, undefined
//! `*_filter` macros as `search *`, built-in definitions of the standard
//! security_content macros when the content defines none (`data/default_macros.yml`),
//! and triple-backtick comments stripped.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::OnceLock;

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
    /// Standard macros the content does not define, taken from firedrill's built-in
    /// definitions ([`default_macros`]), with `(N)` for N arguments.
    pub builtin: Vec<String>,
}

/// firedrill's built-in definitions of the standard security_content macros
/// (`security_content_summariesonly`, `security_content_ctime(1)`, `summariesonly`…),
/// used when no content tree defines them, so that a detection page runs on its own.
pub fn default_macros() -> &'static MacroSet {
    static SET: OnceLock<MacroSet> = OnceLock::new();
    SET.get_or_init(|| {
        #[derive(serde::Deserialize)]
        struct Entry {
            name: String,
            #[serde(default)]
            arguments: Vec<String>,
            definition: String,
        }
        let entries: Vec<Entry> =
            serde_yaml_ng::from_str(include_str!("../data/default_macros.yml")).unwrap_or_default();
        let mut set = MacroSet::default();
        for e in entries {
            set.insert(Macro {
                name: e.name,
                args: e.arguments,
                definition: e.definition,
                file: PathBuf::from("<built-in>"),
            });
        }
        set
    })
}

/// Why expansion failed. Offsets are byte offsets in the search given to
/// [`expand_macros`]; for a macro used inside another macro's definition they point at
/// the outermost call in the search.
#[derive(Clone, Debug, PartialEq)]
pub enum MacroError {
    /// A macro the content does not define.
    Undefined {
        /// Its name.
        name: String,
        /// Arguments given.
        nargs: usize,
        /// Byte offset in the search.
        offset: usize,
    },
    /// A backtick with no closing backtick.
    Unclosed {
        /// Byte offset in the search.
        offset: usize,
    },
    /// Expansion does not terminate.
    Recursion {
        /// The macro that keeps expanding.
        name: String,
    },
    /// Expansion past the budget: more calls or more text than any real search
    /// needs (macros that call others twice at each level double with each one).
    TooLarge {
        /// The macro being expanded when the budget ran out.
        name: String,
        /// Byte offset of the outermost call in the search.
        offset: usize,
        /// What ran out: calls or bytes, with the limit.
        what: String,
    },
    /// A macro call whose name or argument list is malformed.
    BadArgs {
        /// The call as written between the backticks.
        call: String,
        /// Byte offset in the search.
        offset: usize,
        /// What is wrong.
        reason: String,
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
            MacroError::TooLarge { name, offset, what } => write!(
                f,
                "macro `{name}` (byte offset {offset}) expands to more than {what}: refused"
            ),
            MacroError::BadArgs {
                call,
                offset,
                reason,
            } => write!(
                f,
                "bad macro call `{call}` at byte offset {offset}: {reason}"
            ),
        }
    }
}

impl std::error::Error for MacroError {}

/// Splits macro arguments on top-level commas (not inside quotes or parentheses).
/// Fails on an unclosed quote or unbalanced parentheses.
fn split_args(s: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut escaped = false;
    for ch in s.chars() {
        if escaped {
            escaped = false;
            cur.push(ch);
            continue;
        }
        match ch {
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted => {
                depth -= 1;
                if depth < 0 {
                    return Err("unbalanced `)` in the arguments".into());
                }
            }
            ',' if !quoted && depth == 0 => {
                out.push(cur.trim().to_string());
                cur.clear();
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    if quoted {
        return Err("unclosed quote in the arguments".into());
    }
    if depth != 0 {
        return Err("unbalanced `(` in the arguments".into());
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur.trim().to_string());
    }
    Ok(out)
}

/// Splits a call written between backticks into its name and arguments.
fn parse_call(call: &str) -> Result<(&str, Vec<String>), String> {
    let (name, args) = match call.find('(') {
        Some(p) => {
            let Some(inner) = call[p + 1..].strip_suffix(')') else {
                return Err("the argument list does not end with `)`".into());
            };
            (call[..p].trim(), split_args(inner)?)
        }
        None => (call, Vec::new()),
    };
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
    if name.is_empty() || !name.chars().all(valid) {
        return Err("not a macro name".into());
    }
    Ok((name, args))
}

/// Puts argument values in place of `$arg$` in one pass (a value is not re-scanned).
fn substitute(def: &str, names: &[String], values: &[String]) -> String {
    let mut out = String::with_capacity(def.len());
    let mut rest = def;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let hit = after.find('$').and_then(|j| {
            let key = &after[..j];
            names
                .iter()
                .position(|n| n == key)
                .and_then(|k| values.get(k))
                .map(|v| (v, j))
        });
        match hit {
            Some((v, j)) => {
                out.push_str(v);
                rest = &after[j + 1..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

const MAX_DEPTH: usize = 30;
/// Macro calls in one search, nested ones included (far more than any real search
/// makes).
const MAX_CALLS: usize = 10_000;
/// Bytes of macro expansion produced for one search, summed over every level (real
/// expanded searches take kilobytes).
const MAX_PRODUCED: usize = 4 << 20;

/// Expands every macro in `search` (see the module doc).
pub fn expand_macros(search: &str, macros: &MacroSet) -> Result<Expanded, MacroError> {
    let mut e = Expanded {
        text: String::new(),
        used: Vec::new(),
        defaulted: Vec::new(),
        builtin: Vec::new(),
    };
    let mut state = State {
        macros,
        calls: 0,
        produced: 0,
        used: &mut e.used,
        defaulted: &mut e.defaulted,
        builtin: &mut e.builtin,
    };
    e.text = state.expand(search, 0, None)?;
    Ok(e)
}

struct State<'a> {
    macros: &'a MacroSet,
    /// Calls expanded so far, and bytes they produced (see [`MAX_CALLS`]).
    calls: usize,
    produced: usize,
    used: &'a mut Vec<String>,
    defaulted: &'a mut Vec<String>,
    builtin: &'a mut Vec<String>,
}

impl State<'_> {
    /// Expands `text`; `origin` is the offset of the outermost call in the search when
    /// `text` is a macro's definition.
    fn expand(
        &mut self,
        text: &str,
        depth: usize,
        origin: Option<usize>,
    ) -> Result<String, MacroError> {
        let mut out = String::with_capacity(text.len());
        let bytes = text.as_bytes();
        let mut i = 0;
        let mut quoted = false;
        let mut last = 0;
        while i < bytes.len() {
            let at = origin.unwrap_or(i);
            if bytes[i..].starts_with(b"```") {
                // A comment: dropped, up to its closing triple backtick or the end.
                out.push_str(&text[last..i]);
                i = match text[i + 3..].find("```") {
                    Some(j) => i + 3 + j + 3,
                    None => bytes.len(),
                };
                last = i;
                continue;
            }
            match bytes[i] {
                b'\\' => i += 1,
                b'"' => quoted = !quoted,
                b'`' if !quoted => {
                    let close = text[i + 1..]
                        .find('`')
                        .map(|j| i + 1 + j)
                        .ok_or(MacroError::Unclosed { offset: at })?;
                    out.push_str(&text[last..i]);
                    let call = text[i + 1..close].trim();
                    let (name, args) = parse_call(call).map_err(|reason| MacroError::BadArgs {
                        call: call.to_string(),
                        offset: at,
                        reason,
                    })?;
                    let body = self.call(name, &args, depth, at)?;
                    self.produced += body.len();
                    if self.produced > MAX_PRODUCED {
                        return Err(MacroError::TooLarge {
                            name: name.to_string(),
                            offset: at,
                            what: format!("{} MiB", MAX_PRODUCED >> 20),
                        });
                    }
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

    /// The expansion of one call.
    fn call(
        &mut self,
        name: &str,
        args: &[String],
        depth: usize,
        at: usize,
    ) -> Result<String, MacroError> {
        let label = || {
            if args.is_empty() {
                name.to_string()
            } else {
                format!("{name}({})", args.len())
            }
        };
        let found = match self.macros.get(name, args.len()) {
            Some(m) => Some(m),
            None => {
                let m = default_macros().get(name, args.len());
                if m.is_some() && !self.builtin.contains(&label()) {
                    self.builtin.push(label());
                }
                m
            }
        };
        match found {
            Some(m) => {
                if depth >= MAX_DEPTH {
                    return Err(MacroError::Recursion {
                        name: name.to_string(),
                    });
                }
                self.calls += 1;
                if self.calls > MAX_CALLS {
                    return Err(MacroError::TooLarge {
                        name: name.to_string(),
                        offset: at,
                        what: format!("{MAX_CALLS} macro calls"),
                    });
                }
                if !self.used.contains(&label()) {
                    self.used.push(label());
                }
                let def = substitute(&m.definition, &m.args, args);
                self.expand(&def, depth + 1, Some(at))
            }
            None if name == "drop_dm_object_name" && args.len() == 1 => {
                Ok(format!("rename {}.* AS *", args[0].trim_matches('"')))
            }
            None if name.ends_with("_filter") && args.is_empty() => {
                self.defaulted.push(name.to_string());
                Ok("search *".to_string())
            }
            None => Err(MacroError::Undefined {
                name: name.to_string(),
                nargs: args.len(),
                offset: at,
            }),
        }
    }
}
