// `clawbot loadtest` against the real server (stories260K, a 256-token
// context: hence the short system prompt): every turn of every user is
// one streamed request, counted and measured; refusals are counted by HTTP
// status; bad arguments and an unreachable server end it with one line.
#include <algorithm>

#include "api_fixture.h"

namespace clawbot::test {
namespace {

using nlohmann::json;

class LoadTool : public ApiFixture {
protected:
    void SetUp() override {
        ApiFixture::SetUp();
        start();
    }
    ProcessResult loadtest(const std::string& token, const std::string& extra) {
        return run_clawbot("loadtest --url http://127.0.0.1:" + std::to_string(server_->port()) + " --token " +
                           shell_quote(token) + " --users 4 --turns 3 --max-tokens 8 --timeout-s 120 --system 'Tell a story.' " + extra);
    }
};

TEST_F(LoadTool, EveryTurnIsMeasuredPerTurnIndex) {
    const auto r = loadtest(admin_, "--json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const json report = json::parse(r.out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << r.out;
    EXPECT_EQ(report["requests"], 12);
    EXPECT_TRUE(report["errors"].empty()) << report.dump();
    EXPECT_GT(report["completion_tokens"].get<long>(), 0);
    EXPECT_LE(report["completion_tokens"].get<long>(), 4 * 3 * 8);
    EXPECT_GT(report["wall_s"].get<double>(), 0.0);
    EXPECT_GT(report["tokens_per_s"].get<double>(), 0.0);
    ASSERT_EQ(report["ttft_s"].size(), 3u) << report.dump();
    for (const char* turn : {"turn_1", "turn_2", "turn_3"}) {
        const json& t = report["ttft_s"][turn];
        ASSERT_TRUE(t["p50"].is_number()) << turn << " " << report.dump();
        EXPECT_GT(t["p50"].get<double>(), 0.0);
        EXPECT_LE(t["p50"].get<double>(), t["p95"].get<double>());
        EXPECT_LE(t["p95"].get<double>(), t["p99"].get<double>());
    }
    EXPECT_TRUE(report["inter_token_p95_s"].is_number()) << report.dump();
    EXPECT_GE(report["inter_token_p99_s"].get<double>(), report["inter_token_p95_s"].get<double>()) << report.dump();
}

TEST_F(LoadTool, WrongTokenIsCountedByStatusReportedAndFailsTheRun) {
    const auto r = loadtest("cb_not_a_real_token_at_all_xxxxxxxx", "--json");
    // The report is printed, and a run whose every request failed fails.
    EXPECT_EQ(r.exit_code, 1) << r.err;
    EXPECT_NE(r.err.find("12 of 12 requests failed"), std::string::npos) << r.err;
    EXPECT_EQ(loadtest("cb_not_a_real_token_at_all_xxxxxxxx", "--json --max-error-rate 1").exit_code, 0);
    const json report = json::parse(r.out, nullptr, false);
    EXPECT_EQ(report["requests"], 12);
    EXPECT_EQ(report["errors"], json({{"401", 12}})) << r.out;
    EXPECT_EQ(report["completion_tokens"], 0);
    EXPECT_TRUE(report["ttft_s"]["turn_1"]["p50"].is_null());

    const auto text = loadtest("cb_not_a_real_token_at_all_xxxxxxxx", "");
    EXPECT_EQ(text.exit_code, 1) << text.err;
    EXPECT_NE(text.out.find("TTFT"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("401"), std::string::npos) << text.out;
}

TEST_F(LoadTool, BadTargetsEndWithOneErrorLine) {
    const auto https = run_clawbot("loadtest --url https://127.0.0.1:1 --token t --users 1 --turns 1");
    EXPECT_NE(https.exit_code, 0);
    EXPECT_NE(https.err.find("https"), std::string::npos) << https.err;
    EXPECT_EQ(std::count(https.err.begin(), https.err.end(), '\n'), 1) << https.err;

    // Port 1 on loopback: nothing listens, the connection is refused.
    const auto refused = run_clawbot("loadtest --url http://127.0.0.1:1 --token t --users 2 --turns 1");
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.err.find("cannot connect"), std::string::npos) << refused.err;
    EXPECT_EQ(std::count(refused.err.begin(), refused.err.end(), '\n'), 1) << refused.err;
    EXPECT_TRUE(refused.out.empty()) << refused.out;

    const auto zero_users = run_clawbot("loadtest --url http://127.0.0.1:1 --token t --users 0");
    EXPECT_NE(zero_users.exit_code, 0);
}

}  // namespace
}  // namespace clawbot::test
