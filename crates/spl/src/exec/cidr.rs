//! `cidrmatch()`: IPv4 and IPv6 CIDR membership.

use std::net::IpAddr;

/// True if `ip` is inside `cidr` (`10.0.0.0/8`, `fe80::/10`, or a bare address).
pub fn cidr_match(cidr: &str, ip: &str) -> bool {
    let (net, bits) = match cidr.trim().split_once('/') {
        Some((n, b)) => (n, b.parse::<u32>().ok()),
        None => (cidr.trim(), None),
    };
    let (net, ip) = match (net.parse::<IpAddr>(), ip.trim().parse::<IpAddr>()) {
        (Ok(n), Ok(i)) => (n, i),
        _ => return false,
    };
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            let bits = bits.unwrap_or(32).min(32);
            let mask = if bits == 0 {
                0
            } else {
                u32::MAX << (32 - bits)
            };
            (u32::from(n) & mask) == (u32::from(i) & mask)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => {
            let bits = bits.unwrap_or(128).min(128);
            let mask = if bits == 0 {
                0
            } else {
                u128::MAX << (128 - bits)
            };
            (u128::from(n) & mask) == (u128::from(i) & mask)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v4_and_v6() {
        assert!(cidr_match("192.168.0.0/16", "192.168.4.5"));
        assert!(!cidr_match("192.168.0.0/16", "192.169.0.1"));
        assert!(cidr_match("fe80::/10", "fe80::1"));
        assert!(!cidr_match("10.0.0.0/8", "not an ip"));
    }
}
