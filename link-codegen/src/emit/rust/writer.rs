//! The text writer: lines, indentation and rustfmt's layout rules.

use std::fmt::{self, Write as _};

/// rustfmt's default `max_width`.
pub(super) const MAX_WIDTH: usize = 100;
/// rustfmt's default `fn_call_width`: the widest arguments of a one-line call.
pub(super) const FN_CALL_WIDTH: usize = 60;
/// rustfmt's default `chain_width`: the widest one-line method chain.
pub(super) const CHAIN_WIDTH: usize = 60;
/// rustfmt's default `struct_lit_width`: the widest one-line struct literal body.
pub(super) const STRUCT_LIT_WIDTH: usize = 18;

/// A `String` with an indentation depth; every line is written whole.
pub(super) struct Writer {
    pub(super) out: String,
    pub(super) depth: usize,
}

impl Writer {
    pub(super) fn with_capacity(n: usize) -> Writer {
        Writer {
            out: String::with_capacity(n),
            depth: 0,
        }
    }

    pub(super) fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("    ");
        }
    }

    /// Columns taken by the indentation.
    pub(super) fn column(&self) -> usize {
        self.depth * 4
    }

    /// Whether a line of `len` characters fits at the current depth.
    pub(super) fn fits(&self, len: usize) -> bool {
        self.column() + len <= MAX_WIDTH
    }

    pub(super) fn line(&mut self, text: &str) {
        self.indent();
        self.out.push_str(text);
        self.out.push('\n');
    }

    pub(super) fn line_fmt(&mut self, args: fmt::Arguments<'_>) {
        self.indent();
        // Writing into a `String` cannot fail.
        let _ = self.out.write_fmt(args);
        self.out.push('\n');
    }

    pub(super) fn blank(&mut self) {
        self.out.push('\n');
    }

    /// A line that opens a block: the following lines are indented.
    pub(super) fn open(&mut self, text: &str) {
        self.line(text);
        self.depth += 1;
    }

    pub(super) fn open_fmt(&mut self, args: fmt::Arguments<'_>) {
        self.line_fmt(args);
        self.depth += 1;
    }

    /// A line that closes the innermost block.
    pub(super) fn close(&mut self, text: &str) {
        self.depth -= 1;
        self.line(text);
    }

    /// A doc comment line (`///`), or a `#[doc]` attribute for text that
    /// a line comment cannot hold.
    pub(super) fn doc(&mut self, text: &str) {
        if text.contains(['\n', '\r']) {
            self.line_fmt(format_args!("#[doc = {}]", Lit(&format!(" {text}"))));
        } else {
            self.line_fmt(format_args!("/// {text}"));
        }
    }

    /// `head item, item, ...tail` on one line if it fits (and the items
    /// take at most `items_width` columns), else rustfmt's vertical layout:
    /// `head`, one `item,` per line, then `tail` (which starts with the
    /// closing delimiter).
    pub(super) fn list(&mut self, head: &str, items: &[String], tail: &str, items_width: usize) {
        let inline = (items.iter().map(|i| i.len() + 2).sum::<usize>()).saturating_sub(2);
        if inline <= items_width && self.fits(head.len() + inline + tail.len()) {
            self.indent();
            self.out.push_str(head);
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    self.out.push_str(", ");
                }
                self.out.push_str(item);
            }
            self.out.push_str(tail);
            self.out.push('\n');
        } else {
            self.open(head);
            for item in items {
                self.line_fmt(format_args!("{item},"));
            }
            self.close(tail);
        }
    }

    /// A call `head(args)tail` (rustfmt's `fn_call_width`).
    pub(super) fn call(&mut self, head: &str, args: &[String], tail: &str) {
        self.list(head, args, tail, FN_CALL_WIDTH);
    }

    /// A function signature `head(params)tail {` that opens its body.
    pub(super) fn signature(&mut self, head: &str, params: &[String], tail: &str) {
        self.list(head, params, tail, usize::MAX);
        self.depth += 1;
    }

    /// A struct literal `head fields }tail` (rustfmt's `struct_lit_width`);
    /// `head` ends with `{`.
    pub(super) fn struct_lit(&mut self, head: &str, fields: &[String], tail: &str) {
        let inline = (fields.iter().map(|i| i.len() + 2).sum::<usize>()).saturating_sub(2);
        if inline <= STRUCT_LIT_WIDTH && self.fits(head.len() + inline + tail.len() + 3) {
            self.line_fmt(format_args!("{head} {} }}{tail}", fields.join(", ")));
        } else {
            self.open(head);
            for f in fields {
                self.line_fmt(format_args!("{f},"));
            }
            self.close(&format!("}}{tail}"));
        }
    }

    /// `first second` on one line if it fits, else `second` on the next
    /// line, indented (a long type after `name:`, a long value after `=`).
    pub(super) fn split(&mut self, first: &str, second: &str) {
        if self.fits(first.len() + 1 + second.len()) {
            self.line_fmt(format_args!("{first} {second}"));
        } else {
            self.line(first);
            self.depth += 1;
            self.line(second);
            self.depth -= 1;
        }
    }

    /// `prefix root.segment suffix`, the chain `root.segment` broken before
    /// its `.` when it is longer than rustfmt's `chain_width` or the line
    /// does not fit.
    pub(super) fn chain(&mut self, prefix: &str, root: &str, segment: &str, suffix: &str) {
        let chain = root.len() + segment.len();
        if chain <= CHAIN_WIDTH && self.fits(prefix.len() + chain + suffix.len()) {
            self.line_fmt(format_args!("{prefix}{root}{segment}{suffix}"));
        } else {
            self.line_fmt(format_args!("{prefix}{root}"));
            self.depth += 1;
            self.line_fmt(format_args!("{segment}{suffix}"));
            self.depth -= 1;
        }
    }

    /// A call `head(root.segment)tail` of one chain argument.
    pub(super) fn call_chain(&mut self, head: &str, root: &str, segment: &str, tail: &str) {
        let arg = root.len() + segment.len();
        if arg <= FN_CALL_WIDTH && self.fits(head.len() + arg + tail.len()) {
            self.line_fmt(format_args!("{head}{root}{segment}{tail}"));
        } else {
            self.open(head);
            self.chain("", root, segment, ",");
            self.close(tail);
        }
    }

    /// `name: B(&[` opening a static slice, or `name: B(&[]),` if empty.
    pub(super) fn open_slice(&mut self, name: &str, empty: bool) {
        if empty {
            self.line_fmt(format_args!("{name}: B(&[]),"));
        } else {
            self.open_fmt(format_args!("{name}: B(&["));
        }
    }

    /// Closes [`Writer::open_slice`].
    pub(super) fn close_slice(&mut self, empty: bool) {
        if !empty {
            self.close("]),");
        }
    }
}

/// A string as a Rust string literal.
pub(super) struct Lit<'a>(pub(super) &'a str);

impl fmt::Display for Lit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `str`'s `Debug` is a valid Rust string literal (escapes `"`, `\`,
        // control and non-printable characters).
        write!(f, "{:?}", self.0)
    }
}
