//! User text quoted back in messages: control characters escaped, long text cut short.
//!
//! Owns how a value from a scenario file, a flag or a file name appears inside an error line. A
//! name of 100,000 characters or a BEL in a region must not flood or ring the user's terminal,
//! and a message must stay one line, so every echo of user text goes through [`quoted`] (or
//! [`escaped`] for text already known to be short). Knows nothing of scenarios.

/// Characters of user text shown before the rest is cut: enough to recognise a name, a region
/// or an instance type; every real one is shorter.
pub(crate) const MAX_CHARS: usize = 48;

/// `text` in double quotes, escaped, cut after [`MAX_CHARS`] characters with a note of its
/// full length: `"us-east-1"`, `"ab\u{7}"`, `"aaaa…" (100000 characters)`.
pub(crate) fn quoted(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_CHARS {
        return format!("\"{}\"", escaped(text));
    }
    let head: String = text.chars().take(MAX_CHARS - 3).collect();
    format!("\"{}…\" ({count} characters)", escaped(&head))
}

/// `text` cut like [`quoted`] but without the quotes, for key paths.
pub(crate) fn short(text: &str) -> String {
    let count = text.chars().count();
    if count <= MAX_CHARS {
        return escaped(text);
    }
    let head: String = text.chars().take(MAX_CHARS - 3).collect();
    format!("{}…", escaped(&head))
}

/// `text` with control and invisible formatting characters (which could reorder or hide what a
/// terminal shows) written as Rust escapes, and `"` and `\` escaped so a quoted echo stays
/// unambiguous. Printable Unicode is kept as it is.
pub(crate) fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '"' || c == '\\' || c.is_control() || is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` with only its control and invisible formatting characters escaped: the last line of
/// defence for a whole message (a file name with a newline in it must not split an error line).
pub fn visible(text: &str) -> std::borrow::Cow<'_, str> {
    if !text
        .chars()
        .any(|c| c.is_control() || is_invisible_format(c))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() || is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Unicode format characters that change how text around them is shown: zero-width ones,
/// bidirectional overrides and isolates, the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn echoes_are_escaped_and_cut() {
        let long = "x".repeat(100_000);
        let cases: [(&str, &str); 6] = [
            ("us-east-1", "\"us-east-1\""),
            ("bell\u{7}", "\"bell\\u{7}\""),
            ("two\nlines\r", "\"two\\nlines\\r\""),
            ("say \"hi\"", "\"say \\\"hi\\\"\""),
            ("évian", "\"évian\""),
            ("rlo\u{202E}txt", "\"rlo\\u{202e}txt\""),
        ];
        for (text, expected) in cases {
            assert_eq!(quoted(text), expected, "{text:?}");
        }
        let cut = quoted(&long);
        assert!(cut.ends_with("…\" (100000 characters)"), "{cut}");
        assert!(cut.chars().count() < 80, "{cut}");
        assert_eq!(short(&long).chars().count(), MAX_CHARS - 2);
        assert_eq!(visible("a \"b\"\u{7}"), "a \"b\"\\u{7}");
    }
}
