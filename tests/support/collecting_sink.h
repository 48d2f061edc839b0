#pragma once
// A TokenSink for engine tests: keeps what the engine pushes (tokens, text,
// logits, queue positions, the finish) and lets the test wait for the end.
// With an engine, it also notes the engine's step count at every token.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <vector>

#include "engine/scheduler/engine.h"

namespace clawbot::test {

class CollectingSink : public TokenSink {
public:
    explicit CollectingSink(const InferenceEngine* engine = nullptr) : engine_(engine) {}

    void on_logits(std::span<const float> row) override {
        std::lock_guard lock(mutex_);
        logits.emplace_back(row.begin(), row.end());
    }
    void on_token(TokenId token, std::string_view text) override {
        std::lock_guard lock(mutex_);
        if (token >= 0) tokens.push_back(token);
        this->text += text;
        if (engine_) steps.push_back(engine_->stats().steps);
    }
    void on_queued(int position) override {
        std::lock_guard lock(mutex_);
        positions.push_back(position);
    }
    void on_finish(FinishReason r, const Usage& u, std::string_view e) override {
        std::lock_guard lock(mutex_);
        reason = r;
        usage = u;
        error = e;
        done = true;
        cv_.notify_all();
    }
    size_t token_count() {
        std::lock_guard lock(mutex_);
        return tokens.size();
    }
    bool wait(std::chrono::seconds timeout = std::chrono::seconds(60)) {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, timeout, [this] { return done; });
    }

    std::vector<TokenId> tokens;
    std::vector<std::vector<float>> logits;  // with want_logits: those each token was sampled from
    std::vector<uint64_t> steps;  // engine step count when each token arrived
    std::vector<int> positions;   // queue positions announced while waiting
    std::string text;
    FinishReason reason = FinishReason::Error;
    Usage usage;
    std::string error;
    bool done = false;

private:
    const InferenceEngine* engine_;
    std::mutex mutex_;
    std::condition_variable cv_;
};

}  // namespace clawbot::test
