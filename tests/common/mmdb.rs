//! A MaxMind DB (format 2.0) writer for tests: builds a small City database from a
//! few networks, as MaxMind's and DB-IP's `.mmdb` files are laid out (a binary search
//! tree over the address bits with 32-bit records, 16 zero bytes, the data section,
//! then the metadata after `\xAB\xCD\xEFMaxMind.com`). IPv6 tree; IPv4 networks sit
//! under `::/96`, as in those files.

#![allow(dead_code)]

use std::net::IpAddr;

/// A value in the data section.
pub enum D {
    Str(&'static str),
    Double(f64),
    U16(u16),
    U32(u32),
    U64(u64),
    Map(Vec<(&'static str, D)>),
    Array(Vec<D>),
}

fn control(out: &mut Vec<u8>, kind: u8, size: usize) {
    let (first, ext): (u8, Vec<u8>) = match size {
        0..=28 => (size as u8, vec![]),
        29..=284 => (29, vec![(size - 29) as u8]),
        285..=65_820 => (30, ((size - 285) as u16).to_be_bytes().to_vec()),
        _ => (31, ((size - 65_821) as u32).to_be_bytes()[1..].to_vec()),
    };
    if kind <= 7 {
        out.push(kind << 5 | first);
    } else {
        // Extended types: type 0 in the control byte, then the type less 7.
        out.push(first);
        out.push(kind - 7);
    }
    out.extend(ext);
}

fn uint(out: &mut Vec<u8>, kind: u8, v: u64, width: usize) {
    let bytes = v.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(8);
    let b = &bytes[skip.max(8 - width)..];
    control(out, kind, b.len());
    out.extend(b);
}

/// Encodes `d` at the end of `out`.
pub fn encode(out: &mut Vec<u8>, d: &D) {
    match d {
        D::Str(s) => {
            control(out, 2, s.len());
            out.extend(s.as_bytes());
        }
        D::Double(x) => {
            control(out, 3, 8);
            out.extend(x.to_be_bytes());
        }
        D::U16(v) => uint(out, 5, u64::from(*v), 2),
        D::U32(v) => uint(out, 6, u64::from(*v), 4),
        D::U64(v) => uint(out, 9, *v, 8),
        D::Map(kv) => {
            control(out, 7, kv.len());
            for (k, v) in kv {
                encode(out, &D::Str(k));
                encode(out, v);
            }
        }
        D::Array(xs) => {
            control(out, 11, xs.len());
            for x in xs {
                encode(out, x);
            }
        }
    }
}

#[derive(Clone, Copy)]
enum Rec {
    Empty,
    Node(u32),
    Data(usize),
}

fn bits(ip: IpAddr) -> [u8; 16] {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_compatible().octets(),
        IpAddr::V6(a) => a.octets(),
    }
}

/// A database of `networks` (address, prefix length as written for its family, the
/// record), with names in `languages`.
pub fn build(networks: Vec<(&str, u8, D)>, languages: &[&'static str]) -> Vec<u8> {
    let mut data = Vec::new();
    let mut nodes: Vec<[Rec; 2]> = vec![[Rec::Empty; 2]];
    for (net, len, record) in &networks {
        let ip: IpAddr = net.parse().unwrap();
        let depth = match ip {
            IpAddr::V4(_) => 96 + usize::from(*len),
            IpAddr::V6(_) => usize::from(*len),
        };
        let offset = data.len();
        encode(&mut data, record);
        let key = bits(ip);
        let mut node = 0usize;
        for i in 0..depth {
            let bit = usize::from(key[i / 8] >> (7 - i % 8) & 1);
            if i + 1 == depth {
                nodes[node][bit] = Rec::Data(offset);
            } else {
                node = match nodes[node][bit] {
                    Rec::Node(n) => n as usize,
                    _ => {
                        nodes.push([Rec::Empty; 2]);
                        let n = nodes.len() - 1;
                        nodes[node][bit] = Rec::Node(n as u32);
                        n
                    }
                };
            }
        }
    }
    let count = nodes.len() as u32;
    let mut out = Vec::new();
    for n in &nodes {
        for r in n {
            let v = match *r {
                Rec::Empty => count,
                Rec::Node(i) => i,
                Rec::Data(off) => count + 16 + off as u32,
            };
            out.extend(v.to_be_bytes());
        }
    }
    out.extend([0u8; 16]);
    out.extend(&data);
    out.extend(b"\xAB\xCD\xEFMaxMind.com");
    let meta = D::Map(vec![
        ("binary_format_major_version", D::U16(2)),
        ("binary_format_minor_version", D::U16(0)),
        ("build_epoch", D::U64(1_700_000_000)),
        ("database_type", D::Str("firedrill-test-City")),
        (
            "description",
            D::Map(vec![("en", D::Str("firedrill test database"))]),
        ),
        ("ip_version", D::U16(6)),
        (
            "languages",
            D::Array(languages.iter().map(|l| D::Str(l)).collect()),
        ),
        ("node_count", D::U32(count)),
        ("record_size", D::U16(32)),
    ]);
    encode(&mut out, &meta);
    out
}

/// A GeoLite2-City-shaped record: `[city, region, country, iso_code, continent]`
/// names in English, `(latitude, longitude)` and the time zone.
pub fn city(names: [&'static str; 5], (lat, lon): (f64, f64), tz: &'static str) -> D {
    let [city, region, country, iso, continent] = names;
    let names = |en: &'static str| D::Map(vec![("en", D::Str(en))]);
    D::Map(vec![
        ("city", D::Map(vec![("names", names(city))])),
        ("continent", D::Map(vec![("names", names(continent))])),
        (
            "country",
            D::Map(vec![("iso_code", D::Str(iso)), ("names", names(country))]),
        ),
        (
            "location",
            D::Map(vec![
                ("latitude", D::Double(lat)),
                ("longitude", D::Double(lon)),
                ("time_zone", D::Str(tz)),
            ]),
        ),
        (
            "subdivisions",
            D::Array(vec![D::Map(vec![("names", names(region))])]),
        ),
    ])
}
