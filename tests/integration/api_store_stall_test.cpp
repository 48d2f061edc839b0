// The service while its SQLite file is locked by another process for 4 s
// (a `clawbot token create`, a backup, a slow disk): the I/O threads never
// wait on the store, reads go through WAL read connections, and an answer
// that finishes during the lock is acknowledged only once it is stored.
// Also: a client that reads one byte a second slows nobody else down.
#include <sqlite3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "api_fixture.h"

namespace clawbot::test {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using nlohmann::json;

struct TimedEvent {
    Clock::time_point at;
    std::string name;  // "message" when unnamed
    std::string data;
};

// One streamed request over HTTP/1.0 (so the body is the raw SSE bytes,
// close-delimited), each event stamped with the time its last byte came.
std::vector<TimedEvent> timed_stream(int port, const std::string& path, const json& body, const std::string& token,
                                     milliseconds limit = milliseconds(30000)) {
    std::vector<TimedEvent> events;
    const int fd = connect_loopback(port);
    if (fd < 0) return events;
    const std::string text = body.dump();
    const std::string request = "POST " + path + " HTTP/1.0\r\nHost: x\r\nAuthorization: Bearer " + token +
                                "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(text.size()) +
                                "\r\n\r\n" + text;
    if (!send_all(fd, request)) {
        ::close(fd);
        return events;
    }
    std::string buffer;
    bool header_done = false;
    const auto deadline = Clock::now() + limit;
    char chunk[4096];
    while (Clock::now() < deadline) {
        timeval tv{0, 200 * 1000};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n == 0) break;
        if (n < 0) continue;
        const auto now = Clock::now();
        buffer.append(chunk, static_cast<size_t>(n));
        if (!header_done) {
            const size_t end = buffer.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            header_done = true;
            buffer.erase(0, end + 4);
        }
        for (size_t end; (end = buffer.find("\n\n")) != std::string::npos;) {
            TimedEvent e{now, "message", ""};
            std::istringstream lines(buffer.substr(0, end));
            for (std::string line; std::getline(lines, line);) {
                if (line.rfind("event: ", 0) == 0) e.name = line.substr(7);
                if (line.rfind("data: ", 0) == 0) e.data += line.substr(6);
            }
            buffer.erase(0, end + 2);
            if (!e.data.empty()) events.push_back(std::move(e));
        }
    }
    ::close(fd);
    return events;
}

// Holds SQLite's write lock on `path` from this process (another process
// than the server's) for `hold`, as `clawbot token create` or a backup would.
class WriteLockHolder {
public:
    WriteLockHolder(std::string path, milliseconds hold) : path_(std::move(path)), hold_(hold) {
        thread_ = std::thread([this] { run(); });
    }
    ~WriteLockHolder() { join(); }
    // Blocks until the lock is held; false if it could not be taken.
    bool wait_held() {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [this] { return state_ != State::starting; });
        return state_ == State::held;
    }
    Clock::time_point taken() const { return taken_; }
    Clock::time_point released() const { return released_; }
    void join() {
        if (thread_.joinable()) thread_.join();
    }
    const std::string& error() const { return error_; }

private:
    enum class State { starting, held, failed };
    void run() {
        sqlite3* db = nullptr;
        bool ok = sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK;
        sqlite3_busy_timeout(db, 10000);  // the server may be committing right now
        ok = ok && sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK;
        if (!ok) error_ = sqlite3_errmsg(db);
        {
            std::lock_guard lock(mutex_);
            taken_ = Clock::now();
            state_ = ok ? State::held : State::failed;
        }
        cv_.notify_all();
        if (ok) {
            std::this_thread::sleep_for(hold_);
            released_ = Clock::now();
            sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
        }
        sqlite3_close(db);
    }
    std::string path_;
    milliseconds hold_;
    std::mutex mutex_;
    std::condition_variable cv_;
    State state_ = State::starting;
    Clock::time_point taken_, released_;
    std::string error_;
    std::thread thread_;
};

// Streams /v1/chat/completions (which touches no store) back to back on
// `clients` threads until stopped, keeping every event's arrival time.
class BackgroundStreams {
public:
    BackgroundStreams(int port, std::string token, int clients) {
        for (int i = 0; i < clients; ++i) {
            threads_.emplace_back([this, port, token, i] {
                while (!stop_) {
                    const json body{{"messages", json::array({{{"role", "user"}, {"content", "Once upon a time " + std::to_string(i)}}})},
                                    {"max_tokens", 48}, {"stream", true}, {"temperature", 1.0}};
                    auto events = timed_stream(port, "/v1/chat/completions", body, token);
                    std::lock_guard lock(mutex_);
                    if (events.empty() || events.back().data != "[DONE]") ++unfinished_;
                    streams_.push_back(std::move(events));
                }
            });
        }
    }
    ~BackgroundStreams() { stop(); }
    void stop() {
        stop_ = true;
        for (auto& t : threads_) if (t.joinable()) t.join();
    }
    // Gaps between consecutive tokens of one stream, for events inside
    // [from, to]. The first gap (the role chunk to the first token: queueing
    // and prefill) is not an inter-token gap.
    std::vector<double> gaps_ms(Clock::time_point from, Clock::time_point to) const {
        std::vector<double> gaps;
        for (const auto& stream : streams_) {
            for (size_t i = 2; i < stream.size(); ++i) {
                if (stream[i - 1].at < from || stream[i].at > to) continue;
                gaps.push_back(std::chrono::duration<double, std::milli>(stream[i].at - stream[i - 1].at).count());
            }
        }
        return gaps;
    }
    size_t streams() const { return streams_.size(); }
    int unfinished() const { return unfinished_; }

private:
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<std::vector<TimedEvent>> streams_;
    int unfinished_ = 0;
    std::vector<std::thread> threads_;
};

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

template <class F>
std::pair<HttpResult, double> timed_ms(F&& f) {
    const auto start = Clock::now();
    HttpResult r = f();
    return {r, std::chrono::duration<double, std::milli>(Clock::now() - start).count()};
}

// The largest gap a stream may show: 5x the median, with a floor of 1 s for
// what a shared 2-core host running other tests beside this one can cause by
// itself. The stalls this guards against last seconds: the lock's 4 s, or a
// client that takes a byte a second.
double allowed_gap_ms(const std::vector<double>& gaps) { return std::max(5 * median(gaps), 1000.0); }

class StoreStall : public ApiFixture {
protected:
    // The background streams ask more than the default 600 a minute.
    void start_server() { start({"--ctx-size", "512"}, {{"RATE_LIMIT_REQUESTS_PER_MINUTE", "0"}}); }
};

TEST_F(StoreStall, ALockedDatabaseFreezesNoRequestAndNoAnswerIsAcknowledgedUnstored) {
    start_server();
    // A conversation with history, for a follow-up during the lock.
    auto first = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"max_tokens", 8}}, admin_);
    ASSERT_EQ(first.status, 200) << first.body;
    const std::string conversation = json_of(first)["conversation_id"];

    BackgroundStreams streams(server_->port(), other_, 2);
    std::this_thread::sleep_for(milliseconds(300));  // streams running before the lock
    WriteLockHolder lock(dir_ + "/data/clawbot.db", milliseconds(4000));
    ASSERT_TRUE(lock.wait_held()) << lock.error();
    const auto locked_at = lock.taken();

    // A chat whose answer is done during the lock: its commit now waits for
    // the lock (and must not be acknowledged before it).
    std::vector<TimedEvent> waiting, fresh, follow_up;
    auto stream_chat = [&](std::vector<TimedEvent>& into, json body) {
        return std::thread([&into, body, this] { into = timed_stream(server_->port(), "/api/v1/chat", body, admin_); });
    };
    std::thread waiting_client = stream_chat(waiting, {{"query", "The end"}, {"max_tokens", 8}, {"stream", true}});
    std::this_thread::sleep_for(milliseconds(400));

    // Health, an authenticated read and a history read answer at once.
    auto [health, health_ms] = timed_ms([&] { return call("GET", "/healthz"); });
    EXPECT_EQ(health.status, 200);
    EXPECT_LT(health_ms, 250);
    auto [list, list_ms] = timed_ms([&] { return call("GET", "/api/v1/conversations", "", admin_); });
    EXPECT_EQ(list.status, 200) << list.body;
    EXPECT_LT(list_ms, 500);
    auto [history, history_ms] = timed_ms([&] { return call("GET", "/api/v1/conversations/" + conversation, "", admin_); });
    EXPECT_EQ(history.status, 200) << history.body;
    EXPECT_LT(history_ms, 500);

    // A new chat and a follow-up both start streaming during the lock.
    std::thread fresh_client = stream_chat(fresh, {{"query", "A new story"}, {"max_tokens", 16}, {"stream", true}});
    follow_up = timed_stream(server_->port(), "/api/v1/chat",
                             {{"query", "And then?"}, {"conversation_id", conversation}, {"max_tokens", 16}, {"stream", true}}, admin_);
    fresh_client.join();
    waiting_client.join();
    lock.join();
    const auto released_at = lock.released();
    streams.stop();

    for (const auto* answer : {&waiting, &fresh, &follow_up}) {
        ASSERT_FALSE(answer->empty());
        const auto first_delta = std::find_if(answer->begin(), answer->end(), [](const TimedEvent& e) { return e.name == "delta"; });
        ASSERT_NE(first_delta, answer->end());
        EXPECT_LT(first_delta->at, released_at) << "the first token waited for the lock";
        const TimedEvent& last = answer->back();
        ASSERT_TRUE(last.name == "done" || last.name == "error") << last.name << " " << last.data;
        if (last.name == "error") continue;  // refused: fine, as long as it is not acknowledged
        EXPECT_GE(last.at, released_at) << "acknowledged while the database was locked";
        const json done = json::parse(last.data);
        auto stored = call("GET", "/api/v1/conversations/" + done["conversation_id"].get<std::string>(), "", admin_);
        ASSERT_EQ(stored.status, 200) << stored.body;
        const json messages = json_of(stored)["messages"];
        ASSERT_FALSE(messages.empty());
        EXPECT_EQ(messages.back()["id"], done["message_id"]) << stored.body;
        EXPECT_EQ(messages.back()["content"], done["answer"]) << stored.body;
    }

    // The streams that ran meanwhile kept their pace.
    const auto gaps = streams.gaps_ms(locked_at, released_at);
    ASSERT_GT(gaps.size(), 20u) << "too few tokens streamed during the lock";
    EXPECT_LE(*std::max_element(gaps.begin(), gaps.end()), allowed_gap_ms(gaps)) << "median " << median(gaps) << " ms";
    EXPECT_EQ(streams.unfinished(), 0);
}

TEST_F(StoreStall, AClientReadingOneByteASecondSlowsNoOtherStream) {
    start_server();
    // The slow client: a long answer, a small receive window, one byte a second.
    const int slow = connect_loopback(server_->port());
    ASSERT_GE(slow, 0);
    int window = 1024;
    ::setsockopt(slow, SOL_SOCKET, SO_RCVBUF, &window, sizeof window);
    const std::string body = json{{"query", "Once upon a time"}, {"max_tokens", 400}, {"stream", true}}.dump();
    ASSERT_TRUE(send_all(slow, "POST /api/v1/chat HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + admin_ +
                                   "\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
                                   "\r\n\r\n" + body));
    std::atomic<bool> reading{true};
    std::thread slow_reader([&] {
        char byte;
        while (reading && ::recv(slow, &byte, 1, 0) > 0) std::this_thread::sleep_for(milliseconds(1000));
    });

    const auto from = Clock::now();
    BackgroundStreams streams(server_->port(), other_, 2);
    std::this_thread::sleep_for(milliseconds(3000));
    streams.stop();
    const auto to = Clock::now();
    reading = false;
    ::shutdown(slow, SHUT_RDWR);
    slow_reader.join();
    ::close(slow);

    const auto gaps = streams.gaps_ms(from, to);
    ASSERT_GT(gaps.size(), 20u);
    EXPECT_LE(*std::max_element(gaps.begin(), gaps.end()), allowed_gap_ms(gaps)) << "median " << median(gaps) << " ms";
    EXPECT_EQ(streams.unfinished(), 0);
    EXPECT_GE(streams.streams(), 2u) << "a client finished no stream beside the slow one";
    EXPECT_EQ(call("GET", "/healthz").status, 200);
}

}  // namespace
}  // namespace clawbot::test
