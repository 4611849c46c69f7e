//! SPL2 functions used by Behavioral Analytics pipelines: maps and typed casts.

use super::{strict, Args, FnDef, MANY};
use crate::expr::EvalError;
use firedrill_value::Value;
use std::collections::BTreeMap;

pub(super) const FUNCS: &[FnDef] = &[
    strict("ucast", 2, 3, ucast),
    strict("parse_long", 1, 1, |a| {
        Ok(a.text(0)
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map(|n| Value::Num(n as f64))
            .unwrap_or(Value::Null))
    }),
    strict("map_get", 2, 2, |a| {
        Ok(match (a.v(0), a.text(1)) {
            (Value::Map(m), Some(k)) => m.get(&k).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        })
    }),
    strict("create_map", 0, MANY, |a| {
        let flat: Vec<&Value> = a
            .all()
            .flat_map(|v| match v {
                Value::Multi(vs) => vs.iter().collect::<Vec<_>>(),
                other => vec![other],
            })
            .collect();
        let mut m = BTreeMap::new();
        for pair in flat.chunks(2) {
            if let [k, v] = pair {
                m.insert(k.to_string(), (*v).clone());
            }
        }
        Ok(Value::Map(m))
    }),
];

fn ucast(a: &Args<'_>) -> Result<Value, EvalError> {
    let v = a.v(0);
    if v.is_null() {
        return Ok(a.v(2).clone());
    }
    Ok(match a.text(1).as_deref() {
        Some("string") => Value::Str(v.to_string()),
        Some("long") | Some("integer") | Some("double") | Some("float") => {
            v.as_num().map(Value::Num).unwrap_or_else(|| a.v(2).clone())
        }
        Some("boolean") => match v.to_string().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => a.v(2).clone(),
        },
        _ => v.clone(),
    })
}
