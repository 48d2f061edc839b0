#pragma once
// Reading a /v1/chat/completions or /v1/completions body into a CompletionRequest. Every field
// the OpenAI API defines is either implemented, forwarded (cloud mode), or
// refused with a 400 that names it: never accepted and silently ignored.
// docs/api.md lists which is which.
#include <variant>

#include <nlohmann/json.hpp>

#include "service/api/json_body.h"
#include "service/provider/provider.h"

namespace clawbot::service {

struct OpenAiParams {
    CompletionRequest completion;
    bool stream = false;
    bool include_usage = false;
    bool logprobs = false;  // the reply carries choices[].logprobs
    // response_format json_schema (local model): the answer is checked
    // against it too, where the grammar is looser (json_schema_grammar.h).
    std::optional<nlohmann::json> schema;
};

// A response_format (or the native API's "format") for the local model:
// {"type": "text"}, {"type": "json_object"} or {"type": "json_schema",
// "json_schema": {"name", "schema", "strict"}}; sets completion.grammar
// and, for a schema, `schema`. `param` names the field in errors.
std::optional<BadRequest> read_response_format(const nlohmann::json& format, const std::string& param,
                                               CompletionRequest& completion, std::optional<nlohmann::json>& schema);

struct OpenAiLimits {
    int context_size = 0;     // max_tokens above it is refused
    bool forward = false;     // cloud mode: unimplemented fields go to the upstream
};

std::variant<OpenAiParams, BadRequest> parse_openai_request(const nlohmann::json& body, const OpenAiLimits& limits);
// /v1/completions: a "prompt" string continued as it is, no chat template.
std::variant<OpenAiParams, BadRequest> parse_text_completion_request(const nlohmann::json& body, const OpenAiLimits& limits);

}  // namespace clawbot::service
