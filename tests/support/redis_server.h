#pragma once
// A real redis-server for tests, started by the test itself: on a free
// loopback port, in its own temp directory, with the AOF fsynced on every
// write (what the Redis store asks of production). It can be killed like a
// crash, stopped (SIGSTOP) like a hung server, and restarted on the same
// port and directory, where it replays its AOF.
//
// Header-only and hiredis-free (a few lines of RESP over a socket), so any
// test executable can use it. When redis-server is not installed, running()
// is false and error() says how to install it: tests assert on it and fail.
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "support/test_support.h"

namespace clawbot::test {

struct RedisServerOptions {
    bool aof_always = true;  // false: Redis's defaults for persistence (no AOF)
    std::string password;    // non-empty: --requirepass
};

class RedisServer {
public:
    explicit RedisServer(RedisServerOptions options = {}) : options_(std::move(options)) {
        binary_ = find_binary();
        if (binary_.empty()) {
            error_ = "redis-server is not installed (apt-get install redis-server; scripts/test.sh does it)";
            return;
        }
        dir_ = make_temp_dir();
        for (int attempt = 0; attempt < 5 && !running(); ++attempt) {
            port_ = free_port();
            launch();
        }
    }
    ~RedisServer() {
        kill();
        // Redis's forked AOF-rewrite child can outlive the killed server for
        // a moment and still create files in the directory: removal may
        // race it, so retry, and never throw from a destructor.
        for (int attempt = 0; !dir_.empty() && attempt < 20; ++attempt) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
            if (!ec) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    bool running() const { return pid_ > 0; }
    const std::string& error() const { return error_; }
    int port() const { return port_; }
    pid_t pid() const { return pid_; }
    const std::string& dir() const { return dir_; }
    std::string url(int db = 0) const {
        const std::string credentials = options_.password.empty() ? "" : ":" + options_.password + "@";
        return "redis://" + credentials + "127.0.0.1:" + std::to_string(port_) + "/" + std::to_string(db);
    }

    // SIGKILL, as a crash: nothing is flushed beyond what was fsynced.
    void kill() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGKILL);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    // SIGSTOP / SIGCONT: a server that accepts connections but never answers.
    void pause() const { ::kill(pid_, SIGSTOP); }
    void resume() const { ::kill(pid_, SIGCONT); }

    // Starts it again on the same port and directory (the AOF is replayed).
    bool restart() {
        kill();
        launch();
        return running();
    }

    // One command on a fresh connection (after AUTH when there is a
    // password). The reply as text: bulk and simple strings as they are,
    // integers in decimal, nil as "(nil)", errors with their leading '-',
    // arrays as their elements joined by '\n'.
    std::string command(const std::vector<std::string>& args) const {
        const int fd = connect_to(port_);
        if (fd < 0) return "-connect failed";
        std::string reply;
        if (!options_.password.empty()) reply = exchange(fd, {"AUTH", options_.password});
        if (reply.empty() || reply == "OK") reply = exchange(fd, args);
        ::close(fd);
        return reply;
    }

    // Everything the server logged (its stdout).
    std::string log() const {
        try {
            return read_file(dir_ + "/redis.log");
        } catch (...) {
            return "";
        }
    }

private:
    static std::string find_binary() {
        const char* path = std::getenv("PATH");
        std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
        dirs += ":/usr/sbin:/usr/bin";
        for (std::size_t start = 0; start <= dirs.size();) {
            const std::size_t end = std::min(dirs.find(':', start), dirs.size());
            const std::string candidate = dirs.substr(start, end - start) + "/redis-server";
            if (end > start && ::access(candidate.c_str(), X_OK) == 0) return candidate;
            start = end + 1;
        }
        return "";
    }

    static int free_port() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        int port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
            port = ntohs(address.sin_port);
        }
        ::close(fd);
        return port;
    }

    static int connect_to(int port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        timeval timeout{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
            ::close(fd);
            return -1;
        }
        return fd;
    }

    // Reads one RESP reply from fd (buffered in `pending`).
    static bool read_line(int fd, std::string& pending, std::string& line) {
        for (;;) {
            const std::size_t end = pending.find("\r\n");
            if (end != std::string::npos) {
                line = pending.substr(0, end);
                pending.erase(0, end + 2);
                return true;
            }
            char buffer[4096];
            const ssize_t n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0) return false;
            pending.append(buffer, static_cast<std::size_t>(n));
        }
    }
    static std::string read_reply(int fd, std::string& pending) {
        std::string line;
        if (!read_line(fd, pending, line) || line.empty()) return "-no reply";
        const char type = line[0];
        const std::string rest = line.substr(1);
        if (type == '+' || type == ':') return rest;
        if (type == '-') return line;
        if (type == '$') {
            const long length = std::stol(rest);
            if (length < 0) return "(nil)";
            while (pending.size() < static_cast<std::size_t>(length) + 2) {
                char buffer[4096];
                const ssize_t n = ::read(fd, buffer, sizeof buffer);
                if (n <= 0) return "-short reply";
                pending.append(buffer, static_cast<std::size_t>(n));
            }
            std::string bulk = pending.substr(0, static_cast<std::size_t>(length));
            pending.erase(0, static_cast<std::size_t>(length) + 2);
            return bulk;
        }
        if (type == '*') {
            const long count = std::stol(rest);
            std::string joined;
            for (long i = 0; i < count; ++i) joined += (i ? "\n" : "") + read_reply(fd, pending);
            return count < 0 ? "(nil)" : joined;
        }
        return "-bad reply";
    }
    static std::string exchange(int fd, const std::vector<std::string>& args) {
        std::string request = "*" + std::to_string(args.size()) + "\r\n";
        for (const std::string& arg : args) request += "$" + std::to_string(arg.size()) + "\r\n" + arg + "\r\n";
        if (::write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) return "-write failed";
        std::string pending;
        return read_reply(fd, pending);
    }

    void launch() {
        std::vector<std::string> args = {binary_,      "--port",         std::to_string(port_), "--bind",
                                         "127.0.0.1", "--dir",          dir_,                  "--daemonize",
                                         "no",         "--save",         "",                    "--logfile",
                                         "",           "--protected-mode", "no"};
        if (options_.aof_always) args.insert(args.end(), {"--appendonly", "yes", "--appendfsync", "always"});
        if (!options_.password.empty()) args.insert(args.end(), {"--requirepass", options_.password});
        const std::string log_path = dir_ + "/redis.log";
        pid_ = ::fork();
        if (pid_ == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
            const int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            std::vector<char*> argv;
            for (std::string& arg : args) argv.push_back(arg.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        // Ready when it answers PING (not -LOADING while it replays the AOF).
        const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (std::chrono::steady_clock::now() < give_up) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                error_ = "redis-server exited at start:\n" + log();
                return;
            }
            if (command({"PING"}) == "PONG") return;
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        kill();
        error_ = "redis-server did not answer PING within 10 s:\n" + log();
    }

    RedisServerOptions options_;
    std::string binary_;
    std::string dir_;
    std::string error_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace clawbot::test
