#pragma once
// The engine's TokenSink for one served request. The engine thread only
// appends to a small per-request channel under a short lock and posts at
// most one drain at a time to a delivery executor; everything else happens
// in that drain, off the engine thread: stop-string matching, the
// handler's JSON and SSE framing, its metrics and log line, and releasing
// the handler (and with it the request's scope) once the request is done.
//
// The channel is bounded (max_pending_bytes of undelivered text and log
// probabilities): if the
// delivery threads fall that far behind, the request is cancelled and its
// client told why, rather than the engine waiting or memory growing. A slow
// *client* never fills it: the HTTP layer queues a stream's bytes per
// connection (and closes a connection that falls too far behind).
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "engine/scheduler/request.h"
#include "service/provider/provider.h"
#include "service/provider/stop_matcher.h"

namespace clawbot::service {

class DeliverySink final : public TokenSink, public std::enable_shared_from_this<DeliverySink> {
public:
    // Runs a job on a delivery thread; must not run it inline.
    using Post = std::function<void(std::function<void()>)>;
    static constexpr std::size_t kDefaultMaxPendingBytes = 1 << 20;

    DeliverySink(std::shared_ptr<CompletionHandler> handler, std::vector<std::string> stops,
                 std::shared_ptr<RequestControl> control, int truncated_turns, Post post,
                 std::size_t max_pending_bytes = kDefaultMaxPendingBytes);

    // For a request that asked for log probabilities: their tokens' text
    // comes from `tokenizer`, read on the engine thread while the model is
    // sure to be there.
    void report_logprobs(const Tokenizer* tokenizer) { tokenizer_ = tokenizer; }

    // Engine thread: append and make sure one drain is coming.
    void on_token(TokenId token, std::string_view text) override;
    void on_logprobs(TokenProbability chosen, std::span<const TokenProbability> top) override;
    void on_queued(int position) override;
    void on_finish(FinishReason reason, const Usage& usage, std::string_view error) override;

private:
    struct Finish {
        FinishReason reason;
        Usage usage;
        std::string error;
    };
    void schedule();  // mutex_ held
    void drain();     // delivery thread
    struct Piece {
        std::string text;
        std::vector<TokenLogprob> logprobs;  // of the tokens that made it, when asked for
    };
    void deliver_piece(Piece& piece);
    void deliver_finish(const Finish& finish, bool overflowed);

    // Delivery side (only the one running drain touches these).
    std::shared_ptr<CompletionHandler> handler_;
    StopMatcher stops_;
    const std::shared_ptr<RequestControl> control_;
    const int truncated_turns_;
    const Post post_;
    const std::size_t max_pending_bytes_;
    const Tokenizer* tokenizer_ = nullptr;
    // Log probabilities of tokens whose text the stop matcher still holds.
    std::vector<TokenLogprob> held_logprobs_;

    // The channel.
    std::mutex mutex_;
    std::deque<Piece> pieces_;
    std::vector<TokenLogprob> unplaced_logprobs_;  // engine side: tokens with no text yet (a split UTF-8 character)
    std::size_t pending_bytes_ = 0;
    std::optional<int> queue_position_;
    std::optional<Finish> finish_;
    bool drain_posted_ = false;
    bool overflowed_ = false;      // sticky: later tokens are dropped
    bool overflow_taken_ = false;  // a drain has reported it
};

}  // namespace clawbot::service
