# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_sse_global_optspecs
    string join \n color= h/help V/version
end

function __fish_sse_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_sse_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_sse_using_subcommand
    set -l cmd (__fish_sse_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c sse -n "__fish_sse_needs_command" -l color -d 'When to use colour: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sse -n "__fish_sse_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sse -n "__fish_sse_needs_command" -s V -l version -d 'Print version'
complete -c sse -n "__fish_sse_needs_command" -f -a "tail" -d 'Connect to an event stream and print its events as they arrive'
complete -c sse -n "__fish_sse_needs_command" -f -a "serve" -d 'Serve a scripted event stream (the built-in demo when no script is given)'
complete -c sse -n "__fish_sse_needs_command" -f -a "doctor" -d 'Watch a stream and report buffering and proxy problems, with fixes'
complete -c sse -n "__fish_sse_needs_command" -f -a "check" -d 'Check a live stream against a script (a recording from `tail --record` as it is)'
complete -c sse -n "__fish_sse_needs_command" -f -a "demo" -d 'Serve the built-in script on a free loopback port and tail it'
complete -c sse -n "__fish_sse_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c sse -n "__fish_sse_using_subcommand tail" -s e -l event -d 'Show only events of this type (repeatable)' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -l jq -d 'Run a jq filter on each event\'s data (parsed as JSON; a string when it is not), with $event (the type) and $id bound; print each result on a line, strings raw and other values as compact JSON. An error names the filter and the first event it failed on; later failures are only counted' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -l text -d 'Assemble text live, as a chat shows a reply: the string results of FILTER joined without newlines. Without FILTER, the answer of OpenAI chat completions (.choices[0].delta.content), OpenAI Responses (response.output_text.delta), Anthropic (content_block_delta .delta.text), Gemini (.candidates[0].content.parts) and Ollama (.message.content, .response) streams, and stdout is the answer alone: reasoning goes to stderr as it streams (dimmed on a terminal), each tool call to a stderr line once complete (`tool call NAME ARGUMENTS (id ID)`, the arguments checked to be JSON)' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -s H -l header -d 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -l last-event-id -d 'Send this Last-Event-ID on the first request, to resume a stream' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -l retry -d 'Reconnection time until the server sends `retry:` (e.g. 2s, 500ms; a bare number is milliseconds) [default: 3s]' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -s n -l count -d 'Exit after this many events have been shown' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -l timeout -d 'Give up connecting, or on a stream silent for this long (e.g. 30s, 1m)' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -s X -l method -d 'HTTP method [default: GET, or POST with --data]' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -s d -l data -d 'Request body; `@file` reads a file, `@-` standard input (implies POST)' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -l format -d 'How the stream is framed: auto (by the Content-Type: text/event-stream is sse, application/x-ndjson ndjson, application/json-seq json-seq, application/json json, another type an error; stdin is sse), or one of these whatever the Content-Type: sse (Server-Sent Events), ndjson (a JSON value per line: Ollama), json-seq (RFC 7464: 0x1E before each value), json (a JSON array, element by element: Gemini without ?alt=sse). Each JSON value is an event of type message, its data the value\'s compact JSON, no id; a value that is not JSON ends the stream (exit 1)' -r -f -a "auto\t''
sse\t''
ndjson\t''
json-seq\t''
json\t''"
complete -c sse -n "__fish_sse_using_subcommand tail" -l max-event-size -d 'Largest line or event accepted (e.g. 16MiB, 512KiB, 1G); for JSON streams, the largest value' -r
complete -c sse -n "__fish_sse_using_subcommand tail" -l record -d 'Also write what arrives to FILE as a script `sse serve` replays with the same gaps' -r -F
complete -c sse -n "__fish_sse_using_subcommand tail" -l color -d 'When to use colour: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sse -n "__fish_sse_using_subcommand tail" -l json -d 'Print one JSON object per event (NDJSON): event, data, id, time, gap_ms, connection. `data: [DONE]` (the end of an LLM stream) ends the stream and is not printed'
complete -c sse -n "__fish_sse_using_subcommand tail" -l raw -d 'Print the bytes of the stream as received, like `curl -N`'
complete -c sse -n "__fish_sse_using_subcommand tail" -l utc -d 'Show arrival times in UTC rather than local time (TZ); --json always uses UTC'
complete -c sse -n "__fish_sse_using_subcommand tail" -l stats -d 'Print a summary on stderr at the end: time to first byte and first event, events, events per second, gaps p50/p99/max; for an LLM stream also a line with its finish reason, the tokens it reports, time to first token, gaps between tokens, output tokens per second and lost Responses events (also without --stats when stderr is a terminal, unless --quiet)'
complete -c sse -n "__fish_sse_using_subcommand tail" -s v -l verbose -d 'Show request and response headers, comments and retry changes on stderr'
complete -c sse -n "__fish_sse_using_subcommand tail" -s q -l quiet -d 'No connection lifecycle lines and no live status line on stderr; errors are still shown'
complete -c sse -n "__fish_sse_using_subcommand tail" -l no-reconnect -d 'Exit when the stream ends instead of reconnecting'
complete -c sse -n "__fish_sse_using_subcommand tail" -l reconnect -d 'Reconnect even a stream opened with a method other than GET (re-sends the body)'
complete -c sse -n "__fish_sse_using_subcommand tail" -l mcp -d 'Speak MCP\'s Streamable HTTP (on by itself when the body is a JSON-RPC request): accept a JSON answer as well as a stream, show each JSON-RPC message with its id, method, result or error and the answer\'s latency, end at the answer to the request, send the Mcp-Session-Id the server assigns on later requests, resume a stream cut before the answer with a GET carrying Last-Event-ID; a request whose params._meta names its protocol version (2026-07-28) also gets the MCP-Protocol-Version, Mcp-Method and Mcp-Name headers'
complete -c sse -n "__fish_sse_using_subcommand tail" -s k -l insecure -d 'Accept any TLS certificate (self-signed development servers)'
complete -c sse -n "__fish_sse_using_subcommand tail" -l http1.1 -d 'Speak HTTP/1.1 only, even to a server that offers HTTP/2'
complete -c sse -n "__fish_sse_using_subcommand tail" -l http2 -d 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it'
complete -c sse -n "__fish_sse_using_subcommand tail" -l http2-prior-knowledge -d 'Speak HTTP/2 on http:// without asking first (h2c), as curl\'s flag of that name'
complete -c sse -n "__fish_sse_using_subcommand tail" -s h -l help -d 'Print help'
complete -c sse -n "__fish_sse_using_subcommand tail" -s V -l version -d 'Print version'
complete -c sse -n "__fish_sse_using_subcommand serve" -l bind -d 'Address to listen on' -r
complete -c sse -n "__fish_sse_using_subcommand serve" -s p -l port -d 'Port to listen on; 0 picks a free one (printed on stdout)' -r
complete -c sse -n "__fish_sse_using_subcommand serve" -l path -d 'URL path of the stream' -r
complete -c sse -n "__fish_sse_using_subcommand serve" -l interval -d 'Pause between events that have no @sleep of their own (e.g. 1s, 250ms)' -r
complete -c sse -n "__fish_sse_using_subcommand serve" -l speed -d 'Play every pause FACTOR times faster (`10` replays a recording at 10x, `0.5` at half speed)' -r
complete -c sse -n "__fish_sse_using_subcommand serve" -l fault -d 'Reproduce a breakage (repeatable): buffer (hold the body, send it with Content-Length), etag (as Rack::ETag), gzip (compress, flush only at the end), close-after=N (drop the connection after N events), http10 (answer as HTTP/1.0), content-type=TYPE, status=CODE; mid-stream: stall-after=N (silent after N events, connection kept open), reset-after=N (a TCP reset after N events), drip (events sent a few bytes at a time)' -r -f -a "buffer\t''
etag\t''
gzip\t''
close-after=\t''
http10\t''
content-type=\t''
status=\t''
stall-after=\t''
reset-after=\t''
drip\t''"
complete -c sse -n "__fish_sse_using_subcommand serve" -l cors -d 'Allow pages from this origin (or `*`) to open the stream (CORS)' -r
complete -c sse -n "__fish_sse_using_subcommand serve" -l color -d 'When to use colour: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sse -n "__fish_sse_using_subcommand serve" -l loop -d 'Replay the script forever'
complete -c sse -n "__fish_sse_using_subcommand serve" -l stamp -d 'Write `: sent-at <unix-ms>` before each event, so `sse doctor` can measure delays'
complete -c sse -n "__fish_sse_using_subcommand serve" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sse -n "__fish_sse_using_subcommand serve" -s V -l version -d 'Print version'
complete -c sse -n "__fish_sse_using_subcommand doctor" -l duration -d 'How long to watch the stream' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -s n -l count -d 'Stop watching after this many events' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -l max-delay -d 'Fail when an event arrives later than this after it was sent (needs `: sent-at` stamps)' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -s H -l header -d 'Add a request header, `Name: value` (repeatable)' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -l timeout -d 'Give up connecting after this long' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -s X -l method -d 'HTTP method [default: GET, or POST with --data]' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -s d -l data -d 'Request body; `@file` reads a file, `@-` standard input (implies POST)' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -l compare -d 'Also watch this URL of the same stream (the upstream, without the proxy) side by side, and report the delay the hops in between add to each event' -r
complete -c sse -n "__fish_sse_using_subcommand doctor" -l color -d 'When to use colour: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sse -n "__fish_sse_using_subcommand doctor" -l json -d 'Print the report as JSON'
complete -c sse -n "__fish_sse_using_subcommand doctor" -s k -l insecure -d 'Accept any TLS certificate (self-signed development servers)'
complete -c sse -n "__fish_sse_using_subcommand doctor" -l http1.1 -d 'Speak HTTP/1.1 only, even to a server that offers HTTP/2'
complete -c sse -n "__fish_sse_using_subcommand doctor" -l http2 -d 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it'
complete -c sse -n "__fish_sse_using_subcommand doctor" -l http2-prior-knowledge -d 'Speak HTTP/2 on http:// without asking first (h2c), as curl\'s flag of that name'
complete -c sse -n "__fish_sse_using_subcommand doctor" -l reconnect -d 'Let the probes send a request opened with a method other than GET again (the resume, compression and head probes reconnect; a POST can repeat an action or cost money)'
complete -c sse -n "__fish_sse_using_subcommand doctor" -l no-probes -d 'Skip the experiments after the watch (resume, compression, http2, head, arrival)'
complete -c sse -n "__fish_sse_using_subcommand doctor" -l mcp -d 'Examine an MCP endpoint (Streamable HTTP; also when the body is a JSON-RPC request) instead of watching a stream: which revision it speaks (the version initialize negotiates, the versions server/discover lists) and, by experiment, what that revision requires: for 2025-11-25 the session id honoured (400 without it, 404 for one never issued), 400 for an unsupported MCP-Protocol-Version and resumption by GET with Last-Event-ID; for 2026-07-28, 400 and -32020 for a missing Mcp-Method, 405 for GET and no session id'
complete -c sse -n "__fish_sse_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c sse -n "__fish_sse_using_subcommand doctor" -s V -l version -d 'Print version'
complete -c sse -n "__fish_sse_using_subcommand check" -l tolerance -d 'How much later than the script says an event may come, counted from the request and from the previous event' -r
complete -c sse -n "__fish_sse_using_subcommand check" -l timeout -d 'Give up connecting after this long, and wait this long past its time for an event that is late before calling it missing' -r
complete -c sse -n "__fish_sse_using_subcommand check" -l junit -d 'Also write the results to FILE as JUnit XML, which CI systems show' -r -F
complete -c sse -n "__fish_sse_using_subcommand check" -s H -l header -d 'Add a request header, `Name: value` (repeatable); `Name:` removes a default one (the check asks as a browser does, with `Accept-Encoding: gzip, deflate, br, zstd`)' -r
complete -c sse -n "__fish_sse_using_subcommand check" -s X -l method -d 'HTTP method [default: GET, or POST with --data]' -r
complete -c sse -n "__fish_sse_using_subcommand check" -s d -l data -d 'Request body; `@file` reads a file, `@-` standard input (implies POST)' -r
complete -c sse -n "__fish_sse_using_subcommand check" -l color -d 'When to use colour: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sse -n "__fish_sse_using_subcommand check" -l json -d 'Print one JSON object per expectation (the summary goes to stderr)'
complete -c sse -n "__fish_sse_using_subcommand check" -s q -l quiet -d 'Print only what failed, and the summary'
complete -c sse -n "__fish_sse_using_subcommand check" -l reconnect -d 'Let an `@close` in the script reconnect a request opened with a method other than GET (it re-sends the body: a POST can repeat an action or cost money)'
complete -c sse -n "__fish_sse_using_subcommand check" -s k -l insecure -d 'Accept any TLS certificate (self-signed development servers)'
complete -c sse -n "__fish_sse_using_subcommand check" -l http1.1 -d 'Speak HTTP/1.1 only, even to a server that offers HTTP/2'
complete -c sse -n "__fish_sse_using_subcommand check" -l http2 -d 'Require HTTP/2 (h2 by ALPN on https); fail if the server does not speak it'
complete -c sse -n "__fish_sse_using_subcommand check" -l http2-prior-knowledge -d 'Speak HTTP/2 on http:// without asking first (h2c), as curl\'s flag of that name'
complete -c sse -n "__fish_sse_using_subcommand check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c sse -n "__fish_sse_using_subcommand check" -s V -l version -d 'Print version'
complete -c sse -n "__fish_sse_using_subcommand demo" -l color -d 'When to use colour: auto (a terminal without NO_COLOR), always, never' -r -f -a "auto\t''
always\t''
never\t''"
complete -c sse -n "__fish_sse_using_subcommand demo" -l json -d 'Print events as JSON lines instead of the pretty view'
complete -c sse -n "__fish_sse_using_subcommand demo" -s h -l help -d 'Print help'
complete -c sse -n "__fish_sse_using_subcommand demo" -s V -l version -d 'Print version'
complete -c sse -n "__fish_sse_using_subcommand help; and not __fish_seen_subcommand_from tail serve doctor check demo help" -f -a "tail" -d 'Connect to an event stream and print its events as they arrive'
complete -c sse -n "__fish_sse_using_subcommand help; and not __fish_seen_subcommand_from tail serve doctor check demo help" -f -a "serve" -d 'Serve a scripted event stream (the built-in demo when no script is given)'
complete -c sse -n "__fish_sse_using_subcommand help; and not __fish_seen_subcommand_from tail serve doctor check demo help" -f -a "doctor" -d 'Watch a stream and report buffering and proxy problems, with fixes'
complete -c sse -n "__fish_sse_using_subcommand help; and not __fish_seen_subcommand_from tail serve doctor check demo help" -f -a "check" -d 'Check a live stream against a script (a recording from `tail --record` as it is)'
complete -c sse -n "__fish_sse_using_subcommand help; and not __fish_seen_subcommand_from tail serve doctor check demo help" -f -a "demo" -d 'Serve the built-in script on a free loopback port and tail it'
complete -c sse -n "__fish_sse_using_subcommand help; and not __fish_seen_subcommand_from tail serve doctor check demo help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
