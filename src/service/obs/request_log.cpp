#include "service/obs/request_log.h"

#include <chrono>
#include <ctime>
#include <memory>

#include <nlohmann/json.hpp>

namespace clawbot::service {
namespace {

std::string now_iso8601() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    char out[48];
    std::snprintf(out, sizeof out, "%s.%03lldZ", buf, static_cast<long long>(ms));
    return out;
}

}  // namespace

Result<std::unique_ptr<Logger>> Logger::open(const std::string& path) {
    std::unique_ptr<Logger> log(new Logger());
    log->path_ = path;
    if (!path.empty()) {
        log->file_ = std::fopen(path.c_str(), "a");
        if (!log->file_) return make_error("cannot open log file " + path);
    }
    return log;
}

Logger::~Logger() {
    if (file_) std::fclose(file_);
}

void Logger::write_line(const std::string& json) {
    std::lock_guard lock(mutex_);
    std::FILE* f = file_ ? file_ : stderr;
    std::fputs(json.c_str(), f);
    std::fputc('\n', f);
    std::fflush(f);
}

void Logger::request(const RequestLogEntry& e) {
    nlohmann::json j{{"time", now_iso8601()}, {"level", "info"},     {"event", "request"},
                     {"method", e.method},     {"route", e.route},     {"status", e.status},
                     {"latency_ms", e.latency_ms}, {"prompt_tokens", e.prompt_tokens},
                     {"completion_tokens", e.completion_tokens}, {"cached_tokens", e.cached_tokens},
                     {"token_id", e.token_id}, {"remote", e.remote}};
    write_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Logger::event(const std::string& level, const std::string& message) {
    nlohmann::json j{{"time", now_iso8601()}, {"level", level}, {"event", "log"}, {"message", message}};
    write_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void Logger::reopen() {
    std::lock_guard lock(mutex_);
    if (path_.empty()) return;
    if (std::FILE* f = std::fopen(path_.c_str(), "a")) {
        if (file_) std::fclose(file_);
        file_ = f;
    }
}

}  // namespace clawbot::service
