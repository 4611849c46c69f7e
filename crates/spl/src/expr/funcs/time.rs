//! Date and time functions (Search Reference: "Date and Time functions"), in UTC.

use super::{strict, FnDef};
use crate::exec::time;
use firedrill_value::{Decimal, Value};

pub(super) const FUNCS: &[FnDef] = &[
    strict("now", 0, 0, |_| Ok(Value::Num(time::now()))),
    strict("time", 0, 0, |_| Ok(Value::Num(time::now()))),
    strict("strftime", 2, 2, |a| {
        Ok(match (a.num(0), a.text(1)) {
            (Some(t), Some(f)) => time::strftime(t, &f).map(Value::Str).unwrap_or(Value::Null),
            _ => Value::Null,
        })
    }),
    strict("strptime", 2, 2, |a| {
        Ok(match (a.text(0), a.text(1)) {
            // Date and Time functions, time(): strptime's result prints with six
            // decimals (1534143600.000000).
            (Some(s), Some(f)) => time::strptime(&s, &f)
                .map(|t| Decimal::with_places(t, 6).map_or(Value::Num(t), Value::Dec))
                .unwrap_or(Value::Null),
            _ => Value::Null,
        })
    }),
    strict("relative_time", 2, 2, |a| {
        Ok(match (a.num(0), a.text(1)) {
            (Some(t), Some(spec)) => time::relative_time(t, &spec)
                .map(Value::Num)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        })
    }),
];

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    #[test]
    fn utc_formatting() {
        assert_eq!(
            ev("strftime(0, \"%Y-%m-%dT%H:%M:%S\")"),
            Value::str("1970-01-01T00:00:00")
        );
        let t = ev("strptime(\"1970-01-02\", \"%Y-%m-%d\")");
        assert_eq!(
            (t.as_num(), t.to_string()),
            (Some(86400.0), "86400.000000".into())
        );
        assert_eq!(ev("relative_time(90000, \"@d\")"), Value::Num(86400.0));
    }
}
