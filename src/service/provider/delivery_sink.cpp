#include "service/provider/delivery_sink.h"

namespace clawbot::service {
namespace {

// What a piece holds in memory: its text and its log-probability entries
// (each alternative's text), so a request asking for 20 alternatives per
// token is bounded like one that asks for none.
std::size_t held_bytes(std::string_view text, const std::vector<TokenLogprob>& logprobs) {
    std::size_t bytes = text.size();
    for (const TokenLogprob& l : logprobs) {
        bytes += sizeof(TokenLogprob) + l.token.size();
        for (const TokenLogprob::Alternative& a : l.top) bytes += sizeof(a) + a.token.size();
    }
    return bytes;
}

}  // namespace

DeliverySink::DeliverySink(std::shared_ptr<CompletionHandler> handler, std::vector<std::string> stops,
                           std::shared_ptr<RequestControl> control, int truncated_turns, Post post,
                           std::size_t max_pending_bytes)
    : handler_(std::move(handler)),
      stops_(std::move(stops)),
      control_(std::move(control)),
      truncated_turns_(truncated_turns),
      post_(std::move(post)),
      max_pending_bytes_(max_pending_bytes) {}

void DeliverySink::schedule() {
    if (drain_posted_) return;
    drain_posted_ = true;
    post_([self = shared_from_this()] { self->drain(); });
}

void DeliverySink::on_logprobs(TokenProbability chosen, std::span<const TokenProbability> top) {
    if (!tokenizer_) return;
    TokenLogprob entry{tokenizer_->token_to_piece(chosen.token), chosen.logprob, {}};
    entry.top.reserve(top.size());
    for (const TokenProbability& t : top) entry.top.push_back({tokenizer_->token_to_piece(t.token), t.logprob});
    std::lock_guard lock(mutex_);
    unplaced_logprobs_.push_back(std::move(entry));
}

void DeliverySink::on_token(TokenId, std::string_view text) {
    if (text.empty()) return;
    std::lock_guard lock(mutex_);
    if (overflowed_ || finish_) return;
    const std::size_t bytes = held_bytes(text, unplaced_logprobs_);
    if (pending_bytes_ + bytes > max_pending_bytes_) {
        // The delivery threads are this far behind: stop generating for
        // this request (the engine frees it at its next step) and tell the
        // client once the drain gets here.
        overflowed_ = true;
        control_->cancel();
        schedule();
        return;
    }
    pending_bytes_ += bytes;
    pieces_.push_back(Piece{std::string(text), std::move(unplaced_logprobs_)});
    unplaced_logprobs_.clear();
    schedule();
}

void DeliverySink::on_queued(int position) {
    std::lock_guard lock(mutex_);
    queue_position_ = position;
    schedule();
}

void DeliverySink::on_finish(FinishReason reason, const Usage& usage, std::string_view error) {
    std::lock_guard lock(mutex_);
    finish_ = Finish{reason, usage, std::string(error)};
    schedule();
}

void DeliverySink::drain() {
    for (;;) {
        std::deque<Piece> pieces;
        std::optional<int> position;
        std::optional<Finish> finish;
        bool overflowed = false;
        {
            std::lock_guard lock(mutex_);
            pieces.swap(pieces_);
            pending_bytes_ = 0;
            position = std::exchange(queue_position_, std::nullopt);
            finish = std::exchange(finish_, std::nullopt);
            overflowed = overflowed_ && !overflow_taken_;
            overflow_taken_ = overflow_taken_ || overflowed_;
            if (pieces.empty() && !position && !finish && !overflowed) {
                drain_posted_ = false;
                return;
            }
        }
        if (!handler_) continue;  // already finished: later events are dropped
        if (position) handler_->on_queued(*position);
        for (Piece& piece : pieces) deliver_piece(piece);
        if (overflowed) {
            deliver_finish(Finish{FinishReason::Error, {}, {}}, true);
        } else if (finish) {
            deliver_finish(*finish, false);
        }
    }
}

void DeliverySink::deliver_piece(Piece& piece) {
    if (stops_.stopped()) return;
    for (TokenLogprob& l : piece.logprobs) held_logprobs_.push_back(std::move(l));
    const std::string out = stops_.push(piece.text);
    // A token's log probability goes with the first text that includes
    // some of it; tokens cut by a stop string go with nothing.
    if (!out.empty()) {
        handler_->on_delta(CompletionDelta{.content = out, .logprobs = held_logprobs_, .reasoning = {}, .tool_calls = {}});
        held_logprobs_.clear();
    }
    if (stops_.stopped()) control_->cancel();
}

void DeliverySink::deliver_finish(const Finish& finish, bool overflowed) {
    // Released here, on the delivery thread, whatever happens: the handler
    // holds the request's scope, whose end writes the log line.
    std::shared_ptr<CompletionHandler> handler = std::move(handler_);
    if (overflowed) {
        handler->on_error(StartError{StartErrorCode::Internal,
                                     "the reply was cancelled: its text could not be delivered as fast as it was "
                                     "generated (the server is overloaded)"});
        return;
    }
    if (finish.reason == FinishReason::Error) {
        handler->on_error(StartError{StartErrorCode::Internal, finish.error});
        return;
    }
    const std::string rest = stops_.flush();
    if (!rest.empty()) handler->on_delta(CompletionDelta{.content = rest, .logprobs = held_logprobs_, .reasoning = {}, .tool_calls = {}});
    const CompletionUsage usage{finish.usage.prompt_tokens, finish.usage.completion_tokens, finish.usage.cached_tokens,
                                truncated_turns_};
    FinishKind kind = FinishKind::Stop;
    if (stops_.stopped()) {
        kind = FinishKind::Stop;
    } else if (finish.reason == FinishReason::Length) {
        kind = FinishKind::Length;
    } else if (finish.reason == FinishReason::Cancelled) {
        kind = FinishKind::Cancelled;
    }
    handler->on_done(kind, usage);
}

}  // namespace clawbot::service
