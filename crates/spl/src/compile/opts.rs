//! A command's options, consumed one by one as its compiler implements them. Whatever
//! is left when the command is compiled is reported as unsupported, with its span: an
//! option is either implemented or named — never silently ignored.

use crate::ast::{Command, Opt};
use crate::error::{CompileError, Unsupported};
use crate::exec::rows::span_size;

pub(crate) struct Opts<'a> {
    command: &'a str,
    opts: Vec<(&'a Opt, bool)>,
}

impl<'a> Opts<'a> {
    pub fn new(c: &'a Command) -> Opts<'a> {
        Opts {
            command: &c.name,
            opts: c.opts.iter().map(|o| (o, false)).collect(),
        }
    }

    /// The option `name` (the last one if repeated), marking it consumed.
    pub fn take(&mut self, name: &str) -> Option<&'a Opt> {
        let mut found = None;
        for (o, used) in self.opts.iter_mut() {
            if o.name == name {
                *used = true;
                found = Some(*o);
            }
        }
        found
    }

    /// The value of `name`.
    pub fn str(&mut self, name: &str) -> Option<String> {
        self.take(name).map(|o| o.value.clone())
    }

    /// A Boolean option (`t`, `true`, `1`, `f`, `false`, `0`).
    pub fn bool(&mut self, name: &str) -> Result<Option<bool>, CompileError> {
        let Some(o) = self.take(name) else {
            return Ok(None);
        };
        match o.value.to_ascii_lowercase().as_str() {
            "t" | "true" | "1" | "yes" => Ok(Some(true)),
            "f" | "false" | "0" | "no" => Ok(Some(false)),
            _ => Err(invalid(o, "expects true or false")),
        }
    }

    /// A whole-number option.
    pub fn count(&mut self, name: &str) -> Result<Option<usize>, CompileError> {
        let Some(o) = self.take(name) else {
            return Ok(None);
        };
        o.value
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| invalid(o, "expects a whole number"))
    }

    /// A time span option (`1h`, `10m`, `300`) in seconds.
    pub fn span(&mut self, name: &str) -> Result<Option<f64>, CompileError> {
        let Some(o) = self.take(name) else {
            return Ok(None);
        };
        if o.value.contains('@') {
            return Err(CompileError::Unsupported(Unsupported {
                what: format!(
                    "`{name}={}`: a span snapped to a unit (`@`) is not supported by firedrill yet",
                    o.value
                ),
                span: o.span,
            }));
        }
        span_size(&o.value)
            .map(Some)
            .ok_or_else(|| invalid(o, "expects a time span such as 30s, 10m, 1h or 1d"))
    }

    /// Options that change nothing when searching replayed data offline (data model
    /// acceleration, time limits, search-head locality). Each call site says why.
    pub fn no_effect(&mut self, names: &[&str]) {
        for n in names {
            self.take(n);
        }
    }

    /// Consumes every option (a command whose options all concern what firedrill
    /// does not do, such as writing a lookup).
    pub fn consume_all(&mut self) {
        for (_, used) in self.opts.iter_mut() {
            *used = true;
        }
    }

    /// Rejects `name` when its value is not the default firedrill implements.
    pub fn only(&mut self, name: &str, default: bool) -> Result<(), CompileError> {
        let o = self
            .opts
            .iter()
            .rev()
            .find(|(o, _)| o.name == name)
            .map(|(o, _)| *o);
        match (self.bool(name)?, o) {
            (Some(v), Some(o)) if v != default => Err(CompileError::Unsupported(Unsupported {
                what: format!(
                    "`{} {}={}` is not supported by firedrill yet",
                    self.command, o.name, o.value
                ),
                span: o.span,
            })),
            _ => Ok(()),
        }
    }

    /// Ends compilation of the command: the first option not consumed is unsupported.
    pub fn finish(self) -> Result<(), CompileError> {
        match self.opts.iter().find(|(_, used)| !used) {
            None => Ok(()),
            Some((o, _)) => Err(CompileError::Unsupported(Unsupported {
                what: format!(
                    "`{} {}=` is not supported by firedrill yet",
                    self.command, o.name
                ),
                span: o.span,
            })),
        }
    }
}

fn invalid(o: &Opt, what: &str) -> CompileError {
    CompileError::Invalid {
        message: format!("`{}={}`: {} {what}", o.name, o.value, o.name),
        span: o.span,
    }
}
