//! `cidrmatch()`: IPv4 and IPv6 CIDR membership.

use std::net::IpAddr;

/// A CIDR block parsed once: network address and prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    bits: u32,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `fe80::/10` or a bare address (a /32 or /128).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (net, bits) = match text.trim().split_once('/') {
            Some((n, b)) => (n, Some(b.parse::<u32>().ok()?)),
            None => (text.trim(), None),
        };
        let net: IpAddr = net.parse().ok()?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let bits = bits.unwrap_or(max);
        (bits <= max).then_some(Cidr { net, bits })
    }

    /// Parses only a value written as a CIDR block (with a `/`): how `search`
    /// recognises a subnet term such as `dest_ip=10.0.0.0/8`.
    pub fn parse_block(text: &str) -> Option<Cidr> {
        if text.contains('/') {
            Cidr::parse(text)
        } else {
            None
        }
    }

    /// True if `ip` is inside the block.
    pub fn contains(&self, ip: &str) -> bool {
        match (self.net, ip.trim().parse::<IpAddr>()) {
            (IpAddr::V4(n), Ok(IpAddr::V4(i))) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.bits)
                };
                (u32::from(n) & mask) == (u32::from(i) & mask)
            }
            (IpAddr::V6(n), Ok(IpAddr::V6(i))) => {
                let mask = if self.bits == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.bits)
                };
                (u128::from(n) & mask) == (u128::from(i) & mask)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cidr_match(cidr: &str, ip: &str) -> bool {
        Cidr::parse(cidr).is_some_and(|c| c.contains(ip))
    }

    #[test]
    fn v4_and_v6() {
        assert!(cidr_match("192.168.0.0/16", "192.168.4.5"));
        assert!(!cidr_match("192.168.0.0/16", "192.169.0.1"));
        assert!(cidr_match("fe80::/10", "fe80::1"));
        assert!(!cidr_match("10.0.0.0/8", "not an ip"));
    }
}
