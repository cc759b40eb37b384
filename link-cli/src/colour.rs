//! rustc-style colour for diagnostics and cargo-style progress lines, on a
//! terminal only: none when the stream is piped or `NO_COLOR` is set to a
//! non-empty value (progress lines are not printed when piped).

/// Whether to colour a stream: it is a terminal and `NO_COLOR` is unset or
/// empty.
pub fn enabled(is_terminal: bool, no_color: Option<&str>) -> bool {
    is_terminal && no_color.is_none_or(str::is_empty)
}

const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const CYAN: &str = "\x1b[1;36m";

/// `text` with rustc's colours: `error`/`warning` headings in bold red or
/// yellow and their message in bold, `= help:` in bold cyan.
pub fn paint(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        if let Some(rest) = body.strip_prefix("error") {
            out.push_str(&format!("{RED}error{RESET}{BOLD}{rest}{RESET}"));
        } else if let Some(rest) = body.strip_prefix("warning") {
            out.push_str(&format!("{YELLOW}warning{RESET}{BOLD}{rest}{RESET}"));
        } else if let Some(at) = body.find("= help:") {
            let (before, after) = body.split_at(at);
            let after = &after["= help:".len()..];
            out.push_str(&format!("{before}{CYAN}= help:{RESET}{after}"));
        } else {
            out.push_str(body);
        }
        out.push_str(newline);
    }
    out
}

/// A cargo-style progress line for `step` (e.g. `Connecting`) on `what`,
/// printed before a long step when standard error is a terminal.
pub fn progress(step: &str, what: &str, colour: bool) -> String {
    if colour {
        format!("{GREEN}{step:>12}{RESET} {what}\n")
    } else {
        format!("{step:>12} {what}\n")
    }
}

const GREEN: &str = "\x1b[1;32m";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(enabled(true, None));
        assert!(enabled(true, Some("")));
        assert!(!enabled(true, Some("1")));
        assert!(!enabled(false, None));
    }

    #[test]
    fn progress_lines_like_cargo() {
        assert_eq!(
            progress("Connecting", "sqlite:app.db", false),
            "  Connecting sqlite:app.db\n"
        );
        assert_eq!(
            progress("Generating", "links.toml", true),
            "\x1b[1;32m  Generating\x1b[0m links.toml\n"
        );
    }

    #[test]
    fn paints_like_rustc() {
        assert_eq!(
            paint("error: bad\n  = help: fix it\nplain\n"),
            "\x1b[1;31merror\x1b[0m\x1b[1m: bad\x1b[0m\n  \x1b[1;36m= help:\x1b[0m fix it\nplain\n"
        );
        assert_eq!(
            paint("warning: careful"),
            "\x1b[1;33mwarning\x1b[0m\x1b[1m: careful\x1b[0m"
        );
    }
}
