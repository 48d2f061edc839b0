#pragma once
// The OpenAI chat-completions wire format as cloud mode speaks it: the
// request body we send, and the streamed chunks and error bodies we get back.
// Pure functions, so every odd upstream reply can be unit-tested.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "service/provider/provider.h"

namespace clawbot::service {

// A streaming request ("stream": true, usage asked for) for `model`. The
// client's own fields (request.upstream_fields) go as given, "model",
// "stream" and "stream_options" excepted. With request.raw_prompt it is a
// /completions body ("prompt"), else a /chat/completions one ("messages").
std::string upstream_request_body(const CompletionRequest& request, const std::string& model);

struct UpstreamChunk {
    std::string content;                       // delta text, "" when the chunk has none
    std::string reasoning;                     // reasoning_content (or "reasoning"), "" when none
    std::string tool_calls;                    // the tool_calls array as JSON text, "" when none
    std::vector<TokenLogprob> logprobs;        // choices[0].logprobs.content
    std::optional<std::string> finish_reason;  // "stop", "length", ...
    std::optional<CompletionUsage> usage;      // the last chunk, when usage was asked for
    std::optional<std::string> error;          // {"error": {...}} sent inside the stream
};

// One SSE data payload (not "[DONE]"); nullopt when it is not a JSON object.
std::optional<UpstreamChunk> parse_upstream_chunk(std::string_view payload);

// A whole (non-streamed) chat.completion body, for upstreams that ignore
// "stream": its text, finish reason and usage; nullopt when malformed.
std::optional<UpstreamChunk> parse_upstream_completion(std::string_view body);

// An upstream's finish_reason as ours ("tool_calls", "content_filter" pass
// through; anything unknown is "stop").
FinishKind finish_kind_of(std::string_view finish_reason);

// What an error body says, in one short line: {"error": {"message": ...}}
// when it is one, else the start of the body. `secret` (the API key) is cut
// out wherever it appears, since some upstreams echo what they were sent.
std::string upstream_error_text(std::string_view body, std::string_view secret);

// The error code of {"error": {"code": "..."}}, or "".
std::string upstream_error_code(std::string_view body);

// `text` with every occurrence of `secret` replaced by "[redacted]".
std::string redact(std::string text, std::string_view secret);

// Seconds of a Retry-After header in its delta-seconds form; nullopt for
// dates or garbage (the caller's own backoff applies then).
std::optional<int> parse_retry_after(std::string_view value);

// What a refusal (an HTTP status other than 200, and its body) means for
// the client: 429 Overloaded (retry_after_s from the header, else 1), 5xx
// UpstreamFailed, 400/413/422 InvalidRequest (ContextLengthExceeded when
// the upstream says so), 401/403 a bad API_KEY (never quoting the body), 404
// a wrong URL or model. Of these, 429 and 5xx may be retried.
StartError upstream_refusal_error(int status, std::string_view body, std::string_view api_key,
                                  std::optional<int> retry_after);
inline bool upstream_refusal_retryable(int status) { return status == 429 || status >= 500; }

// The request body of /embeddings for `inputs`, floats asked for.
std::string upstream_embeddings_body(const std::vector<std::string>& inputs, const std::string& model);

struct UpstreamEmbeddings {
    std::vector<std::vector<float>> vectors;  // in the inputs' order
    int prompt_tokens = 0;
};
// An /embeddings reply: `expected` vectors (data[i].embedding arrays of
// numbers, placed by their index), or why it is not one.
Result<UpstreamEmbeddings> parse_upstream_embeddings(std::string_view body, size_t expected);

}  // namespace clawbot::service
