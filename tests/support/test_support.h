#pragma once
// Helpers shared by the tests: where ../shared is, reading reference JSON.
#include <chrono>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

namespace clawbot::test {

// ../shared beside the project root (CLAWBOT_SHARED_DIR from ctest).
std::string shared_dir();
std::string shared_path(const std::string& relative);
// Path of the built clawbot binary (CLAWBOT_BIN from ctest).
std::string clawbot_bin();
nlohmann::json read_json(const std::string& path);
std::string read_file(const std::string& path);
// A fresh empty directory under the system temp dir, unique per call.
std::string make_temp_dir();

// Calls `attempt` (an HTTP status) every 20 ms until it returns `wanted` or
// `within` has passed; returns the last status. For changes a server learns
// of on a timer, such as a token revoked by another process.
int poll_status(int wanted, std::chrono::milliseconds within, const std::function<int()>& attempt);

}  // namespace clawbot::test
