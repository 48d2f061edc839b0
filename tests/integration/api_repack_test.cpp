// REPACK_WEIGHTS on the real server: packed copies of the weights by
// default (where this CPU has packed kernels), none when it is off, and
// chat works either way.
#include <string>

#include "api_fixture.h"
#include "engine/tensor/packed_kernels.h"

namespace clawbot::test {
namespace {

class RepackSetting : public ApiFixture {};

// The N of the "model loaded: N matrices repacked ..." log line.
int repacked_matrices(const std::string& log) {
    const std::string marker = "model loaded: ";
    const size_t at = log.find(marker);
    if (at == std::string::npos) return -1;
    return std::stoi(log.substr(at + marker.size()));
}

TEST_F(RepackSetting, PackedByDefaultAndOffWhenAsked) {
    for (const bool off : {false, true}) {
        std::map<std::string, std::string> env;
        if (off) env["REPACK_WEIGHTS"] = "0";
        start({"--model-path", shared_path("models/synth-spm-q8_0.gguf"), "--ctx-size", "256"}, env, false);
        const std::string log = server_->log();
        const int packed = repacked_matrices(log);
        ASSERT_GE(packed, 0) << log;
        if (off) {
            EXPECT_EQ(packed, 0) << log;
            EXPECT_NE(log.find("(REPACK_WEIGHTS=0)"), std::string::npos) << log;
        } else {
            EXPECT_EQ(packed > 0, kernels::packed_kernels(DType::Q8_0) != nullptr) << log;
        }
        auto r = post_json("/api/v1/chat", {{"query", "Once upon a time"}, {"max_tokens", 6}}, admin_);
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_GT(json_of(r)["usage"]["completion_tokens"].get<int>(), 0);
        server_.reset();
    }
}

}  // namespace
}  // namespace clawbot::test
