//! `--jq FILTER` and `--text [FILTER]`: the jq language on each event's data, through
//! jaq (jaq-core, jaq-std, jaq-json), compiled once at startup.
//!
//! The input is the event's data parsed as JSON, or the data as a string when it is
//! not JSON; `$event` (the type) and `$id` (the last event ID) are bound.

use std::fmt;
use std::rc::Rc;

use jaq_core::load::{lex, parse, Arena, File, Loader};
use jaq_core::{data, Compiler, Ctx, Vars};
use jaq_json::Val;

use crate::parser::EventRef;

type Data = data::JustLut<Val>;

/// Deepest nesting of arrays and objects handed to the filter: jaq's reader and
/// evaluator recurse per level, and a hostile event nested a million deep would
/// overflow the stack. (jq stops at 10,000; real data stays far below this.)
pub const MAX_DEPTH: usize = 512;

type Filter = jaq_core::Filter<Data>;

/// What `--text` assembles when no filter is given: the text deltas of the common LLM
/// stream shapes. OpenAI chat completions (`choices[0].delta.content`), the OpenAI
/// Responses API (`response.output_text.delta` events carry `.delta`), Anthropic
/// messages (`content_block_delta` events carry `.delta.text`), and Google Gemini
/// (`streamGenerateContent?alt=sse`: `candidates[0].content.parts[].text` of parts that
/// are not `thought`s), and Ollama's NDJSON (objects with a boolean `done`: `/api/chat`
/// `.message.content`, `/api/generate` `.response`). Anything else gives nothing, never
/// an error.
///
/// `--text` itself reads these shapes with `llm::pieces`, which gives the same answer
/// text and also the reasoning and tool calls it puts on stderr; this filter is what
/// names the built-in in messages, and the same answer for `--jq` or `--text=FILTER`
/// users who build on it (a test in `output::filter` checks that both agree).
pub const LLM_TEXT: &str = r#"if type == "object" then
  (.choices[0]?.delta?.content? // empty | strings),
  (select(.type? == "response.output_text.delta") | .delta? | strings),
  (select(.type? == "content_block_delta") | .delta?.text? | strings),
  (.candidates[0]?.content?.parts[]? | select(.thought? != true) | .text? | strings),
  (select(.done? | type == "boolean") | (.message?.content?, .response?) | strings)
else empty end"#;

/// A compiled filter.
pub struct Jq {
    /// As the user wrote it, for messages.
    code: String,
    filter: Rc<Filter>,
}

impl fmt::Debug for Jq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jq").field("code", &self.code).finish()
    }
}

impl Clone for Jq {
    fn clone(&self) -> Self {
        Jq {
            code: self.code.clone(),
            filter: Rc::clone(&self.filter),
        }
    }
}

/// One result of a filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// A string result, its text as is.
    Text(String),
    /// Any other value, as compact JSON.
    Json(String),
    /// `null` (which `--text` leaves out).
    Null,
}

impl Jq {
    /// Compiles `code`; the error says what is wrong and where, in one line.
    pub fn compile(code: &str) -> Result<Jq, String> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs::<Data>()
            .chain(jaq_std::funs::<Data>())
            .chain(jaq_json::funs::<Data>().filter(|(name, ..)| *name != "fromjson"))
            .chain([fromjson()]);
        let arena = Arena::default();
        let loader = Loader::new(defs);
        let modules = loader
            .load(&arena, File { code, path: () })
            .map_err(|errs| {
                let mut msgs = Vec::new();
                for (_, e) in errs {
                    match e {
                        jaq_core::load::Error::Io(io) => {
                            msgs.extend(io.into_iter().map(|(path, msg)| format!("{path}: {msg}")))
                        }
                        jaq_core::load::Error::Lex(lex) => {
                            msgs.extend(lex.iter().map(|(want, at)| {
                                format!("expected {} {}", lex_expect(want), position(code, at))
                            }))
                        }
                        jaq_core::load::Error::Parse(parse) => {
                            msgs.extend(parse.iter().map(|(want, at)| {
                                format!("expected {} {}", parse_expect(want), position(code, at))
                            }))
                        }
                    }
                }
                msgs.join("; ")
            })?;
        let filter = Compiler::default()
            .with_funs(funs)
            .with_global_vars(["$event", "$id"])
            .compile(modules)
            .map_err(|errs| {
                let msgs: Vec<String> = errs
                    .into_iter()
                    .flat_map(|(_, e)| e)
                    .map(|(name, undefined)| format!("undefined {} {name}", undefined.as_str()))
                    .collect();
                msgs.join("; ")
            })?;
        Ok(Jq {
            code: code.to_string(),
            filter: Rc::new(filter),
        })
    }

    pub fn code(&self) -> &str {
        &self.code
    }

    /// Runs the filter on one event, handing each result to `emit`; the first error the
    /// filter raises ends the run, as a message (results before it were emitted).
    pub fn run<E>(
        &self,
        ev: &EventRef<'_>,
        mut emit: impl FnMut(Output) -> Result<(), E>,
    ) -> Result<Result<(), String>, E> {
        // Only a top-level array or object makes the reader recurse.
        let container = ev.data.trim_start().starts_with(['[', '{']);
        if container && nested_deeper_than(ev.data.as_bytes(), MAX_DEPTH) {
            return Ok(Err(format!(
                "the data is nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let input = jaq_json::read::parse_single(ev.data.as_bytes())
            .unwrap_or_else(|_| Val::utf8_str(ev.data.as_bytes().to_vec()));
        let vars = Vars::new([
            Val::utf8_str(ev.event_type.as_bytes().to_vec()),
            Val::utf8_str(ev.id.as_bytes().to_vec()),
        ]);
        let ctx = Ctx::<Data>::new(&self.filter.lut, vars);
        for result in self.filter.id.run((ctx, input)) {
            match result {
                Ok(value) => emit(output(value))?,
                Err(exn) => {
                    let msg = match exn.get_err() {
                        Ok(err) => err.to_string(),
                        Err(_) => "the filter called halt".to_string(),
                    };
                    return Ok(Err(msg));
                }
            }
        }
        Ok(Ok(()))
    }
}

/// jaq's `fromjson` with the depth limit the event data has: a string from the network
/// nested a million deep (`--jq 'fromjson'` on an LLM's tool-call arguments) would
/// otherwise overflow the stack. Its error does not repeat the (maybe huge) string.
fn fromjson() -> jaq_core::native::Fun<Data> {
    use jaq_core::{native, Error, Exn};
    native::run(("fromjson", native::v(0), |cv| {
        let bytes = match cv.1.try_as_utf8_bytes_owned() {
            Ok(bytes) => bytes,
            Err(e) => return native::bome(Err(e)),
        };
        if nested_deeper_than(&bytes, MAX_DEPTH) {
            return native::bome(Err(Error::str(format_args!(
                "fromjson: the string is nested deeper than {MAX_DEPTH} levels"
            ))));
        }
        let values = jaq_json::bytes_valrs(bytes, |s| {
            Box::new(jaq_json::read::parse_many(s).map(|r| {
                r.map_err(|e| Error::str(format_args!("fromjson: cannot parse as JSON: {e}")))
            }))
        });
        Box::new(values.map(|r| r.map_err(Exn::from)))
    }))
}

/// Whether JSON text opens more than `limit` arrays or objects at once (brackets
/// inside strings do not count). A cheap scan, not validation.
fn nested_deeper_than(json: &[u8], limit: usize) -> bool {
    let mut nesting = crate::parser::json_stream::Nesting::default();
    json.iter().any(|&b| {
        nesting.take(b);
        nesting.depth() > limit
    })
}

fn output(value: Val) -> Output {
    match value {
        Val::Null => Output::Null,
        Val::TStr(bytes) | Val::BStr(bytes) => {
            Output::Text(String::from_utf8_lossy(&bytes).into_owned())
        }
        other => Output::Json(other.to_string()),
    }
}

fn lex_expect(want: &lex::Expect<&str>) -> &'static str {
    match want {
        // `as_str` panics on a delimiter it does not know: name them here.
        lex::Expect::Delim("(") => "closing parenthesis",
        lex::Expect::Delim("[") => "closing bracket",
        lex::Expect::Delim("{") => "closing brace",
        lex::Expect::Delim(_) => "closing delimiter",
        other => other.as_str(),
    }
}

fn parse_expect<'a>(want: &parse::Expect<&'a str>) -> &'a str {
    want.as_str()
}

/// `at offset N` (counting bytes from 0) when `part` lies inside `code`, else `near "…"`.
fn position(code: &str, part: &str) -> String {
    let start = (part.as_ptr() as usize).checked_sub(code.as_ptr() as usize);
    match start {
        Some(n) if n <= code.len() => {
            if n == code.len() {
                "at the end".to_string()
            } else {
                format!("at offset {n}")
            }
        }
        _ => format!("near {part:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(event_type: &'a str, data: &'a str, id: &'a str) -> EventRef<'a> {
        EventRef::with(event_type, data, id)
    }

    fn run(code: &str, e: &EventRef<'_>) -> Result<Vec<Output>, String> {
        let jq = Jq::compile(code).unwrap();
        let mut out = Vec::new();
        jq.run(e, |o| {
            out.push(o);
            Ok::<_, ()>(())
        })
        .unwrap()?;
        Ok(out)
    }

    #[test]
    fn results_are_strings_or_compact_json() {
        let e = ev("m", r#"{"a":[1,2],"s":"x\ny","n":null}"#, "7");
        assert_eq!(
            run(".a, .s, .n, .a[0], {b: .a}", &e).unwrap(),
            vec![
                Output::Json("[1,2]".into()),
                Output::Text("x\ny".into()),
                Output::Null,
                Output::Json("1".into()),
                Output::Json(r#"{"b":[1,2]}"#.into()),
            ]
        );
    }

    #[test]
    fn event_and_id_are_bound_and_text_data_is_a_string() {
        let e = ev("update", "not json", "42");
        assert_eq!(
            run("[$event, $id, .]", &e).unwrap(),
            vec![Output::Json(r#"["update","42","not json"]"#.into())]
        );
        assert_eq!(
            run("select($event == \"update\") | length", &e).unwrap(),
            vec![Output::Json("8".into())]
        );
    }

    #[test]
    fn the_std_library_is_there() {
        let e = ev("m", r#"{"items":[{"n":"b"},{"n":"a"}]}"#, "");
        assert_eq!(
            run("[.items[].n] | sort | join(\",\")", &e).unwrap(),
            vec![Output::Text("a,b".into())]
        );
        assert_eq!(
            run(r#".items | map(select(.n | test("^a")))"#, &e).unwrap(),
            vec![Output::Json(r#"[{"n":"a"}]"#.into())]
        );
    }

    #[test]
    fn compile_errors_are_one_line() {
        for bad in [
            ".a |",
            "if . then 1",
            "[1, 2",
            "nosuchfn(1)",
            "\"open",
            "$nope",
            ".a)",
        ] {
            let err = Jq::compile(bad).unwrap_err();
            assert!(!err.is_empty() && !err.contains('\n'), "{bad:?}: {err:?}");
        }
        assert_eq!(
            Jq::compile("nosuchfn(1)").unwrap_err(),
            "undefined filter nosuchfn"
        );
    }

    #[test]
    fn deep_data_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(200_000) + &"]".repeat(200_000);
        let err = run("length", &ev("m", &deep, "")).unwrap_err();
        assert!(err.contains("nested deeper than"), "{err}");
        // At the limit, the filters that walk the whole value still work.
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        for filter in [
            ".",
            "[..] | length",
            "tostring | length",
            "walk(.) | length",
        ] {
            assert!(run(filter, &ev("m", &ok, "")).is_ok(), "{filter}");
        }
        // Text that is not a container is a string, however many brackets it has.
        let text = format!("art: {}", "[".repeat(1000));
        assert_eq!(
            run("length", &ev("m", &text, "")).unwrap(),
            vec![Output::Json("1005".into())]
        );
        // Brackets in strings do not count.
        let quoted = format!("{{\"k\":\"{}\\\"\"}}", "[".repeat(1000));
        assert!(!nested_deeper_than(quoted.as_bytes(), 4), "{quoted}");
        assert!(nested_deeper_than(b"[[[[[1]]]]]", 4));
        assert!(!nested_deeper_than(b"[[[[1]]]]", 4));
    }

    #[test]
    fn fromjson_on_deep_text_is_an_error_not_a_stack_overflow() {
        let deep = "[".repeat(200_000) + &"]".repeat(200_000);
        let data = serde_json::to_string(&serde_json::json!({ "args": deep })).unwrap();
        for filter in [".args | fromjson", ".args | tonumber"] {
            let err = run(filter, &ev("m", &data, "")).unwrap_err();
            assert!(err.contains("nested deeper than"), "{filter}: {err}");
            assert!(err.len() < 200, "{filter}: {} bytes", err.len());
        }
        // Within the limit it is jq's fromjson: several values, errors, numbers.
        let e = ev("m", r#"{"a":"[[1]] {\"b\":2}","bad":"[1,","n":"12"}"#, "");
        assert_eq!(
            run(".a | fromjson", &e).unwrap(),
            vec![
                Output::Json("[[1]]".into()),
                Output::Json(r#"{"b":2}"#.into())
            ]
        );
        assert!(run(".bad | fromjson", &e)
            .unwrap_err()
            .contains("cannot parse as JSON"));
        assert!(run("1 | fromjson", &e).is_err());
        assert_eq!(
            run(".n | tonumber", &e).unwrap(),
            vec![Output::Json("12".into())]
        );
    }

    #[test]
    fn runtime_errors_are_messages() {
        let e = ev("m", "5", "");
        let err = run(".a", &e).unwrap_err();
        assert!(err.contains("index"), "{err}");
        assert!(run("halt", &e).is_err());
    }

    #[test]
    fn llm_text_recognises_the_common_shapes_and_nothing_else() {
        let text = |data: &str| -> Vec<Output> { run(LLM_TEXT, &ev("m", data, "")).unwrap() };
        let t = |s: &str| vec![Output::Text(s.into())];
        assert_eq!(
            text(
                r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hel"}}]}"#
            ),
            t("Hel")
        );
        assert_eq!(
            text(r#"{"type":"response.output_text.delta","item_id":"m1","delta":"lo"}"#),
            t("lo")
        );
        assert_eq!(
            text(
                r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" you"}}"#
            ),
            t(" you")
        );
        assert_eq!(
            text(
                r#"{"candidates":[{"content":{"parts":[{"text":"Gem"},{"text":"ini"}],"role":"model"},"index":0}]}"#
            ),
            vec![Output::Text("Gem".into()), Output::Text("ini".into())]
        );
        // Ollama: /api/chat and /api/generate.
        assert_eq!(
            text(r#"{"model":"m","message":{"role":"assistant","content":"Oll"},"done":false}"#),
            t("Oll")
        );
        assert_eq!(
            text(r#"{"model":"m","response":"ama","done":false}"#),
            t("ama")
        );
        for other in [
            r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f"}}]}}]}"#,
            r#"{"candidates":[{"finishReason":"STOP"}],"usageMetadata":{}}"#,
            r#"{"choices":[{"index":0,"delta":{"role":"assistant","content":null}}]}"#,
            r#"{"choices":[]}"#,
            r#"{"choices":"x"}"#,
            r#"{"type":"message_start","message":{"id":"m"}}"#,
            r#"{"type":"content_block_delta","delta":{"type":"input_json_delta","partial_json":"{"}}"#,
            r#"{"type":"response.completed"}"#,
            r#"{"type":"response.completed","response":"x"}"#,
            r#"{"message":{"content":"no done"}}"#,
            r#"[1,2]"#,
            "plain text",
            "42",
        ] {
            assert_eq!(text(other), vec![], "{other}");
        }
    }
}
