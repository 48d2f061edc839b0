// CORS_ORIGINS: off by default; a listed origin's preflight is answered and
// every answer to it (401s and streams included) names it in
// Access-Control-Allow-Origin; any other origin is refused its preflight
// and gets no CORS header. The token is still required.
#include "api_fixture.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

constexpr const char* kApp = "https://app.example.com";

class Cors : public ApiFixture {
protected:
    HttpResult from(const std::string& origin, const std::string& method, const std::string& path,
                    std::optional<std::string> token, const std::string& body = "",
                    std::vector<std::pair<std::string, std::string>> extra = {}) {
        HttpCall c;
        c.method = method;
        c.path = path;
        c.bearer = std::move(token);
        c.body = body;
        c.headers = std::move(extra);
        c.headers.emplace_back("Origin", origin);
        if (!body.empty()) c.headers.emplace_back("Content-Type", "application/json");
        return http_request(server_->port(), c);
    }
    HttpResult preflight(const std::string& origin) {
        return from(origin, "OPTIONS", "/v1/chat/completions", std::nullopt, "",
                    {{"Access-Control-Request-Method", "POST"},
                     {"Access-Control-Request-Headers", "authorization, content-type"}});
    }
};

TEST_F(Cors, OffByDefault) {
    start();
    const HttpResult pre = preflight(kApp);
    EXPECT_EQ(pre.status, 403) << pre.body;
    EXPECT_EQ(json_of(pre)["error"]["code"], "cors_origin_not_allowed");
    const HttpResult models = from(kApp, "GET", "/v1/models", admin_);
    EXPECT_EQ(models.status, 200);
    EXPECT_FALSE(models.header("Access-Control-Allow-Origin"));
}

TEST_F(Cors, AListedOriginIsAnsweredAndOthersAreNot) {
    start({"--cors-origins", std::string(kApp) + ", http://localhost:3000"});
    const HttpResult pre = preflight(kApp);
    ASSERT_EQ(pre.status, 204) << pre.body;
    EXPECT_EQ(pre.header("Access-Control-Allow-Origin"), kApp);
    ASSERT_TRUE(pre.header("Access-Control-Allow-Headers"));
    EXPECT_NE(pre.header("Access-Control-Allow-Headers")->find("Authorization"), std::string::npos);
    EXPECT_EQ(pre.header("Access-Control-Allow-Methods"), "GET, POST, PATCH, DELETE, OPTIONS");  // PATCH: rename, system prompt
    EXPECT_EQ(pre.header("Vary"), "Origin");

    const HttpResult other = preflight("https://evil.example.com");
    EXPECT_EQ(other.status, 403);
    EXPECT_FALSE(other.header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(from("https://evil.example.com", "GET", "/v1/models", admin_).header("Access-Control-Allow-Origin"));

    // The token is still needed, and the page can read the 401.
    const HttpResult anonymous = from(kApp, "GET", "/v1/models", std::nullopt);
    EXPECT_EQ(anonymous.status, 401);
    EXPECT_EQ(anonymous.header("Access-Control-Allow-Origin"), kApp);

    const HttpResult models = from("http://localhost:3000", "GET", "/v1/models", admin_);
    EXPECT_EQ(models.status, 200);
    EXPECT_EQ(models.header("Access-Control-Allow-Origin"), "http://localhost:3000");

    const json chat{{"messages", json::array({{{"role", "user"}, {"content", "Once upon a time"}}})},
                    {"max_tokens", 4},
                    {"stream", true}};
    const HttpResult streamed = from(kApp, "POST", "/v1/chat/completions", admin_, chat.dump());
    ASSERT_EQ(streamed.status, 200) << streamed.body;
    EXPECT_EQ(streamed.header("Access-Control-Allow-Origin"), kApp);
    EXPECT_NE(streamed.body.find("[DONE]"), std::string::npos);
}

TEST_F(Cors, AStarAllowsAnyOriginButNeverTheNullOne) {
    start({"--cors-origins", "*"});
    EXPECT_EQ(preflight("https://anything.example").status, 204);
    EXPECT_EQ(preflight("https://anything.example").header("Access-Control-Allow-Origin"), "https://anything.example");
    EXPECT_EQ(preflight("null").status, 403);
}

}  // namespace
}  // namespace clawbot::test
