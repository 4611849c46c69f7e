//! Whatever a HEC peer sends: as HEC's answer to a batch (any status) and to an ack
//! poll, read by the client; as a request on the wire, read by the sink (envelopes and
//! raw events). Never a panic, a hang or a large allocation from a short input.
//! `cargo +nightly fuzz run hec`; `tests/peers.rs` runs the same on hostile inputs
//! with the stable toolchain, always.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let status = data.first().map_or(200, |b| [200, 400, 403, 500, 503][*b as usize % 5]);
    let _ = firedrill_replay::client::fuzzing::response(status, &text);
    let _ = firedrill_replay::client::fuzzing::ack_response(&text);
    let _ = firedrill_replay::sink::fuzzing::request(data);
});
