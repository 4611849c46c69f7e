//! The built-in apps (`builtin/`), embedded: the lowest layer under a user's.

use crate::AddOns;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Every built-in file: (name as reports show it, text). `builtin:` marks the name as
/// no path on disk.
pub const FILES: &[(&str, &str)] = &[
    (
        "builtin:firedrill_aws/default/eventtypes.conf",
        include_str!("../builtin/firedrill_aws/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_aws/default/props.conf",
        include_str!("../builtin/firedrill_aws/default/props.conf"),
    ),
    (
        "builtin:firedrill_aws/default/tags.conf",
        include_str!("../builtin/firedrill_aws/default/tags.conf"),
    ),
    (
        "builtin:firedrill_cim/default/data/models/Authentication.json",
        include_str!("../builtin/firedrill_cim/default/data/models/Authentication.json"),
    ),
    (
        "builtin:firedrill_cim/default/data/models/Change.json",
        include_str!("../builtin/firedrill_cim/default/data/models/Change.json"),
    ),
    (
        "builtin:firedrill_cim/default/data/models/Endpoint.json",
        include_str!("../builtin/firedrill_cim/default/data/models/Endpoint.json"),
    ),
    (
        "builtin:firedrill_cim/default/data/models/Network_Resolution.json",
        include_str!("../builtin/firedrill_cim/default/data/models/Network_Resolution.json"),
    ),
    (
        "builtin:firedrill_cim/default/data/models/Network_Traffic.json",
        include_str!("../builtin/firedrill_cim/default/data/models/Network_Traffic.json"),
    ),
    (
        "builtin:firedrill_cim/default/data/models/Web.json",
        include_str!("../builtin/firedrill_cim/default/data/models/Web.json"),
    ),
    (
        "builtin:firedrill_nginx/default/eventtypes.conf",
        include_str!("../builtin/firedrill_nginx/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_nginx/default/props.conf",
        include_str!("../builtin/firedrill_nginx/default/props.conf"),
    ),
    (
        "builtin:firedrill_nginx/default/tags.conf",
        include_str!("../builtin/firedrill_nginx/default/tags.conf"),
    ),
    (
        "builtin:firedrill_okta/default/eventtypes.conf",
        include_str!("../builtin/firedrill_okta/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_okta/default/props.conf",
        include_str!("../builtin/firedrill_okta/default/props.conf"),
    ),
    (
        "builtin:firedrill_okta/default/tags.conf",
        include_str!("../builtin/firedrill_okta/default/tags.conf"),
    ),
    (
        "builtin:firedrill_paloalto/default/eventtypes.conf",
        include_str!("../builtin/firedrill_paloalto/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_paloalto/default/props.conf",
        include_str!("../builtin/firedrill_paloalto/default/props.conf"),
    ),
    (
        "builtin:firedrill_paloalto/default/tags.conf",
        include_str!("../builtin/firedrill_paloalto/default/tags.conf"),
    ),
    (
        "builtin:firedrill_paloalto/default/transforms.conf",
        include_str!("../builtin/firedrill_paloalto/default/transforms.conf"),
    ),
    (
        "builtin:firedrill_suricata/default/eventtypes.conf",
        include_str!("../builtin/firedrill_suricata/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_suricata/default/props.conf",
        include_str!("../builtin/firedrill_suricata/default/props.conf"),
    ),
    (
        "builtin:firedrill_suricata/default/tags.conf",
        include_str!("../builtin/firedrill_suricata/default/tags.conf"),
    ),
    (
        "builtin:firedrill_windows/default/eventtypes.conf",
        include_str!("../builtin/firedrill_windows/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_windows/default/props.conf",
        include_str!("../builtin/firedrill_windows/default/props.conf"),
    ),
    (
        "builtin:firedrill_windows/default/tags.conf",
        include_str!("../builtin/firedrill_windows/default/tags.conf"),
    ),
    (
        "builtin:firedrill_zeek/default/eventtypes.conf",
        include_str!("../builtin/firedrill_zeek/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_zeek/default/props.conf",
        include_str!("../builtin/firedrill_zeek/default/props.conf"),
    ),
    (
        "builtin:firedrill_zeek/default/tags.conf",
        include_str!("../builtin/firedrill_zeek/default/tags.conf"),
    ),
    (
        "builtin:firedrill_zscaler/default/eventtypes.conf",
        include_str!("../builtin/firedrill_zscaler/default/eventtypes.conf"),
    ),
    (
        "builtin:firedrill_zscaler/default/props.conf",
        include_str!("../builtin/firedrill_zscaler/default/props.conf"),
    ),
    (
        "builtin:firedrill_zscaler/default/tags.conf",
        include_str!("../builtin/firedrill_zscaler/default/tags.conf"),
    ),
];

/// The built-in apps alone, compiled once. Panics naming the file and line if one is
/// broken (a test loads them, so that is a build defect).
pub fn get() -> Arc<AddOns> {
    cell().clone()
}

/// The built-in apps' data models (see [`get`]).
pub fn datamodels() -> &'static firedrill_events::DataModels {
    cell().datamodels()
}

fn cell() -> &'static Arc<AddOns> {
    static B: OnceLock<Arc<AddOns>> = OnceLock::new();
    B.get_or_init(|| match AddOns::load(&[]) {
        Ok(a) => Arc::new(a),
        Err(e) => panic!("built-in add-on: {e}"),
    })
}

/// True for the path of a built-in file.
pub fn is_builtin(path: &Path) -> bool {
    FILES.iter().any(|(p, _)| Path::new(p) == path)
}
