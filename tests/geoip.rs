//! `--geoip FILE`: a MaxMind DB file (written here in the real format, see
//! common/mmdb.rs) read by firedrill's GeoIP reader, through `iplocation` in
//! `firedrill search`, and the error for a file that is not one.

mod common;

use assert_cmd::Command;
use common::mmdb::{self, D};
use firedrill_spl::GeoIp;
use std::path::Path;

fn database(dir: &Path) -> std::path::PathBuf {
    let db = mmdb::build(
        vec![
            (
                "198.51.100.0",
                24,
                mmdb::city(
                    ["Munich", "Bavaria", "Germany", "DE", "Europe"],
                    (48.1374, 11.5755),
                    "Europe/Berlin",
                ),
            ),
            (
                "2001:db8::",
                32,
                mmdb::city(
                    ["Sydney", "New South Wales", "Australia", "AU", "Oceania"],
                    (-33.8688, 151.2093),
                    "Australia/Sydney",
                ),
            ),
            // Known to its country only.
            (
                "203.0.113.0",
                25,
                D::Map(vec![(
                    "country",
                    D::Map(vec![("names", D::Map(vec![("en", D::Str("Japan"))]))]),
                )]),
            ),
        ],
        &["en"],
    );
    let p = dir.join("test-City.mmdb");
    std::fs::write(&p, db).unwrap();
    p
}

#[test]
fn the_reader_locates_v4_and_v6_networks_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let db = firedrill::geoip::MaxMind::open(&database(dir.path())).unwrap();
    assert_eq!(db.languages(), vec!["en".to_string()]);
    let l = db.locate("198.51.100.200".parse().unwrap(), "en").unwrap();
    assert_eq!(l.city.as_deref(), Some("Munich"));
    assert_eq!(l.region.as_deref(), Some("Bavaria"));
    assert_eq!(l.country.as_deref(), Some("Germany"));
    assert_eq!(l.continent.as_deref(), Some("Europe"));
    assert_eq!(l.lat, Some(48.1374));
    assert_eq!(l.timezone.as_deref(), Some("Europe/Berlin"));
    let l = db.locate("2001:db8:1::5".parse().unwrap(), "en").unwrap();
    assert_eq!(l.city.as_deref(), Some("Sydney"));
    let l = db.locate("203.0.113.1".parse().unwrap(), "en").unwrap();
    assert_eq!((l.country.as_deref(), l.city), (Some("Japan"), None));
    // Outside every network (the /25 ends at .127), or a language it lacks.
    assert!(db.locate("203.0.113.200".parse().unwrap(), "en").is_none());
    assert!(db.locate("10.1.2.3".parse().unwrap(), "en").is_none());
    assert_eq!(
        db.locate("198.51.100.1".parse().unwrap(), "de")
            .unwrap()
            .city,
        None
    );
}

#[test]
fn search_runs_iplocation_with_geoip_and_refuses_it_without() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let log = dir.path().join("logins.json");
    std::fs::write(
        &log,
        concat!(
            "{\"time\":1700000000,\"user\":\"alice\",\"src\":\"198.51.100.7\"}\n",
            "{\"time\":1700000060,\"user\":\"alice\",\"src\":\"2001:db8::9\"}\n",
            "{\"time\":1700000120,\"user\":\"bob\",\"src\":\"10.0.0.5\"}\n",
            "{\"time\":1700000180,\"user\":\"carol\",\"src\":\"203.0.113.4\"}\n",
        ),
    )
    .unwrap();
    let spl = "* | iplocation src | stats dc(Country) as countries values(City) as cities by user";
    let out = Command::cargo_bin("firedrill")
        .unwrap()
        .args(["search", spl])
        .arg(&log)
        .args(["--format", "csv", "--geoip"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    // alice: two countries; bob's internal address is not located (no Country);
    // carol's is located to her country only, so her City is there but empty.
    assert_eq!(
        text,
        "user,countries,cities\nalice,2,\"Munich\nSydney\"\nbob,0,\ncarol,1,\n"
    );

    // The environment variable names it too.
    let out = Command::cargo_bin("firedrill")
        .unwrap()
        .args(["search", "* | iplocation src | table Country"])
        .arg(&log)
        .env("FIREDRILL_GEOIP", &db)
        .args(["--format", "csv"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("Germany"));

    // Without a database: refused at compile time, with a caret under iplocation.
    let out = Command::cargo_bin("firedrill")
        .unwrap()
        .args(["search", spl])
        .arg(&log)
        .env_remove("FIREDRILL_GEOIP")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--geoip FILE"), "{err}");
    assert!(err.contains("    ^"), "{err}");

    // A file that is not a database: an error naming it.
    let out = Command::cargo_bin("firedrill")
        .unwrap()
        .args(["search", spl])
        .arg(&log)
        .arg("--geoip")
        .arg(&log)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("logins.json") && err.contains("not a readable GeoIP"),
        "{err}"
    );
}

#[test]
fn coverage_and_run_take_geoip() {
    let dir = tempfile::tempdir().unwrap();
    let db = database(dir.path());
    let (work, det) = common::workdir();
    let content = work.path().join("content");
    let text = std::fs::read_to_string(&det).unwrap().replace(
        "| `drop_dm_object_name(Processes)`",
        "| iplocation dest | `drop_dm_object_name(Processes)`",
    );
    assert!(text.contains("iplocation"));
    std::fs::write(&det, text).unwrap();
    let coverage = |geoip: bool| {
        let mut c = Command::cargo_bin("firedrill").unwrap();
        c.arg("coverage").arg(&content).args(["--format", "json"]);
        c.env_remove("FIREDRILL_GEOIP");
        if geoip {
            c.arg("--geoip").arg(&db);
        }
        let out = c.output().unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["detections"][0].clone()
    };
    let without = coverage(false);
    assert_eq!(without["supported"], false);
    assert!(without["unsupported"]
        .as_str()
        .unwrap()
        .contains("--geoip FILE"));
    assert_eq!(coverage(true)["supported"], true);
    // The detection's hosts are names, not addresses: located nowhere, it still fires.
    let out = Command::cargo_bin("firedrill")
        .unwrap()
        .arg("run")
        .arg(&det)
        .args([
            "--data",
            "examples/attack_data",
            "--offline",
            "--format",
            "json",
            "--geoip",
        ])
        .arg(&db)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let t = &v["detections"][0]["tests"][0];
    assert_eq!(t["status"], "pass", "{t}");
}
