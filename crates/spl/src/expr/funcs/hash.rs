//! Cryptographic functions (Search Reference: "Cryptographic functions").

use super::{strict, Args, FnDef};
use crate::exec::hash::digest;
use crate::expr::EvalError;
use firedrill_value::Value;

pub(super) const FUNCS: &[FnDef] = &[
    strict("md5", 1, 1, |a| hash(a, "md5")),
    strict("sha1", 1, 1, |a| hash(a, "sha1")),
    strict("sha256", 1, 1, |a| hash(a, "sha256")),
    strict("sha512", 1, 1, |a| hash(a, "sha512")),
];

fn hash(a: &Args<'_>, name: &str) -> Result<Value, EvalError> {
    Ok(a.text(0)
        .map(|s| Value::Str(digest(name, s.as_bytes())))
        .unwrap_or(Value::Null))
}

#[cfg(test)]
mod tests {
    use super::super::tests::ev;
    use firedrill_value::Value;

    #[test]
    fn digests() {
        assert_eq!(
            ev("md5(\"abc\")"),
            Value::str("900150983cd24fb0d6963f7d28e17f72")
        );
    }
}
