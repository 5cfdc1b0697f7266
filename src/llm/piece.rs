//! What one event of an LLM stream carries, whatever the API: answer text, reasoning,
//! the parts of a tool call, the finish reason, token usage, a sequence number. The one
//! place that knows where each API puts them; `--text` prints the pieces and the
//! summary measures them.
//!
//! - OpenAI chat completions: `choices[0].delta` `content`, `reasoning` or
//!   `reasoning_content`, `tool_calls[i]` (`id` and `function.name` in the first delta,
//!   `function.arguments` in pieces), `finish_reason`; a `usage` chunk
//!   (`prompt_tokens`, `completion_tokens`).
//! - OpenAI Responses: `response.output_text.delta`, `response.reasoning_text.delta`,
//!   `response.reasoning_summary_text.delta`, `response.output_item.added` (a
//!   `function_call` item's `name` and `call_id`), `response.function_call_arguments.delta`
//!   and `.done`, `response.completed` / `.incomplete` / `.failed` (status, usage);
//!   every event's `sequence_number`.
//! - Anthropic Messages: `content_block_delta` with `text_delta`, `thinking_delta` or
//!   `input_json_delta`; `content_block_start` of a `tool_use` block (name, id) and its
//!   `content_block_stop`; `message_start` (input tokens) and `message_delta`
//!   (`stop_reason`, output tokens).
//! - Gemini: a candidate's parts (`text`, with `thought: true` for reasoning;
//!   `functionCall`, whole), `finishReason`, `usageMetadata` (cumulative).
//! - Ollama (NDJSON, objects with a boolean `done`): `/api/chat`'s `message.content`,
//!   `message.thinking` and `message.tool_calls` (whole), `/api/generate`'s `response`
//!   and `thinking`; the `done: true` chunk's `done_reason`, `prompt_eval_count` and
//!   `eval_count`.

use serde_json::Value;

use crate::parser::EventRef;

/// One thing an event carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Answer text.
    Text(String),
    /// Reasoning ("thinking") text: never part of the answer.
    Reasoning(String),
    /// A tool call began at `slot` (its index in the message): what it calls.
    ToolStart {
        slot: u64,
        name: Option<String>,
        id: Option<String>,
    },
    /// A piece of the JSON arguments of the call at `slot`.
    ToolArgs { slot: u64, part: String },
    /// The call at `slot` is complete; `arguments` when the event carries them whole.
    ToolEnd {
        slot: u64,
        arguments: Option<String>,
    },
    /// Why the model stopped (`stop`, `tool_calls`, `end_turn`, `STOP`, `completed`...).
    Finish(String),
    /// Tokens as the stream reports them; what a later report says replaces earlier.
    Usage(Usage),
    /// OpenAI Responses' `sequence_number`.
    Sequence(u64),
}

impl Piece {
    /// Whether the model produced something here (what time-to-first-token waits for):
    /// text, reasoning or arguments that are not empty, or the name of a tool to call.
    /// A role-only chunk, an empty delta, usage or a finish are not tokens.
    pub fn is_token(&self) -> bool {
        match self {
            Piece::Text(s) | Piece::Reasoning(s) | Piece::ToolArgs { part: s, .. } => !s.is_empty(),
            Piece::ToolStart { name, .. } => name.is_some(),
            _ => false,
        }
    }
}

/// Input and output tokens, each when reported. Output counts reasoning tokens, as
/// OpenAI's `completion_tokens` and Anthropic's `output_tokens` do (Gemini's
/// `thoughtsTokenCount` is added to its `candidatesTokenCount`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub input: Option<u64>,
    pub output: Option<u64>,
}

impl Usage {
    /// `later` over `self`, count by count (Anthropic tells input tokens first and
    /// output tokens at the end; Gemini's counts grow with every chunk).
    pub fn update(&mut self, later: Usage) {
        self.input = later.input.or(self.input);
        self.output = later.output.or(self.output);
    }
}

/// The pieces of `ev`: none when its data is not a JSON object of a shape known here.
pub fn pieces(ev: &EventRef<'_>) -> Vec<Piece> {
    let mut out = Vec::new();
    if !ev.data.trim_start().starts_with('{') {
        return out;
    }
    let Ok(v) = serde_json::from_str::<Value>(ev.data) else {
        return out;
    };
    let kind = v
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or(ev.event_type);
    if kind.starts_with("response.") {
        responses(kind, &v, &mut out);
    } else if let Some(choices) = v.get("choices") {
        chat(choices, &v, &mut out);
    } else if v.get("candidates").is_some() || v.get("usageMetadata").is_some() {
        gemini(&v, &mut out);
    } else if let Some(done) = v.get("done").and_then(Value::as_bool) {
        ollama(done, &v, &mut out);
    } else {
        anthropic(kind, &v, &mut out);
    }
    out
}

/// A tool call that comes whole (Gemini's `functionCall`, Ollama's `tool_calls`): its
/// start and its end with `args` as JSON (`{}` when absent).
fn whole_call(
    out: &mut Vec<Piece>,
    slot: u64,
    name: Option<String>,
    id: Option<String>,
    args: Option<&Value>,
) {
    out.push(Piece::ToolStart { slot, name, id });
    out.push(Piece::ToolEnd {
        slot,
        arguments: Some(args.map_or_else(|| "{}".into(), Value::to_string)),
    });
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(v: &Value, key: &str) -> Option<u64> {
    v.get(key).and_then(Value::as_u64)
}

/// `v[key]` as a slot number (0 when absent, as a single call has no index).
fn slot(v: &Value, key: &str) -> u64 {
    number(v, key).unwrap_or(0)
}

/// OpenAI chat completions: the first choice's delta, its finish, a usage chunk.
fn chat(choices: &Value, v: &Value, out: &mut Vec<Piece>) {
    if let Some(choice) = choices.get(0) {
        let delta = choice.get("delta").unwrap_or(&Value::Null);
        for key in ["reasoning", "reasoning_content"] {
            if let Some(s) = text(delta, key) {
                out.push(Piece::Reasoning(s));
            }
        }
        if let Some(s) = text(delta, "content") {
            out.push(Piece::Text(s));
        }
        for call in delta
            .get("tool_calls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            chat_tool_call(call, out);
        }
        if let Some(reason) = text(choice, "finish_reason") {
            out.push(Piece::Finish(reason));
        }
    }
    if let Some(usage) = v.get("usage").filter(|u| u.is_object()) {
        out.push(Piece::Usage(Usage {
            input: number(usage, "prompt_tokens"),
            output: number(usage, "completion_tokens"),
        }));
    }
}

/// One `delta.tool_calls[i]`: the first names the call, the rest carry arguments.
fn chat_tool_call(call: &Value, out: &mut Vec<Piece>) {
    let slot = slot(call, "index");
    let function = call.get("function").unwrap_or(&Value::Null);
    let name = text(function, "name");
    let id = text(call, "id");
    if name.is_some() || id.is_some() {
        out.push(Piece::ToolStart { slot, name, id });
    }
    if let Some(part) = text(function, "arguments").filter(|a| !a.is_empty()) {
        out.push(Piece::ToolArgs { slot, part });
    }
}

/// OpenAI Responses: events named by their `type`.
fn responses(kind: &str, v: &Value, out: &mut Vec<Piece>) {
    if let Some(n) = number(v, "sequence_number") {
        out.push(Piece::Sequence(n));
    }
    let slot = slot(v, "output_index");
    match kind {
        "response.output_text.delta" => out.extend(text(v, "delta").map(Piece::Text)),
        "response.reasoning_text.delta" | "response.reasoning_summary_text.delta" => {
            out.extend(text(v, "delta").map(Piece::Reasoning))
        }
        "response.output_item.added" => responses_item(slot, v.get("item"), out),
        "response.function_call_arguments.delta" => out.extend(
            text(v, "delta")
                .filter(|d| !d.is_empty())
                .map(|part| Piece::ToolArgs { slot, part }),
        ),
        "response.function_call_arguments.done" => out.push(Piece::ToolEnd {
            slot,
            arguments: text(v, "arguments"),
        }),
        "response.completed" | "response.incomplete" | "response.failed" => {
            responses_end(v.get("response").unwrap_or(&Value::Null), out)
        }
        _ => {}
    }
}

/// An output item begins: a `function_call` item names the function.
fn responses_item(slot: u64, item: Option<&Value>, out: &mut Vec<Piece>) {
    let item = item.unwrap_or(&Value::Null);
    if item.get("type").and_then(Value::as_str) == Some("function_call") {
        out.push(Piece::ToolStart {
            slot,
            name: text(item, "name"),
            id: text(item, "call_id").or_else(|| text(item, "id")),
        });
    }
}

/// The response a stream ends with: its status (and why it is incomplete), its usage.
fn responses_end(response: &Value, out: &mut Vec<Piece>) {
    if let Some(status) = text(response, "status") {
        let why = response
            .get("incomplete_details")
            .and_then(|d| text(d, "reason"));
        out.push(Piece::Finish(match why {
            Some(why) => format!("{status} ({why})"),
            None => status,
        }));
    }
    if let Some(usage) = response.get("usage").filter(|u| u.is_object()) {
        out.push(Piece::Usage(Usage {
            input: number(usage, "input_tokens"),
            output: number(usage, "output_tokens"),
        }));
    }
}

/// Anthropic Messages: events named by their `type`.
fn anthropic(kind: &str, v: &Value, out: &mut Vec<Piece>) {
    let slot = slot(v, "index");
    match kind {
        "content_block_delta" => anthropic_delta(slot, v.get("delta"), out),
        "content_block_start" => anthropic_block(slot, v.get("content_block"), out),
        // Every block stops so; the tool calls know which slots are theirs.
        "content_block_stop" => out.push(Piece::ToolEnd {
            slot,
            arguments: None,
        }),
        "message_start" => {
            let usage = v.get("message").and_then(|m| m.get("usage"));
            anthropic_usage(usage, out);
        }
        "message_delta" => {
            let reason = v.get("delta").and_then(|d| text(d, "stop_reason"));
            out.extend(reason.map(Piece::Finish));
            anthropic_usage(v.get("usage"), out);
        }
        _ => {}
    }
}

/// A content block's delta: text, thinking, or a piece of a tool's input.
fn anthropic_delta(slot: u64, delta: Option<&Value>, out: &mut Vec<Piece>) {
    let delta = delta.unwrap_or(&Value::Null);
    match delta.get("type").and_then(Value::as_str) {
        Some("text_delta") => out.extend(text(delta, "text").map(Piece::Text)),
        Some("thinking_delta") => out.extend(text(delta, "thinking").map(Piece::Reasoning)),
        Some("input_json_delta") => out.extend(
            text(delta, "partial_json")
                .filter(|p| !p.is_empty())
                .map(|part| Piece::ToolArgs { slot, part }),
        ),
        _ => {}
    }
}

/// A content block begins: a `tool_use` block names the tool (its input comes in deltas).
fn anthropic_block(slot: u64, block: Option<&Value>, out: &mut Vec<Piece>) {
    let block = block.unwrap_or(&Value::Null);
    let kind = block.get("type").and_then(Value::as_str);
    if matches!(kind, Some("tool_use" | "server_tool_use")) {
        out.push(Piece::ToolStart {
            slot,
            name: text(block, "name"),
            id: text(block, "id"),
        });
    }
}

fn anthropic_usage(usage: Option<&Value>, out: &mut Vec<Piece>) {
    if let Some(usage) = usage.filter(|u| u.is_object()) {
        out.push(Piece::Usage(Usage {
            input: number(usage, "input_tokens"),
            output: number(usage, "output_tokens"),
        }));
    }
}

/// Gemini: the first candidate's parts and finish, and the usage so far.
fn gemini(v: &Value, out: &mut Vec<Piece>) {
    let candidate = v.get("candidates").and_then(|c| c.get(0));
    let parts = candidate
        .and_then(|c| c.get("content"))
        .and_then(|c| c.get("parts"))
        .and_then(Value::as_array);
    for (slot, part) in (0u64..).zip(parts.into_iter().flatten()) {
        gemini_part(slot, part, out);
    }
    if let Some(reason) = candidate.and_then(|c| text(c, "finishReason")) {
        out.push(Piece::Finish(reason));
    }
    if let Some(usage) = v.get("usageMetadata").filter(|u| u.is_object()) {
        let output = match (
            number(usage, "candidatesTokenCount"),
            number(usage, "thoughtsTokenCount"),
        ) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        out.push(Piece::Usage(Usage {
            input: number(usage, "promptTokenCount"),
            output,
        }));
    }
}

/// A part: text, a thought, or a whole function call.
fn gemini_part(slot: u64, part: &Value, out: &mut Vec<Piece>) {
    if let Some(s) = text(part, "text") {
        let thought = part.get("thought").and_then(Value::as_bool) == Some(true);
        out.push(if thought {
            Piece::Reasoning(s)
        } else {
            Piece::Text(s)
        });
    } else if let Some(call) = part.get("functionCall") {
        let (name, id) = (text(call, "name"), text(call, "id"));
        whole_call(out, slot, name, id, call.get("args"));
    }
}

/// Ollama: a chunk's thinking, answer text and whole tool calls; the last one's finish
/// and token counts.
fn ollama(done: bool, v: &Value, out: &mut Vec<Piece>) {
    let message = v.get("message").unwrap_or(&Value::Null);
    for s in [text(message, "thinking"), text(v, "thinking")]
        .into_iter()
        .flatten()
    {
        out.push(Piece::Reasoning(s));
    }
    for s in [text(message, "content"), text(v, "response")]
        .into_iter()
        .flatten()
    {
        out.push(Piece::Text(s));
    }
    let calls = message.get("tool_calls").and_then(Value::as_array);
    for (slot, call) in (0u64..).zip(calls.into_iter().flatten()) {
        let function = call.get("function").unwrap_or(&Value::Null);
        let (name, id) = (text(function, "name"), text(call, "id"));
        whole_call(out, slot, name, id, function.get("arguments"));
    }
    if done {
        let reason = text(v, "done_reason").unwrap_or_else(|| "stop".into());
        out.push(Piece::Finish(reason));
        let usage = Usage {
            input: number(v, "prompt_eval_count"),
            output: number(v, "eval_count"),
        };
        if usage != Usage::default() {
            out.push(Piece::Usage(usage));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ollama_text_thinking_tool_calls_finish_and_usage() {
        let chunk = r#"{"model":"m","message":{"role":"assistant","content":"Hi","thinking":"Hmm"},"done":false}"#;
        assert_eq!(of("message", chunk), [reasoning("Hmm"), answer("Hi")]);
        let generate = r#"{"model":"m","response":"lo","done":false}"#;
        assert_eq!(of("message", generate), [answer("lo")]);
        let call = r#"{"model":"m","message":{"role":"assistant","content":"","tool_calls":[{"function":{"name":"get_weather","arguments":{"city":"Paris"}}}]},"done":false}"#;
        assert_eq!(
            of("message", call),
            [
                answer(""),
                Piece::ToolStart {
                    slot: 0,
                    name: Some("get_weather".into()),
                    id: None
                },
                Piece::ToolEnd {
                    slot: 0,
                    arguments: Some(r#"{"city":"Paris"}"#.into())
                }
            ]
        );
        let last = r#"{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","prompt_eval_count":26,"eval_count":298}"#;
        assert_eq!(
            of("message", last),
            [
                answer(""),
                Piece::Finish("stop".into()),
                Piece::Usage(Usage {
                    input: Some(26),
                    output: Some(298)
                })
            ]
        );
    }

    fn of(event_type: &str, data: &str) -> Vec<Piece> {
        pieces(&EventRef::with(event_type, data, ""))
    }

    fn reasoning(s: &str) -> Piece {
        Piece::Reasoning(s.into())
    }

    fn answer(s: &str) -> Piece {
        Piece::Text(s.into())
    }

    #[test]
    fn openai_chat_reasoning_text_tool_calls_finish_and_usage() {
        let role = r#"{"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}"#;
        assert_eq!(of("message", role), [answer("")]);
        assert!(!of("message", role)[0].is_token());
        let think = r#"{"object":"chat.completion.chunk","choices":[{"index":0,"delta":{"reasoning_content":"Hmm."}}]}"#;
        assert_eq!(of("message", think), [reasoning("Hmm.")]);
        let think = r#"{"choices":[{"index":0,"delta":{"reasoning":"Hm"}}]}"#;
        assert_eq!(of("message", think), [reasoning("Hm")]);
        let first = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]}}]}"#;
        assert_eq!(
            of("message", first),
            [Piece::ToolStart {
                slot: 1,
                name: Some("get_time".into()),
                id: Some("call_b".into())
            }]
        );
        let args = r#"{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{\"tz\""}}]}}]}"#;
        assert_eq!(
            of("message", args),
            [Piece::ToolArgs {
                slot: 1,
                part: "{\"tz\"".into()
            }]
        );
        let finish =
            r#"{"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":null}"#;
        assert_eq!(of("message", finish), [Piece::Finish("tool_calls".into())]);
        let usage = r#"{"choices":[],"usage":{"prompt_tokens":19,"completion_tokens":42,"total_tokens":61}}"#;
        assert_eq!(
            of("message", usage),
            [Piece::Usage(Usage {
                input: Some(19),
                output: Some(42)
            })]
        );
    }

    #[test]
    fn responses_reasoning_text_function_calls_sequence_and_usage() {
        let delta = r#"{"type":"response.reasoning_summary_text.delta","item_id":"rs_1","output_index":0,"summary_index":0,"delta":"Weighing","sequence_number":4}"#;
        assert_eq!(
            of("response.reasoning_summary_text.delta", delta),
            [Piece::Sequence(4), reasoning("Weighing")]
        );
        let delta = r#"{"type":"response.reasoning_text.delta","output_index":0,"delta":"raw","sequence_number":5}"#;
        assert_eq!(
            of("response.reasoning_text.delta", delta),
            [Piece::Sequence(5), reasoning("raw")]
        );
        let added = r#"{"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"get_weather","arguments":"","status":"in_progress"},"sequence_number":6}"#;
        assert_eq!(
            of("response.output_item.added", added)[1],
            Piece::ToolStart {
                slot: 1,
                name: Some("get_weather".into()),
                id: Some("call_1".into())
            }
        );
        let done = r#"{"type":"response.function_call_arguments.done","item_id":"fc_1","output_index":1,"arguments":"{\"city\":\"Paris\"}","sequence_number":9}"#;
        assert_eq!(
            of("response.function_call_arguments.done", done)[1],
            Piece::ToolEnd {
                slot: 1,
                arguments: Some("{\"city\":\"Paris\"}".into())
            }
        );
        let completed = r#"{"type":"response.completed","sequence_number":12,"response":{"id":"resp_1","status":"completed","usage":{"input_tokens":36,"output_tokens":87,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":123}}}"#;
        assert_eq!(
            of("response.completed", completed),
            [
                Piece::Sequence(12),
                Piece::Finish("completed".into()),
                Piece::Usage(Usage {
                    input: Some(36),
                    output: Some(87)
                })
            ]
        );
        let incomplete = r#"{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"}}}"#;
        assert_eq!(
            of("response.incomplete", incomplete),
            [Piece::Finish("incomplete (max_output_tokens)".into())]
        );
    }

    #[test]
    fn anthropic_thinking_text_tool_use_stop_reason_and_usage() {
        let start = r#"{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"usage":{"input_tokens":472,"output_tokens":2}}}"#;
        assert_eq!(
            of("message_start", start),
            [Piece::Usage(Usage {
                input: Some(472),
                output: Some(2)
            })]
        );
        let think = r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me see"}}"#;
        assert_eq!(of("content_block_delta", think), [reasoning("Let me see")]);
        let sig = r#"{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EqQB"}}"#;
        assert_eq!(of("content_block_delta", sig), []);
        let text = r#"{"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Sure."}}"#;
        assert_eq!(of("content_block_delta", text), [answer("Sure.")]);
        let tool = r#"{"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{}}}"#;
        assert_eq!(
            of("content_block_start", tool),
            [Piece::ToolStart {
                slot: 2,
                name: Some("get_weather".into()),
                id: Some("toolu_1".into())
            }]
        );
        let json = r#"{"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\": "}}"#;
        assert_eq!(
            of("content_block_delta", json),
            [Piece::ToolArgs {
                slot: 2,
                part: "{\"city\": ".into()
            }]
        );
        let stop = r#"{"type":"content_block_stop","index":2}"#;
        assert_eq!(
            of("content_block_stop", stop),
            [Piece::ToolEnd {
                slot: 2,
                arguments: None
            }]
        );
        let delta = r#"{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}"#;
        assert_eq!(
            of("message_delta", delta),
            [
                Piece::Finish("tool_use".into()),
                Piece::Usage(Usage {
                    input: None,
                    output: Some(89)
                })
            ]
        );
    }

    #[test]
    fn gemini_thoughts_text_function_calls_and_cumulative_usage() {
        let chunk = r#"{"candidates":[{"content":{"parts":[{"text":"Thinking it over","thought":true},{"text":"Paris"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":1,"thoughtsTokenCount":20}}"#;
        assert_eq!(
            of("message", chunk),
            [
                reasoning("Thinking it over"),
                answer("Paris"),
                Piece::Usage(Usage {
                    input: Some(9),
                    output: Some(21)
                })
            ]
        );
        let call = r#"{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},"finishReason":"STOP"}]}"#;
        assert_eq!(
            of("message", call),
            [
                Piece::ToolStart {
                    slot: 0,
                    name: Some("get_weather".into()),
                    id: None
                },
                Piece::ToolEnd {
                    slot: 0,
                    arguments: Some("{\"city\":\"Paris\"}".into())
                },
                Piece::Finish("STOP".into())
            ]
        );
        let mut usage = Usage {
            input: Some(9),
            output: Some(21),
        };
        usage.update(Usage {
            input: None,
            output: Some(30),
        });
        assert_eq!(
            usage,
            Usage {
                input: Some(9),
                output: Some(30)
            }
        );
    }

    #[test]
    fn other_data_has_no_pieces() {
        for data in ["tick", "[DONE]", "{\"n\":1}", "{not json", "[1,2]"] {
            assert_eq!(of("message", data), [], "{data}");
        }
    }
}
