// libFuzzer target for what parses an authenticated client's JSON body
// after the HTTP layer: the /v1/chat/completions and /v1/completions
// readers (local and cloud mode), and the grammar compiler, fed both the
// raw bytes as grammar text and (when the body is one) a response_format's
// JSON schema turned into a grammar. Whatever the bytes, nothing may crash,
// leak, hit undefined behaviour or grow without bound; what is accepted
// must be what the routes rely on.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "engine/sample/grammar.h"
#include "service/api/json_body.h"
#include "service/api/json_schema_grammar.h"
#include "service/api/openai_request.h"

using namespace clawbot;
using namespace clawbot::service;

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

void fuzz_body(std::string_view bytes) {
    auto parsed = parse_json_object(bytes);
    auto* body = std::get_if<nlohmann::json>(&parsed);
    if (!body) return;
    for (const bool forward : {false, true}) {
        const OpenAiLimits limits{4096, forward};
        auto chat = parse_openai_request(*body, limits);
        if (auto* p = std::get_if<OpenAiParams>(&chat)) {
            check(!p->completion.messages.empty());
            check(p->completion.top_logprobs <= 20);
            check(p->completion.logit_bias.size() <= 300);
            check(forward == !p->completion.upstream_fields.empty());
        } else {
            check(!std::get<BadRequest>(chat).message.empty());
        }
        auto text = parse_text_completion_request(*body, limits);
        if (auto* p = std::get_if<OpenAiParams>(&text)) check(p->completion.raw_prompt.has_value());
    }
    // Whatever object is there, as a schema.
    auto schema = json_schema_grammar(*body);
    if (schema) {
        auto grammar = Grammar::parse(*schema);
        check(grammar.ok());  // the converter only writes grammars that compile
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    fuzz_body(bytes);
    auto grammar = Grammar::parse(bytes);
    if (grammar) {
        GrammarMatcher matcher(std::make_shared<const Grammar>(std::move(grammar).value()));
        matcher.accept_bytes(bytes.substr(0, 64));
        (void)matcher.can_end();
    }
    return 0;
}
