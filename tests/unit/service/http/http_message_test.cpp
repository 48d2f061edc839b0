// The Beast-free values (header lookup, the JSON error shape) and the wire
// format of response heads and chunks, without a socket.
#include <gtest/gtest.h>

#include "service/http/http_message.h"
#include "service/http/wire_format.h"

namespace clawbot::service {
namespace {

TEST(HttpMessage, HeaderLookupIgnoresCaseAndReturnsTheFirst) {
    HttpRequest request;
    request.headers = {{"Content-Type", "application/json"}, {"X-Dup", "one"}, {"x-dup", "two"}};
    EXPECT_EQ(request.header("content-type"), "application/json");
    EXPECT_EQ(request.header("CONTENT-TYPE"), "application/json");
    EXPECT_EQ(request.header("X-DUP"), "one");
    EXPECT_FALSE(request.header("Authorization"));
    EXPECT_FALSE(request.header("Content-Typ"));
}

TEST(HttpMessage, SetHeaderReplacesRegardlessOfCase) {
    HttpResponse response;
    response.set_header("Retry-After", "1").set_header("retry-after", "5");
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0].second, "5");
}

TEST(HttpMessage, JsonErrorResponseIsOpenAisErrorObject) {
    const HttpResponse response = json_error_response(413, "payload_too_large", "too \"big\"\n");
    EXPECT_EQ(response.status, 413);
    EXPECT_EQ(response.body,
              R"({"error":{"message":"too \"big\"\n","type":"invalid_request_error","param":null,"code":"payload_too_large"}})");
    ASSERT_EQ(response.headers.size(), 1u);
    EXPECT_EQ(response.headers[0].second, "application/json");
    EXPECT_EQ(json_error_response(400, "invalid_request", "bad", "top_p").body,
              R"({"error":{"message":"bad","type":"invalid_request_error","param":"top_p","code":"invalid_request"}})");
}

TEST(HttpMessage, TheErrorTypeFollowsTheStatus) {
    EXPECT_EQ(error_type_for_status(400), "invalid_request_error");
    EXPECT_EQ(error_type_for_status(413), "invalid_request_error");
    EXPECT_EQ(error_type_for_status(401), "authentication_error");
    EXPECT_EQ(error_type_for_status(403), "permission_error");
    EXPECT_EQ(error_type_for_status(404), "not_found_error");
    EXPECT_EQ(error_type_for_status(429), "rate_limit_error");
    EXPECT_EQ(error_type_for_status(500), "server_error");
    EXPECT_EQ(error_type_for_status(503), "server_error");
}

TEST(HttpMessage, JsonEscapeHandlesControlsAndKeepsUtf8) {
    EXPECT_EQ(json_escape(std::string("a\\b\t\x01\0", 6)), "a\\\\b\\t\\u0001\\u0000");
    EXPECT_EQ(json_escape("\xe4\xbd\xa0\xe5\xa5\xbd"), "\xe4\xbd\xa0\xe5\xa5\xbd");
    // Bytes that are not UTF-8 (a stray byte, a cut-off sequence) become U+FFFD.
    EXPECT_EQ(json_escape("/\xff/\xe4\xbd"), "/\xef\xbf\xbd/\xef\xbf\xbd");
}

TEST(WireFormat, ChunkFramingUsesHexSizes) {
    EXPECT_EQ(frame_chunk("hello"), "5\r\nhello\r\n");
    EXPECT_EQ(frame_chunk(std::string(255, 'x')).substr(0, 4), "ff\r\n");
    EXPECT_EQ(frame_chunk(std::string(4096, 'x')).substr(0, 6), "1000\r\n");
}

TEST(WireFormat, PlainHeadCarriesLengthAndConnection) {
    HttpHeaders headers = {{"Content-Type", "text/plain"}};
    ResponseHead head;
    head.status = 404;
    head.headers = &headers;
    head.content_length = 9;
    head.keep_alive = false;
    const std::string text = serialize_response_head(head);
    EXPECT_EQ(text.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << text;
    EXPECT_NE(text.find("Content-Type: text/plain\r\n"), std::string::npos);
    EXPECT_NE(text.find("Content-Length: 9\r\n"), std::string::npos);
    EXPECT_NE(text.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(text.substr(text.size() - 4), "\r\n\r\n");
}

TEST(WireFormat, ChunkedHeadAndUnsafeFields) {
    HttpHeaders headers = {{"X-Ok", "yes"},
                           {"X-Split", "a\r\nInjected: 1"},
                           {"Bad Name", "v"},
                           {"Transfer-Encoding", "gzip"}};
    ResponseHead head;
    head.headers = &headers;
    head.framing = BodyFraming::chunked;
    const std::string text = serialize_response_head(head);
    EXPECT_NE(text.find("Transfer-Encoding: chunked\r\n"), std::string::npos) << text;
    EXPECT_NE(text.find("X-Ok: yes\r\n"), std::string::npos);
    EXPECT_EQ(text.find("Injected"), std::string::npos);
    EXPECT_EQ(text.find("Bad Name"), std::string::npos);
    EXPECT_EQ(text.find("gzip"), std::string::npos);
    EXPECT_EQ(text.find("Content-Length"), std::string::npos);
}

TEST(WireFormat, StatusOutOfRangeBecomes500) {
    ResponseHead head;
    head.status = 1234;
    EXPECT_EQ(serialize_response_head(head).rfind("HTTP/1.1 500 ", 0), 0u);
    head.status = 42;
    EXPECT_EQ(serialize_response_head(head).rfind("HTTP/1.1 500 ", 0), 0u);
}

TEST(WireFormat, AsksConnectionClose) {
    EXPECT_TRUE(asks_connection_close({{"connection", "Close"}}));
    EXPECT_FALSE(asks_connection_close({{"Connection", "keep-alive"}}));
    EXPECT_FALSE(asks_connection_close({}));
}

}  // namespace
}  // namespace clawbot::service
