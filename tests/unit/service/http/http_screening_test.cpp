// A handler that screens a request on its header, now or later: a deferred
// decision (a token the handler must look up off the I/O thread) holds the
// body unread until it comes, from any thread, and is then applied exactly
// as an immediate one would be.
#include <any>
#include <atomic>
#include <mutex>
#include <thread>

#include "http_test_support.h"

namespace clawbot::test::http_layer {
namespace {

using service::HttpRequest;
using service::HttpResponse;
using service::Responder;
using service::Screening;

// Defers every screening and hands the decision to the test.
class DeferringHandler : public service::HttpHandler {
public:
    Screening screen(const HttpRequest&) override {
        Screening s;
        s.decide_later = [this](std::function<void(Screening)> decide) {
            std::lock_guard lock(mutex_);
            pending_ = std::move(decide);
        };
        return s;
    }
    void handle(HttpRequest request, std::shared_ptr<Responder> responder) override {
        handled_.fetch_add(1);
        HttpResponse r;
        const int* mark = std::any_cast<int>(&request.screened);
        r.body = request.body + " screened=" + (mark ? std::to_string(*mark) : "none");
        responder->respond(std::move(r));
    }
    bool has_pending() {
        std::lock_guard lock(mutex_);
        return static_cast<bool>(pending_);
    }
    // Calls the pending decision from a thread of its own, as a store thread would.
    void decide(Screening screening) {
        std::function<void(Screening)> decide;
        {
            std::lock_guard lock(mutex_);
            decide = std::move(pending_);
            pending_ = nullptr;
        }
        std::thread([decide = std::move(decide), s = std::move(screening)]() mutable { decide(std::move(s)); }).join();
    }
    int handled() const { return handled_.load(); }

private:
    std::mutex mutex_;
    std::function<void(Screening)> pending_;
    std::atomic<int> handled_{0};
};

struct DeferringServer {
    DeferringServer() : server(test_options(), handler) {
        EXPECT_TRUE(server.listen().ok());
        server.start(2);
    }
    DeferringHandler handler;
    service::HttpServer server;
};

TEST(HttpScreening, ADeferredAcceptanceReadsTheBodyAfterTheDecisionAndHandsItsAttachment) {
    DeferringServer s;
    RawClient client(s.server.port());
    ASSERT_TRUE(client.send_all(post_request("/x", "hello")));
    ASSERT_TRUE(eventually([&] { return s.handler.has_pending(); }));
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(s.handler.handled(), 0) << "handled before the screening was decided";
    Screening accepted;
    accepted.attachment = 42;
    s.handler.decide(std::move(accepted));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello screened=42");
    // The connection serves the next request the same way.
    ASSERT_TRUE(client.send_all(post_request("/y", "again")));
    ASSERT_TRUE(eventually([&] { return s.handler.has_pending(); }));
    s.handler.decide(Screening{});
    response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "again screened=none");
}

TEST(HttpScreening, ADeferredRefusalIsAnsweredAndClosesWithoutTheHandler) {
    DeferringServer s;
    RawClient client(s.server.port());
    // A body larger than a header read: the server must not have read it.
    ASSERT_TRUE(client.send_all("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 100000\r\n\r\n"));
    ASSERT_TRUE(eventually([&] { return s.handler.has_pending(); }));
    Screening refused;
    HttpResponse r;
    r.status = 401;
    r.body = "no";
    refused.refusal = std::move(r);
    s.handler.decide(std::move(refused));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);
    EXPECT_TRUE(client.wait_for_close(2s));
    EXPECT_EQ(s.handler.handled(), 0);
    EXPECT_EQ(s.server.stats().requests_refused_before_body, 1u);
}

TEST(HttpScreening, ADecisionThatComesAfterTheClientLeftOrTheServerStoppedDoesNoHarm) {
    auto s = std::make_unique<DeferringServer>();
    {
        RawClient client(s->server.port());
        ASSERT_TRUE(client.send_all(post_request("/x", "gone")));
        ASSERT_TRUE(eventually([&] { return s->handler.has_pending(); }));
    }  // the client is gone; the server learns it only when it writes
    s->handler.decide(Screening{});
    // Still serving.
    RawClient next(s->server.port());
    ASSERT_TRUE(next.send_all(post_request("/x", "next")));
    ASSERT_TRUE(eventually([&] { return s->handler.has_pending(); }));
    s->handler.decide(Screening{});
    auto response = next.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "next screened=none");
    // Pending at shutdown: the decision arrives after stop() and is dropped.
    RawClient last(s->server.port());
    ASSERT_TRUE(last.send_all(post_request("/x", "late")));
    ASSERT_TRUE(eventually([&] { return s->handler.has_pending(); }));
    const int handled = s->handler.handled();
    s->server.stop();
    s->handler.decide(Screening{});
    EXPECT_EQ(s->handler.handled(), handled);
    s.reset();
}

}  // namespace
}  // namespace clawbot::test::http_layer
