//! A compiled search: what [`crate::compile()`] makes of a parsed [`crate::ast::Pipeline`] and
//! what the executor runs. Plain data: every name resolved, every pattern built.
//!
//! A program is one or more *pipes*: the main search, plus one per subsearch,
//! `join`/`append` search and `appendpipe` pipeline. Each pipe reads a [`Source`] and
//! runs its [`Stage`]s. Its first stages that only filter run on each event as it
//! streams past (over the event itself, before anything is copied); the per-row
//! stages after them run on each admitted row; the first stateful stage (`stats`,
//! `dedup`, `join`, …) and everything after it run once the data has been read.

use crate::aggs::StatsSpec;
use crate::ast::SearchExpr;
use crate::exec::lookup::{LookupSpec, LookupTable};
use crate::exec::re::Re;
use crate::expr::CExpr;
use crate::needs::FieldSet;
use crate::search::Matcher;
use crate::span::Span;
use firedrill_value::FieldRef;
use std::sync::Arc;

/// A compiled search.
#[derive(Clone, Debug)]
pub struct Program {
    pub(crate) pipes: Vec<Pipe>,
}

/// A pipe of a program (the main search is pipe 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PipeId(pub(crate) usize);

impl PipeId {
    /// The pipe's index in its program.
    pub fn index(self) -> usize {
        self.0
    }
}

/// What a pipe reads.
#[derive(Clone, Debug)]
pub enum Source {
    /// Raw events (`search`).
    Events,
    /// Rows of a data model dataset (`tstats … from datamodel=X`).
    DataModel(String),
    /// The events of a data model dataset, with their own field names (`| from
    /// datamodel:X`).
    DataModelEvents(String),
    /// The indexed fields of raw events only (`tstats` without a data model).
    Indexed,
    /// An SPL2 source (`read_ssa_enriched_events`, `source`).
    Spl2(String),
    /// A lookup table's rows (`| inputlookup`).
    Lookup(Arc<LookupTable>),
    /// The rows handed to it (`appendpipe`, `foreach` templates).
    Input,
}

impl Source {
    /// True if the pipe is fed by the events of the data being read.
    pub fn reads_events(&self) -> bool {
        matches!(
            self,
            Source::Events
                | Source::DataModel(_)
                | Source::DataModelEvents(_)
                | Source::Indexed
                | Source::Spl2(_)
        )
    }
}

#[derive(Clone, Debug)]
pub(crate) struct Pipe {
    pub source: Source,
    pub stages: Vec<Stage>,
    /// Stages `..filters` only filter and run over the source rows before they are
    /// materialised.
    pub filters: usize,
    /// The index of the first stateful stage (`stages.len()` if none).
    pub stream: usize,
    /// The fields admitted rows keep.
    pub needs: FieldSet,
    /// `needs`' exact names, resolved.
    pub keep: Vec<FieldRef>,
    /// For each stage, the index of the command it was compiled from.
    pub origin: Vec<usize>,
    /// Each command's span.
    pub commands: Vec<Span>,
    /// The command that starts the pipe.
    pub span: Span,
}

/// One compiled command (some commands compile to two stages, e.g. a leading search
/// with a subsearch: a prefilter and the exact filter).
#[derive(Clone, Debug)]
pub(crate) enum Stage {
    // Filters.
    Search(Matcher),
    Where(CExpr),
    Regex {
        field: FieldRef,
        re: Re,
        negate: bool,
    },
    // Per-row stages.
    Eval(Vec<(String, CExpr)>),
    Rename(Vec<(String, String)>),
    Table(Vec<String>),
    Fields {
        remove: bool,
        fields: Vec<String>,
    },
    Fillnull {
        value: String,
        fields: Vec<String>,
    },
    Convert {
        timeformat: String,
        items: Vec<(String, String, Option<String>)>,
    },
    Rex {
        field: String,
        re: Re,
        max_match: usize,
        /// `offset_field=`: where each named group matched (`name=start-end`).
        offset_field: Option<String>,
    },
    Sed {
        field: String,
        re: Re,
        replacement: String,
        /// Which match to replace: 0 every one (`g`), else the Nth (from 1).
        which: usize,
    },
    /// `rex mode=sed "y/abc/xyz/"`: each character of `from` becomes the one of `to`
    /// at the same place.
    Translit {
        field: String,
        from: Vec<char>,
        to: Vec<char>,
    },
    Bin {
        field: String,
        size: f64,
        alias: Option<String>,
    },
    Makemv {
        field: String,
        delim: String,
        allow_empty: bool,
        /// `tokenizer=`: each match's first group is a value (instead of `delim`).
        tokenizer: Option<Re>,
    },
    Mvexpand {
        field: String,
        limit: usize,
    },
    Spath {
        input: String,
        path: Option<String>,
        output: Option<String>,
    },
    Fromjson(String),
    Xmlkv(String),
    /// `extract`/`kv`: `key=value` pairs of `_raw` (or pairs split by `delims`: the
    /// pair and key-value delimiter characters) as fields it does not have yet.
    Extract {
        delims: Option<(Vec<char>, Vec<char>)>,
        clean_keys: bool,
        mv_add: bool,
        limit: usize,
        maxchars: usize,
    },
    /// `format`: the rows as one search string.
    Format(crate::exec::reshape::Format),
    /// `iplocation`: the location fields of the address in `field`.
    Iplocation {
        field: String,
        prefix: String,
        allfields: bool,
        lang: String,
        db: Arc<dyn crate::geo::GeoIp>,
    },
    Lookup {
        spec: LookupSpec,
        table: Arc<LookupTable>,
    },
    Replace {
        pairs: Vec<(String, String)>,
        fields: Vec<String>,
    },
    Addtotals {
        fields: Vec<String>,
        name: String,
    },
    Pass,
    // Stateful stages.
    SubSearch {
        expr: SearchExpr,
        subs: Vec<PipeId>,
    },
    FillnullAll {
        value: String,
    },
    Stats(StatsSpec),
    Eventstats(StatsSpec),
    Streamstats {
        spec: StatsSpec,
        window: usize,
        current: bool,
        resets: Resets,
    },
    Timechart {
        spec: StatsSpec,
        span: f64,
        cont: bool,
        /// `BY field`: one column per value (the spec then groups by `_time` and it).
        split: Option<crate::exec::pivot::Split>,
    },
    /// `chart … BY row split` / `OVER row BY split`: one column per split value.
    Chart {
        spec: StatsSpec,
        row: Option<String>,
        split: crate::exec::pivot::Split,
    },
    Dedup(Dedup),
    Head {
        count: usize,
        tail: bool,
    },
    /// `head <expr>`: results while `expr` is true, at most `limit`; `keeplast` keeps
    /// the first that is not; `null` is what a null result counts as.
    HeadWhile {
        expr: CExpr,
        limit: usize,
        keeplast: bool,
        null: bool,
    },
    Sort {
        limit: usize,
        keys: Vec<SortKey>,
    },
    Top(Top),
    Transaction(Transaction),
    Join {
        fields: Vec<String>,
        sub: PipeId,
        left: bool,
        max: usize,
        /// Subsearch fields replace the main result's fields of the same name.
        overwrite: bool,
    },
    Append {
        sub: PipeId,
        maxout: usize,
    },
    Appendpipe(PipeId),
    Foreach {
        patterns: Vec<String>,
        template: String,
    },
    /// `map`: the search `template` once per row (the first `max`), each `$field$`
    /// replaced by the row's value, over the events `candidates` gathered (the
    /// template's first command with every `$field$` as `*`).
    Map {
        template: String,
        tokens: Vec<String>,
        candidates: PipeId,
        max: usize,
        span: Span,
    },
    /// A command over the series of results (`reverse`, `accum`, `delta`, …).
    Series(crate::exec::series::Series),
    /// `makeresults`: `count` rows of `_time` (and the annotate fields), or the rows of
    /// its inline `data`, each given `_time` when it runs.
    Makeresults {
        count: usize,
        annotate: bool,
        rows: Vec<firedrill_value::Row>,
    },
    Inputlookup {
        table: Arc<LookupTable>,
        start: usize,
        max: usize,
    },
}

/// `dedup`, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Dedup {
    pub count: usize,
    pub fields: Vec<String>,
    pub keepempty: bool,
    pub consecutive: bool,
    /// `keepevents=true`: a duplicate stays, without the dedup fields.
    pub keepevents: bool,
    pub sortby: Vec<SortKey>,
}

/// One `sort` key, compiled.
#[derive(Clone, Debug)]
pub(crate) struct SortKey {
    pub field: String,
    pub desc: bool,
    pub how: SortAs,
}

/// How `sort` compares a key (`sort str(f)`, `num(f)`, `ip(f)`, auto).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SortAs {
    Auto,
    Str,
    Num,
    Ip,
}

/// `top`/`rare`, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Top {
    pub fields: Vec<String>,
    pub by: Vec<String>,
    pub limit: usize,
    pub rare: bool,
    pub countfield: Option<String>,
    pub percentfield: Option<String>,
    /// `useother=true`: the label of the row that counts the values past `limit`.
    pub other: Option<String>,
}

/// `transaction`, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Transaction {
    pub fields: Vec<String>,
    pub starts: Option<Matcher>,
    pub ends: Option<Matcher>,
    pub maxspan: Option<f64>,
    pub maxpause: Option<f64>,
    pub maxevents: usize,
}

impl Stage {
    /// A stage that only drops rows.
    pub fn is_filter(&self) -> bool {
        matches!(
            self,
            Stage::Search(_) | Stage::Where(_) | Stage::Regex { .. }
        )
    }

    /// A stage that handles each row on its own (filters included).
    pub fn is_per_row(&self) -> bool {
        self.is_filter()
            || matches!(
                self,
                Stage::Eval(_)
                    | Stage::Rename(_)
                    | Stage::Table(_)
                    | Stage::Fields { .. }
                    | Stage::Fillnull { .. }
                    | Stage::Convert { .. }
                    | Stage::Rex { .. }
                    | Stage::Sed { .. }
                    | Stage::Translit { .. }
                    | Stage::Bin { .. }
                    | Stage::Makemv { .. }
                    | Stage::Mvexpand { .. }
                    | Stage::Spath { .. }
                    | Stage::Fromjson(_)
                    | Stage::Xmlkv(_)
                    | Stage::Iplocation { .. }
                    | Stage::Extract { .. }
                    | Stage::Lookup { .. }
                    | Stage::Replace { .. }
                    | Stage::Addtotals { .. }
                    | Stage::Pass
            )
    }
}

/// When `streamstats` forgets every group's statistics.
#[derive(Clone, Debug, Default)]
pub(crate) struct Resets {
    /// After the event for which this is true (`reset_after`).
    pub after: Option<CExpr>,
    /// Before the event for which this is true (`reset_before`).
    pub before: Option<CExpr>,
    /// When the by-fields' values differ from the previous event's.
    pub on_change: bool,
}

impl Resets {
    pub fn is_none(&self) -> bool {
        self.after.is_none() && self.before.is_none() && !self.on_change
    }
}
