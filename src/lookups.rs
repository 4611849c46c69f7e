//! Lookup tables for the engine: the content's `lookups/*.yml` definitions with their
//! CSV files, loaded on first use. KV-store collections and machine-learning models
//! cannot exist offline; asking for one says so, and the detection is skipped with
//! that reason.

use firedrill_content::{Content, LookupDef, LookupKind};
use firedrill_spl::exec::lookup::LookupTable;
use firedrill_spl::GeoIp;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// A table loaded (or failed) once, however many searches ask for it at once.
type Slot = Arc<OnceLock<Result<Arc<LookupTable>, String>>>;

/// Every lookup definition of the loaded content, with a cache of loaded tables.
#[derive(Default)]
pub struct Lookups {
    defs: BTreeMap<String, LookupDef>,
    cache: Mutex<HashMap<String, Slot>>,
    geoip: Option<Arc<dyn GeoIp>>,
}

impl firedrill_spl::Env for Lookups {
    fn lookup(&self, name: &str) -> Result<Arc<LookupTable>, String> {
        self.get(name)
    }

    fn geoip(&self) -> Result<Arc<dyn GeoIp>, String> {
        self.geoip
            .clone()
            .ok_or_else(|| firedrill_spl::NO_GEOIP.to_string())
    }
}

impl Lookups {
    /// The lookups defined by `contents` (later content wins on name clashes).
    pub fn new(contents: &[Content]) -> Lookups {
        let mut defs = BTreeMap::new();
        for c in contents {
            for (name, d) in &c.lookups {
                defs.insert(name.clone(), d.clone());
            }
        }
        Lookups {
            defs,
            cache: Mutex::new(HashMap::new()),
            geoip: None,
        }
    }

    /// With the GeoIP database `iplocation` reads (`--geoip`).
    pub fn with_geoip(mut self, db: Option<Arc<dyn GeoIp>>) -> Lookups {
        self.geoip = db;
        self
    }

    /// The table for a definition name or a CSV file name.
    /// Searches compiled in parallel that name the same table wait for one read
    /// of it; different tables are read at the same time.
    pub fn get(&self, name: &str) -> Result<Arc<LookupTable>, String> {
        let slot = match self.cache.lock() {
            Ok(mut cache) => cache.entry(name.to_string()).or_default().clone(),
            Err(_) => Slot::default(),
        };
        slot.get_or_init(|| self.load(name)).clone()
    }

    fn load(&self, name: &str) -> Result<Arc<LookupTable>, String> {
        let def = self
            .defs
            .get(name)
            .or_else(|| {
                self.defs
                    .values()
                    .find(|d| d.filename.as_deref() == Some(name))
            })
            .ok_or_else(|| format!("lookup `{name}` is not defined in the content's lookups/"))?;
        match def.kind {
            LookupKind::KvStore => {
                return Err(format!(
                    "lookup `{name}` is a KV store collection, which is not available offline"
                ))
            }
            LookupKind::MlModel => {
                return Err(format!(
                    "lookup `{name}` is a machine-learning model, which is not available offline"
                ))
            }
            _ => {}
        }
        let file = def
            .filename
            .as_ref()
            .ok_or_else(|| format!("lookup `{name}` names no file"))?;
        let dir = def.file.parent().unwrap_or(Path::new("."));
        let path = inside(dir, Path::new(file)).ok_or_else(|| {
            format!(
                "lookup `{name}`: its file {file:?} is not a file in {} (content may only name lookup files beside their definitions)",
                dir.display()
            )
        })?;
        let mut table = read_csv(&path).map_err(|e| format!("lookup `{name}`: {e}"))?;
        table.name = name.to_string();
        for m in &def.match_type {
            for part in m.split(',') {
                let part = part.trim();
                if let Some(f) = inner(part, "WILDCARD") {
                    table.wildcard.push(f);
                } else if let Some(f) = inner(part, "CIDR") {
                    table.cidr.push(f);
                }
            }
        }
        table.case_sensitive = def.case_sensitive_match.unwrap_or(true);
        table.min_matches = def.min_matches.unwrap_or(0) as usize;
        table.max_matches = def.max_matches.unwrap_or(1000) as usize;
        table.default_match = def.default_match.clone();
        Ok(Arc::new(table))
    }
}

fn inner(text: &str, func: &str) -> Option<String> {
    let rest = text.strip_prefix(func)?.trim_start().strip_prefix('(')?;
    Some(rest.strip_suffix(')')?.trim().to_string())
}

/// `dir/name` when it is a file inside `dir` after following symbolic links and `..`
/// (a lookup definition in content is untrusted: it must not name files elsewhere).
fn inside(dir: &Path, name: &Path) -> Option<PathBuf> {
    if name.is_absolute()
        || name
            .components()
            .any(|c| c == std::path::Component::ParentDir)
    {
        return None;
    }
    let real = std::fs::canonicalize(dir.join(name)).ok()?;
    (real.starts_with(std::fs::canonicalize(dir).ok()?) && real.is_file()).then_some(real)
}

pub use firedrill_spl::exec::lookup::read_csv;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn match_type_parsing_and_csv() {
        assert_eq!(inner("WILDCARD(domain)", "WILDCARD"), Some("domain".into()));
        assert_eq!(inner("CIDR( net )", "CIDR"), Some("net".into()));
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, "a,b\n1,x\n2,\"y,z\"\n").unwrap();
        let t = read_csv(&p).unwrap();
        assert_eq!(t.fields, vec!["a", "b"]);
        assert_eq!(t.rows.get(1, 1), Some("y,z"));
    }
}
