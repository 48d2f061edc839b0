// libFuzzer target for what parses an authenticated client's JSON body
// after the HTTP layer: the /v1/chat/completions and /v1/completions
// readers (local and cloud mode), the grammar compiler, fed both the
// raw bytes as grammar text and (when the body is one) a response_format's
// JSON schema turned into a grammar, and the forced tool-call grammars of
// an accepted request's tools; and, the bytes taken as a model's reply,
// the tool-call readers of every syntax and the reply splitter. Whatever the bytes, nothing may crash,
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
#include "service/provider/reply_splitter.h"
#include "service/provider/tool_call_grammar.h"
#include "service/provider/tool_call_syntax.h"

using namespace clawbot;
using namespace clawbot::service;

namespace {

void check(bool condition) {
    if (!condition) std::abort();
}

// Every forced-call grammar a request's tools give compiles.
void fuzz_forced_grammars(const CompletionRequest& c) {
    if (c.tools_json.empty()) return;
    const nlohmann::json tools = nlohmann::json::parse(c.tools_json, nullptr, false);
    check(tools.is_array());
    std::vector<ToolSpec> specs;
    for (const auto& t : tools) specs.push_back({t["function"]["name"].get<std::string>(), t["function"]["parameters"]});
    if (specs.size() > 4) specs.resize(4);  // bounded work per input
    for (const ToolCallSyntax syntax : kAllToolCallSyntaxes) {
        auto grammar = forced_tool_call_grammar(syntax, specs, c.parallel_tool_calls);
        if (grammar) check(Grammar::parse(*grammar).ok());
    }
}

struct NullHandler final : CompletionHandler {
    void on_delta(const CompletionDelta& d) override {
        if (!d.tool_calls.empty()) check(nlohmann::json::parse(d.tool_calls, nullptr, false).is_array());
    }
    void on_done(FinishKind, const CompletionUsage&) override {}
    void on_error(const StartError&) override {}
};

// The bytes as a model's reply: calls read back are well-formed, and the
// splitter never loses its footing however the stream is cut.
void fuzz_reply(std::string_view reply) {
    for (const ToolCallSyntax syntax : kAllToolCallSyntaxes) {
        const auto start = find_tool_call_start(syntax, reply);
        if (start) check(start->offset <= reply.size());
        if (auto calls = parse_tool_calls(syntax, reply)) {
            for (const ParsedToolCall& call : *calls) {
                check(!call.name.empty());
                check(nlohmann::json::parse(call.arguments, nullptr, false).is_object());
            }
        }
    }
    ReplySplitter splitter(std::make_shared<NullHandler>(),
                           ReplySplitting{.think = true, .starts_in_think = false, .tools = ToolCallSyntax::Hermes});
    for (size_t i = 0; i < reply.size(); i += 3) {
        CompletionDelta d;
        d.content = reply.substr(i, 3);
        splitter.on_delta(d);
    }
    splitter.on_done(FinishKind::Stop, CompletionUsage{});
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
            if (!forward) fuzz_forced_grammars(p->completion);
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
    fuzz_reply(bytes);
    auto grammar = Grammar::parse(bytes);
    if (grammar) {
        GrammarMatcher matcher(std::make_shared<const Grammar>(std::move(grammar).value()));
        matcher.accept_bytes(bytes.substr(0, 64));
        (void)matcher.can_end();
    }
    return 0;
}
