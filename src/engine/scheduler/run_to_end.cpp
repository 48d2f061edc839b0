#include "engine/scheduler/run_to_end.h"

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace clawbot {
namespace {

using Clock = std::chrono::steady_clock;

class CollectingSink final : public TokenSink {
public:
    CollectingSink(std::function<void(std::string_view)> on_text, int max_tokens) : on_text_(std::move(on_text)) {
        run_.tokens.reserve(static_cast<size_t>(max_tokens));
        run_.token_times_s.reserve(static_cast<size_t>(max_tokens));
    }
    void start() { submitted_ = Clock::now(); }

    void on_token(TokenId token, std::string_view text) override {
        if (token >= 0) {  // -1: the detokenizer's last held-back bytes
            run_.tokens.push_back(token);
            run_.token_times_s.push_back(std::chrono::duration<double>(Clock::now() - submitted_).count());
        }
        run_.text += text;
        if (on_text_ && !text.empty()) on_text_(text);
    }
    void on_logits(std::span<const float> logits) override {
        if (run_.first_logits.empty()) run_.first_logits.assign(logits.begin(), logits.end());
    }
    void on_finish(FinishReason reason, const Usage& usage, std::string_view error) override {
        std::lock_guard lock(mutex_);
        run_.finish = reason;
        run_.usage = usage;
        error_ = error;
        done_ = true;
        finished_.notify_all();
    }

    Result<CompletedRun> wait() {
        std::unique_lock lock(mutex_);
        finished_.wait(lock, [this] { return done_; });
        if (run_.finish == FinishReason::Error) return make_error(error_.empty() ? "the engine failed" : error_);
        return std::move(run_);
    }

private:
    std::function<void(std::string_view)> on_text_;
    Clock::time_point submitted_;
    CompletedRun run_;  // written on the engine thread before on_finish, read after it
    std::mutex mutex_;
    std::condition_variable finished_;
    bool done_ = false;
    std::string error_;
};

}  // namespace

Result<CompletedRun> run_to_end(InferenceEngine& engine, GenerationRequest request,
                                std::function<void(std::string_view)> on_text) {
    auto sink = std::make_shared<CollectingSink>(std::move(on_text), request.max_tokens);
    request.sink = sink;
    sink->start();
    auto submitted = engine.submit(std::move(request));
    if (!submitted) return make_error(submitted.error().message);
    return sink->wait();
}

}  // namespace clawbot
