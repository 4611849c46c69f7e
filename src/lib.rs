//! firedrill proves that Splunk detections fire: it reads detection content, fetches
//! the attack datasets each detection names, replays the events through a built-in
//! Splunk-compatible engine, and checks the risk events against what the detection
//! documents.
//!
//! The flow, one module a stage: [`plan`] (content → parsed searches), [`run`]
//! (datasets through [`source`] → events → [`views`] → engine → [`rba`] → [`verdict`]),
//! [`report`] (table, JSON, JUnit, contentctl's summary.yml); [`select`] decides what
//! is tested and whether a run failed.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bless;
pub mod changes;
pub mod coverage;
pub mod expectations;
pub mod geoip;
pub mod lookups;
pub mod plan;
pub mod rba;
pub mod replay_cmd;
pub mod report;
pub mod run;
pub mod select;
pub mod shard;
pub mod source;
pub mod splunk;
pub mod verdict;
pub mod views;
