//! The parsed form of a search: a pipeline of commands with their arguments.

use crate::span::Span;
use firedrill_value::Value;

/// A whole search: commands joined by `|`.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// The commands in order.
    pub commands: Vec<Command>,
}

/// One command of a pipeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Command {
    /// The command name as written, lower-cased (`search`, `tstats`, ...).
    pub name: String,
    /// Where the command is in the search text.
    pub span: Span,
    /// The command's parsed positional arguments.
    pub kind: CommandKind,
    /// Every `name=value` option as written, in order. The parser interprets none of
    /// them; compilation consumes each one it implements and reports any other as
    /// unsupported, with its span.
    pub opts: Vec<Opt>,
}

/// A `name=value` option of a command.
#[derive(Clone, Debug, PartialEq)]
pub struct Opt {
    /// The option name, lower-cased.
    pub name: String,
    /// The value as written (quotes removed).
    pub value: String,
    /// Where `name=value` is in the search text.
    pub span: Span,
}

/// The positional arguments of each command the parser understands (options are in
/// [`Command::opts`]).
#[derive(Clone, Debug, PartialEq)]
pub enum CommandKind {
    /// `search <terms>` (also the implicit first command).
    Search(SearchExpr),
    /// `where <expr>`.
    Where(Expr),
    /// `eval f=expr, g=expr`.
    Eval(Vec<(String, Expr)>),
    /// `stats`, `eventstats`, `streamstats` and `timechart`: aggregations and by-fields
    /// (the command name tells which).
    Stats(Stats),
    /// `tstats ... from datamodel=X where ... by ...`.
    Tstats(Tstats),
    /// `rename a AS b, c.* AS *`.
    Rename(Vec<(String, String)>),
    /// `convert fn(field) [AS new] ...`: (function, field, output name).
    Convert(Vec<(String, String, Option<String>)>),
    /// `table f1 f2` (fields and wildcards, in order).
    Table(Vec<String>),
    /// `fields [+|-] f1, f2`.
    Fields {
        /// True for `fields - ...`.
        remove: bool,
        /// Field names or wildcards.
        fields: Vec<String>,
    },
    /// `fillnull [fields]`; empty means every field present in any row.
    Fillnull(Vec<String>),
    /// `dedup [N] f1 f2 [sortby ...]`.
    Dedup {
        /// How many rows to keep per combination, when given.
        count: Option<usize>,
        /// The fields that form the key.
        fields: Vec<String>,
        /// `sortby` keys.
        sortby: Vec<SortKey>,
    },
    /// `head [N]` / `tail [N]` (the command name tells which).
    Head(Option<usize>),
    /// `head <eval-expression>`: results while the expression holds.
    HeadWhile(Expr),
    /// `sort [N] [+|-]f ...`.
    Sort {
        /// The positional count, when given.
        count: Option<usize>,
        /// Keys with descending flags.
        keys: Vec<SortKey>,
    },
    /// `rex "regex"` (named groups become fields), or the sed expression with
    /// `mode=sed`.
    Rex(String),
    /// `regex [field=f] "re"` / `regex f="re"` / `regex f!="re"`: keeps rows whose field
    /// matches (or does not).
    Regex {
        /// The field tested (default `_raw`).
        field: String,
        /// The regular expression.
        pattern: String,
        /// Keep rows that do not match.
        negate: bool,
    },
    /// `bin`/`bucket field [AS new]` (`span=` is an option).
    Bin {
        /// The field.
        field: String,
        /// Output name.
        alias: Option<String>,
    },
    /// `mvexpand field`: one row per value.
    Mvexpand(String),
    /// `makemv field`: splits a field into a multivalue.
    Makemv(String),
    /// `append [subsearch]`: adds the subsearch's results.
    Append(Box<Pipeline>),
    /// `appendpipe [pipeline]`: runs the pipeline over the current results and appends.
    Appendpipe(Box<Pipeline>),
    /// `join fields [subsearch]`.
    Join {
        /// The join fields.
        fields: Vec<String>,
        /// The subsearch.
        sub: Box<Pipeline>,
    },
    /// `spath [path]` (`input=`, `output=`, `path=` are options).
    Spath(Option<String>),
    /// `fromjson field`.
    Fromjson(String),
    /// `xmlkv [field]`.
    Xmlkv(Option<String>),
    /// `iplocation field` (`prefix=`, `allfields=`, `lang=` are options).
    Iplocation(String),
    /// `extract`/`kv [extractor-name…]` (`pairdelim=`, `kvdelim=`, … are options).
    Extract(Vec<String>),
    /// `format [rowprefix colprefix colsep colend rowsep rowend]` (`mvsep=`,
    /// `maxresults=`, `emptystr=` are options): the six strings, when given.
    Format(Vec<(String, crate::span::Span)>),
    /// `top`/`rare [N] fields [by fields]`.
    Top {
        /// A positional count, when given.
        count: Option<usize>,
        /// The counted fields.
        fields: Vec<String>,
        /// Group-by fields.
        by: Vec<String>,
    },
    /// `addtotals [fields]`.
    Addtotals(Vec<String>),
    /// `replace "a" WITH "b", ... IN fields`.
    Replace {
        /// Old and new values (wildcards allowed).
        pairs: Vec<(String, String)>,
        /// Fields (all when empty).
        fields: Vec<String>,
    },
    /// `foreach patterns [template]`: the template runs once per matching field with
    /// `<<FIELD>>` and `<<MATCHSTR>>` substituted.
    Foreach {
        /// Field patterns.
        patterns: Vec<String>,
        /// The subsearch text with its placeholders.
        template: String,
    },
    /// `lookup name field [AS f] ... [OUTPUT|OUTPUTNEW col [AS f] ...]`.
    Lookup(crate::exec::lookup::LookupSpec),
    /// `| inputlookup name`.
    Inputlookup(String),
    /// `| makeresults` (everything it takes is an option).
    Makeresults,
    /// `chart aggs (OVER row [BY split] | BY row [split])`.
    Chart {
        /// The aggregations.
        aggs: Vec<Agg>,
        /// The row field.
        row: Option<String>,
        /// The split-by field.
        split: Option<String>,
        /// `… BY row split WHERE …`: which series are kept.
        series: Option<SeriesWhere>,
    },
    /// `return [N] (field | alias=field | $field)...`.
    Return {
        /// How many results (default 1).
        count: Option<usize>,
        /// (output name, field, `$field`: the bare value).
        items: Vec<(String, String, bool)>,
    },
    /// A command over the series of results (`reverse`, `accum x AS y`, `delta x p=2`,
    /// `filldown a b*`, …): its fields and alias; what it does is the command's name.
    Series {
        /// The field list.
        fields: Vec<String>,
        /// `AS alias`.
        alias: Option<String>,
    },
    /// `strcat (field | "literal")... dest`.
    Strcat {
        /// The sources.
        parts: Vec<StrcatPart>,
        /// The destination field.
        dest: String,
    },
    /// `map search="…$field$…"` (everything it takes is an option).
    Map,
    /// `| from datamodel:Model.Dataset` (also `from datamodel Model.Dataset`).
    FromDataModel(String),
    /// `transaction fields [startswith=(...)] [endswith=(...)]` (other settings are
    /// options).
    Transaction(Transaction),
    /// `outputlookup`: results pass through unchanged (firedrill writes no lookups).
    Outputlookup,
    /// SPL2 `from read_ssa_enriched_events()` or `from source`: the source of an SSA
    /// pipeline, named by what follows `from`.
    Spl2Source(String),
    /// SPL2 `into write_ssa_detected_events()`: the sink of an SSA pipeline (keeps rows).
    SsaSink,
    /// A command firedrill recognises but cannot execute; parsing succeeds so that
    /// coverage can say exactly what is missing.
    Unsupported {
        /// Why it cannot run.
        reason: String,
    },
}

/// A source of `strcat`.
#[derive(Clone, Debug, PartialEq)]
pub enum StrcatPart {
    /// A field's value.
    Field(String),
    /// A quoted literal.
    Literal(String),
}

/// One sort key.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    /// Field name.
    pub field: String,
    /// Descending order.
    pub desc: bool,
    /// How to compare: `auto` (default), `str`, `num` or `ip` (`sort str(f)`).
    pub func: Option<String>,
    /// Where it is written.
    pub span: Span,
}

/// The body of `stats`-like commands.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// The aggregations, in output order.
    pub aggs: Vec<Agg>,
    /// The group-by fields.
    pub by: Vec<String>,
    /// `timechart … BY split WHERE …`: which series are kept.
    pub series: Option<SeriesWhere>,
}

/// The where-clause of `chart`/`timechart … BY split` (Search Reference, timechart:
/// `<single-agg> <where-comp>`): the series whose score passes the test are kept.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesWhere {
    /// The aggregation that scores the series (`count`, `max(delay)`).
    pub agg: Agg,
    /// The test on the score.
    pub test: SeriesTest,
    /// The whole clause.
    pub span: Span,
}

/// `<where-comp>`: a threshold (`> 10`, `< 5`) or a rank (`in top5`, `notin bottom3`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SeriesTest {
    /// `> n`.
    Above(f64),
    /// `< n`.
    Below(f64),
    /// `in topN` / `notin bottomN`: among the `n` highest (`top`) or lowest scores,
    /// or (`inside` false) not among them.
    Rank {
        /// topN rather than bottomN.
        top: bool,
        /// N.
        n: usize,
        /// `in` rather than `notin`.
        inside: bool,
    },
}

/// One aggregation such as `count`, `min(_time) AS firstTime` or `values(x)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Agg {
    /// Function name, lower-cased (`count`, `dc`, `values`, `perc95`...).
    pub func: String,
    /// The field aggregated (`None` for plain `count`).
    pub field: Option<String>,
    /// An eval expression argument (`count(eval(x>1))`).
    pub expr: Option<Expr>,
    /// The output name.
    pub alias: String,
    /// Where it is written.
    pub span: Span,
}

/// `tstats` arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Tstats {
    /// Aggregations and by-fields.
    pub stats: Stats,
    /// `datamodel=Endpoint.Processes`, if any (otherwise indexed fields of raw events).
    pub datamodel: Option<String>,
    /// The `where` clause, in search syntax.
    pub filter: Option<SearchExpr>,
}

/// A `search`-syntax boolean expression (also `tstats where`).
#[derive(Clone, Debug, PartialEq)]
pub enum SearchExpr {
    /// Every child matches (implicit AND, or `AND`).
    And(Vec<SearchExpr>),
    /// Any child matches.
    Or(Vec<SearchExpr>),
    /// The child does not match.
    Not(Box<SearchExpr>),
    /// `field op value`.
    Compare {
        /// Field name.
        field: String,
        /// Operator.
        op: CmpOp,
        /// The value pattern (may hold `*` wildcards).
        value: String,
        /// True when the value was quoted (a quoted value has no term semantics).
        quoted: bool,
    },
    /// `field IN (v1, v2, ...)`.
    In {
        /// Field name.
        field: String,
        /// Value patterns.
        values: Vec<String>,
    },
    /// A bare term or quoted phrase, matched against `_raw`.
    Term(String),
    /// `CASE(term)`: a term matched with its case.
    CaseTerm(String),
    /// `field=CASE(value)` / `field!=CASE(value)`: the value matched with its case.
    CaseCompare {
        /// Field name.
        field: String,
        /// `!=`.
        negate: bool,
        /// The value pattern (may hold `*` wildcards).
        value: String,
    },
    /// A subsearch `[ ... ]`, which firedrill cannot run yet.
    Subsearch(Box<Pipeline>),
    /// Matches everything (`search *` or an empty search).
    All,
}

/// Comparison operators of `search`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// An eval expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// A literal value.
    Lit(Value),
    /// A field reference.
    Field(String),
    /// A function call.
    Call {
        /// Lower-cased name.
        name: String,
        /// Arguments.
        args: Vec<Expr>,
        /// Where it is written.
        span: Span,
    },
    /// A unary operator.
    Unary(UnOp, Box<Expr>),
    /// A binary operator.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// An SPL2 array literal `[a, b]`.
    Array(Vec<Expr>),
    /// A subsearch in an expression (`where NOT [search …]`, `1 + [… | return $x]`):
    /// Splunk pastes its formatted results in as text.
    Subsearch(Box<Pipeline>, Span),
}

/// Unary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    /// `NOT`
    Not,
    /// `-`
    Neg,
    /// SPL2 postfix `IS NULL`
    IsNull,
    /// SPL2 postfix `IS NOT NULL`
    IsNotNull,
}

/// Binary operators, loosest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `OR`
    Or,
    /// `XOR`
    Xor,
    /// `AND`
    And,
    /// `=` / `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `LIKE`
    Like,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `.` (string concatenation)
    Concat,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
}

/// `transaction` arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Transaction {
    /// Events are grouped by these fields' values.
    pub fields: Vec<String>,
    /// An event that starts a transaction.
    pub startswith: Option<SearchExpr>,
    /// An event that ends one.
    pub endswith: Option<SearchExpr>,
}
