//! The first content token of an LLM stream, for its time to first token (TTFT): the
//! first event that carries generated text, as load testers measure it. A role-only
//! chunk (`"delta":{"role":"assistant","content":""}`), `message_start`,
//! `response.created` and `content_block_start` carry none. Reasoning text and
//! tool-call arguments are generated tokens too, and count.

use serde_json::Value;

use crate::llm::Shape;
use crate::parser::EventRef;

/// Whether `ev`, an event of a stream of `shape`, carries a generated token.
pub fn carries_token(shape: Shape, ev: &EventRef<'_>) -> bool {
    let data = ev.data.trim_start();
    if !data.starts_with('{') {
        return false;
    }
    if shape == Shape::Anthropic && ev.event_type != "content_block_delta" {
        return false;
    }
    if shape == Shape::OpenAiResponses && !ev.event_type.ends_with(".delta") {
        return false;
    }
    let Ok(v) = serde_json::from_str::<Value>(data) else {
        return false;
    };
    match shape {
        Shape::OpenAiChat => v["choices"].as_array().is_some_and(|choices| {
            choices.iter().any(|c| {
                let delta = &c["delta"];
                ["content", "reasoning_content", "reasoning"]
                    .iter()
                    .any(|k| text(&delta[k]))
                    || delta["tool_calls"].as_array().is_some_and(|calls| {
                        calls
                            .iter()
                            .any(|call| text(&call["function"]["arguments"]))
                    })
            })
        }),
        // `response.output_text.delta`, `response.reasoning_text.delta`,
        // `response.function_call_arguments.delta`, ...: each carries `delta`.
        Shape::OpenAiResponses => text(&v["delta"]),
        Shape::Anthropic => {
            let delta = &v["delta"];
            ["text", "thinking", "partial_json"]
                .iter()
                .any(|k| text(&delta[k]))
        }
        Shape::Gemini => v["candidates"].as_array().is_some_and(|candidates| {
            candidates.iter().any(|c| {
                c["content"]["parts"].as_array().is_some_and(|parts| {
                    parts
                        .iter()
                        .any(|p| text(&p["text"]) || p.get("functionCall").is_some())
                })
            })
        }),
    }
}

/// A string with something in it.
fn text(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(event_type: &'a str, data: &'a str) -> EventRef<'a> {
        EventRef {
            event_type,
            data,
            id: "",
            id_set: false,
            retry: None,
            end: 0,
        }
    }

    #[test]
    fn a_role_only_chunk_is_not_a_token() {
        let chat = |delta: &str| {
            format!(
                r#"{{"object":"chat.completion.chunk","choices":[{{"index":0,"delta":{delta}}}]}}"#
            )
        };
        let yes = |d: &str| carries_token(Shape::OpenAiChat, &ev("message", &chat(d)));
        assert!(!yes(r#"{"role":"assistant","content":""}"#));
        assert!(!yes(r#"{"role":"assistant","content":null}"#));
        assert!(!yes("{}"));
        assert!(yes(r#"{"content":"The"}"#));
        assert!(yes(r#"{"reasoning_content":"Let me"}"#));
        assert!(yes(
            r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]}"#
        ));
        assert!(!yes(
            r#"{"tool_calls":[{"index":0,"id":"call_1","function":{"name":"f","arguments":""}}]}"#
        ));
        assert!(!carries_token(Shape::OpenAiChat, &ev("message", "[DONE]")));
        assert!(!carries_token(
            Shape::OpenAiChat,
            &ev("message", "{not json")
        ));
    }

    #[test]
    fn tokens_of_responses_anthropic_and_gemini() {
        let responses = |t, d| carries_token(Shape::OpenAiResponses, &ev(t, d));
        assert!(!responses(
            "response.created",
            r#"{"type":"response.created","response":{}}"#
        ));
        assert!(responses(
            "response.output_text.delta",
            r#"{"type":"response.output_text.delta","delta":"Hi"}"#
        ));
        assert!(!responses(
            "response.output_text.delta",
            r#"{"type":"response.output_text.delta","delta":""}"#
        ));
        let anthropic = |t, d| carries_token(Shape::Anthropic, &ev(t, d));
        assert!(!anthropic("message_start", r#"{"type":"message_start"}"#));
        assert!(!anthropic(
            "content_block_start",
            r#"{"content_block":{"type":"text","text":""}}"#
        ));
        assert!(anthropic(
            "content_block_delta",
            r#"{"delta":{"type":"text_delta","text":"Hello"}}"#
        ));
        assert!(anthropic(
            "content_block_delta",
            r#"{"delta":{"type":"thinking_delta","thinking":"Hm"}}"#
        ));
        let gemini = |d| carries_token(Shape::Gemini, &ev("message", d));
        assert!(gemini(
            r#"{"candidates":[{"content":{"parts":[{"text":"a"}]}}]}"#
        ));
        assert!(!gemini(r#"{"candidates":[{"content":{"parts":[]}}]}"#));
    }
}
