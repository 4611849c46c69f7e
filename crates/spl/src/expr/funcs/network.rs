//! Network functions: `cidrmatch`.

use super::{strict, FnDef};
use crate::exec::cidr::Cidr;
use firedrill_value::Value;
use std::net::Ipv4Addr;

pub(super) const FUNCS: &[FnDef] = &[
    strict("cidrmatch", 2, 2, |a| {
        Ok(match (a.text(0), a.v(1)) {
            (Some(cidr), ip) if !ip.is_null() => match Cidr::parse(&cidr) {
                Some(c) => Value::Bool(ip.values().iter().any(|x| c.contains(&x.to_string()))),
                None => Value::Bool(false),
            },
            _ => Value::Null,
        })
    }),
    // Conversion functions: `ipmask(mask, ip)` ANDs an IPv4 address with a mask.
    strict("ipmask", 2, 2, |a| {
        let parse = |s: Option<String>| s.and_then(|s| s.trim().parse::<Ipv4Addr>().ok());
        Ok(match (parse(a.text(0)), parse(a.text(1))) {
            (Some(m), Some(ip)) => {
                Value::Str(Ipv4Addr::from(u32::from(m) & u32::from(ip)).to_string())
            }
            _ => Value::Null,
        })
    }),
];

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    #[test]
    fn ipmask() {
        // Search Reference, "Conversion functions", ipmask.
        assert_eq!(
            ev("ipmask(\"255.255.255.0\", \"10.20.30.120\")"),
            Value::str("10.20.30.0")
        );
        assert_eq!(ev("ipmask(\"255.255.255.0\", \"x\")"), Value::Null);
    }

    #[test]
    fn cidrmatch() {
        assert_eq!(
            ev("cidrmatch(\"10.0.0.0/8\", \"10.1.2.3\")"),
            Value::Bool(true)
        );
        assert_eq!(
            ev("cidrmatch(\"10.0.0.0/8\", \"11.1.2.3\")"),
            Value::Bool(false)
        );
    }
}
