// Small helpers the doctor checks share: sizes, modes, user names, and a
// write probe that leaves nothing behind.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include <pwd.h>
#include <unistd.h>

#include "cli/doctor_checks.h"

namespace clawbot::cli::doctor {

std::string human_bytes(std::uint64_t bytes) {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024.0 && unit < 4) {
        value /= 1024.0;
        ++unit;
    }
    char text[32];
    if (unit == 0) {
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    } else {
        std::snprintf(text, sizeof text, value < 10.0 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
    }
    return text;
}

std::string mode_text(unsigned mode) {
    char text[8];
    std::snprintf(text, sizeof text, "%04o", mode & 07777u);
    return text;
}

std::string user_name(unsigned uid) {
    struct passwd entry {};
    struct passwd* found = nullptr;
    char buffer[4096];
    if (::getpwuid_r(uid, &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) return found->pw_name;
    return "uid " + std::to_string(uid);
}

std::string redact_url(const std::string& url) {
    const std::size_t scheme = url.find("://");
    const std::size_t host_start = scheme == std::string::npos ? 0 : scheme + 3;
    const std::size_t host_end = url.find_first_of("/?#", host_start);
    if (host_end == host_start) return url;
    const std::size_t at = url.rfind('@', host_end == std::string::npos ? std::string::npos : host_end - 1);
    if (at == std::string::npos || at < host_start) return url;
    return url.substr(0, host_start) + "***" + url.substr(at);
}

std::string probe_writable(const std::string& dir) {
    std::string path = dir + "/.clawbot-doctor-XXXXXX";
    const int fd = ::mkstemp(path.data());
    if (fd < 0) return std::strerror(errno);
    const bool written = ::write(fd, "x", 1) == 1;
    const int write_errno = errno;
    ::close(fd);
    ::unlink(path.c_str());
    if (!written) return std::strerror(write_errno);
    return "";
}

}  // namespace clawbot::cli::doctor
