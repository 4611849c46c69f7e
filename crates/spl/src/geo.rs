//! `iplocation`'s database, as the engine sees it: a user-supplied GeoIP database
//! (`firedrill … --geoip FILE`) behind a trait, so the engine needs no file format.

use std::fmt::Debug;
use std::net::IpAddr;

/// Where an address is, as the database says; names in the language asked for. A
/// field the database does not have for the address is `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Location {
    /// City name.
    pub city: Option<String>,
    /// Country name.
    pub country: Option<String>,
    /// First subdivision (state, province) name.
    pub region: Option<String>,
    /// Continent name.
    pub continent: Option<String>,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// US metro (DMA) code.
    pub metro_code: Option<u32>,
    /// IANA time zone, e.g. `Europe/Berlin`.
    pub timezone: Option<String>,
}

/// A GeoIP database.
pub trait GeoIp: Send + Sync + Debug {
    /// The address's location, or `None` when the database has none (internal
    /// addresses, for one).
    fn locate(&self, ip: IpAddr, lang: &str) -> Option<Location>;
    /// The languages the database has names in (`en`, `de`, …).
    fn languages(&self) -> Vec<String>;
}

/// The address a field value names: an IP address, or a CIDR block's network address.
pub(crate) fn address(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = t.split_once('/').map_or(t, |(a, _)| a);
    t.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::address;

    #[test]
    fn addresses_and_blocks() {
        assert_eq!(address("192.0.2.1"), Some("192.0.2.1".parse().unwrap()));
        assert_eq!(
            address(" 2001:db8::1 "),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            address("198.51.100.0/24"),
            Some("198.51.100.0".parse().unwrap())
        );
        assert_eq!(address("not an address"), None);
        assert_eq!(address("host.example"), None);
    }
}
