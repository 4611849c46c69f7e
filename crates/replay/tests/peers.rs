//! Hostile and broken peers, with the stable toolchain: the inputs the fuzz target
//! (`fuzz/fuzz_targets/hec.rs`) starts from, and what they must give.

use firedrill_replay::client::fuzzing::{ack_response, response};
use firedrill_replay::sink::fuzzing::request;

#[test]
fn hec_answers_of_any_shape_are_classified() {
    assert_eq!(
        response(200, r#"{"text":"Success","code":0,"ackId":7}"#),
        "accepted Some(7)"
    );
    assert!(response(503, r#"{"text":"Server is busy","code":9}"#).starts_with("retry"));
    assert!(response(403, r#"{"text":"Invalid token","code":4}"#).starts_with("fatal"));
    // Not JSON, JSON of the wrong shape, huge numbers, nesting: an answer, never a panic.
    for body in [
        "",
        "<html>502 Bad Gateway</html>",
        r#"{"code":"0"}"#,
        r#"{"code":1e400,"ackId":-1}"#,
        r#"{"code":0,"ackId":18446744073709551616}"#,
        &"[".repeat(100_000),
        "\u{0}\u{ffff}",
    ] {
        for status in [200, 400, 500, 503] {
            let _ = response(status, body);
        }
    }
    // A 200 that is not HEC's success is not an acceptance.
    assert!(!response(200, "<html>ok</html>").starts_with("accepted"));
}

#[test]
fn ack_answers_acknowledge_only_what_they_say() {
    assert_eq!(
        ack_response(r#"{"acks":{"1":true,"2":false,"x":true}}"#),
        vec![1]
    );
    for body in [
        "",
        "null",
        r#"{"acks":[1,2]}"#,
        r#"{"acks":{"1":"true"}}"#,
        &"{".repeat(50_000),
    ] {
        assert!(ack_response(body).is_empty(), "{body:.20}");
    }
}

#[test]
fn requests_on_the_wire_never_panic_or_allocate_what_they_announce() {
    let body = r#"{"event":"a"}{"event":"b"}"#;
    let ok = format!(
        "POST /services/collector/event HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    // Two envelopes, and the body read as one raw line.
    assert_eq!(request(ok.as_bytes()), 3);
    for bytes in [
        &b""[..],
        b"GET\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 800000000\r\n\r\nshort",
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST /?a=%ZZ&%=%%&b HTTP/1.1\r\nContent-Length: 5\r\n\r\n\xff\xfe\x00\x01\x02",
        b"POST / HTTP/1.1\r\nno colon\r\nContent-Length: -1\r\n\r\n",
    ] {
        let _ = request(bytes);
    }
    // A request line or a header past 64 KiB, or too many headers: no request.
    let long = format!("POST /{} HTTP/1.1\r\n\r\n", "a".repeat(70_000));
    assert_eq!(request(long.as_bytes()), 0);
    let many = format!("POST / HTTP/1.1\r\n{}\r\n", "X: y\r\n".repeat(300));
    assert_eq!(request(many.as_bytes()), 0);
}
