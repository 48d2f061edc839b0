#pragma once
// Helpers shared by the tests: where ../shared is, reading reference JSON.
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

}  // namespace clawbot::test
