//! The built-in apps (`builtin/`): they load with nothing left unapplied, and they
//! give the fields the CIM data models read, on events written as the data sources
//! document them. With `FIREDRILL_SHARED`, each data source's example event in
//! security_content is read through them too.

use firedrill_addons::{builtin, AddOns};
use firedrill_events::{read_events, SearchTime, SourceMeta};
use firedrill_value::{Event, Value, Want};

fn datamodel_rows(
    dataset: &str,
    events: &[firedrill_value::Event],
) -> Result<Vec<firedrill_value::Row>, firedrill_events::CimError> {
    firedrill_addons::builtin::datamodels().rows(dataset, events)
}

fn read(text: &str, sourcetype: &str) -> Vec<Event> {
    let meta = SourceMeta {
        sourcetype: Some(sourcetype.into()),
        ..SourceMeta::default()
    };
    let mut events = read_events(text.as_bytes(), &meta).unwrap().events;
    let b = builtin::get();
    for e in &mut events {
        b.apply(&mut e.fields, &Want::everything());
    }
    events
}

#[test]
fn built_in_files_load_and_apply_everything_they_say() {
    let b = AddOns::load(&[]).unwrap_or_else(|e| panic!("{e}"));
    assert!(b.findings().is_empty(), "{:?}", b.findings());
    assert_eq!(b.files().len(), builtin::FILES.len());
    assert_eq!(b.user_files().count(), 0);
    let stanzas: usize = builtin::FILES
        .iter()
        .filter(|(p, _)| p.ends_with("props.conf"))
        .map(|(p, text)| {
            let parsed = firedrill_addons::conf::parse(std::path::Path::new(p), text).unwrap();
            parsed.iter().filter(|s| !s.settings.is_empty()).count()
        })
        .sum();
    assert_eq!(
        b.stanzas(),
        stanzas,
        "every built-in stanza applies something"
    );
}

#[test]
fn suricata_http_records_map_to_web() {
    let eve = r#"{"timestamp":"2023-06-01T10:00:00.000000+0000","event_type":"http","src_ip":"10.0.0.5","src_port":51000,"dest_ip":"192.0.2.10","dest_port":443,"http":{"hostname":"vpn.example","url":"/remote/fgt_lang?lang=/../../x","http_user_agent":"curl/8.0","http_method":"GET","status":200,"length":12}}
{"timestamp":"2023-06-01T10:00:01.000000+0000","event_type":"dns","src_ip":"10.0.0.5"}"#;
    let events = read(eve, "suricata");
    assert!(
        !events[1].fields.contains_key("src"),
        "only http records get Web fields"
    );
    let rows = datamodel_rows("Web", &events).unwrap();
    assert_eq!(rows.len(), 1, "only http records are Web events");
    let r = &rows[0];
    assert_eq!(r["Web.url"], Value::str("/remote/fgt_lang?lang=/../../x"));
    assert_eq!(r["Web.uri_path"], Value::str("/remote/fgt_lang"));
    assert_eq!(r["Web.uri_query"], Value::str("lang=/../../x"));
    assert_eq!(r["Web.url_length"], Value::Num(30.0));
    assert_eq!(r["Web.status"].to_string(), "200");
    assert_eq!(r["Web.dest"], Value::str("192.0.2.10"));
    assert_eq!(r["Web.site"], Value::str("vpn.example"));
    assert_eq!(r["Web.http_method"], Value::str("GET"));
    assert_eq!(r["Web.vendor_product"], Value::str("Suricata"));
}

#[test]
fn zscaler_web_logs_map_to_web() {
    // Written in Zscaler's documented NSS feed output format for Splunk.
    let log = concat!(
        r#"{"datetime":"2023-06-01 10:00:00","reason":"Virus/Spyware/Malware Blocked","event_id":"7239","protocol":"HTTPS","action":"Blocked","transactionsize":"1024","responsesize":"900","requestsize":"124","urlcategory":"Miscellaneous or Unknown","serverip":"203.0.113.9","requestmethod":"GET","refererURL":"None","useragent":"curl/8.0","product":"NSS","location":"HQ","ClientIP":"10.0.0.5","status":"403","user":"ann@example.com","url":"dl.example/x.exe","vendor":"Zscaler","hostname":"dl.example","threatcategory":"Virus","threatname":"EICAR_Test_File","filetype":"exe","threatclass":"Virus","fileclass":"Executable","deviceowner":"ann","devicehostname":"wks-7","contenttype":"application/octet-stream"}"#,
        "\n",
        r#"{"datetime":"2023-06-01 10:00:05","action":"Allowed","serverip":"203.0.113.10","ClientIP":"10.0.0.6","status":"200","user":"bob@example.com","url":"news.example/","hostname":"","threatname":"None"}"#,
    );
    let events = read(log, "zscalernss-web");
    assert_eq!(events[0].fields["_time"], Value::Num(1_685_613_600.0));
    let rows = datamodel_rows("Web", &events).unwrap();
    assert_eq!(rows.len(), 2);
    let r = &rows[0];
    for (f, v) in [
        ("Web.action", "blocked"),
        ("Web.src", "10.0.0.5"),
        ("Web.dest", "dl.example"),
        ("Web.user", "ann@example.com"),
        ("Web.url", "dl.example/x.exe"),
        ("Web.http_method", "GET"),
        ("Web.http_user_agent", "curl/8.0"),
        ("Web.status", "403"),
        ("Web.category", "Miscellaneous or Unknown"),
        ("Web.bytes_in", "900"),
        ("Web.vendor_product", "Zscaler Internet Access"),
    ] {
        assert_eq!(
            r.get(f).map(|v| v.to_string()).as_deref(),
            Some(v),
            "{f}: {r:?}"
        );
    }
    // No host: the server's address.
    assert_eq!(rows[1]["Web.dest"], Value::str("203.0.113.10"));
    assert_eq!(rows[1]["Web.action"], Value::str("allowed"));
    // The raw fields the detections read stay as the feed names them.
    assert_eq!(events[0].fields["threatclass"], Value::str("Virus"));
    assert_eq!(events[0].fields["deviceowner"], Value::str("ann"));
    let tags = events[0].fields["tag"].to_string();
    assert!(tags.contains("proxy") && tags.contains("web"), "{tags}");
}

#[test]
fn nginx_plus_kv_maps_to_web() {
    let line = r#"site="www.example.com" server="www.example.com" dest_port="443" dest_ip="192.0.2.1" src="198.51.100.1" time_local="05/Mar/2024:10:00:00 -0500" status="404" http_referer="-" http_user_agent="curl/8.0" uri_query="id=1" uri_path="/app/login" http_method="POST" category="text/html""#;
    let events = read(line, "nginx:plus:kv");
    // 2024-03-05T15:00:00Z
    assert_eq!(events[0].fields["_time"], Value::Num(1_709_650_800.0));
    let rows = datamodel_rows("Web", &events).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["Web.url"], Value::str("/app/login?id=1"));
    assert_eq!(r["Web.url_length"], Value::Num(15.0));
    assert_eq!(r["Web.dest"], Value::str("192.0.2.1"));
    assert_eq!(r["Web.src"], Value::str("198.51.100.1"));
    assert_eq!(r["Web.status"], Value::str("404"));
    assert_eq!(r["Web.http_content_type"], Value::str("text/html"));
    assert_eq!(r["Web.http_referrer"], Value::str("-"));
    assert_eq!(r["Web.vendor_product"], Value::str("NGINX Plus"));
}

/// Each security_content data source whose sourcetype a built-in app names: its
/// documented example event, read through the built-ins, gets every field the app
/// computes (none null). Run by the conformance step (`FIREDRILL_SHARED=../shared
/// cargo test -- --ignored`).
#[test]
#[ignore = "needs FIREDRILL_SHARED (../shared beside the repository)"]
fn data_source_examples_get_the_built_in_fields() {
    let shared = std::env::var("FIREDRILL_SHARED").expect("FIREDRILL_SHARED");
    // A relative path is the workspace's (CI gives `../shared`); tests run in the crate.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = root
        .join(&shared)
        .join("content/security_content_2024-10/data_sources");
    let b = builtin::get();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let Ok(doc) = serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&text) else {
            continue;
        };
        let (Some(st), Some(example)) = (doc["sourcetype"].as_str(), doc["example_log"].as_str())
        else {
            continue;
        };
        let Some(file) = b.feeds(st) else { continue };
        let text = builtin::FILES
            .iter()
            .find(|(p, _)| std::path::Path::new(p) == file)
            .unwrap()
            .1;
        let stanzas = firedrill_addons::conf::parse(file, text).unwrap();
        let stanza = stanzas.iter().find(|s| s.name == st).unwrap();
        let events = read(&example.replace('\n', " "), st);
        assert_eq!(events.len(), 1, "{}", path.display());
        let has = |f: &str| events[0].fields.contains_key(f);
        // Conditional settings are written `if(<when>, <value>, <field itself>)` or
        // `coalesce(<values>, <field itself>)` (builtin/README.md): an example outside
        // <when>, or without any of the values, need not get them; an
        // alias is there when its original is.
        let mut outputs: Vec<String> = Vec::new();
        for set in &stanza.settings {
            let (k, v) = (set.key.as_str(), set.value.as_str());
            if let Some(f) = k.strip_prefix("EVAL-") {
                let keeps_itself = v.ends_with(&format!(", {f})"))
                    && (v.starts_with("if(") || v.starts_with("coalesce("));
                if !keeps_itself {
                    outputs.push(f.to_string());
                }
            } else if k.starts_with("FIELDALIAS-") {
                let w: Vec<&str> = v.split_whitespace().collect();
                for t in w.chunks(3).filter(|t| t.len() == 3 && has(t[0])) {
                    outputs.push(t[2].to_string());
                }
            }
        }
        if stanza.settings.iter().any(|s| s.key == "TIME_FORMAT") {
            let t = events[0].fields.get("_time").and_then(Value::as_num);
            assert!(
                t.is_some_and(|t| t > 0.0),
                "{}: no _time from TIME_FORMAT",
                path.display()
            );
        }
        for f in &outputs {
            assert!(
                has(f),
                "{}: {f} not computed by {} from the example event",
                path.display(),
                file.display()
            );
        }
        eprintln!(
            "{}: {st}: {} fields from {}",
            path.display(),
            outputs.len(),
            file.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 1,
        "no data source example read through a built-in app"
    );
}

#[test]
fn pan_threat_url_records_map_to_web_and_traffic_to_network_traffic() {
    // Written in PAN-OS's documented field order; the user agent's comma is quoted.
    let threat = r#"Mar  5 10:00:00 fw-01.example 1,2024/03/05 10:00:00,0011223344,THREAT,url,2561,2024/03/05 10:00:00,10.1.1.5,198.51.100.7,0.0.0.0,0.0.0.0,allow-web,alice,,web-browsing,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd,2024/03/05 10:00:00,4242,1,51515,443,0,0,0x400000,tcp,block-url,"evil.example/admin/login.jsp?x=1",(9999),malware,high,client-to-server,77,0x0,10.0.0.0-10.255.255.255,United States,0,text/html,0,,,1,"curl/8.0 (x, y)",,,,,,,0,0,0,0,0,,fw-01,,,,get"#;
    let events = read(threat, "pan:threat");
    // 2024-03-05T10:00:00Z, the receive time.
    assert_eq!(events[0].fields["_time"], Value::Num(1_709_632_800.0));
    let rows = datamodel_rows("Web", &events).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["Web.url"], Value::str("evil.example/admin/login.jsp?x=1"));
    assert_eq!(r["Web.url_length"], Value::Num(32.0));
    assert_eq!(r["Web.http_method"], Value::str("GET"));
    assert_eq!(r["Web.http_user_agent"], Value::str("curl/8.0 (x, y)"));
    assert_eq!(r["Web.src"], Value::str("10.1.1.5"));
    assert_eq!(r["Web.dest"], Value::str("198.51.100.7"));
    assert_eq!(r["Web.user"], Value::str("alice"));
    assert_eq!(r["Web.action"], Value::str("blocked"));
    assert_eq!(r["Web.status"], Value::str("unknown"));
    // A threat record of another subtype is not a Web event.
    let virus = threat.replace("THREAT,url,", "THREAT,virus,");
    assert!(datamodel_rows("Web", &read(&virus, "pan:threat"))
        .unwrap()
        .is_empty());
    let traffic = r#"<14>1 2024-03-05T10:00:00Z fw-01 - - - - 1,2024/03/05 10:00:00,0011223344,TRAFFIC,end,2561,2024/03/05 10:00:00,10.1.1.5,203.0.113.9,0.0.0.0,0.0.0.0,allow-out,,,tor,vsys1,trust,untrust,ethernet1/2,ethernet1/1,fwd,2024/03/05 10:00:00,4243,1,50000,9001,0,0,0x0,tcp,allow,1000,600,400,10,2024/03/05 09:59:00,60,any,0,78,0x0,10.0.0.0-10.255.255.255,Germany,0,5,5,tcp-fin,0,0,0,0,,fw-01,from-policy"#;
    let rows = datamodel_rows("Network_Traffic", &read(traffic, "pan:traffic")).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["All_Traffic.app"], Value::str("tor"));
    assert_eq!(r["All_Traffic.action"], Value::str("allowed"));
    assert_eq!(r["All_Traffic.dest_port"], Value::str("9001"));
    assert_eq!(r["All_Traffic.transport"], Value::str("tcp"));
    assert_eq!(r["All_Traffic.src_ip"], Value::str("10.1.1.5"));
}

#[test]
fn cloudtrail_calls_map_to_change_and_sign_ins_to_authentication() {
    // Written as CloudTrail's record contents documents them: an assumed role runs an
    // instance; nested keys become dotted fields, array members `{}`.
    let run = r#"{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:ops","arn":"arn:aws:sts::111122223333:assumed-role/ops-admin/ops","accountId":"111122223333","accessKeyId":"ASIAEXAMPLE","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::111122223333:role/ops-admin","accountId":"111122223333","userName":"ops-admin"}}},"eventTime":"2024-03-05T10:00:00Z","eventSource":"ec2.amazonaws.com","eventName":"RunInstances","awsRegion":"us-west-2","sourceIPAddress":"198.51.100.7","userAgent":"aws-cli/2.15.0","requestParameters":{"instancesSet":{"items":[{"imageId":"ami-0abc","minCount":1,"maxCount":1}]},"instanceType":"t3.micro"},"responseElements":{"instancesSet":{"items":[{"instanceId":"i-0123456789abcdef0","imageId":"ami-0abc","instanceType":"t3.micro"}]}},"requestID":"r1","eventID":"e1","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;
    let events = read(run, "aws:cloudtrail");
    let f = &events[0].fields;
    assert_eq!(f["errorCode"], Value::str("success"));
    assert_eq!(
        f["user_arn"],
        Value::str("arn:aws:sts::111122223333:assumed-role/ops-admin/ops")
    );
    assert_eq!(f["aws_account_id"], Value::str("111122223333"));
    assert_eq!(f["src_ip"], Value::str("198.51.100.7"));
    assert_eq!(f["user_type"], Value::str("AssumedRole"));
    assert_eq!(f["region"], Value::str("us-west-2"));
    let rows = datamodel_rows("Change", &events).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["All_Changes.action"], Value::str("created"));
    assert_eq!(r["All_Changes.status"], Value::str("success"));
    assert_eq!(r["All_Changes.change_type"], Value::str("EC2"));
    assert_eq!(r["All_Changes.object_category"], Value::str("instance"));
    assert_eq!(
        r["All_Changes.object_id"],
        Value::str("i-0123456789abcdef0")
    );
    assert_eq!(r["All_Changes.image_id"], Value::str("ami-0abc"));
    assert_eq!(r["All_Changes.instance_type"], Value::str("t3.micro"));
    assert_eq!(r["All_Changes.user"], Value::str("ops-admin"));
    assert_eq!(r["All_Changes.user_type"], Value::str("AssumedRole"));
    assert_eq!(r["All_Changes.src"], Value::str("198.51.100.7"));
    assert_eq!(r["All_Changes.command"], Value::str("RunInstances"));
    assert_eq!(r["All_Changes.vendor_region"], Value::str("us-west-2"));
    // A security group rule by an IAM user, refused: a failed change.
    let sg = r#"{"userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},"eventTime":"2024-03-05T10:05:00Z","eventSource":"ec2.amazonaws.com","eventName":"AuthorizeSecurityGroupIngress","awsRegion":"us-west-2","sourceIPAddress":"203.0.113.9","userAgent":"console.ec2.amazonaws.com","errorCode":"Client.UnauthorizedOperation","requestParameters":{"groupId":"sg-0aa"},"responseElements":null,"readOnly":false,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}"#;
    let rows = datamodel_rows("Change", &read(sg, "aws:cloudtrail")).unwrap();
    assert_eq!(
        rows[0]["All_Changes.object_category"],
        Value::str("security_group")
    );
    assert_eq!(rows[0]["All_Changes.object"], Value::str("sg-0aa"));
    assert_eq!(rows[0]["All_Changes.status"], Value::str("failure"));
    assert_eq!(rows[0]["All_Changes.user"], Value::str("alice"));
    // The snake-case rule for other resources; a read-only call is not a change.
    let key = sg.replace("AuthorizeSecurityGroupIngress", "CreateAccessKey");
    let rows = datamodel_rows("Change", &read(&key, "aws:cloudtrail")).unwrap();
    assert_eq!(
        rows[0]["All_Changes.object_category"],
        Value::str("access_key")
    );
    let describe = sg
        .replace("AuthorizeSecurityGroupIngress", "DescribeInstances")
        .replace(r#""readOnly":false"#, r#""readOnly":true"#);
    let ro = read(&describe, "aws:cloudtrail");
    assert_eq!(ro[0].fields["action"], Value::str("read"));
    assert!(datamodel_rows("Change", &ro).unwrap().is_empty());
    // A failed console sign-in: Authentication, not Change.
    let login = r#"{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","accountId":"111122223333","accessKeyId":"","userName":"bob"},"eventTime":"2024-03-05T10:10:00Z","eventSource":"signin.amazonaws.com","eventName":"ConsoleLogin","awsRegion":"us-east-1","sourceIPAddress":"192.0.2.44","userAgent":"Mozilla/5.0","errorMessage":"Failed authentication","requestParameters":null,"responseElements":{"ConsoleLogin":"Failure"},"additionalEventData":{"MFAUsed":"No"},"eventID":"e3","readOnly":false,"eventType":"AwsConsoleSignIn","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}"#;
    let events = read(login, "aws:cloudtrail");
    assert!(datamodel_rows("Change", &events).unwrap().is_empty());
    let rows = datamodel_rows("Authentication", &events).unwrap();
    assert_eq!(rows.len(), 1);
    let r = &rows[0];
    assert_eq!(r["Authentication.action"], Value::str("failure"));
    assert_eq!(r["Authentication.app"], Value::str("AwsConsoleSignIn"));
    assert_eq!(r["Authentication.signature"], Value::str("ConsoleLogin"));
    assert_eq!(r["Authentication.user"], Value::str("bob"));
    assert_eq!(r["Authentication.user_id"], Value::str("AIDAEXAMPLE"));
    assert_eq!(r["Authentication.src"], Value::str("192.0.2.44"));
    assert_eq!(r["Authentication.dest"], Value::str("signin.amazonaws.com"));
}

#[test]
fn okta_sign_ins_map_to_authentication_and_account_events_to_change() {
    // Written as Okta's System Log API documents a LogEvent.
    let event = |event_type: &str, result: &str, user: &str| {
        format!(
            r#"{{"uuid":"u-{user}","published":"2024-03-05T10:00:00.000Z","eventType":"{event_type}","version":"0","severity":"INFO","displayMessage":"x","actor":{{"id":"00u1","type":"User","alternateId":"{user}","displayName":"{user}"}},"client":{{"userAgent":{{"rawUserAgent":"Mozilla/5.0"}},"ipAddress":"198.51.100.7"}},"outcome":{{"result":"{result}","reason":"INVALID_CREDENTIALS"}},"target":[{{"id":"00u1","type":"User","alternateId":"{user}","displayName":"{user}"}}],"authenticationContext":{{"credentialType":"PASSWORD"}}}}"#
        )
    };
    let login = read(
        &event("user.session.start", "FAILURE", "ann@example.com"),
        "OktaIM2:log",
    );
    assert_eq!(login[0].fields["_time"], Value::Num(1_709_632_800.0));
    assert!(datamodel_rows("Change", &login).unwrap().is_empty());
    let rows = datamodel_rows("Authentication", &login).unwrap();
    let r = &rows[0];
    assert_eq!(r["Authentication.action"], Value::str("failure"));
    assert_eq!(
        r["Authentication.signature"],
        Value::str("user.session.start")
    );
    assert_eq!(r["Authentication.src"], Value::str("198.51.100.7"));
    assert_eq!(r["Authentication.user"], Value::str("ann@example.com"));
    assert_eq!(
        r["Authentication.reason"],
        Value::str("INVALID_CREDENTIALS")
    );
    assert_eq!(
        r["Authentication.authentication_method"],
        Value::str("PASSWORD")
    );
    let mfa = read(
        &event(
            "user.authentication.auth_via_mfa",
            "SUCCESS",
            "ann@example.com",
        ),
        "OktaIM2:log",
    );
    let rows = datamodel_rows("Authentication", &mfa).unwrap();
    assert_eq!(rows[0]["Authentication.action"], Value::str("success"));

    for (event_type, action, category) in [
        ("user.account.lock", "lockout", "User"),
        ("user.mfa.factor.deactivate", "modified", "User"),
        ("system.api_token.create", "created", "System"),
        ("device.enrollment.create", "created", "Device"),
    ] {
        let evs = read(
            &event(event_type, "SUCCESS", "bo@example.com"),
            "OktaIM2:log",
        );
        assert!(datamodel_rows("Authentication", &evs).unwrap().is_empty());
        let rows = datamodel_rows("Change", &evs).unwrap();
        assert_eq!(rows.len(), 1, "{event_type}");
        let r = &rows[0];
        assert_eq!(r["All_Changes.action"], Value::str(action), "{event_type}");
        assert_eq!(r["All_Changes.object_category"], Value::str(category));
        assert_eq!(r["All_Changes.command"], Value::str(event_type));
        assert_eq!(r["All_Changes.change_type"], Value::str("AAA"));
        assert_eq!(r["All_Changes.result"], Value::str("SUCCESS"));
        assert_eq!(r["All_Changes.user"], Value::str("bo@example.com"));
        assert_eq!(r["All_Changes.src"], Value::str("198.51.100.7"));
    }
    // Events of neither kind stay out of both.
    let other = read(
        &event("user.session.end", "SUCCESS", "bo@example.com"),
        "OktaIM2:log",
    );
    assert!(datamodel_rows("Change", &other).unwrap().is_empty());
    assert!(datamodel_rows("Authentication", &other).unwrap().is_empty());
}

#[test]
fn zeek_connections_map_to_network_traffic() {
    // Records as Zeek's JSON conn.log writes them (dotted names are Zeek's own).
    let out = r#"{"ts":1709632800.123456,"uid":"CAbc1","id.orig_h":"10.1.1.5","id.orig_p":50123,"id.resp_h":"203.0.113.9","id.resp_p":445,"proto":"tcp","service":"smb","duration":1.5,"orig_bytes":300,"resp_bytes":200,"conn_state":"SF","missed_bytes":0,"history":"ShADadFf"}
{"ts":1709632860.5,"uid":"CAbc2","id.orig_h":"198.51.100.7","id.orig_p":40000,"id.resp_h":"10.1.1.9","id.resp_p":3389,"proto":"tcp","conn_state":"REJ","local_orig":false,"local_resp":true}"#;
    let events = read(out, "bro:conn:json");
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].fields["_time"], Value::Num(1_709_632_800.0));
    let rows = datamodel_rows("Network_Traffic", &events).unwrap();
    assert_eq!(rows.len(), 2);
    let (a, b) = (&rows[0], &rows[1]);
    assert_eq!(a["All_Traffic.src_ip"], Value::str("10.1.1.5"));
    assert_eq!(a["All_Traffic.dest_ip"], Value::str("203.0.113.9"));
    assert_eq!(a["All_Traffic.dest_port"].to_string(), "445");
    assert_eq!(a["All_Traffic.app"], Value::str("smb"));
    assert_eq!(a["All_Traffic.transport"], Value::str("tcp"));
    assert_eq!(a["All_Traffic.action"], Value::str("allowed"));
    assert_eq!(a["All_Traffic.direction"], Value::str("outbound"));
    assert_eq!(a["All_Traffic.bytes"].to_string(), "500");
    assert_eq!(b["All_Traffic.action"], Value::str("blocked"));
    assert_eq!(b["All_Traffic.direction"], Value::str("inbound"));
    assert_eq!(b["All_Traffic.dest"], Value::str("10.1.1.9"));
}

/// One XmlWinEventLog event of `channel` with these `Data` fields.
fn windows_event(channel: &str, code: &str, data: &[(&str, &str)]) -> String {
    let data: String = data
        .iter()
        .map(|(k, v)| format!("<Data Name='{k}'>{v}</Data>"))
        .collect();
    format!(
        "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
         <EventID>{code}</EventID><TimeCreated SystemTime='2024-05-14T09:21:07.482Z'/>\
         <EventRecordID>7</EventRecordID><Channel>{channel}</Channel>\
         <Computer>wks-1.corp</Computer></System><EventData>{data}</EventData></Event>\n"
    )
}

#[test]
fn windows_event_logs_get_the_windows_add_on_fields() {
    let sysmon = "Microsoft-Windows-Sysmon/Operational";
    let text = [
        windows_event(
            sysmon,
            "1",
            &[
                ("Image", r"C:\Windows\System32\rundll32.exe"),
                ("ParentImage", r"C:\Windows\explorer.exe"),
                ("IntegrityLevel", "High"),
                ("Hashes", "SHA1=AB12,MD5=CD34,IMPHASH=EF56"),
            ],
        ),
        windows_event(
            sysmon,
            "13",
            &[
                ("EventType", "SetValue"),
                ("TargetObject", r"HKLM\SOFTWARE\Run\evil"),
                ("Details", "DWORD (0x00000001)"),
            ],
        ),
        windows_event(
            "Security",
            "4624",
            &[
                ("IpAddress", "-"),
                ("WorkstationName", "WKS-2"),
                ("TargetUserName", "alice"),
                ("ProcessName", r"C:\Windows\System32\lsass.exe"),
            ],
        ),
    ]
    .concat();
    let ev = read(&text, "XmlWinEventLog");
    let get = |i: usize, f: &str| ev[i].get(f).to_string();
    // Sysmon process creation.
    assert_eq!(get(0, "process_name"), "rundll32.exe");
    assert_eq!(get(0, "parent_process_name"), "explorer.exe");
    assert_eq!(get(0, "process_integrity_level"), "high");
    assert_eq!(get(0, "signature"), "Process Create");
    assert_eq!(get(0, "action"), "allowed");
    assert_eq!(get(0, "dest"), "wks-1.corp");
    assert_eq!(
        (get(0, "MD5"), get(0, "SHA1"), get(0, "IMPHASH")),
        ("CD34".into(), "AB12".into(), "EF56".into())
    );
    assert_eq!(get(0, "SHA256"), "", "no SHA256 in the list");
    // Sysmon registry: the hive from the key, the DWORD's number.
    assert_eq!(get(1, "registry_hive"), "HKEY_LOCAL_MACHINE");
    assert_eq!(get(1, "registry_value_name"), "evil");
    assert_eq!(get(1, "registry_key_name"), r"HKLM\SOFTWARE\Run");
    assert_eq!(get(1, "registry_value_data"), "0x00000001");
    assert_eq!(get(1, "action"), "modified");
    assert_eq!(get(1, "process_name"), "", "no Image");
    // Security logon: "-" is no value, so src is the workstation.
    assert_eq!(get(2, "src"), "WKS-2");
    assert_eq!(get(2, "src_ip"), "");
    assert_eq!(get(2, "user"), "alice");
    assert_eq!(get(2, "action"), "success");
    assert_eq!(get(2, "process_name"), "lsass.exe");
    assert_eq!(get(2, "signature"), "An account was successfully logged on");
    assert_eq!(get(2, "vendor_product"), "Microsoft Windows");
    // The same events again (their specialised fields now cached) agree.
    assert_eq!(read(&text, "XmlWinEventLog"), ev);
}

#[test]
fn windows_fields_follow_the_source_the_dataset_gives() {
    let text = windows_event(
        "Microsoft-Windows-Sysmon/Operational",
        "1",
        &[("Image", r"C:\x\a.exe")],
    );
    let read_as = |source: &str| {
        let meta = SourceMeta {
            sourcetype: Some("XmlWinEventLog".into()),
            source: Some(source.into()),
            ..SourceMeta::default()
        };
        let mut events = read_events(text.as_bytes(), &meta).unwrap().events;
        builtin::get().apply(&mut events[0].fields, &Want::everything());
        events.remove(0)
    };
    let sysmon = read_as("XmlWinEventLog:Microsoft-Windows-Sysmon/Operational");
    assert_eq!(sysmon.get("process_name").to_string(), "a.exe");
    // As Splunk applies the add-ons by source: a file declared another log's gets
    // that log's settings, and one named otherwise gets none.
    let security = read_as("XmlWinEventLog:Security");
    assert_eq!(security.get("process_name").to_string(), "");
    assert_eq!(
        security.get("vendor_product").to_string(),
        "Microsoft Windows"
    );
    let file = read_as("/data/sysmon.xml");
    assert!(file.get("vendor_product").is_null());
    let b = builtin::get();
    let outputs = b.outputs();
    for f in ["process_name", "MD5", "registry_hive", "signature"] {
        assert!(outputs.contains(&f), "{f}");
    }
}

#[test]
fn a_users_settings_override_the_built_in_windows_ones_whatever_their_stanza() {
    let app = tempfile::tempdir().unwrap();
    std::fs::create_dir(app.path().join("default")).unwrap();
    std::fs::write(
        app.path().join("default/props.conf"),
        "[source::XmlWinEventLog:Security]\nEVAL-vendor_product = \"from the user's TA\"\n\
         [XmlWinEventLog]\nEVAL-product = \"user product\"\n",
    )
    .unwrap();
    let addons = AddOns::load(&[app.path().to_path_buf()]).unwrap();
    let text = windows_event("Security", "4624", &[("TargetUserName", "alice")]);
    let mut ev = read_events(text.as_bytes(), &SourceMeta::default())
        .unwrap()
        .events
        .remove(0);
    addons.apply(&mut ev.fields, &Want::everything());
    assert_eq!(ev.get("vendor_product").to_string(), "from the user's TA");
    assert_eq!(ev.get("product").to_string(), "user product");
    // The built-in settings the user did not write still apply.
    assert_eq!(ev.get("user").to_string(), "alice");
    assert_eq!(ev.get("app").to_string(), "win:local");
}

/// Which built-in fields hold pieces of an XmlWinEventLog event's text (so that a
/// search for text in them may skip events that lack it): copies and basenames of
/// event fields do; a field some log sets to a constant does only for patterns that
/// constant does not match; tags never do.
#[test]
fn built_in_fields_that_hold_pieces_of_the_event_text() {
    let b = builtin::get();
    let holds = |field: &str, pattern: &str| {
        let p = firedrill_spl::search::Pattern::new(pattern);
        b.keeps_pieces(
            field,
            "XmlWinEventLog",
            &firedrill_events::raw_piece,
            &|c| p.any_value(c),
        )
    };
    for f in [
        "process",
        "process_name",
        "parent_process_name",
        "dest",
        "CommandLine",
    ] {
        assert!(holds(f, "*comsvcs.dll*"), "{f}");
    }
    // `vendor_product` is "Microsoft Sysmon" or the like for every event.
    assert!(holds("vendor_product", "*comsvcs*"));
    assert!(!holds("vendor_product", "*sysmon*"));
    // `action` is a word the add-on chooses ("created", "allowed"…).
    assert!(!holds("action", "created"));
    for f in ["tag", "eventtype", "sourcetype", "source", "host", "_time"] {
        assert!(!holds(f, "*x*"), "{f}");
    }
}
