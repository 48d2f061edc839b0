#pragma once
// Starts the real `clawbot serve` on an ephemeral port and stops it.
#include <map>
#include <string>
#include <vector>

#include <sys/types.h>

namespace clawbot::test {

class ServerProcess {
public:
    // args follow "clawbot serve"; --port 0 is added. env entries are added
    // to the environment. Waits for the "listening on" line.
    ServerProcess(std::vector<std::string> args, std::map<std::string, std::string> env = {});
    ~ServerProcess();  // SIGKILL if still running

    bool started() const { return port_ > 0; }
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    // Everything the server wrote to stderr so far.
    std::string log() const;
    // Sends a signal and waits for the exit; returns the exit status
    // (128 + signal when killed), or -1 on timeout.
    int stop(int signal, int timeout_s = 30);

private:
    pid_t pid_ = -1;
    int port_ = 0;
    std::string dir_;
    std::string log_path_;
};

// Runs `clawbot ARGS` to completion: exit code and stdout+stderr.
std::pair<int, std::string> run_clawbot_command(const std::string& args);

}  // namespace clawbot::test
