#!/usr/bin/env bash
# Builds the API body fuzzer (the OpenAI request readers, the JSON Schema to
# grammar converter, the grammar compiler and matcher, the forced tool-call
# grammars, and the readers of tool calls and reasoning in a model's reply,
# which is untrusted text too) with clang's
# libFuzzer (+ ASan, UBSan) and runs it for a bounded time from seed
# bodies. Exits non-zero if it cannot build or if the fuzzer finds a crash,
# leak, timeout or UB.
# usage: run_api_body_fuzzer.sh SOURCE_DIR BUILD_OUT_DIR SECONDS
set -euo pipefail

source "$(dirname "$0")/fuzz_setup.sh"

api=$source_dir/src/service/api
provider=$source_dir/src/service/provider
fuzz_build api_body_fuzzer "$source_dir/tests/fuzz/api_body_fuzzer.cpp" \
    "$api"/json_body.cpp "$api"/openai_request.cpp "$api"/openai_tools.cpp "$api"/json_schema_grammar.cpp \
    "$provider"/tool_call_syntax.cpp "$provider"/tool_call_grammar.cpp "$provider"/reply_splitter.cpp \
    "$source_dir"/src/service/http/http_message.cpp "$source_dir"/src/engine/sample/grammar_parser.cpp \
    "$source_dir"/src/engine/sample/grammar_matcher.cpp "$source_dir"/src/engine/sample/token_trie.cpp \
    "$source_dir"/src/engine/tokenizer/utf8.cpp

seeds=$out_dir/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$out_dir/corpus"
seed() { printf '%s' "$2" >"$seeds/$1"; }
seed chat '{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":[{"type":"text","text":"hi"}]}],"max_tokens":5,"temperature":0.5,"top_p":0.9,"stop":["\n"],"logprobs":true,"top_logprobs":3,"logit_bias":{"15":-100,"7":2.5},"presence_penalty":0.5,"seed":3,"stream":true,"stream_options":{"include_usage":true}}'
seed tools '{"messages":[{"role":"user","content":"w?"},{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"1"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"tool_choice":"required"}'
seed schema '{"type":"object","properties":{"name":{"type":"string","maxLength":20},"age":{"type":"integer","minimum":0,"maximum":150},"tags":{"type":"array","items":{"enum":["a","b",1,null]},"maxItems":3},"kind":{"anyOf":[{"const":"x"},{"type":"boolean"}]},"next":{"$ref":"#/$defs/node"}},"required":["name","age"],"additionalProperties":false,"$defs":{"node":{"type":["object","null"],"properties":{"v":{"type":"number"}}}}}'
seed reply_hermes '<think>hmm</think>
<tool_call>
{"name": "f", "arguments": {"a": [1, "x"]}}
</tool_call>'
seed reply_mistral '[TOOL_CALLS][{"name": "f", "arguments": {}, "id": "abcDEF123"}]'
seed reply_harmony '<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>commentary to=functions.f <|constrain|>json<|message|>{"a":1}'
seed reply_deepseek '<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>f
```json
{"a":1}
```<｜tool▁call▁end｜><｜tool▁calls▁end｜>'
seed completion '{"prompt":["Once upon"],"max_tokens":8,"logprobs":2,"echo":false,"best_of":1}'
seed grammar 'root ::= "{" ws pair ("," ws pair)* "}" ws
pair ::= "\"" [a-z]+ "\":" ws ( [0-9]{1,3} | "\"" [^"\\]* "\"" )
ws ::= [ \t\n]{0,4}'

UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$out_dir/api_body_fuzzer" "$out_dir/corpus" "$seeds" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 -timeout=10 \
    -artifact_prefix="$out_dir/" -print_final_stats=1
echo "fuzzing for ${seconds}s found nothing"
