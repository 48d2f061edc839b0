#include "support/test_support.h"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

#include <unistd.h>

namespace clawbot::test {

std::string shared_dir() {
    const char* dir = std::getenv("CLAWBOT_SHARED_DIR");
    return dir ? dir : CLAWBOT_SHARED_DIR_DEFAULT;
}

std::string shared_path(const std::string& relative) { return shared_dir() + "/" + relative; }

std::string clawbot_bin() {
    const char* bin = std::getenv("CLAWBOT_BIN");
    return bin ? bin : CLAWBOT_BIN_DEFAULT;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

nlohmann::json read_json(const std::string& path) { return nlohmann::json::parse(read_file(path)); }

std::string make_temp_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp ? tmp : "/tmp") + "/clawbot-test-XXXXXX";
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    return pattern;
}

int poll_status(int wanted, std::chrono::milliseconds within, const std::function<int()>& attempt) {
    const auto deadline = std::chrono::steady_clock::now() + within;
    int status = attempt();
    while (status != wanted && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        status = attempt();
    }
    return status;
}

}  // namespace clawbot::test
