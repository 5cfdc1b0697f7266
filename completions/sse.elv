
use builtin;
use str;

set edit:completion:arg-completer[sse] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'sse'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'sse'= {
            cand --color 'When to use colour: auto (a terminal without NO_COLOR), always, never'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand tail 'Connect to an event stream and print its events as they arrive'
            cand serve 'Serve a scripted event stream (the built-in demo when no script is given)'
            cand doctor 'Watch a stream and report buffering and proxy problems, with fixes'
            cand check 'Check a live stream against a script (a recording from `tail --record` as it is)'
            cand demo 'Serve the built-in script on a free loopback port and tail it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sse;tail'= {
            cand -e 'Show only events of this type (repeatable)'
            cand --event 'Show only events of this type (repeatable)'
            cand --jq 'Run a jq filter on each event''s data (parsed as JSON; a string when it is not), with $event (the type) and $id bound; print each result on a line, strings raw and other values as compact JSON. An error names the filter and the first event it failed on; later failures are only counted'
            cand --text 'Assemble text live, as a chat shows a reply: the string results of FILTER joined without newlines. Without FILTER, the answer of OpenAI chat completions (.choices[0].delta.content), OpenAI Responses (response.output_text.delta), Anthropic (content_block_delta .delta.text), Gemini (.candidates[0].content.parts) and Ollama (.message.content, .response) streams, and stdout is the answer alone: reasoning goes to stderr as it streams (dimmed on a terminal), each tool call to a stderr line once complete (`tool call NAME ARGUMENTS (id ID)`, the arguments checked to be JSON)'
            cand -H 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one'
            cand --header 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one'
            cand --last-event-id 'Send this Last-Event-ID on the first request, to resume a stream'
            cand --retry 'Reconnection time until the server sends `retry:` (e.g. 2s, 500ms; a bare number is milliseconds) [default: 3s]'
            cand -n 'Exit after this many events have been shown'
            cand --count 'Exit after this many events have been shown'
            cand --timeout 'Give up connecting, or on a stream silent for this long (e.g. 30s, 1m)'
            cand -X 'HTTP method [default: GET, or POST with --data]'
            cand --method 'HTTP method [default: GET, or POST with --data]'
            cand -d 'Request body; `@file` reads a file, `@-` standard input (implies POST)'
            cand --data 'Request body; `@file` reads a file, `@-` standard input (implies POST)'
            cand --format 'How the stream is framed: auto (by the Content-Type: text/event-stream is sse, application/x-ndjson ndjson, application/json-seq json-seq, application/json json, another type an error; stdin is sse), or one of these whatever the Content-Type: sse (Server-Sent Events), ndjson (a JSON value per line: Ollama), json-seq (RFC 7464: 0x1E before each value), json (a JSON array, element by element: Gemini without ?alt=sse). Each JSON value is an event of type message, its data the value''s compact JSON, no id; a value that is not JSON ends the stream (exit 1)'
            cand --max-event-size 'Largest line or event accepted (e.g. 16MiB, 512KiB, 1G); for JSON streams, the largest value'
            cand --record 'Also write what arrives to FILE as a script `sse serve` replays with the same gaps'
            cand --color 'When to use colour: auto (a terminal without NO_COLOR), always, never'
            cand --json 'Print one JSON object per event (NDJSON): event, data, id, time, gap_ms, connection. `data: [DONE]` (the end of an LLM stream) ends the stream and is not printed'
            cand --raw 'Print the bytes of the stream as received, like `curl -N`'
            cand --utc 'Show arrival times in UTC rather than local time (TZ); --json always uses UTC'
            cand --stats 'Print a summary on stderr at the end: time to first byte and first event, events, events per second, gaps p50/p99/max; for an LLM stream also a line with its finish reason, the tokens it reports, time to first token, gaps between tokens, output tokens per second and lost Responses events (also without --stats when stderr is a terminal, unless --quiet)'
            cand -v 'Show request and response headers, comments and retry changes on stderr'
            cand --verbose 'Show request and response headers, comments and retry changes on stderr'
            cand -q 'No connection lifecycle lines and no live status line on stderr; errors are still shown'
            cand --quiet 'No connection lifecycle lines and no live status line on stderr; errors are still shown'
            cand --no-reconnect 'Exit when the stream ends instead of reconnecting'
            cand --reconnect 'Reconnect even a stream opened with a method other than GET (re-sends the body)'
            cand --mcp 'Speak MCP''s Streamable HTTP (on by itself when the body is a JSON-RPC request): accept a JSON answer as well as a stream, show each JSON-RPC message with its id, method, result or error and the answer''s latency, end at the answer to the request, send the Mcp-Session-Id the server assigns on later requests, resume a stream cut before the answer with a GET carrying Last-Event-ID; a request whose params._meta names its protocol version (2026-07-28) also gets the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers'
            cand -k 'Accept any TLS certificate (self-signed development servers)'
            cand --insecure 'Accept any TLS certificate (self-signed development servers)'
            cand --http1.1 'Speak HTTP/1.1 only, even to a server that offers HTTP/2'
            cand --http2 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it'
            cand --http2-prior-knowledge 'Speak HTTP/2 on http:// without asking first (h2c), as curl''s flag of that name'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sse;serve'= {
            cand --bind 'Address to listen on'
            cand -p 'Port to listen on; 0 picks a free one (printed on stdout)'
            cand --port 'Port to listen on; 0 picks a free one (printed on stdout)'
            cand --path 'URL path of the stream'
            cand --interval 'Pause between events that have no @sleep of their own (e.g. 1s, 250ms)'
            cand --speed 'Play every pause FACTOR times faster (`10` replays a recording at 10x, `0.5` at half speed)'
            cand --fault 'Reproduce a breakage (repeatable): buffer (hold the body, send it with Content-Length), etag (as Rack::ETag), gzip (compress, flush only at the end), close-after=N (drop the connection after N events), http10 (answer as HTTP/1.0), content-type=TYPE, status=CODE; mid-stream: stall-after=N (silent after N events, connection kept open), reset-after=N (a TCP reset after N events), drip (events sent a few bytes at a time)'
            cand --cors 'Allow pages from this origin (or `*`) to open the stream (CORS)'
            cand --color 'When to use colour: auto (a terminal without NO_COLOR), always, never'
            cand --loop 'Replay the script forever'
            cand --stamp 'Write `: sent-at <unix-ms>` before each event, so `sse doctor` can measure delays'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sse;doctor'= {
            cand --duration 'How long to watch the stream'
            cand -n 'Stop watching after this many events'
            cand --count 'Stop watching after this many events'
            cand --max-delay 'Fail when an event arrives later than this after it was sent (needs `: sent-at` stamps)'
            cand -H 'Add a request header, `Name: value` (repeatable)'
            cand --header 'Add a request header, `Name: value` (repeatable)'
            cand --timeout 'Give up connecting after this long'
            cand -X 'HTTP method [default: GET, or POST with --data]'
            cand --method 'HTTP method [default: GET, or POST with --data]'
            cand -d 'Request body; `@file` reads a file, `@-` standard input (implies POST)'
            cand --data 'Request body; `@file` reads a file, `@-` standard input (implies POST)'
            cand --compare 'Also watch this URL of the same stream (the upstream, without the proxy) side by side, and report the delay the hops in between add to each event'
            cand --color 'When to use colour: auto (a terminal without NO_COLOR), always, never'
            cand --json 'Print the report as JSON'
            cand -k 'Accept any TLS certificate (self-signed development servers)'
            cand --insecure 'Accept any TLS certificate (self-signed development servers)'
            cand --http1.1 'Speak HTTP/1.1 only, even to a server that offers HTTP/2'
            cand --http2 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it'
            cand --http2-prior-knowledge 'Speak HTTP/2 on http:// without asking first (h2c), as curl''s flag of that name'
            cand --reconnect 'Let the probes send a request opened with a method other than GET again (the resume, compression and head probes reconnect; a POST can repeat an action or cost money)'
            cand --no-probes 'Skip the experiments after the watch (resume, compression, http2, head, arrival)'
            cand --mcp 'Examine an MCP endpoint (Streamable HTTP; also when the body is a JSON-RPC request) instead of watching a stream: which revision it speaks (the version initialize negotiates, the versions server/discover lists) and, by experiment, what that revision requires: for 2025-11-25 the session id honoured (400 without it, 404 for one never issued), 400 for an unsupported MCP-Protocol-Version and resumption by GET with Last-Event-ID; for 2026-07-28, 400 and -32020 for a missing Mcp-Method, 405 for GET and no session id'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sse;check'= {
            cand --tolerance 'How much later than the script says an event may come, counted from the request and from the previous event'
            cand --timeout 'Give up connecting after this long, and wait this long past its time for an event that is late before calling it missing'
            cand --junit 'Also write the results to FILE as JUnit XML, which CI systems show'
            cand -H 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one (the check asks as a browser does, with `Accept-Encoding: gzip, deflate, br, zstd`)'
            cand --header 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one (the check asks as a browser does, with `Accept-Encoding: gzip, deflate, br, zstd`)'
            cand -X 'HTTP method [default: GET, or POST with --data]'
            cand --method 'HTTP method [default: GET, or POST with --data]'
            cand -d 'Request body; `@file` reads a file, `@-` standard input (implies POST)'
            cand --data 'Request body; `@file` reads a file, `@-` standard input (implies POST)'
            cand --color 'When to use colour: auto (a terminal without NO_COLOR), always, never'
            cand --json 'Print one JSON object per expectation (the summary goes to stderr)'
            cand -q 'Print only what failed, and the summary'
            cand --quiet 'Print only what failed, and the summary'
            cand --reconnect 'Let an `@close` in the script reconnect a request opened with a method other than GET (it re-sends the body: a POST can repeat an action or cost money)'
            cand -k 'Accept any TLS certificate (self-signed development servers)'
            cand --insecure 'Accept any TLS certificate (self-signed development servers)'
            cand --http1.1 'Speak HTTP/1.1 only, even to a server that offers HTTP/2'
            cand --http2 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it'
            cand --http2-prior-knowledge 'Speak HTTP/2 on http:// without asking first (h2c), as curl''s flag of that name'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sse;demo'= {
            cand --color 'When to use colour: auto (a terminal without NO_COLOR), always, never'
            cand --json 'Print events as JSON lines instead of the pretty view'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'sse;help'= {
            cand tail 'Connect to an event stream and print its events as they arrive'
            cand serve 'Serve a scripted event stream (the built-in demo when no script is given)'
            cand doctor 'Watch a stream and report buffering and proxy problems, with fixes'
            cand check 'Check a live stream against a script (a recording from `tail --record` as it is)'
            cand demo 'Serve the built-in script on a free loopback port and tail it'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'sse;help;tail'= {
        }
        &'sse;help;serve'= {
        }
        &'sse;help;doctor'= {
        }
        &'sse;help;check'= {
        }
        &'sse;help;demo'= {
        }
        &'sse;help;help'= {
        }
    ]
    $completions[$command]
}
