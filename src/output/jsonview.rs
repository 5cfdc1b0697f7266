//! JSON for people: re-indented only where a value does not fit on one line, coloured as
//! jq colours it, every string made safe for a terminal (`crate::escape`).
//!
//! The input is JSON text that already passed validation and is below the pretty
//! budget (`pretty::JSON_BUDGET`), so the tree built here is small. Keys keep their
//! order and numbers their spelling, as sent.

use std::borrow::Cow;
use std::io::{self, Write};

use unicode_width::UnicodeWidthStr;

use crate::escape;

/// Containers nested deeper than this are printed on one line whatever their width,
/// so indentation cannot grow the output far beyond the input.
const MAX_EXPANDED_DEPTH: usize = 16;

const INDENT: &[u8] = b"  ";

/// jq 1.7's default colours (`JQ_COLORS`): null, false, true, numbers, strings,
/// arrays, objects, object keys. Empty strings when colour is off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Palette {
    pub null: &'static str,
    pub boolean: &'static str,
    pub number: &'static str,
    pub string: &'static str,
    /// Brackets, braces, `:` and `,`.
    pub punct: &'static str,
    pub key: &'static str,
    pub reset: &'static str,
}

impl Palette {
    pub const JQ: Palette = Palette {
        null: "\x1b[1;30m",
        boolean: "\x1b[0;39m",
        number: "\x1b[0;39m",
        string: "\x1b[0;32m",
        punct: "\x1b[1;39m",
        key: "\x1b[34;1m",
        reset: "\x1b[0m",
    };
    pub const PLAIN: Palette = Palette {
        null: "",
        boolean: "",
        number: "",
        string: "",
        punct: "",
        key: "",
        reset: "",
    };

    pub fn new(color: bool) -> Palette {
        if color {
            Palette::JQ
        } else {
            Palette::PLAIN
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    Boolean,
    Number,
    String,
}

#[derive(Debug)]
enum Node<'a> {
    /// A scalar as it will be shown (strings with their quotes, controls escaped).
    Atom { text: Cow<'a, str>, kind: Kind },
    /// An array (`[`) or object (`{`).
    List {
        open: u8,
        items: Vec<Member<'a>>,
        /// Display width on one line: `{"a": 1, "b": [2, 3]}`.
        flat: usize,
    },
}

#[derive(Debug)]
struct Member<'a> {
    /// Object members: the key as shown, with its quotes.
    key: Option<Cow<'a, str>>,
    value: Node<'a>,
}

impl Node<'_> {
    fn width(&self) -> usize {
        match self {
            Node::Atom { text, .. } => text.width(),
            Node::List { flat, .. } => *flat,
        }
    }
}

/// A JSON value ready to print: parsed from valid JSON text, `None` when it is not.
pub struct View<'a> {
    root: Node<'a>,
}

impl<'a> View<'a> {
    /// Builds the tree of `json`, which must be a valid JSON text (the caller checked);
    /// anything unexpected gives `None` rather than a wrong picture.
    pub fn parse(json: &'a str) -> Option<View<'a>> {
        let mut p = Reader { s: json, i: 0 };
        let root = p.value(0)?;
        p.skip_ws();
        (p.i == json.len()).then_some(View { root })
    }

    /// Width on one line.
    pub fn flat_width(&self) -> usize {
        self.root.width()
    }

    /// The whole value on one line: `{"a": 1, "b": [2, 3]}`.
    pub fn write_flat(&self, out: &mut impl Write, colors: &Palette) -> io::Result<()> {
        write_flat(out, &self.root, colors, " ")
    }

    /// The whole value on one line without spaces, as `jq -c` prints it.
    pub fn write_compact(&self, out: &mut impl Write, colors: &Palette) -> io::Result<()> {
        write_flat(out, &self.root, colors, "")
    }

    /// The value re-indented where it does not fit: each container that fits in the
    /// columns left at its position is printed on one line, others get a line per
    /// member. `level` is the indentation (in steps of two spaces) of the line the value
    /// starts on, where the caller has already written that indentation. With
    /// `wrap_strings` (a terminal of that width), a string that runs past the edge is
    /// cut into pieces, each further line indented one step deeper than its member.
    pub fn write_pretty(
        &self,
        out: &mut impl Write,
        colors: &Palette,
        level: usize,
        width: usize,
        wrap_strings: bool,
    ) -> io::Result<()> {
        let layout = Layout {
            colors,
            width,
            wrap_strings,
        };
        write_pretty(out, &self.root, &layout, level, level * INDENT.len(), 0)
    }
}

/// How `write_pretty` lays values out.
struct Layout<'c> {
    colors: &'c Palette,
    width: usize,
    wrap_strings: bool,
}

/// The fewest columns a piece of a wrapped string gets; with less room it is not cut.
const MIN_PIECE: usize = 20;

fn write_atom(out: &mut impl Write, text: &str, kind: Kind, colors: &Palette) -> io::Result<()> {
    let color = match kind {
        Kind::Null => colors.null,
        Kind::Boolean => colors.boolean,
        Kind::Number => colors.number,
        Kind::String => colors.string,
    };
    if color.is_empty() {
        out.write_all(text.as_bytes())
    } else {
        write!(out, "{color}{text}{}", colors.reset)
    }
}

fn write_punct(out: &mut impl Write, p: &str, colors: &Palette) -> io::Result<()> {
    if colors.punct.is_empty() {
        out.write_all(p.as_bytes())
    } else {
        write!(out, "{}{p}{}", colors.punct, colors.reset)
    }
}

fn write_key(out: &mut impl Write, key: &str, colors: &Palette, space: &str) -> io::Result<()> {
    if colors.key.is_empty() {
        out.write_all(key.as_bytes())?;
    } else {
        write!(out, "{}{key}{}", colors.key, colors.reset)?;
    }
    write_punct(out, ":", colors)?;
    out.write_all(space.as_bytes())
}

fn close_of(open: u8) -> &'static str {
    if open == b'{' {
        "}"
    } else {
        "]"
    }
}

fn open_of(open: u8) -> &'static str {
    if open == b'{' {
        "{"
    } else {
        "["
    }
}

/// `space` follows each `,` and `:` (one space, or none for `jq -c`'s form).
fn write_flat(
    out: &mut impl Write,
    node: &Node<'_>,
    colors: &Palette,
    space: &str,
) -> io::Result<()> {
    match node {
        Node::Atom { text, kind } => write_atom(out, text, *kind, colors),
        Node::List { open, items, .. } => {
            write_punct(out, open_of(*open), colors)?;
            for (n, m) in items.iter().enumerate() {
                if n > 0 {
                    write_punct(out, ",", colors)?;
                    out.write_all(space.as_bytes())?;
                }
                if let Some(key) = &m.key {
                    write_key(out, key, colors, space)?;
                }
                write_flat(out, &m.value, colors, space)?;
            }
            write_punct(out, close_of(*open), colors)
        }
    }
}

/// `column` is where the value starts on its line; `level` the indentation of that line.
fn write_pretty(
    out: &mut impl Write,
    node: &Node<'_>,
    layout: &Layout<'_>,
    level: usize,
    column: usize,
    depth: usize,
) -> io::Result<()> {
    let colors = layout.colors;
    let Node::List { open, items, flat } = node else {
        return match node {
            Node::Atom {
                text,
                kind: Kind::String,
            } if layout.wrap_strings && column + text.width() > layout.width => {
                write_wrapped_string(out, text, layout, level, column)
            }
            _ => write_flat(out, node, colors, " "),
        };
    };
    if items.is_empty() || column + flat <= layout.width || depth >= MAX_EXPANDED_DEPTH {
        return write_flat(out, node, colors, " ");
    }
    write_punct(out, open_of(*open), colors)?;
    let inner = level + 1;
    for (n, m) in items.iter().enumerate() {
        if n > 0 {
            write_punct(out, ",", colors)?;
        }
        out.write_all(b"\n")?;
        for _ in 0..inner {
            out.write_all(INDENT)?;
        }
        let mut col = inner * INDENT.len();
        if let Some(key) = &m.key {
            write_key(out, key, colors, " ")?;
            col += key.width() + 2;
        }
        // One column for the comma that may follow.
        write_pretty(out, &m.value, layout, inner, col + 1, depth + 1)?;
    }
    out.write_all(b"\n")?;
    for _ in 0..level {
        out.write_all(INDENT)?;
    }
    write_punct(out, close_of(*open), colors)
}

/// A string (its quotes and escapes included) that runs past the terminal's edge, cut
/// as plain data is (at a space in the second half of a piece, where there is one),
/// each further piece on a line indented one step deeper than the member's.
fn write_wrapped_string(
    out: &mut impl Write,
    text: &str,
    layout: &Layout<'_>,
    level: usize,
    column: usize,
) -> io::Result<()> {
    let first = layout.width.saturating_sub(column);
    let rest = layout.width.saturating_sub((level + 1) * INDENT.len() + 1);
    if first.min(rest) < MIN_PIECE {
        return write_atom(out, text, Kind::String, layout.colors);
    }
    for (n, piece) in crate::format::wrap(text, first, rest).iter().enumerate() {
        if n > 0 {
            out.write_all(b"\n")?;
            for _ in 0..=level {
                out.write_all(INDENT)?;
            }
        }
        write_atom(out, piece, Kind::String, layout.colors)?;
    }
    Ok(())
}

/// A lenient reader over text serde_json has already accepted.
struct Reader<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Reader<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.s.as_bytes()
    }

    fn skip_ws(&mut self) {
        while matches!(self.bytes().get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<Node<'a>> {
        // serde_json refuses deeper nesting than 128 anyway; this keeps the stack bounded
        // even if a caller forgot to validate.
        if depth > 256 {
            return None;
        }
        self.skip_ws();
        match *self.bytes().get(self.i)? {
            open @ (b'{' | b'[') => {
                self.i += 1;
                let close = if open == b'{' { b'}' } else { b']' };
                let mut items = Vec::new();
                let mut flat = 2;
                loop {
                    self.skip_ws();
                    if *self.bytes().get(self.i)? == close {
                        self.i += 1;
                        break;
                    }
                    if !items.is_empty() {
                        if *self.bytes().get(self.i)? != b',' {
                            return None;
                        }
                        self.i += 1;
                        self.skip_ws();
                        flat += 2;
                    }
                    let key = if open == b'{' {
                        let key = self.string()?;
                        self.skip_ws();
                        if *self.bytes().get(self.i)? != b':' {
                            return None;
                        }
                        self.i += 1;
                        flat += key.width() + 2;
                        Some(key)
                    } else {
                        None
                    };
                    let value = self.value(depth + 1)?;
                    flat += value.width();
                    items.push(Member { key, value });
                }
                Some(Node::List { open, items, flat })
            }
            b'"' => Some(Node::Atom {
                text: self.string()?,
                kind: Kind::String,
            }),
            _ => {
                let start = self.i;
                while self.i < self.s.len()
                    && !matches!(
                        self.bytes()[self.i],
                        b',' | b']' | b'}' | b':' | b' ' | b'\t' | b'\n' | b'\r'
                    )
                {
                    self.i += 1;
                }
                let text = self.s.get(start..self.i)?;
                let kind = match text {
                    "null" => Kind::Null,
                    "true" | "false" => Kind::Boolean,
                    "" => return None,
                    _ => Kind::Number,
                };
                Some(Node::Atom {
                    text: Cow::Borrowed(text),
                    kind,
                })
            }
        }
    }

    /// A string token with its quotes, as sent (escapes stay escapes), with raw control
    /// characters (DEL and C1 may appear unescaped in JSON) escaped for the terminal.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        if self.bytes().get(self.i) != Some(&b'"') {
            return None;
        }
        let start = self.i;
        let mut i = start + 1;
        loop {
            match *self.bytes().get(i)? {
                b'\\' => i += 2,
                b'"' => break,
                _ => i += 1,
            }
        }
        self.i = i + 1;
        Some(escape::line(self.s.get(start..self.i)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(json: &str, level: usize, width: usize) -> String {
        let view = View::parse(json).unwrap();
        let mut out = Vec::new();
        view.write_pretty(&mut out, &Palette::PLAIN, level, width, false)
            .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn small_values_stay_on_one_line() {
        assert_eq!(
            pretty(r#"{ "a":1,"b" : [true,null,"x\"y"],"e":{},"f":[] }"#, 0, 80),
            r#"{"a": 1, "b": [true, null, "x\"y"], "e": {}, "f": []}"#
        );
        let view = View::parse(r#"{"a":[1,2]}"#).unwrap();
        assert_eq!(view.flat_width(), r#"{"a": [1, 2]}"#.len());
    }

    #[test]
    fn what_does_not_fit_gets_a_line_per_member() {
        let json = r#"{"name":"a fairly long string","list":[1,2,3],"nested":{"k":"v"}}"#;
        assert_eq!(
            pretty(json, 1, 40),
            "{\n    \"name\": \"a fairly long string\",\n    \"list\": [1, 2, 3],\n    \"nested\": {\"k\": \"v\"}\n  }"
        );
        // Narrower still: the inner containers break too, where they do not fit.
        assert_eq!(
            pretty(r#"{"list":[100000,200000,300000]}"#, 0, 20),
            "{\n  \"list\": [\n    100000,\n    200000,\n    300000\n  ]\n}"
        );
    }

    #[test]
    fn long_strings_wrap_with_their_indent_on_a_terminal_only() {
        let json =
            r#"{"id":7,"text":"the quick brown fox jumps over the lazy dog and runs far away"}"#;
        let view = View::parse(json).unwrap();
        let mut out = Vec::new();
        view.write_pretty(&mut out, &Palette::PLAIN, 1, 40, true)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "{\n    \"id\": 7,\n    \"text\": \"the quick brown fox jumps\n      over the lazy dog and runs far\n      away\"\n  }"
        );
        assert!(text.lines().all(|l| l.width() <= 40), "{text}");
        // Into a pipe, nothing is cut.
        assert!(pretty(json, 1, 40)
            .contains("\"the quick brown fox jumps over the lazy dog and runs far away\""));
    }

    #[test]
    fn numbers_keep_their_spelling_and_keys_their_order() {
        assert_eq!(
            pretty(r#"{"z":1.50,"a":1e3,"m":-0}"#, 0, 80),
            r#"{"z": 1.50, "a": 1e3, "m": -0}"#
        );
    }

    #[test]
    fn raw_controls_in_strings_are_escaped() {
        // DEL and C1 may stand unescaped inside a JSON string.
        let json = "{\"k\u{9b}\":\"a\u{7f}b\u{9b}2J\"}";
        assert!(serde_json::from_str::<serde_json::Value>(json).is_ok());
        let out = pretty(json, 0, 80);
        assert_eq!(out, r#"{"k\u{9b}": "a\x7fb\u{9b}2J"}"#);
    }

    #[test]
    fn deep_nesting_stops_expanding() {
        let depth = 100;
        let json = "[".repeat(depth) + "1,2" + &"]".repeat(depth);
        let out = pretty(&json, 0, 10);
        assert_eq!(out.lines().count(), 2 * MAX_EXPANDED_DEPTH + 1);
        assert!(out
            .lines()
            .all(|l| l.len() < 2 * MAX_EXPANDED_DEPTH + depth * 2 + 8));
    }

    #[test]
    fn colours_are_jq_colours() {
        let view = View::parse(r#"{"a":[null,true,1,"s"]}"#).unwrap();
        let mut out = Vec::new();
        view.write_flat(&mut out, &Palette::JQ).unwrap();
        let text = String::from_utf8(out).unwrap();
        for want in [
            "\x1b[34;1m\"a\"\x1b[0m",
            "\x1b[1;30mnull\x1b[0m",
            "\x1b[0;39mtrue\x1b[0m",
            "\x1b[0;39m1\x1b[0m",
            "\x1b[0;32m\"s\"\x1b[0m",
            "\x1b[1;39m{\x1b[0m",
        ] {
            assert!(text.contains(want), "{want:?} in {text:?}");
        }
    }

    #[test]
    fn compact_is_jq_c() {
        let view = View::parse(r#"{ "a" : [1, {"b":null}], "c":"d" }"#).unwrap();
        let mut out = Vec::new();
        view.write_compact(&mut out, &Palette::PLAIN).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#"{"a":[1,{"b":null}],"c":"d"}"#
        );
    }

    #[test]
    fn invalid_text_gives_no_view() {
        for bad in ["", "{", "[1,", "{\"a\" 1}", "[1] x", "\"open"] {
            assert!(View::parse(bad).is_none(), "{bad:?}");
        }
    }
}
