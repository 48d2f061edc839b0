#pragma once
// One JSON line per request to LOG_FILE or stderr, for Filebeat/ELK. Never
// the token, never the prompt text. The file is reopened on SIGHUP so
// logrotate can move it.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "common/result.h"

namespace clawbot::service {

struct RequestLogEntry {
    std::string method;
    std::string route;     // the route pattern, not the raw path
    int status = 0;
    double latency_ms = 0;
    int prompt_tokens = 0;
    int completion_tokens = 0;
    int cached_tokens = 0;
    std::string token_id;  // the public id, never the secret
    std::string remote;
};

class Logger {
public:
    // Empty path: stderr.
    static Result<std::unique_ptr<Logger>> open(const std::string& path);
    ~Logger();

    void request(const RequestLogEntry& e);
    // level: "info", "warn", "error".
    void event(const std::string& level, const std::string& message);
    // Reopens the file (after logrotate moved it); no-op for stderr.
    void reopen();

private:
    Logger() = default;
    void write_line(const std::string& json);

    std::string path_;
    std::FILE* file_ = nullptr;
    std::mutex mutex_;
};

}  // namespace clawbot::service
