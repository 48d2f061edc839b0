#include "service/config/config_file.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/config/settings_table.h"

namespace clawbot::service {

namespace {

// A config file is a few hundred bytes; the cap stops a mistaken path such as
// /dev/zero from being read forever.
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;

std::string_view trim(std::string_view text) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
    while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
    return text;
}

bool is_key(std::string_view key) {
    if (key.empty()) return false;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const char c = key[i];
        const bool letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
        const bool digit = c >= '0' && c <= '9';
        if (!letter && !(digit && i > 0)) return false;
    }
    return true;
}

std::string at_line(std::string_view source, int line) {
    return std::string(source) + " line " + std::to_string(line);
}

Result<std::string> unquote(std::string_view value, std::string_view source, int line) {
    if (value.empty() || (value.front() != '"' && value.front() != '\'')) return std::string(value);
    if (value.size() < 2 || value.back() != value.front()) {
        return make_error(at_line(source, line) + ": unterminated quote in value");
    }
    return std::string(value.substr(1, value.size() - 2));
}

Result<std::string> read_whole_fd(int fd, const std::string& path) {
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return make_error("cannot read " + path + ": " + std::strerror(errno));
        if (n == 0) return text;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > kMaxConfigBytes) return make_error(path + ": too large for a config file");
    }
}

Result<bool> check_secret_permissions(const ConfigEntries& entries, mode_t mode,
                                      const std::string& path) {
    if ((mode & (S_IRWXG | S_IRWXO)) == 0) return true;
    for (const SettingSpec& spec : settings_table()) {
        const auto it = entries.find(spec.name);
        if (!spec.secret || it == entries.end() || it->second.value.empty()) continue;
        char mode_text[8];
        std::snprintf(mode_text, sizeof mode_text, "%04o", static_cast<unsigned>(mode & 07777));
        return make_error(path + " holds a secret (" + std::string(spec.name) + ") but has mode " +
                          mode_text + ", open to group or others; fix it with: chmod 600 " + path);
    }
    return true;
}

}  // namespace

Result<ConfigEntries> parse_config_text(std::string_view text, std::string_view source) {
    ConfigEntries entries;
    int line_number = 0;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        const std::string_view raw = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        ++line_number;

        const std::string_view line = trim(raw);
        if (line.empty() || line.front() == '#') continue;
        const std::size_t equals = line.find('=');
        const std::string_view key = equals == std::string_view::npos ? line : trim(line.substr(0, equals));
        if (equals == std::string_view::npos || !is_key(key)) {
            return make_error(at_line(source, line_number) + ": expected KEY=VALUE");
        }
        if (find_setting(key) == nullptr) {
            return make_error(at_line(source, line_number) + ": unknown key " + std::string(key));
        }
        Result<std::string> value = unquote(trim(line.substr(equals + 1)), source, line_number);
        if (!value) return value.error();
        const auto [it, inserted] =
            entries.emplace(std::string(key), ConfigEntry{std::move(value).value(), line_number});
        if (!inserted) {
            return make_error(at_line(source, line_number) + ": " + std::string(key) +
                              " is already set on line " + std::to_string(it->second.line));
        }
    }
    return entries;
}

Result<ConfigEntries> read_config_file(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return make_error("cannot open config file " + path + ": " + std::strerror(errno));
    // Mode and contents come from the same open file, so the check cannot be
    // raced by swapping the path between a stat() and the read.
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return make_error("config file " + path + " is not a regular file");
    }
    Result<std::string> text = read_whole_fd(fd, path);
    ::close(fd);
    if (!text) return text.error();
    Result<ConfigEntries> entries = parse_config_text(*text, path);
    if (!entries) return entries;
    Result<bool> permitted = check_secret_permissions(*entries, info.st_mode, path);
    if (!permitted) return permitted.error();
    return entries;
}

}  // namespace clawbot::service
