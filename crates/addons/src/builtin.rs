//! The built-in apps (`builtin/`), embedded: the lowest layer under a user's.

use crate::AddOns;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// Every built-in file: (name as reports show it, text). `builtin:` marks the name as
/// no path on disk.
pub const FILES: &[(&str, &str)] = &[
    (
        "builtin:firedrill_aws/default/props.conf",
        include_str!("../builtin/firedrill_aws/default/props.conf"),
    ),
    (
        "builtin:firedrill_nginx/default/props.conf",
        include_str!("../builtin/firedrill_nginx/default/props.conf"),
    ),
    (
        "builtin:firedrill_okta/default/props.conf",
        include_str!("../builtin/firedrill_okta/default/props.conf"),
    ),
    (
        "builtin:firedrill_paloalto/default/props.conf",
        include_str!("../builtin/firedrill_paloalto/default/props.conf"),
    ),
    (
        "builtin:firedrill_paloalto/default/transforms.conf",
        include_str!("../builtin/firedrill_paloalto/default/transforms.conf"),
    ),
    (
        "builtin:firedrill_suricata/default/props.conf",
        include_str!("../builtin/firedrill_suricata/default/props.conf"),
    ),
    (
        "builtin:firedrill_windows/default/props.conf",
        include_str!("../builtin/firedrill_windows/default/props.conf"),
    ),
    (
        "builtin:firedrill_zeek/default/props.conf",
        include_str!("../builtin/firedrill_zeek/default/props.conf"),
    ),
];

/// The built-in apps alone, compiled once. Panics naming the file and line if one is
/// broken (a test loads them, so that is a build defect).
pub fn get() -> Arc<AddOns> {
    static B: OnceLock<Arc<AddOns>> = OnceLock::new();
    B.get_or_init(|| match AddOns::load(&[]) {
        Ok(a) => Arc::new(a),
        Err(e) => panic!("built-in add-on: {e}"),
    })
    .clone()
}

/// True for the path of a built-in file.
pub fn is_builtin(path: &Path) -> bool {
    FILES.iter().any(|(p, _)| Path::new(p) == path)
}
