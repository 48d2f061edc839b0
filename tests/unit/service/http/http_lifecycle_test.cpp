// Connections as a whole: the connection cap, many idle keep-alive
// connections, draining (streams finish, idle connections close, new ones
// are refused) and stopping.
#include <sys/resource.h>

#include <atomic>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "http_test_support.h"

namespace clawbot::test::http_layer {
namespace {

using service::EventStream;
using service::HttpRequest;
using service::HttpResponse;
using service::Responder;

// A request answered, so the server has surely accepted the connection.
void expect_served(RawClient& client) {
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send_all(get_request("/")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
}

TEST(HttpLifecycle, ConnectionsBeyondTheCapGet503AndAreClosed) {
    auto options = test_options();
    options.max_connections = 3;
    RunningServer s(options, echo);
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 3; ++i) {
        clients.push_back(std::make_unique<RawClient>(s.port()));
        expect_served(*clients.back());
    }
    RawClient extra(s.port());
    ASSERT_TRUE(extra.connected());
    ASSERT_TRUE(extra.send_all(get_request("/")));
    auto rejected = extra.read_response();
    ASSERT_TRUE(rejected);
    EXPECT_EQ(rejected->status, 503);
    EXPECT_EQ(rejected->header("Retry-After"), "1");
    EXPECT_NE(rejected->body.find("\"code\":\"overloaded\""), std::string::npos);
    EXPECT_TRUE(extra.wait_for_close(5s));
    EXPECT_EQ(s.server.open_connections(), 3u);
    EXPECT_EQ(s.server.stats().connections_rejected, 1u);

    clients.pop_back();  // one leaves: room for another
    ASSERT_TRUE(eventually([&] { return s.server.open_connections() == 2; }));
    RawClient next(s.port());
    expect_served(next);
}

// Makes room for `needed` descriptors, within the hard limit.
bool ensure_descriptor_limit(rlim_t needed) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
    if (limit.rlim_cur >= needed) return true;
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed) return false;
    limit.rlim_cur = needed;
    return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

TEST(HttpLifecycle, ThousandIdleKeepAliveConnectionsDoNotStopOthersBeingServed) {
    constexpr int kIdle = 1000;
    // Both ends live in this process: two descriptors per connection.
    if (!ensure_descriptor_limit(2 * kIdle + 256)) GTEST_SKIP() << "RLIMIT_NOFILE too low";
    auto options = test_options();
    options.max_connections = kIdle + 10;
    RunningServer s(options, echo);
    std::vector<std::unique_ptr<RawClient>> idle;
    idle.reserve(kIdle);
    for (int i = 0; i < kIdle; ++i) {
        idle.push_back(std::make_unique<RawClient>(s.port()));
        ASSERT_TRUE(idle.back()->connected()) << "connection " << i;
        ASSERT_TRUE(idle.back()->send_all(get_request("/")));
    }
    for (int i = 0; i < kIdle; ++i) {
        auto response = idle[static_cast<std::size_t>(i)]->read_response();
        ASSERT_TRUE(response) << "connection " << i;
    }
    EXPECT_EQ(s.server.open_connections(), static_cast<std::size_t>(kIdle));

    RawClient active(s.port());
    ASSERT_TRUE(active.send_all(post_request("/busy", "still here")));
    auto response = active.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "POST /busy? still here");

    int closed = 0;
    for (auto& client : idle) closed += client->closed_by_peer() ? 1 : 0;
    EXPECT_EQ(closed, 0);
    EXPECT_EQ(s.server.open_connections(), static_cast<std::size_t>(kIdle + 1));
    // And each idle one can still be used.
    expect_served(*idle.front());
    expect_served(*idle.back());
}

// A handler whose /stream requests stream `events` events from a thread,
// one every `gap`, then finish.
struct SlowStreams {
    std::atomic<bool> finished{false};
    std::mutex mutex;
    std::vector<std::thread> threads;
    int events = 5;
    std::chrono::milliseconds gap{60};

    ~SlowStreams() { join(); }
    void join() {
        std::lock_guard lock(mutex);
        for (auto& t : threads) t.join();
        threads.clear();
    }
    void handle(HttpRequest request, std::shared_ptr<Responder> responder) {
        if (request.path != "/stream") return echo(std::move(request), std::move(responder));
        auto stream = responder->start_stream(200, {});
        std::lock_guard lock(mutex);
        threads.emplace_back([this, stream] {
            for (int i = 0; i < events; ++i) {
                stream->send("data: " + std::to_string(i) + "\n\n");
                std::this_thread::sleep_for(gap);
            }
            finished = true;
            stream->finish();
        });
    }
};

TEST(HttpLifecycle, DrainLetsAStreamFinishAndRefusesNewConnections) {
    SlowStreams streams;
    RunningServer s(test_options(), [&](HttpRequest r, std::shared_ptr<Responder> p) {
        streams.handle(std::move(r), std::move(p));
    });
    RawClient idle(s.port());
    expect_served(idle);
    RawClient streaming(s.port());
    ASSERT_TRUE(streaming.send_all(get_request("/stream")));
    ASSERT_TRUE(streaming.read_head());
    auto first = streaming.read_chunk();
    ASSERT_TRUE(first);

    s.server.stop_accepting();
    RawClient refused(s.port());
    EXPECT_FALSE(refused.connected());
    EXPECT_EQ(refused.connect_errno(), ECONNREFUSED);

    EXPECT_TRUE(s.server.drain(10s));
    EXPECT_TRUE(streams.finished.load());  // drain returned only after the stream ended
    EXPECT_EQ(s.server.open_connections(), 0u);
    EXPECT_TRUE(idle.wait_for_close(5s));

    // The stream arrived whole, then the connection closed.
    std::string body = *first;
    for (int i = 0; i < 10; ++i) {
        auto chunk = streaming.read_chunk();
        ASSERT_TRUE(chunk);
        if (chunk->empty()) break;
        body += *chunk;
    }
    EXPECT_EQ(body, "data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n");
    EXPECT_TRUE(streaming.wait_for_close(5s));
}

TEST(HttpLifecycle, ResponseDuringDrainSaysConnectionClose) {
    std::promise<std::shared_ptr<Responder>> pending;
    std::atomic<bool> taken{false};
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        if (!taken.exchange(true)) pending.set_value(responder);
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    auto future = pending.get_future();
    ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
    auto drained = std::async(std::launch::async, [&] { return s.server.drain(10s); });
    std::this_thread::sleep_for(50ms);
    future.get()->respond(HttpResponse{});
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(drained.get());
}

TEST(HttpLifecycle, DrainGivesUpAfterItsTimeoutAndStopClosesTheRest) {
    std::shared_ptr<EventStream> kept;
    std::mutex kept_mutex;
    std::atomic<bool> closed{false};
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->on_close([&closed] { closed = true; });
        std::lock_guard lock(kept_mutex);
        kept = stream;  // never finished
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    ASSERT_TRUE(client.read_head());
    EXPECT_FALSE(s.server.drain(300ms));
    EXPECT_EQ(s.server.open_connections(), 1u);
    EXPECT_FALSE(closed.load());
    s.server.stop();
    EXPECT_TRUE(closed.load());
    EXPECT_EQ(s.server.open_connections(), 0u);
    EXPECT_TRUE(client.wait_for_close(5s));
    std::lock_guard lock(kept_mutex);
    EXPECT_FALSE(kept->send("data: late\n\n"));  // after stop: refused, no crash
}

// Upgrades hand the port over by draining: the listening socket must close
// when drain() begins, not when it ends, or the old process keeps taking
// connections for as long as its longest stream runs.
TEST(HttpLifecycle, DrainClosesTheListeningSocketBeforeStreamsEnd) {
    std::promise<std::shared_ptr<EventStream>> started;
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->send("data: first\n\n");
        started.set_value(stream);
    });
    RawClient streaming(s.port());
    ASSERT_TRUE(streaming.send_all(get_request("/stream")));
    auto future = started.get_future();
    ASSERT_EQ(future.wait_for(5s), std::future_status::ready);
    auto stream = future.get();
    ASSERT_TRUE(streaming.read_head());

    auto drained = std::async(std::launch::async, [&] { return s.server.drain(10s); });
    // Each probe that still gets in closes at once, so it holds nothing up.
    EXPECT_TRUE(eventually([&] {
        RawClient probe(s.port());
        return !probe.connected() && probe.connect_errno() == ECONNREFUSED;
    }));
    EXPECT_EQ(drained.wait_for(0ms), std::future_status::timeout);  // the stream is still running

    EXPECT_TRUE(stream->send("data: last\n\n"));
    stream->finish();
    EXPECT_TRUE(drained.get());
    auto first = streaming.read_chunk();
    auto last = streaming.read_chunk();
    ASSERT_TRUE(first && last);
    EXPECT_EQ(*first + *last, "data: first\n\ndata: last\n\n");
}

// A client that has just connected is about to send its request; drain must
// answer it (with "Connection: close"), not close the connection under it.
TEST(HttpLifecycle, DrainServesTheFirstRequestOfAConnectionOpenedJustBefore) {
    RunningServer s(test_options(), echo);
    RawClient fresh(s.port());
    ASSERT_TRUE(fresh.connected());
    ASSERT_TRUE(eventually([&] { return s.server.open_connections() == 1u; }));

    auto drained = std::async(std::launch::async, [&] { return s.server.drain(10s); });
    EXPECT_TRUE(eventually([&] {
        RawClient probe(s.port());
        return !probe.connected();
    }));
    std::this_thread::sleep_for(50ms);  // let begin_drain reach the session first
    ASSERT_TRUE(fresh.send_all(post_request("/chat", "hello")));
    auto response = fresh.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "POST /chat? hello");
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(fresh.wait_for_close(5s));
    EXPECT_TRUE(drained.get());
}

TEST(HttpLifecycle, DrainClosesANewConnectionThatSendsNothingAfterHeaderTimeout) {
    auto options = test_options();
    options.header_timeout = 300ms;
    RunningServer s(options, echo);
    RawClient silent(s.port());
    ASSERT_TRUE(silent.connected());
    ASSERT_TRUE(eventually([&] { return s.server.open_connections() == 1u; }));
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(s.server.drain(10s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
    EXPECT_TRUE(silent.wait_for_close(5s));
}

TEST(HttpLifecycle, ReusePortLetsTwoServersShareAPort) {
    auto options = test_options();
    options.reuse_port = true;
    RunningServer first(options, echo);
    options.port = static_cast<std::uint16_t>(first.port());
    RunningServer second(options, echo);
    EXPECT_EQ(second.port(), first.port());
    RawClient client(first.port());
    expect_served(client);
}

TEST(HttpLifecycle, StopIsIdempotentAndSafeBeforeStart) {
    FunctionHandler handler(echo);
    service::HttpServer never_started(test_options(), handler);
    ASSERT_TRUE(never_started.listen().ok());
    never_started.stop();
    never_started.stop();
    EXPECT_EQ(never_started.open_connections(), 0u);
}

}  // namespace
}  // namespace clawbot::test::http_layer
