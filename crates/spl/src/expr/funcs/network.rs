//! Network functions: `cidrmatch`.

use super::{strict, FnDef};
use crate::exec::cidr::Cidr;
use firedrill_value::Value;

pub(super) const FUNCS: &[FnDef] = &[strict("cidrmatch", 2, 2, |a| {
    Ok(match (a.text(0), a.v(1)) {
        (Some(cidr), ip) if !ip.is_null() => match Cidr::parse(&cidr) {
            Some(c) => Value::Bool(ip.values().iter().any(|x| c.contains(&x.to_string()))),
            None => Value::Bool(false),
        },
        _ => Value::Null,
    })
})];

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

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
