// Server-Sent Events and Responders completed later, from other threads:
// order, chunked framing, reuse of the connection, on_close when the client
// leaves, and the bounds on a client that does not read.
#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "http_test_support.h"

namespace clawbot::test::http_layer {
namespace {

using service::EventStream;
using service::HttpRequest;
using service::HttpResponse;
using service::Responder;

// Threads a handler starts; joined by the test before its locals go away.
class Workers {
public:
    ~Workers() { join(); }
    template <class F>
    void spawn(F f) {
        std::lock_guard lock(mutex_);
        threads_.emplace_back(std::move(f));
    }
    void join() {
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            threads.swap(threads_);
        }
        for (auto& t : threads) t.join();
    }

private:
    std::mutex mutex_;
    std::vector<std::thread> threads_;
};

std::string event(int i) { return "event: delta\ndata: {\"n\":" + std::to_string(i) + "}\n\n"; }

// A one-shot flag a test can wait on with a bound.
class Signal {
public:
    void set() {
        std::lock_guard lock(mutex_);
        if (!set_) promise_.set_value();
        set_ = true;
    }
    bool wait(std::chrono::milliseconds timeout) {
        return future_.wait_for(timeout) == std::future_status::ready;
    }

private:
    std::mutex mutex_;
    bool set_ = false;
    std::promise<void> promise_;
    std::future<void> future_ = promise_.get_future();
};

TEST(HttpStream, EventsArriveInOrderAndTheConnectionIsReused) {
    Workers workers;
    RunningServer s(test_options(), [&](HttpRequest request, std::shared_ptr<Responder> responder) {
        if (request.path != "/stream") return echo(std::move(request), std::move(responder));
        auto stream = responder->start_stream(200, {{"X-Request-Id", "r1"}});
        workers.spawn([stream] {
            for (int i = 0; i < 50; ++i) stream->send(event(i));
            stream->finish();
        });
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/stream")));
    auto head = client.read_head();
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 200);
    EXPECT_EQ(head->header("Content-Type"), "text/event-stream");
    EXPECT_EQ(head->header("Cache-Control"), "no-cache");
    EXPECT_EQ(head->header("X-Accel-Buffering"), "no");
    EXPECT_EQ(head->header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(head->header("X-Request-Id"), "r1");
    for (int i = 0; i < 50; ++i) {
        auto chunk = client.read_chunk();
        ASSERT_TRUE(chunk) << "chunk " << i;
        EXPECT_EQ(*chunk, event(i));
    }
    auto last = client.read_chunk();
    ASSERT_TRUE(last);
    EXPECT_TRUE(last->empty());
    ASSERT_TRUE(client.send_all(get_request("/after")));
    auto next = client.read_response();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "GET /after? ");
    workers.join();
}

TEST(HttpStream, ChunksFromSeveralThreadsAllArriveWhole) {
    Workers workers;
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        auto remaining = std::make_shared<std::atomic<int>>(4);
        for (int t = 0; t < 4; ++t) {
            workers.spawn([stream, remaining, t] {
                for (int i = 0; i < 25; ++i) stream->send(event(t * 100 + i));
                if (--*remaining == 0) stream->finish();
            });
        }
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    std::set<std::string> expected;
    for (int t = 0; t < 4; ++t) {
        for (int i = 0; i < 25; ++i) expected.insert(event(t * 100 + i));
    }
    std::set<std::string> received;
    std::size_t pos = 0;
    for (int i = 0; i < 1000 && pos < response->body.size(); ++i) {
        const auto end = response->body.find("\n\n", pos);
        ASSERT_NE(end, std::string::npos);
        received.insert(response->body.substr(pos, end + 2 - pos));
        pos = end + 2;
    }
    EXPECT_EQ(received, expected);
    workers.join();
}

TEST(HttpStream, ClientLeavingMidStreamFiresOnClose) {
    Signal closed;
    std::shared_ptr<EventStream> kept;
    std::mutex kept_mutex;
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->on_close([&closed] { closed.set(); });
        stream->send(": hello\n\n");
        std::lock_guard lock(kept_mutex);
        kept = stream;  // the "engine" still holds it, producing nothing for now
    });
    {
        RawClient client(s.port());
        ASSERT_TRUE(client.send_all(get_request("/")));
        ASSERT_TRUE(client.read_head());
        auto first = client.read_chunk();
        ASSERT_TRUE(first);
        EXPECT_EQ(*first, ": hello\n\n");
    }  // the client goes away
    ASSERT_TRUE(closed.wait(5s));
    std::lock_guard lock(kept_mutex);
    ASSERT_TRUE(kept);
    EXPECT_TRUE(kept->closed());
    EXPECT_FALSE(kept->send(event(1)));
    EXPECT_TRUE(eventually([&] { return s.server.open_connections() == 0; }));
    EXPECT_EQ(s.server.stats().client_disconnects, 1u);
}

TEST(HttpStream, OnCloseRegisteredAfterTheEndRunsAtOnce) {
    std::shared_ptr<EventStream> kept;
    std::mutex kept_mutex;
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->send(event(0));
        stream->finish();
        std::lock_guard lock(kept_mutex);
        kept = stream;
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    ASSERT_TRUE(client.read_response());
    std::shared_ptr<EventStream> stream;
    {
        std::lock_guard lock(kept_mutex);
        stream = kept;
    }
    ASSERT_TRUE(stream);
    EXPECT_TRUE(stream->closed());
    // The last byte is written before the response is complete on the client
    // side, so the exchange has ended (or is about to).
    std::atomic<bool> ran{false};
    EXPECT_TRUE(eventually([&] {
        stream->on_close([&ran] { ran = true; });
        return ran.load();
    }));
}

TEST(HttpStream, ResponderCompletedLaterFromAnotherThread) {
    Workers workers;
    std::atomic<int> on_close_calls{0};
    RunningServer s(test_options(), [&](HttpRequest request, std::shared_ptr<Responder> responder) {
        responder->on_close([&on_close_calls] { ++on_close_calls; });
        workers.spawn([responder, body = request.body] {
            std::this_thread::sleep_for(50ms);  // "generating"
            HttpResponse response;
            response.body = "answer to " + body;
            responder->respond(std::move(response));
        });
    });
    RawClient client(s.port());
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(client.send_all(post_request("/chat", "q" + std::to_string(i))));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->body, "answer to q" + std::to_string(i));
    }
    workers.join();
    EXPECT_TRUE(eventually([&] { return on_close_calls.load() == 3; }));
}

TEST(HttpStream, PlainResponderLearnsTheClientLeft) {
    Signal closed;
    std::shared_ptr<Responder> kept;
    std::mutex kept_mutex;
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        responder->on_close([&closed] { closed.set(); });
        std::lock_guard lock(kept_mutex);
        kept = responder;  // a long generation, never answered
    });
    {
        RawClient client(s.port());
        ASSERT_TRUE(client.send_all(get_request("/slow")));
        ASSERT_TRUE(eventually([&] {
            std::lock_guard lock(kept_mutex);
            return kept != nullptr;
        }));
    }
    ASSERT_TRUE(closed.wait(5s));
    std::lock_guard lock(kept_mutex);
    EXPECT_TRUE(kept->closed());
    EXPECT_FALSE(kept->respond(HttpResponse{}));
}

TEST(HttpStream, StreamDroppedWithoutFinishClosesTheConnection) {
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->send(event(0));
    });  // the stream goes out of scope unfinished
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    ASSERT_TRUE(client.read_head());
    auto first = client.read_chunk();
    ASSERT_TRUE(first);
    EXPECT_EQ(*first, event(0));
    EXPECT_TRUE(client.wait_for_close(5s));  // and no last chunk before it
}

// Sends 64 KiB chunks until the stream refuses one (bounded at 64 MiB).
bool flood_until_refused(EventStream& stream) {
    const std::string chunk = ": " + std::string(64 * 1024 - 4, 'z') + "\n\n";
    for (int i = 0; i < 1024; ++i) {
        if (!stream.send(chunk)) return true;
    }
    return false;
}

TEST(HttpStream, ClientThatDoesNotReadIsCutOffAtTheBufferCap) {
    auto options = test_options();
    options.max_stream_buffer_bytes = 256 * 1024;
    std::mutex log_mutex;
    std::string logged;
    options.error_log = [&](std::string_view line) {
        std::lock_guard lock(log_mutex);
        logged += std::string(line) + "\n";
    };
    Workers workers;
    Signal closed;
    std::atomic<bool> refused{false};
    RunningServer s(options, [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->on_close([&closed] { closed.set(); });
        workers.spawn([stream, &refused] { refused = flood_until_refused(*stream); });
    });
    RawClient client(s.port(), 5s, /*small_receive_buffer=*/true);
    ASSERT_TRUE(client.send_all(get_request("/")));  // and never reads
    EXPECT_TRUE(closed.wait(10s));
    workers.join();  // the handler has run: closing needs its producer
    EXPECT_TRUE(refused.load());
    EXPECT_EQ(s.server.stats().stream_overflows, 1u);
    EXPECT_TRUE(client.wait_for_close(5s));
    std::lock_guard lock(log_mutex);
    EXPECT_NE(logged.find("reads its stream too slowly: more than 262144 bytes waiting"), std::string::npos) << logged;
}

TEST(HttpStream, WriteTimeoutDisconnectsAStalledClient) {
    auto options = test_options();
    options.write_timeout = 300ms;
    options.max_stream_buffer_bytes = 256 * 1024 * 1024;  // the timeout, not the cap, acts
    Workers workers;
    Signal closed;
    std::atomic<bool> refused{false};
    RunningServer s(options, [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->on_close([&closed] { closed.set(); });
        workers.spawn([stream, &refused, &closed] {
            // Fill the socket buffers, then wait for the timeout to end it.
            for (int i = 0; i < 256 && !stream->closed(); ++i) stream->send(std::string(64 * 1024, ':') + "\n\n");
            closed.wait(5s);
            refused = !stream->send(event(1));
        });
    });
    RawClient client(s.port(), 5s, /*small_receive_buffer=*/true);
    ASSERT_TRUE(client.send_all(get_request("/")));  // and never reads
    EXPECT_TRUE(closed.wait(10s));
    workers.join();
    EXPECT_TRUE(refused.load());
    // Counted when the timed-out write completes, which may come just after
    // the close that on_close reported.
    EXPECT_TRUE(eventually([&] { return s.server.stats().timeouts == 1; }));
    EXPECT_EQ(s.server.stats().client_disconnects, 0u);
}

TEST(HttpStream, Http10StreamEndsWithTheConnection) {
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        auto stream = responder->start_stream(200, {});
        stream->send(event(1));
        stream->send(event(2));
        stream->finish();
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all("GET /old HTTP/1.0\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_FALSE(response->header("Transfer-Encoding"));
    EXPECT_EQ(response->body, event(1) + event(2));
}

}  // namespace
}  // namespace clawbot::test::http_layer
