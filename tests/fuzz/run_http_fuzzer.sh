#!/usr/bin/env bash
# Builds the HTTP request fuzzer (header block, framing checks, body,
# JSON body parser) with clang's libFuzzer (+ ASan, UBSan) and runs it for
# a bounded time from seed requests. Exits non-zero if it cannot build or
# if the fuzzer finds a crash, leak, timeout or UB.
# usage: run_http_fuzzer.sh SOURCE_DIR BUILD_OUT_DIR SECONDS
set -euo pipefail

source "$(dirname "$0")/fuzz_setup.sh"

fuzz_build http_request_fuzzer "$source_dir/tests/fuzz/http_request_fuzzer.cpp" \
    "$source_dir"/src/service/http/request_head.cpp "$source_dir"/src/service/http/request_conversion.cpp \
    "$source_dir"/src/service/http/http_message.cpp "$source_dir"/src/service/api/json_body.cpp \
    "$source_dir"/src/engine/tokenizer/utf8.cpp -- -DBOOST_ASIO_NO_DEPRECATED -DBOOST_BEAST_USE_STD_STRING_VIEW

seeds=$out_dir/seeds
rm -rf "$seeds"
mkdir -p "$seeds" "$out_dir/corpus"
seed() { printf '%b' "$2" >"$seeds/$1"; }
seed get 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'
seed chat 'POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer cb_x\r\nContent-Type: application/json\r\nContent-Length: 44\r\n\r\n{"query":"hi","max_tokens":5,"stream":true}\n'
seed chunked 'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{"a":\r\n3;ext=1\r\n[1]\r\n1\r\n}\r\n0\r\nTrailer: t\r\n\r\n'
seed te_gzip 'POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n'
seed te_cl 'POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'
seed fold 'GET / HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n 2\r\n\r\n'
seed http10 'GET /?a=b HTTP/1.0\r\n\r\n'
seed expect 'PUT /api/v1/conversations/c1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}'
seed bare_lf 'GET / HTTP/1.1\nHost: x\n\n'

UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
"$out_dir/http_request_fuzzer" "$out_dir/corpus" "$seeds" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=20000 -timeout=10 \
    -artifact_prefix="$out_dir/" -print_final_stats=1
echo "fuzzing for ${seconds}s found nothing"
