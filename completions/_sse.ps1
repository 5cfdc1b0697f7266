
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'sse' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'sse'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'sse' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal without NO_COLOR), always, never')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Connect to an event stream and print its events as they arrive')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a scripted event stream (the built-in demo when no script is given)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Watch a stream and report buffering and proxy problems, with fixes')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a live stream against a script (a recording from `tail --record` as it is)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Serve the built-in script on a free loopback port and tail it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sse;tail' {
            [CompletionResult]::new('-e', '-e', [CompletionResultType]::ParameterName, 'Show only events of this type (repeatable)')
            [CompletionResult]::new('--event', '--event', [CompletionResultType]::ParameterName, 'Show only events of this type (repeatable)')
            [CompletionResult]::new('--jq', '--jq', [CompletionResultType]::ParameterName, 'Run a jq filter on each event''s data (parsed as JSON; a string when it is not), with $event (the type) and $id bound; print each result on a line, strings raw and other values as compact JSON. An error names the filter and the first event it failed on; later failures are only counted')
            [CompletionResult]::new('--text', '--text', [CompletionResultType]::ParameterName, 'Assemble text live, as a chat shows a reply: the string results of FILTER joined without newlines. Without FILTER, the answer of OpenAI chat completions (.choices[0].delta.content), OpenAI Responses (response.output_text.delta), Anthropic (content_block_delta .delta.text), Gemini (.candidates[0].content.parts) and Ollama (.message.content, .response) streams, and stdout is the answer alone: reasoning goes to stderr as it streams (dimmed on a terminal), each tool call to a stderr line once complete (`tool call NAME ARGUMENTS (id ID)`, the arguments checked to be JSON)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one')
            [CompletionResult]::new('--last-event-id', '--last-event-id', [CompletionResultType]::ParameterName, 'Send this Last-Event-ID on the first request, to resume a stream')
            [CompletionResult]::new('--retry', '--retry', [CompletionResultType]::ParameterName, 'Reconnection time until the server sends `retry:` (e.g. 2s, 500ms; a bare number is milliseconds) [default: 3s]')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Exit after this many events have been shown')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Exit after this many events have been shown')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up connecting, or on a stream silent for this long (e.g. 30s, 1m)')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'HTTP method [default: GET, or POST with --data]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'HTTP method [default: GET, or POST with --data]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Request body; `@file` reads a file, `@-` standard input (implies POST)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Request body; `@file` reads a file, `@-` standard input (implies POST)')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How the stream is framed: auto (by the Content-Type: text/event-stream is sse, application/x-ndjson ndjson, application/json-seq json-seq, application/json json, another type an error; stdin is sse), or one of these whatever the Content-Type: sse (Server-Sent Events), ndjson (a JSON value per line: Ollama), json-seq (RFC 7464: 0x1E before each value), json (a JSON array, element by element: Gemini without ?alt=sse). Each JSON value is an event of type message, its data the value''s compact JSON, no id; a value that is not JSON ends the stream (exit 1)')
            [CompletionResult]::new('--max-event-size', '--max-event-size', [CompletionResultType]::ParameterName, 'Largest line or event accepted (e.g. 16MiB, 512KiB, 1G); for JSON streams, the largest value')
            [CompletionResult]::new('--record', '--record', [CompletionResultType]::ParameterName, 'Also write what arrives to FILE as a script `sse serve` replays with the same gaps')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal without NO_COLOR), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per event (NDJSON): event, data, id, time, gap_ms, connection. `data: [DONE]` (the end of an LLM stream) ends the stream and is not printed')
            [CompletionResult]::new('--raw', '--raw', [CompletionResultType]::ParameterName, 'Print the bytes of the stream as received, like `curl -N`')
            [CompletionResult]::new('--utc', '--utc', [CompletionResultType]::ParameterName, 'Show arrival times in UTC rather than local time (TZ); --json always uses UTC')
            [CompletionResult]::new('--stats', '--stats', [CompletionResultType]::ParameterName, 'Print a summary on stderr at the end: time to first byte and first event, events, events per second, gaps p50/p99/max; for an LLM stream also a line with its finish reason, the tokens it reports, time to first token, gaps between tokens, output tokens per second and lost Responses events (also without --stats when stderr is a terminal, unless --quiet)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Show request and response headers, comments and retry changes on stderr')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Show request and response headers, comments and retry changes on stderr')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'No connection lifecycle lines and no live status line on stderr; errors are still shown')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'No connection lifecycle lines and no live status line on stderr; errors are still shown')
            [CompletionResult]::new('--no-reconnect', '--no-reconnect', [CompletionResultType]::ParameterName, 'Exit when the stream ends instead of reconnecting')
            [CompletionResult]::new('--reconnect', '--reconnect', [CompletionResultType]::ParameterName, 'Reconnect even a stream opened with a method other than GET (re-sends the body)')
            [CompletionResult]::new('--mcp', '--mcp', [CompletionResultType]::ParameterName, 'Speak MCP''s Streamable HTTP (on by itself when the body is a JSON-RPC request): accept a JSON answer as well as a stream, show each JSON-RPC message with its id, method, result or error and the answer''s latency, end at the answer to the request, send the Mcp-Session-Id the server assigns on later requests, resume a stream cut before the answer with a GET carrying Last-Event-ID; a request whose params._meta names its protocol version (2026-07-28) also gets the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (self-signed development servers)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (self-signed development servers)')
            [CompletionResult]::new('--http1.1', '--http1.1', [CompletionResultType]::ParameterName, 'Speak HTTP/1.1 only, even to a server that offers HTTP/2')
            [CompletionResult]::new('--http2', '--http2', [CompletionResultType]::ParameterName, 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it')
            [CompletionResult]::new('--http2-prior-knowledge', '--http2-prior-knowledge', [CompletionResultType]::ParameterName, 'Speak HTTP/2 on http:// without asking first (h2c), as curl''s flag of that name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sse;serve' {
            [CompletionResult]::new('--bind', '--bind', [CompletionResultType]::ParameterName, 'Address to listen on')
            [CompletionResult]::new('-p', '-p', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one (printed on stdout)')
            [CompletionResult]::new('--port', '--port', [CompletionResultType]::ParameterName, 'Port to listen on; 0 picks a free one (printed on stdout)')
            [CompletionResult]::new('--path', '--path', [CompletionResultType]::ParameterName, 'URL path of the stream')
            [CompletionResult]::new('--interval', '--interval', [CompletionResultType]::ParameterName, 'Pause between events that have no @sleep of their own (e.g. 1s, 250ms)')
            [CompletionResult]::new('--speed', '--speed', [CompletionResultType]::ParameterName, 'Play every pause FACTOR times faster (`10` replays a recording at 10x, `0.5` at half speed)')
            [CompletionResult]::new('--fault', '--fault', [CompletionResultType]::ParameterName, 'Reproduce a breakage (repeatable): buffer (hold the body, send it with Content-Length), etag (as Rack::ETag), gzip (compress, flush only at the end), close-after=N (drop the connection after N events), http10 (answer as HTTP/1.0), content-type=TYPE, status=CODE; mid-stream: stall-after=N (silent after N events, connection kept open), reset-after=N (a TCP reset after N events), drip (events sent a few bytes at a time)')
            [CompletionResult]::new('--cors', '--cors', [CompletionResultType]::ParameterName, 'Allow pages from this origin (or `*`) to open the stream (CORS)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal without NO_COLOR), always, never')
            [CompletionResult]::new('--loop', '--loop', [CompletionResultType]::ParameterName, 'Replay the script forever')
            [CompletionResult]::new('--stamp', '--stamp', [CompletionResultType]::ParameterName, 'Write `: sent-at <unix-ms>` before each event, so `sse doctor` can measure delays')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sse;doctor' {
            [CompletionResult]::new('--duration', '--duration', [CompletionResultType]::ParameterName, 'How long to watch the stream')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'Stop watching after this many events')
            [CompletionResult]::new('--count', '--count', [CompletionResultType]::ParameterName, 'Stop watching after this many events')
            [CompletionResult]::new('--max-delay', '--max-delay', [CompletionResultType]::ParameterName, 'Fail when an event arrives later than this after it was sent (needs `: sent-at` stamps)')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'HTTP method [default: GET, or POST with --data]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'HTTP method [default: GET, or POST with --data]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Request body; `@file` reads a file, `@-` standard input (implies POST)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Request body; `@file` reads a file, `@-` standard input (implies POST)')
            [CompletionResult]::new('--compare', '--compare', [CompletionResultType]::ParameterName, 'Also watch this URL of the same stream (the upstream, without the proxy) side by side, and report the delay the hops in between add to each event')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal without NO_COLOR), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print the report as JSON')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (self-signed development servers)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (self-signed development servers)')
            [CompletionResult]::new('--http1.1', '--http1.1', [CompletionResultType]::ParameterName, 'Speak HTTP/1.1 only, even to a server that offers HTTP/2')
            [CompletionResult]::new('--http2', '--http2', [CompletionResultType]::ParameterName, 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it')
            [CompletionResult]::new('--http2-prior-knowledge', '--http2-prior-knowledge', [CompletionResultType]::ParameterName, 'Speak HTTP/2 on http:// without asking first (h2c), as curl''s flag of that name')
            [CompletionResult]::new('--reconnect', '--reconnect', [CompletionResultType]::ParameterName, 'Let the probes send a request opened with a method other than GET again (the resume, compression and head probes reconnect; a POST can repeat an action or cost money)')
            [CompletionResult]::new('--no-probes', '--no-probes', [CompletionResultType]::ParameterName, 'Skip the experiments after the watch (resume, compression, http2, head, arrival)')
            [CompletionResult]::new('--mcp', '--mcp', [CompletionResultType]::ParameterName, 'Examine an MCP endpoint (Streamable HTTP; also when the body is a JSON-RPC request) instead of watching a stream: which revision it speaks (the version initialize negotiates, the versions server/discover lists) and, by experiment, what that revision requires: for 2025-11-25 the session id honoured (400 without it, 404 for one never issued), 400 for an unsupported MCP-Protocol-Version and resumption by GET with Last-Event-ID; for 2026-07-28, 400 and -32020 for a missing Mcp-Method, 405 for GET and no session id')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sse;check' {
            [CompletionResult]::new('--tolerance', '--tolerance', [CompletionResultType]::ParameterName, 'How much later than the script says an event may come, counted from the request and from the previous event')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Give up connecting after this long, and wait this long past its time for an event that is late before calling it missing')
            [CompletionResult]::new('--junit', '--junit', [CompletionResultType]::ParameterName, 'Also write the results to FILE as JUnit XML, which CI systems show')
            [CompletionResult]::new('-H', '-H ', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one (the check asks as a browser does, with `Accept-Encoding: gzip, deflate, br, zstd`)')
            [CompletionResult]::new('--header', '--header', [CompletionResultType]::ParameterName, 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one (the check asks as a browser does, with `Accept-Encoding: gzip, deflate, br, zstd`)')
            [CompletionResult]::new('-X', '-X ', [CompletionResultType]::ParameterName, 'HTTP method [default: GET, or POST with --data]')
            [CompletionResult]::new('--method', '--method', [CompletionResultType]::ParameterName, 'HTTP method [default: GET, or POST with --data]')
            [CompletionResult]::new('-d', '-d', [CompletionResultType]::ParameterName, 'Request body; `@file` reads a file, `@-` standard input (implies POST)')
            [CompletionResult]::new('--data', '--data', [CompletionResultType]::ParameterName, 'Request body; `@file` reads a file, `@-` standard input (implies POST)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal without NO_COLOR), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print one JSON object per expectation (the summary goes to stderr)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print only what failed, and the summary')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print only what failed, and the summary')
            [CompletionResult]::new('--reconnect', '--reconnect', [CompletionResultType]::ParameterName, 'Let an `@close` in the script reconnect a request opened with a method other than GET (it re-sends the body: a POST can repeat an action or cost money)')
            [CompletionResult]::new('-k', '-k', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (self-signed development servers)')
            [CompletionResult]::new('--insecure', '--insecure', [CompletionResultType]::ParameterName, 'Accept any TLS certificate (self-signed development servers)')
            [CompletionResult]::new('--http1.1', '--http1.1', [CompletionResultType]::ParameterName, 'Speak HTTP/1.1 only, even to a server that offers HTTP/2')
            [CompletionResult]::new('--http2', '--http2', [CompletionResultType]::ParameterName, 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it')
            [CompletionResult]::new('--http2-prior-knowledge', '--http2-prior-knowledge', [CompletionResultType]::ParameterName, 'Speak HTTP/2 on http:// without asking first (h2c), as curl''s flag of that name')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sse;demo' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour: auto (a terminal without NO_COLOR), always, never')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'Print events as JSON lines instead of the pretty view')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'sse;help' {
            [CompletionResult]::new('tail', 'tail', [CompletionResultType]::ParameterValue, 'Connect to an event stream and print its events as they arrive')
            [CompletionResult]::new('serve', 'serve', [CompletionResultType]::ParameterValue, 'Serve a scripted event stream (the built-in demo when no script is given)')
            [CompletionResult]::new('doctor', 'doctor', [CompletionResultType]::ParameterValue, 'Watch a stream and report buffering and proxy problems, with fixes')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check a live stream against a script (a recording from `tail --record` as it is)')
            [CompletionResult]::new('demo', 'demo', [CompletionResultType]::ParameterValue, 'Serve the built-in script on a free loopback port and tail it')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'sse;help;tail' {
            break
        }
        'sse;help;serve' {
            break
        }
        'sse;help;doctor' {
            break
        }
        'sse;help;check' {
            break
        }
        'sse;help;demo' {
            break
        }
        'sse;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
