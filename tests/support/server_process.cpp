#include "support/server_process.h"

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/process.h"
#include "support/test_support.h"

namespace clawbot::test {

namespace {

// The port in "listening on http://HOST:PORT", or 0.
int listening_port(const std::string& text) {
    const std::string marker = "listening on http://";
    const size_t at = text.find(marker);
    if (at == std::string::npos) return 0;
    const size_t colon = text.find(':', at + marker.size());
    const size_t end = text.find_first_not_of("0123456789", colon + 1);
    if (colon == std::string::npos || end == std::string::npos || end == colon + 1) return 0;
    return std::stoi(text.substr(colon + 1, end - colon - 1));
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env) {
    dir_ = make_temp_dir();
    log_path_ = dir_ + "/stderr.log";
    args.insert(args.begin(), {clawbot_bin(), "serve", "--port", "0"});
    pid_ = fork();
    if (pid_ == 0) {
        const int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(fd, 2);
        const int null = ::open("/dev/null", O_WRONLY);
        dup2(null, 1);
        for (const auto& [k, v] : env) setenv(k.c_str(), v.c_str(), 1);
        std::vector<char*> argv;
        for (std::string& a : args) argv.push_back(a.data());
        argv.push_back(nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    for (int i = 0; i < 600; ++i) {  // up to 30 s for the model to load
        if (const int port = listening_port(log())) {
            port_ = port;
            return;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

ServerProcess::~ServerProcess() {
    if (pid_ > 0) stop(SIGKILL, 10);
    std::filesystem::remove_all(dir_);
}

std::string ServerProcess::log() const {
    std::ifstream in(log_path_);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int ServerProcess::stop(int signal, int timeout_s) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    for (int i = 0; i < timeout_s * 20; ++i) {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return -1;
}

std::pair<int, std::string> run_clawbot_command(const std::string& args) {
    ProcessResult r = run_clawbot(args);
    return {r.exit_code, r.out + r.err};
}

}  // namespace clawbot::test
