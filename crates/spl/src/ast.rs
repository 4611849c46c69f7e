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
    /// The command's parsed arguments.
    pub kind: CommandKind,
}

/// The arguments of each command the parser understands.
#[derive(Clone, Debug, PartialEq)]
pub enum CommandKind {
    /// `search <terms>` (also the implicit first command).
    Search(SearchExpr),
    /// `where <expr>`.
    Where(Expr),
    /// `eval f=expr, g=expr`.
    Eval(Vec<(String, Expr)>),
    /// `stats`, `eventstats`, `streamstats` and `tstats` aggregation.
    Stats(Stats),
    /// `tstats ... from datamodel=X where ... by ...`.
    Tstats(Tstats),
    /// `rename a AS b, c.* AS *`.
    Rename(Vec<(String, String)>),
    /// `convert [timeformat=...] fn(field) [AS new] ...`.
    Convert(Convert),
    /// `table f1 f2` (fields and wildcards, in order).
    Table(Vec<String>),
    /// `fields [+|-] f1, f2`.
    Fields {
        /// True for `fields - ...`.
        remove: bool,
        /// Field names or wildcards.
        fields: Vec<String>,
    },
    /// `fillnull [value=x] [fields]`.
    Fillnull {
        /// The fill value (default `0`).
        value: String,
        /// The fields to fill; empty means every field present in any row.
        fields: Vec<String>,
    },
    /// `dedup [N] f1 f2 [keepempty=..] [consecutive=..] [sortby ..]`.
    Dedup {
        /// How many rows to keep per combination.
        count: usize,
        /// The fields that form the key.
        fields: Vec<String>,
    },
    /// `head N` / `tail N`.
    Head {
        /// Rows to keep.
        count: usize,
        /// True for `tail`.
        from_end: bool,
    },
    /// `sort [N] [+|-]f ...`.
    Sort {
        /// Keep at most this many rows (0: all).
        limit: usize,
        /// Keys with descending flags.
        keys: Vec<SortKey>,
    },
    /// `rex [field=f] [max_match=n] "regex"` (named groups become fields), or
    /// `rex field=f mode=sed "s/a/b/g"`.
    Rex {
        /// The field read (default `_raw`).
        field: String,
        /// The regular expression, or the sed expression in sed mode.
        pattern: String,
        /// Matches to keep (1 by default; 0 means all).
        max_match: usize,
        /// `mode=sed`.
        sed: bool,
    },
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
    /// `bin`/`bucket field span=X [AS new]`: rounds a numeric field down to the span.
    Bin {
        /// The field.
        field: String,
        /// The span (`1h`, `10m`, `300`).
        span: String,
        /// Output name.
        alias: Option<String>,
    },
    /// `mvexpand field [limit=n]`: one row per value.
    Mvexpand {
        /// The field.
        field: String,
        /// At most this many values (0: all).
        limit: usize,
    },
    /// `makemv delim=d field`: splits a field into a multivalue.
    Makemv {
        /// The field.
        field: String,
        /// Delimiter (default a space).
        delim: String,
    },
    /// `append [subsearch]`: adds the subsearch's results.
    Append(Box<Pipeline>),
    /// `appendpipe [pipeline]`: runs the pipeline over the current results and appends.
    Appendpipe(Box<Pipeline>),
    /// `join [type=inner|left|outer] [max=N] fields [subsearch]`.
    Join {
        /// The join fields.
        fields: Vec<String>,
        /// `type=left`/`outer`: keep rows without a match.
        left: bool,
        /// Matches per row (`max=0` means all).
        max: usize,
        /// The subsearch.
        sub: Box<Pipeline>,
    },
    /// `spath [input=f] [output=o] [path=p]`.
    Spath {
        /// The field holding the JSON (default `_raw`).
        input: String,
        /// The path to extract (all fields when absent).
        path: Option<String>,
        /// The output field (or prefix when extracting all).
        output: Option<String>,
    },
    /// `fromjson field`.
    Fromjson(String),
    /// `xmlkv`.
    Xmlkv,
    /// `top`/`rare [limit=N] fields [by fields]`.
    Top {
        /// The counted fields.
        fields: Vec<String>,
        /// Group-by fields.
        by: Vec<String>,
        /// Rows kept per group (0: all).
        limit: usize,
        /// True for `rare`.
        rare: bool,
    },
    /// `addtotals [fieldname=Total] [fields]`.
    Addtotals {
        /// Fields summed (all numeric fields when empty).
        fields: Vec<String>,
        /// Output field.
        name: String,
    },
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
    /// `transaction fields [maxspan=] [maxpause=] [startswith=(...)] [endswith=(...)]`.
    Transaction(Transaction),
    /// `streamstats [window=N] [current=t|f] aggs [by fields]`.
    Streamstats {
        /// Aggregations and by-fields.
        stats: Stats,
        /// Rows in the window (0: all before).
        window: usize,
        /// Include the current row.
        current: bool,
    },
    /// `timechart span=X aggs` (no `by`): stats per time bucket, empty buckets filled.
    Timechart {
        /// Aggregations.
        stats: Stats,
        /// Bucket size in seconds.
        span: f64,
    },
    /// A command that leaves results unchanged here (`outputlookup`).
    Passthrough,
    /// SPL2 `from read_ssa_enriched_events()` or `from source`: the source of an SSA
    /// pipeline, named by what follows `from`.
    Spl2Source(String),
    /// SPL2 `into write_ssa_detected_events()`: the sink of an SSA pipeline (keeps rows).
    SsaSink,
    /// A command the parser recognises but firedrill cannot execute; parsing succeeds so
    /// that coverage can say exactly what is missing.
    Unsupported {
        /// Why it cannot run.
        reason: String,
    },
}

/// One sort key.
#[derive(Clone, Debug, PartialEq)]
pub struct SortKey {
    /// Field name.
    pub field: String,
    /// Descending order.
    pub desc: bool,
}

/// The body of `stats`-like commands.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// The aggregations, in output order.
    pub aggs: Vec<Agg>,
    /// The group-by fields.
    pub by: Vec<String>,
    /// `span=` given among the by-fields (`by _time span=1h`), for tstats.
    pub span: Option<String>,
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
    /// `summariesonly`, `allow_old_summaries`, `fillnull_value`, ... as written.
    pub options: Vec<(String, String)>,
    /// Aggregations and by-fields.
    pub stats: Stats,
    /// `datamodel=Endpoint.Processes`, if any (otherwise indexed fields of raw events).
    pub datamodel: Option<String>,
    /// The `where` clause, in search syntax.
    pub filter: Option<SearchExpr>,
    /// `span=` for `by _time`.
    pub span: Option<String>,
}

impl Tstats {
    /// The value of an option, if given.
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `convert` arguments.
#[derive(Clone, Debug, PartialEq)]
pub struct Convert {
    /// `timeformat=` (default `%m/%d/%Y %H:%M:%S`).
    pub timeformat: Option<String>,
    /// Conversions: function, field, output name.
    pub items: Vec<(String, String, Option<String>)>,
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
    /// Most seconds from first to last event.
    pub maxspan: Option<f64>,
    /// Most seconds between consecutive events.
    pub maxpause: Option<f64>,
    /// An event that starts a transaction.
    pub startswith: Option<SearchExpr>,
    /// An event that ends one.
    pub endswith: Option<SearchExpr>,
}
