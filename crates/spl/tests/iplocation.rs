//! `iplocation` over a GeoIP database the caller gives (here a two-network stand-in):
//! the documented fields, `prefix=`, `allfields=`, `lang=`, addresses it does not
//! know, and refusal at compile time when there is no database.

use firedrill_spl::exec::lookup::LookupTable;
use firedrill_spl::{compile, parse, CompileError, Env, GeoIp, Location, NoLookups};
use firedrill_value::{Row, Value};
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Debug)]
struct TwoNetworks;

impl GeoIp for TwoNetworks {
    fn locate(&self, ip: IpAddr, lang: &str) -> Option<Location> {
        match ip.to_string().as_str() {
            a if a.starts_with("198.51.100.") => Some(Location {
                city: Some(if lang == "de" { "München" } else { "Munich" }.into()),
                country: Some(
                    if lang == "de" {
                        "Deutschland"
                    } else {
                        "Germany"
                    }
                    .into(),
                ),
                region: Some("Bavaria".into()),
                continent: Some("Europe".into()),
                lat: Some(48.1374),
                lon: Some(11.5755),
                metro_code: None,
                timezone: Some("Europe/Berlin".into()),
            }),
            // Known only to its country, as many addresses are.
            a if a.starts_with("203.0.113.") => Some(Location {
                country: Some("Australia".into()),
                lat: Some(-33.494),
                lon: Some(143.2104),
                ..Location::default()
            }),
            _ => None,
        }
    }
    fn languages(&self) -> Vec<String> {
        vec!["en".into(), "de".into()]
    }
}

struct WithDb;

impl Env for WithDb {
    fn lookup(&self, name: &str) -> Result<Arc<LookupTable>, String> {
        NoLookups.lookup(name)
    }
    fn geoip(&self) -> Result<Arc<dyn GeoIp>, String> {
        Ok(Arc::new(TwoNetworks))
    }
}

fn rows(spl: &str) -> Vec<Row> {
    let events: Vec<Row> = ["198.51.100.7", "203.0.113.9", "10.0.0.1", "not-an-ip"]
        .iter()
        .map(|ip| Row::from([("src".to_string(), Value::str(*ip))]))
        .collect();
    let program = compile(&parse(spl).unwrap(), &WithDb).unwrap_or_else(|e| panic!("{e}"));
    firedrill_spl::run(&program, &events).unwrap()
}

fn get(r: &Row, f: &str) -> Option<String> {
    r.get(f).map(|v| v.to_string())
}

#[test]
fn located_addresses_get_the_documented_fields() {
    let r = rows("* | iplocation src");
    assert_eq!(get(&r[0], "City").as_deref(), Some("Munich"));
    assert_eq!(get(&r[0], "Country").as_deref(), Some("Germany"));
    assert_eq!(get(&r[0], "Region").as_deref(), Some("Bavaria"));
    assert_eq!(r[0].get("lat"), Some(&Value::Num(48.1374)));
    assert_eq!(r[0].get("lon"), Some(&Value::Num(11.5755)));
    // Not without allfields=true.
    assert_eq!(get(&r[0], "Timezone"), None);
    // Known to its country only: the other fields are there, empty.
    assert_eq!(get(&r[1], "Country").as_deref(), Some("Australia"));
    assert_eq!(get(&r[1], "City").as_deref(), Some(""));
    assert_eq!(get(&r[1], "Region").as_deref(), Some(""));
    // No location (an internal address), or no address: no fields.
    for row in &r[2..] {
        assert_eq!(get(row, "Country"), None);
        assert_eq!(get(row, "City"), None);
    }
}

#[test]
fn prefix_allfields_and_lang() {
    let r = rows("* | iplocation prefix=geo_ allfields=true lang=de src");
    assert_eq!(get(&r[0], "geo_City").as_deref(), Some("München"));
    assert_eq!(get(&r[0], "geo_Country").as_deref(), Some("Deutschland"));
    assert_eq!(get(&r[0], "geo_Continent").as_deref(), Some("Europe"));
    assert_eq!(get(&r[0], "geo_Timezone").as_deref(), Some("Europe/Berlin"));
    assert_eq!(get(&r[0], "geo_MetroCode").as_deref(), Some(""));
    assert_eq!(get(&r[0], "City"), None);
    // Fields it adds are available to what follows, and only what is needed is kept.
    let r = rows("* | iplocation src | stats count by Country");
    assert_eq!(r.len(), 2);
    assert_eq!(get(&r[0], "Country").as_deref(), Some("Australia"));
}

#[test]
fn without_a_database_or_with_a_language_it_lacks_it_is_refused() {
    let p = parse("* | iplocation src").unwrap();
    match compile(&p, &NoLookups) {
        Err(CompileError::Unsupported(u)) => {
            assert!(u.what.contains("--geoip FILE"), "{}", u.what);
            assert_eq!(u.span.start, 4);
        }
        other => panic!("expected unsupported, got {other:?}"),
    }
    let p = parse("* | iplocation lang=xx src").unwrap();
    match compile(&p, &WithDb) {
        Err(CompileError::Unsupported(u)) => {
            assert!(
                u.what.contains("no names in `xx` (it has: en, de)"),
                "{}",
                u.what
            );
        }
        other => panic!("expected unsupported, got {other:?}"),
    }
    let p = parse("* | iplocation frobnicate=1 src").unwrap();
    assert!(matches!(
        compile(&p, &WithDb),
        Err(CompileError::Unsupported(_))
    ));
}

#[test]
fn an_address_it_does_not_locate_keeps_the_rows_own_fields() {
    let events = vec![Row::from([
        ("src".to_string(), Value::str("10.0.0.1")),
        ("Country".to_string(), Value::str("DE")),
        ("Timezone".to_string(), Value::str("Europe/Berlin")),
    ])];
    let program = compile(
        &parse("* | iplocation src | table Country Timezone").unwrap(),
        &WithDb,
    )
    .unwrap();
    let r = firedrill_spl::run(&program, &events).unwrap();
    assert_eq!(get(&r[0], "Country").as_deref(), Some("DE"));
    assert_eq!(get(&r[0], "Timezone").as_deref(), Some("Europe/Berlin"));
}
