#pragma once
// Where answers come from: the local engine, or (cloud mode) an upstream
// OpenAI-compatible API. The service talks only to this interface and
// knows nothing of tensors or tokens.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace clawbot::service {

struct ChatTurn {
    std::string role;  // "system", "user" or "assistant"
    std::string content;
};

struct CompletionRequest {
    std::vector<ChatTurn> messages;
    int max_tokens = 0;  // 0 = provider default
    float temperature = 0.8f;
    float top_p = 0.95f;
    std::optional<uint64_t> seed;
    std::vector<std::string> stop;  // generation ends before any of these
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

enum class FinishKind { Stop, Length, Cancelled };

// Receives one completion, possibly on another thread; must not block.
class CompletionHandler {
public:
    virtual ~CompletionHandler() = default;
    virtual void on_delta(std::string_view text) = 0;
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

class Provider {
public:
    virtual ~Provider() = default;
    virtual std::string model_name() const = 0;
    // Null when ready, else why not (for /readyz).
    virtual std::optional<std::string> not_ready_reason() const = 0;
    virtual int context_size() const = 0;
    virtual StartResult start(const CompletionRequest& request, std::shared_ptr<CompletionHandler> handler) = 0;
    // Load figures for /metrics.
    struct Load {
        int running = 0;
        int queued = 0;
        int kv_blocks_total = 0;   // local engine only; 0 elsewhere
        int kv_blocks_free = 0;    // available (never used or evictable)
        int kv_blocks_cached = 0;  // unreferenced, holding reusable prefixes
        uint64_t prefix_hit_tokens = 0;
        uint64_t generated_tokens = 0;
        uint64_t upstream_retries = 0;   // cloud mode only
        uint64_t upstream_failures = 0;  // cloud mode: completions that ended in an error
    };
    virtual Load load() const = 0;
};

}  // namespace clawbot::service
