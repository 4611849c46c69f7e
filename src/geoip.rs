//! The GeoIP database a user gives with `--geoip FILE` (or `FIREDRILL_GEOIP`): a
//! MaxMind DB (`.mmdb`) file with City records, as MaxMind's GeoLite2/GeoIP2 City and
//! DB-IP's City databases are. `iplocation` reads it through [`firedrill_spl::GeoIp`].

use firedrill_spl::{GeoIp, Location};
use maxminddb::geoip2;
use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::Path;

/// An opened `.mmdb` file, held in memory.
pub struct MaxMind {
    reader: maxminddb::Reader<Vec<u8>>,
    name: String,
}

impl std::fmt::Debug for MaxMind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MaxMind({})", self.name)
    }
}

impl MaxMind {
    /// Opens `path`; the error names the file and what is wrong with it.
    pub fn open(path: &Path) -> Result<MaxMind, String> {
        let reader = maxminddb::Reader::open_readfile(path).map_err(|e| {
            format!(
                "{}: not a readable GeoIP (.mmdb) database: {e}",
                path.display()
            )
        })?;
        Ok(MaxMind {
            name: format!("{} ({})", path.display(), reader.metadata.database_type),
            reader,
        })
    }
}

fn name(names: &Option<BTreeMap<&str, &str>>, lang: &str) -> Option<String> {
    names.as_ref()?.get(lang).map(|s| s.to_string())
}

impl GeoIp for MaxMind {
    fn locate(&self, ip: IpAddr, lang: &str) -> Option<Location> {
        // An IPv6 address in an IPv4-only database is an error: no location.
        let c: geoip2::City = self.reader.lookup(ip).ok()??;
        let location = c.location.as_ref();
        Some(Location {
            city: c.city.as_ref().and_then(|x| name(&x.names, lang)),
            country: c.country.as_ref().and_then(|x| name(&x.names, lang)),
            region: c
                .subdivisions
                .as_ref()
                .and_then(|s| s.first())
                .and_then(|x| name(&x.names, lang)),
            continent: c.continent.as_ref().and_then(|x| name(&x.names, lang)),
            lat: location.and_then(|l| l.latitude),
            lon: location.and_then(|l| l.longitude),
            metro_code: location.and_then(|l| l.metro_code).map(u32::from),
            timezone: location.and_then(|l| l.time_zone).map(str::to_string),
        })
    }

    fn languages(&self) -> Vec<String> {
        self.reader.metadata.languages.clone()
    }
}
