//! Diagnostics: every problem found in one run, each with a span, a label and
//! a hint. Spans are generic so the `links.toml` front end (byte ranges) and
//! the `#[define_link]` front end (token spans) share the validator.

use std::ops::Range;

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term;

/// One problem in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic<S> {
    pub message: String,
    /// Where it is; `None` only for problems of the input as a whole.
    pub span: Option<S>,
    /// Short text under the underlined span.
    pub label: String,
    /// What would be right.
    pub help: Option<String>,
    /// Other places involved (e.g. the first definition of a duplicate).
    pub secondary: Vec<(S, String)>,
}

impl<S> Diagnostic<S> {
    pub fn new(span: S, message: impl Into<String>, label: impl Into<String>) -> Self {
        Diagnostic {
            message: message.into(),
            span: Some(span),
            label: label.into(),
            help: None,
            secondary: Vec::new(),
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn help_opt(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn secondary(mut self, span: S, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }
}

/// Collects diagnostics (serde_derive's `Ctxt`).
#[derive(Debug)]
pub struct Diagnostics<S> {
    pub list: Vec<Diagnostic<S>>,
}

impl<S> Default for Diagnostics<S> {
    fn default() -> Self {
        Diagnostics { list: Vec::new() }
    }
}

impl<S> Diagnostics<S> {
    pub fn push(&mut self, d: Diagnostic<S>) {
        self.list.push(d);
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// "did you mean `x`?" for the closest candidate, else the list of valid choices.
pub fn suggest<'a>(got: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    let candidates: Vec<&str> = candidates.into_iter().collect();
    if candidates.is_empty() {
        return None;
    }
    let best = candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(got, c), *c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => Some(format!("did you mean `{c}`?")),
        None => Some(format!("expected one of {}", one_of(&candidates))),
    }
}

/// "`a`, `b` or `c`".
pub fn one_of(candidates: &[&str]) -> String {
    let quoted: Vec<String> = candidates.iter().map(|c| format!("`{c}`")).collect();
    match quoted.len() {
        0 => String::from("nothing"),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

/// Renders diagnostics over a source file as plain text (no colour), in the
/// order given, followed by a count line.
pub fn render(file_name: &str, source: &str, diagnostics: &[Diagnostic<Range<usize>>]) -> String {
    let mut files = SimpleFiles::new();
    let id = files.add(file_name, source);
    let config = term::Config::default();
    let mut out = String::new();
    for d in diagnostics {
        let mut labels = Vec::new();
        if let Some(span) = &d.span {
            labels.push(Label::primary(id, clamp(span, source)).with_message(&d.label));
        }
        for (span, msg) in &d.secondary {
            labels.push(Label::secondary(id, clamp(span, source)).with_message(msg));
        }
        let mut cs = CsDiagnostic::error()
            .with_message(&d.message)
            .with_labels(labels);
        if let Some(help) = &d.help {
            cs = cs.with_notes(vec![format!("help: {help}")]);
        }
        match term::emit_into_string(&config, &files, &cs) {
            Ok(text) => out.push_str(&text),
            Err(e) => out.push_str(&format!("error: {} ({e})\n", d.message)),
        }
    }
    let n = diagnostics.len();
    out.push_str(&format!(
        "error: {file_name} has {n} problem{}\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}

/// Keeps a span inside the source and on character boundaries.
fn clamp(span: &Range<usize>, source: &str) -> Range<usize> {
    let mut start = span.start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = span.end.clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Renders diagnostics located in several files (`(file index, byte range)`),
/// followed by a count line.
pub fn render_files(
    files: &[(String, String)],
    diagnostics: &[Diagnostic<(usize, Range<usize>)>],
) -> String {
    let mut db = SimpleFiles::new();
    let ids: Vec<usize> = files
        .iter()
        .map(|(n, s)| db.add(n.clone(), s.clone()))
        .collect();
    let config = term::Config::default();
    let mut out = String::new();
    let label = |(f, r): &(usize, Range<usize>)| -> Option<(usize, Range<usize>)> {
        let (_, src) = files.get(*f)?;
        Some((ids[*f], clamp(r, src)))
    };
    for d in diagnostics {
        let mut labels = Vec::new();
        if let Some((id, r)) = d.span.as_ref().and_then(label) {
            labels.push(Label::primary(id, r).with_message(&d.label));
        }
        for (span, msg) in &d.secondary {
            if let Some((id, r)) = label(span) {
                labels.push(Label::secondary(id, r).with_message(msg));
            }
        }
        let mut cs = CsDiagnostic::error()
            .with_message(&d.message)
            .with_labels(labels);
        if let Some(help) = &d.help {
            cs = cs.with_notes(vec![format!("help: {help}")]);
        }
        match term::emit_into_string(&config, &db, &cs) {
            Ok(text) => out.push_str(&text),
            Err(e) => out.push_str(&format!("error: {} ({e})\n", d.message)),
        }
    }
    let n = diagnostics.len();
    out.push_str(&format!(
        "error: {n} problem{} in the link definitions\n",
        if n == 1 { "" } else { "s" }
    ));
    out
}
