// DeliverySink: what the engine thread does for a served request is append
// to a channel and post one drain; the handler's work runs in the drain.
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "service/provider/delivery_sink.h"

namespace clawbot::service {
namespace {

// Records what a completion handler hears, and on which thread.
struct Recorder {
    std::mutex mutex;
    std::string text;
    std::vector<std::thread::id> threads;
    std::optional<FinishKind> done;
    std::optional<CompletionUsage> usage;
    std::optional<std::string> error;
    std::vector<int> queued;
    std::vector<std::string> logprob_tokens;  // in the order they came
    std::thread::id released_on;
};

class RecordingHandler final : public CompletionHandler {
public:
    explicit RecordingHandler(Recorder& r) : r_(r) {}
    ~RecordingHandler() override { r_.released_on = std::this_thread::get_id(); }
    void on_delta(const CompletionDelta& delta) override {
        std::lock_guard lock(r_.mutex);
        r_.text += delta.content;
        for (const TokenLogprob& l : delta.logprobs) r_.logprob_tokens.push_back(l.token);
        r_.threads.push_back(std::this_thread::get_id());
    }
    void on_done(FinishKind finish, const CompletionUsage& usage) override {
        r_.done = finish;
        r_.usage = usage;
    }
    void on_error(const StartError& error) override { r_.error = error.message; }
    void on_queued(int position) override { r_.queued.push_back(position); }

private:
    Recorder& r_;
};

// A delivery executor the test runs by hand, on a thread of its own.
struct ManualExecutor {
    std::vector<std::function<void()>> jobs;
    DeliverySink::Post post() {
        return [this](std::function<void()> job) { jobs.push_back(std::move(job)); };
    }
    std::thread::id run_all() {
        std::thread::id ran_on;
        std::thread t([&] {
            ran_on = std::this_thread::get_id();
            while (!jobs.empty()) {
                auto batch = std::move(jobs);
                jobs.clear();
                for (auto& job : batch) job();
            }
        });
        t.join();
        return ran_on;
    }
};

std::shared_ptr<DeliverySink> make_sink(Recorder& r, ManualExecutor& executor, std::shared_ptr<RequestControl> control,
                                        std::vector<std::string> stops = {}, std::size_t max_bytes = 1 << 20) {
    return std::make_shared<DeliverySink>(std::make_shared<RecordingHandler>(r), std::move(stops), std::move(control), 2,
                                          executor.post(), max_bytes);
}

TEST(DeliverySink, TheEngineThreadOnlyQueuesAndOneDrainDeliversInOrderOnTheDeliveryThread) {
    Recorder r;
    ManualExecutor executor;
    auto control = std::make_shared<RequestControl>();
    auto sink = make_sink(r, executor, control);
    sink->on_queued(3);
    for (const char* piece : {"Once", " upon", " a", " time"}) sink->on_token(1, piece);
    sink->on_finish(FinishReason::Length, Usage{5, 4, 1}, {});
    EXPECT_TRUE(r.text.empty()) << "the handler ran on the engine thread";
    EXPECT_EQ(executor.jobs.size(), 1u) << "more than one drain posted";
    sink.reset();  // the engine lets go of the sink when it retires the request
    const std::thread::id delivery = executor.run_all();
    EXPECT_EQ(r.text, "Once upon a time");
    EXPECT_EQ(r.queued, std::vector<int>{3});
    for (auto id : r.threads) EXPECT_EQ(id, delivery);
    ASSERT_TRUE(r.done);
    EXPECT_EQ(*r.done, FinishKind::Length);
    EXPECT_EQ(r.usage->prompt_tokens, 5);
    EXPECT_EQ(r.usage->completion_tokens, 4);
    EXPECT_EQ(r.usage->cached_tokens, 1);
    EXPECT_EQ(r.usage->truncated_turns, 2);
    EXPECT_EQ(r.released_on, delivery) << "the handler was released off the delivery thread";
}

TEST(DeliverySink, AStopStringEndsTheTextAndCancelsTheRequest) {
    Recorder r;
    ManualExecutor executor;
    auto control = std::make_shared<RequestControl>();
    auto sink = make_sink(r, executor, control, {"STOP"});
    sink->on_token(1, "Hello wo");
    sink->on_token(1, "rld ST");
    executor.run_all();
    EXPECT_EQ(r.text, "Hello world ") << "text that may start a stop string is held back";
    EXPECT_FALSE(control->cancelled());
    sink->on_token(1, "OP and more");
    executor.run_all();
    EXPECT_TRUE(control->cancelled());
    sink->on_finish(FinishReason::Cancelled, Usage{}, {});
    executor.run_all();
    EXPECT_EQ(r.text, "Hello world ");
    ASSERT_TRUE(r.done);
    EXPECT_EQ(*r.done, FinishKind::Stop);
}

// Token i is the text "t<i>"; nothing else is used.
class NumberedTokenizer final : public Tokenizer {
public:
    std::vector<TokenId> encode(std::string_view, bool, bool) const override { return {}; }
    std::vector<TokenId> encode(std::string_view, bool, std::span<const ByteRange>) const override { return {}; }
    std::string token_to_piece(TokenId id, bool) const override { return "t" + std::to_string(id); }
    int32_t n_vocab() const override { return 100; }
    TokenId bos() const override { return -1; }
    TokenId eos() const override { return -1; }
    bool is_eog(TokenId) const override { return false; }
    bool is_control(TokenId) const override { return false; }
    bool add_bos() const override { return false; }
};

TEST(DeliverySink, LogprobsTravelWithTheTextOfTheirTokensAndThoseCutByAStopAreDropped) {
    Recorder r;
    ManualExecutor executor;
    NumberedTokenizer tokenizer;
    auto control = std::make_shared<RequestControl>();
    auto sink = make_sink(r, executor, control, {"END"});
    sink->report_logprobs(&tokenizer);
    const std::vector<TokenProbability> top = {{7, -0.1f}, {8, -2.5f}};
    sink->on_logprobs({1, -0.5f}, top);
    sink->on_token(1, "Hi");
    sink->on_logprobs({2, -1.0f}, top);
    sink->on_token(2, "");  // half a UTF-8 character: no text yet
    sink->on_logprobs({3, -1.5f}, top);
    sink->on_token(3, " there E");  // "E" may start the stop string: held back
    executor.run_all();
    EXPECT_EQ(r.text, "Hi there ");
    EXPECT_EQ(r.logprob_tokens, (std::vector<std::string>{"t1", "t2", "t3"}));
    sink->on_logprobs({4, -0.2f}, top);
    sink->on_token(4, "ND");
    sink->on_finish(FinishReason::Cancelled, Usage{}, {});
    executor.run_all();
    EXPECT_EQ(r.text, "Hi there ");
    EXPECT_EQ(r.logprob_tokens.size(), 3u) << "the token that completed the stop string has no text to go with";
}

TEST(DeliverySink, AChannelThatFillsCancelsTheRequestAndTellsTheClient) {
    Recorder r;
    ManualExecutor executor;
    auto control = std::make_shared<RequestControl>();
    auto sink = make_sink(r, executor, control, {}, /*max_bytes=*/16);
    sink->on_token(1, "0123456789");
    EXPECT_FALSE(control->cancelled());
    sink->on_token(1, "0123456789");  // 20 bytes undelivered: past the bound
    EXPECT_TRUE(control->cancelled());
    sink->on_token(1, "dropped");
    sink->on_finish(FinishReason::Cancelled, Usage{}, {});
    EXPECT_EQ(executor.jobs.size(), 1u);
    executor.run_all();
    EXPECT_EQ(r.text, "0123456789");
    ASSERT_TRUE(r.error);
    EXPECT_NE(r.error->find("could not be delivered"), std::string::npos) << *r.error;
    EXPECT_FALSE(r.done) << "a cancelled reply must not look finished";
}

TEST(DeliverySink, LogprobEntriesCountTowardsTheBound) {
    // One byte of text per token, but 20 alternatives each: the entries are
    // what fills the channel, and they must count.
    Recorder r;
    ManualExecutor executor;
    NumberedTokenizer tokenizer;
    auto control = std::make_shared<RequestControl>();
    auto sink = make_sink(r, executor, control, {}, /*max_bytes=*/4096);
    sink->report_logprobs(&tokenizer);
    std::vector<TokenProbability> top;
    for (int i = 0; i < 20; ++i) top.push_back({i, -1.0f});
    int accepted = 0;
    for (; accepted < 1000 && !control->cancelled(); ++accepted) {
        sink->on_logprobs({1, -0.5f}, top);
        sink->on_token(1, "x");
    }
    EXPECT_TRUE(control->cancelled()) << "1000 tokens with 20 alternatives each fit in 4096 bytes";
    EXPECT_LT(accepted, 20);
    executor.run_all();
    ASSERT_TRUE(r.error);
}

TEST(DeliverySink, AnEngineErrorReachesTheHandlerAsAnError) {
    Recorder r;
    ManualExecutor executor;
    auto sink = make_sink(r, executor, std::make_shared<RequestControl>());
    sink->on_token(1, "partial");
    sink->on_finish(FinishReason::Error, Usage{}, "kv cache exhausted");
    executor.run_all();
    EXPECT_EQ(r.text, "partial");
    EXPECT_EQ(r.error, "kv cache exhausted");
    EXPECT_FALSE(r.done);
}

}  // namespace
}  // namespace clawbot::service
