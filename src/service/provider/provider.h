#pragma once
// Where answers come from: the local engine, or (cloud mode) an upstream
// OpenAI-compatible API. The service talks only to this interface and
// knows nothing of tensors or tokens.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace clawbot::service {

// A call an assistant turn made, as the client sent it back.
struct TurnToolCall {
    std::string id;
    std::string name;
    std::string arguments;  // JSON object text
};

struct ChatTurn {
    ChatTurn() = default;
    ChatTurn(std::string role_, std::string content_) : role(std::move(role_)), content(std::move(content_)) {}

    std::string role;  // "system", "user", "assistant" or "tool"
    std::string content;
    std::vector<TurnToolCall> tool_calls;  // assistant
    std::string tool_call_id;              // tool: the call it answers
    std::string name;                      // tool: the function's name, when given
};

// OpenAI's tool_choice, for the local model.
enum class ToolChoice {
    Auto,      // the model decides: calls are read from what it writes
    None,      // no tools: they are not shown to the model
    Required,  // one call or more, to any of the tools, forced by a grammar
    Named,     // a call to CompletionRequest::tool_name, forced by a grammar
};

struct LogitBias {
    int32_t token = 0;  // the model's token id
    float bias = 0;     // added to its logit: -100 bans it, +100 all but forces it
};

struct CompletionRequest {
    std::vector<ChatTurn> messages;
    // /v1/completions: text continued as it is, without a chat template
    // (`messages` is empty then). Cloud mode asks the upstream's /completions.
    std::optional<std::string> raw_prompt;
    int max_tokens = 0;  // 0 = provider default
    float temperature = 0.8f;
    float top_p = 0.95f;
    std::optional<int> top_k;    // nullopt: the provider's default
    std::optional<float> min_p;  // nullopt: the provider's default
    float presence_penalty = 0.0f;
    float frequency_penalty = 0.0f;
    float repetition_penalty = 1.0f;
    std::vector<LogitBias> logit_bias;
    std::optional<uint64_t> seed;
    std::vector<std::string> stop;  // generation ends before any of these
    // -1: no log probabilities. 0..20: each token's, with this many of the
    // most likely alternatives at its position.
    int top_logprobs = -1;
    // Local model: a grammar (GBNF text, src/engine/sample/grammar.h) every
    // reply must follow, for response_format; "" = none.
    std::string grammar;
    // Local model, from /v1/chat/completions: the tools ("tools", a JSON
    // array of {"type": "function", "function": {name, description,
    // parameters}}, checked; "" = none) and how they may be used.
    std::string tools_json;
    ToolChoice tool_choice = ToolChoice::Auto;
    std::string tool_name;  // ToolChoice::Named
    bool parallel_tool_calls = true;
    // Cloud mode, from /v1/chat/completions: the client's fields as it sent
    // them (tools, response_format, penalties, ...; JSON object text) and its
    // messages (tool calls and results included; JSON array text). When set
    // they go to the upstream as given, in place of the typed fields above.
    std::string upstream_fields;
    std::string upstream_messages;
};

// Why a completion could not start, or failed before its first byte
// reached the client; maps onto an HTTP status (see respond_start_error).
enum class StartErrorCode {
    Overloaded,             // 429 with Retry-After
    ContextLengthExceeded,  // 400
    InvalidRequest,         // 400
    Unavailable,            // 503
    UpstreamFailed,         // 502: cloud mode, the upstream refused or broke
    UpstreamTimeout,        // 504: cloud mode, the upstream went silent
    Internal,               // 500: the engine failed
};

struct StartError {
    StartErrorCode code;
    std::string message;  // for the client: never holds a secret
    int retry_after_s = 1;  // for Overloaded
};

struct CompletionUsage {
    int prompt_tokens = 0;
    int completion_tokens = 0;
    int cached_tokens = 0;
    // Oldest messages left out of the prompt so the conversation fits the
    // context (local engine); the stored history keeps them.
    int truncated_turns = 0;
};

// ContentFilter comes from an upstream (cloud mode) only.
enum class FinishKind { Stop, Length, ToolCalls, ContentFilter, Cancelled };

// A generated token's log probability (natural log, of the model's own
// distribution: before penalties, biases and temperature).
struct TokenLogprob {
    struct Alternative {
        std::string token;
        float logprob = 0;
    };
    std::string token;  // its bytes: part of a UTF-8 character, at times
    float logprob = 0;
    std::vector<Alternative> top;  // the most likely tokens at its position, best first
};

// One piece of a reply. Only `content` comes from every provider.
struct CompletionDelta {
    std::string_view content;
    std::span<const TokenLogprob> logprobs;  // the tokens this piece came from, when asked for
    std::string_view reasoning;              // reasoning_content: the upstream's, or the local model's <think> text
    std::string_view tool_calls;             // delta.tool_calls (JSON array text): the upstream's, or the local model's calls
};

// Receives one completion, possibly on another thread; must not block.
class CompletionHandler {
public:
    virtual ~CompletionHandler() = default;
    virtual void on_delta(const CompletionDelta& delta) = 0;
    virtual void on_done(FinishKind finish, const CompletionUsage& usage) = 0;
    // Failure after start() succeeded (on_done is not called then). When no
    // on_delta came before, the client has seen nothing yet and can get the
    // error's own HTTP status; after that only an in-stream error is left.
    virtual void on_error(const StartError& error) = 0;
    // Every few seconds while waiting for a slot: place in the queue.
    virtual void on_queued(int /*position*/) {}
};

// Lets the caller stop a completion (client gone).
class CompletionControl {
public:
    virtual ~CompletionControl() = default;
    virtual void cancel() = 0;
};


// The started completion's control, or why it could not start.
using StartResult = Result<std::shared_ptr<CompletionControl>, StartError>;

// Receives the embeddings of a batch of inputs, once, off the engine thread.
class EmbeddingHandler {
public:
    virtual ~EmbeddingHandler() = default;
    // One unit-length vector per input, in the inputs' order.
    virtual void on_embeddings(std::vector<std::vector<float>> vectors, int prompt_tokens) = 0;
    virtual void on_error(const StartError& error) = 0;
};

class Provider {
public:
    virtual ~Provider() = default;
    virtual std::string model_name() const = 0;
    // Null when ready, else why not (for /readyz).
    virtual std::optional<std::string> not_ready_reason() const = 0;
    virtual int context_size() const = 0;
    // True when OpenAI fields this service does not implement (tools,
    // response_format, ...) reach a provider that does: cloud mode forwards
    // CompletionRequest::upstream_fields. Otherwise a request carrying one
    // is refused, never silently ignored.
    virtual bool forwards_openai_fields() const { return false; }
    virtual StartResult start(const CompletionRequest& request, std::shared_ptr<CompletionHandler> handler) = 0;
    // /v1/embeddings: the local model's mean-pooled, L2-normalised final
    // hidden states of each input, or (cloud mode) the upstream's vectors.
    virtual StartResult embed(std::vector<std::string> inputs, std::shared_ptr<EmbeddingHandler> handler) {
        (void)inputs;
        (void)handler;
        return StartError{StartErrorCode::InvalidRequest, "this provider has no embeddings"};
    }
    // Load figures for /metrics.
    struct Load {
        int running = 0;
        int queued = 0;
        int kv_blocks_total = 0;   // local engine only; 0 elsewhere
        int kv_blocks_free = 0;    // available (never used or evictable)
        int kv_blocks_cached = 0;  // unreferenced, holding reusable prefixes
        // The sliding-window layers' pool, likewise (0 for a model without one).
        int kv_window_blocks_total = 0;
        int kv_window_blocks_free = 0;
        int kv_window_blocks_cached = 0;
        uint64_t prefix_hit_tokens = 0;
        uint64_t generated_tokens = 0;
        uint64_t upstream_retries = 0;   // cloud mode only
        uint64_t upstream_failures = 0;  // cloud mode: completions that ended in an error
    };
    virtual Load load() const = 0;
};

}  // namespace clawbot::service
