// Plain request/response exchanges over real sockets: round trips,
// keep-alive, pipelining, HEAD, limits (413, 431), malformed input (400),
// timeouts, and handlers that misbehave.
#include <atomic>
#include <stdexcept>
#include <thread>

#include "http_test_support.h"

namespace clawbot::test::http_layer {
namespace {

using service::HttpRequest;
using service::HttpResponse;
using service::Responder;

TEST(HttpServer, GetRoundTripWithQuery) {
    RunningServer s(test_options(), echo);
    RawClient client(s.port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.send_all(get_request("/hello/world?x=1&y=2")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "GET /hello/world?x=1&y=2 ");
    EXPECT_EQ(response->header("content-type"), "text/plain");
}

TEST(HttpServer, PostBodyAndHeadersReachTheHandler) {
    std::string seen_header;
    std::string seen_remote;
    RunningServer s(test_options(), [&](HttpRequest request, std::shared_ptr<Responder> responder) {
        seen_header = std::string(request.header("x-CUSTOM-header").value_or("missing"));
        seen_remote = request.remote_address;
        echo(std::move(request), std::move(responder));
    });
    RawClient client(s.port());
    const std::string body(10'000, 'b');
    ASSERT_TRUE(client.send_all("POST /submit HTTP/1.1\r\nHost: t\r\nX-Custom-Header: yes\r\n"
                                "Content-Length: 10000\r\n\r\n" + body));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "POST /submit? " + body);
    EXPECT_EQ(seen_header, "yes");
    EXPECT_EQ(seen_remote, "127.0.0.1");
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
    RunningServer s(test_options(), echo);
    RawClient client(s.port());
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(client.send_all(post_request("/n", std::to_string(i))));
        auto response = client.read_response();
        ASSERT_TRUE(response) << "request " << i;
        EXPECT_EQ(response->body, "POST /n? " + std::to_string(i));
        EXPECT_NE(response->header("Connection"), "close");
    }
    EXPECT_EQ(s.server.open_connections(), 1u);
    EXPECT_EQ(s.server.stats().connections_accepted, 1u);
    EXPECT_EQ(s.server.stats().requests_dispatched, 5u);
}

TEST(HttpServer, PipelinedRequestsAreAnsweredInOrder) {
    RunningServer s(test_options(), echo);
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/a") + post_request("/b", "body-b") + get_request("/c")));
    for (const char* expected : {"GET /a? ", "POST /b? body-b", "GET /c? "}) {
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->body, expected);
    }
}

TEST(HttpServer, Http10ConnectionClosesAfterTheResponse) {
    RunningServer s(test_options(), echo);
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all("GET /old HTTP/1.0\r\n\r\n"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "GET /old? ");
    EXPECT_TRUE(client.wait_for_close(5s));
}

TEST(HttpServer, ConnectionCloseIsHonoured) {
    RunningServer s(test_options(), echo);
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/x", "Connection: close\r\n")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("Connection"), "close");
    EXPECT_TRUE(client.wait_for_close(5s));
}

TEST(HttpServer, HeadGetsTheLengthButNoBody) {
    RunningServer s(test_options(), [](HttpRequest, std::shared_ptr<Responder> responder) {
        HttpResponse response;
        response.body = "twelve bytes";
        responder->respond(std::move(response));
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all("HEAD / HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto head = client.read_response(/*head_request=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->header("Content-Length"), "12");
    // Had a body been sent, it would be read here as the next status line.
    ASSERT_TRUE(client.send_all(get_request("/")));
    auto get = client.read_response();
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200);
    EXPECT_EQ(get->body, "twelve bytes");
}

TEST(HttpServer, NoContentHasNoLengthAndKeepsTheConnection) {
    RunningServer s(test_options(), [](HttpRequest, std::shared_ptr<Responder> responder) {
        HttpResponse response;
        response.status = 204;
        responder->respond(std::move(response));
    });
    RawClient client(s.port());
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(client.send_all("DELETE /thing HTTP/1.1\r\nHost: t\r\n\r\n"));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 204);
        EXPECT_FALSE(response->header("Content-Length"));
    }
}

TEST(HttpServer, BodyOverTheLimitGets413AndOthersAreStillServed) {
    auto options = test_options();
    options.max_body_bytes = 1024;
    RunningServer s(options, echo);
    {
        RawClient client(s.port());
        ASSERT_TRUE(client.send_all(post_request("/big", std::string(4096, 'x'))));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 413);
        EXPECT_EQ(response->header("Content-Type"), "application/json");
        EXPECT_NE(response->body.find("\"code\":\"payload_too_large\""), std::string::npos) << response->body;
        EXPECT_TRUE(client.wait_for_close(5s));
    }
    {
        // Chunked: the size is only known as the chunks arrive.
        RawClient client(s.port());
        const std::string chunk(800, 'y');
        ASSERT_TRUE(client.send_all("POST /big HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "320\r\n" + chunk + "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
        auto response = client.read_response();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 413);
    }
    RawClient other(s.port());
    ASSERT_TRUE(other.send_all(post_request("/small", std::string(1024, 's'))));
    auto response = other.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(s.server.stats().requests_body_too_large, 2u);
}

TEST(HttpServer, OversizedHeaderGets431) {
    RunningServer s(test_options(), echo);  // default limit: 16 KiB
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/", "X-Big: " + std::string(20'000, 'h') + "\r\n")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 431);
    EXPECT_NE(response->body.find("header_too_large"), std::string::npos);
    EXPECT_TRUE(client.wait_for_close(5s));

    RawClient fits(s.port());
    ASSERT_TRUE(fits.send_all(get_request("/", "X-Big: " + std::string(10'000, 'h') + "\r\n")));
    auto ok = fits.read_response();
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
}

TEST(HttpServer, MalformedRequestsGet400AndAreClosed) {
    RunningServer s(test_options(), echo);
    for (const char* garbage : {"NOT A REQUEST\r\n\r\n", "GET / HTTP/9.9\r\n\r\n",
                                "GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
                                "POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"}) {
        RawClient client(s.port());
        ASSERT_TRUE(client.send_all(garbage));
        auto response = client.read_response();
        ASSERT_TRUE(response) << garbage;
        EXPECT_EQ(response->status, 400) << garbage;
        EXPECT_NE(response->body.find("\"code\":\"bad_request\""), std::string::npos);
        EXPECT_TRUE(client.wait_for_close(5s)) << garbage;
    }
    RawClient good(s.port());
    ASSERT_TRUE(good.send_all(get_request("/")));
    auto response = good.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(s.server.stats().requests_malformed, 4u);
}

TEST(HttpServer, HalfAHeaderIsDisconnectedAfterTheHeaderTimeout) {
    auto options = test_options();
    options.header_timeout = 300ms;
    RunningServer s(options, echo);
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all("GET / HTTP/1.1\r\nHost: t\r\n"));
    EXPECT_TRUE(client.wait_for_close(5s));
    EXPECT_TRUE(eventually([&] { return s.server.open_connections() == 0; }));
    EXPECT_EQ(s.server.stats().timeouts, 1u);
}

TEST(HttpServer, TricklingClientIsStillDisconnected) {
    // Slowloris: a byte now and then must not re-arm the header deadline.
    auto options = test_options();
    options.header_timeout = 300ms;
    RunningServer s(options, echo);
    RawClient client(s.port());
    bool closed = false;
    for (int i = 0; i < 100 && !closed; ++i) {  // at most ~5 s
        if (!client.send_all("X")) break;
        closed = client.wait_for_close(50ms);
    }
    EXPECT_TRUE(closed || client.wait_for_close(1s));
}

TEST(HttpServer, HeaderTimeoutIsReArmedForEachRequest) {
    auto options = test_options();
    options.header_timeout = 500ms;
    RunningServer s(options, echo);
    RawClient client(s.port());
    // Three requests spread over more than one header timeout all succeed:
    // the deadline counts from each request's first byte.
    for (int i = 0; i < 3; ++i) {
        std::this_thread::sleep_for(250ms);
        ASSERT_TRUE(client.send_all(get_request("/again")));
        auto response = client.read_response();
        ASSERT_TRUE(response) << "request " << i;
        EXPECT_EQ(response->status, 200);
    }
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
    auto options = test_options();
    options.idle_timeout = 300ms;
    RunningServer s(options, echo);
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    ASSERT_TRUE(client.read_response());
    EXPECT_TRUE(client.wait_for_close(5s));
    EXPECT_TRUE(eventually([&] { return s.server.open_connections() == 0; }));
}

TEST(HttpServer, ExpectContinueGetsA100BeforeTheBody) {
    RunningServer s(test_options(), echo);
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all("POST /up HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
                                "Content-Length: 5\r\n\r\n"));
    auto interim = client.read_head();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(client.send_all("hello"));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "POST /up? hello");
}

TEST(HttpServer, HandlerThatThrowsGets500AndTheServerCarriesOn) {
    std::atomic<int> logged{0};
    auto options = test_options();
    options.error_log = [&](std::string_view) { ++logged; };
    RunningServer s(options, [](HttpRequest request, std::shared_ptr<Responder> responder) {
        if (request.path == "/throw") throw std::runtime_error("boom");
        echo(std::move(request), std::move(responder));
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/throw")));
    auto failed = client.read_response();
    ASSERT_TRUE(failed);
    EXPECT_EQ(failed->status, 500);
    EXPECT_NE(failed->body.find("internal_error"), std::string::npos);
    ASSERT_TRUE(client.send_all(get_request("/fine")));
    auto fine = client.read_response();
    ASSERT_TRUE(fine);
    EXPECT_EQ(fine->status, 200);
    EXPECT_EQ(logged.load(), 1);
}

TEST(HttpServer, ResponderDroppedWithoutAnAnswerGives500) {
    RunningServer s(test_options(), [](HttpRequest, std::shared_ptr<Responder>) {});
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/forgotten")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 500);
}

TEST(HttpServer, SecondAnswerIsRefused) {
    std::atomic<int> second_result{-1};
    RunningServer s(test_options(), [&](HttpRequest, std::shared_ptr<Responder> responder) {
        HttpResponse first;
        first.body = "first";
        responder->respond(std::move(first));
        second_result = responder->respond(HttpResponse{}) ? 1 : 0;
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "first");
    EXPECT_EQ(second_result.load(), 0);
}

TEST(HttpServer, HeadersThatWouldSplitTheResponseAreDropped) {
    RunningServer s(test_options(), [](HttpRequest, std::shared_ptr<Responder> responder) {
        HttpResponse response;
        response.headers.emplace_back("X-Good", "fine");
        response.headers.emplace_back("X-Evil", "a\r\nSet-Cookie: stolen=1");
        response.headers.emplace_back("Content-Length", "999");  // the server's to set
        response.body = "ok";
        responder->respond(std::move(response));
    });
    RawClient client(s.port());
    ASSERT_TRUE(client.send_all(get_request("/")));
    auto response = client.read_response();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->header("X-Good"), "fine");
    EXPECT_FALSE(response->header("X-Evil"));
    EXPECT_FALSE(response->header("Set-Cookie"));
    EXPECT_EQ(response->header("Content-Length"), "2");
    EXPECT_EQ(response->body, "ok");
}

TEST(HttpServer, ListenReportsAPortInUse) {
    RunningServer first(test_options(), echo);
    auto options = test_options();
    options.port = static_cast<std::uint16_t>(first.port());
    FunctionHandler handler(echo);
    service::HttpServer second(options, handler);
    auto result = second.listen();
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("in use"), std::string::npos) << result.error().message;
}

TEST(HttpServer, ListenReportsAnAddressNotOnThisMachine) {
    auto options = test_options();
    options.host = "192.0.2.1";  // TEST-NET-1: never a local address
    FunctionHandler handler(echo);
    service::HttpServer server(options, handler);
    auto result = server.listen();
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("192.0.2.1"), std::string::npos) << result.error().message;
}

}  // namespace
}  // namespace clawbot::test::http_layer
