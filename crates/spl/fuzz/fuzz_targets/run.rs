//! A compiled program runs over a few fixed events without panicking: the runtime
//! either returns rows or an error with a span.
#![no_main]

use firedrill_value::{Row, Value};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(p) = firedrill_spl::parse(text) else {
        return;
    };
    let Ok(program) = firedrill_spl::compile(&p, &firedrill_spl::NoLookups) else {
        return;
    };
    let events: Vec<Row> = (0..3)
        .map(|i| {
            Row::from([
                ("_raw".to_string(), Value::Str(format!("user=u{i} code=4688 x"))),
                ("_time".to_string(), Value::Num(i as f64 * 60.0)),
                ("user".to_string(), Value::Str(format!("u{i}"))),
                ("EventCode".to_string(), Value::str("4688")),
                ("mv".to_string(), Value::Multi(vec![Value::str("a"), Value::str("b")])),
            ])
        })
        .collect();
    let _ = firedrill_spl::run(&program, &events);
});
