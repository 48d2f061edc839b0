// Doctor checks of the settings: the config file as a file (exists, parses,
// permissions, owner) and the loader's verdict on all sources together.
#include <cerrno>
#include <cstring>
#include <string>

#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/doctor_checks.h"
#include "service/config/config_file.h"
#include "service/config/settings_loader.h"
#include "service/config/settings_table.h"

namespace clawbot::cli::doctor {
namespace {

constexpr const char* kSubject = "config file";
constexpr std::size_t kMaxConfigBytes = 1024 * 1024;  // as the loader's cap

std::optional<uid_t> service_user_uid() {
    struct passwd entry {};
    struct passwd* found = nullptr;
    char buffer[4096];
    if (::getpwnam_r("clawbot", &entry, buffer, sizeof buffer, &found) == 0 && found != nullptr) return found->pw_uid;
    return std::nullopt;
}

// The first secret setting (API_KEY) the file gives a non-empty value.
std::string secret_in(const service::ConfigEntries& entries) {
    for (const service::SettingSpec& spec : service::settings_table()) {
        const auto it = entries.find(spec.name);
        if (spec.secret && it != entries.end() && !it->second.value.empty()) return std::string(spec.name);
    }
    return "";
}

CheckLine cannot_open(const std::string& path, int error, bool given_explicitly) {
    if (error == ENOENT && given_explicitly) {
        return CheckLine::fail(kSubject, path + " does not exist",
                               "create it with `clawbot init --config " + path + "`, or correct the --config path");
    }
    std::string problem = "cannot open " + path + ": " + std::strerror(error);
    struct stat info {};
    if (error == EACCES && ::stat(path.c_str(), &info) == 0) {
        const std::string owner = user_name(info.st_uid);
        problem += " (owner " + owner + ", mode " + mode_text(info.st_mode) + ")";
        return CheckLine::fail(kSubject, problem,
                               "run doctor as " + owner + " (" + (owner == "root" ? "sudo" : "sudo -u " + owner) +
                                   " clawbot doctor ...): a 0600 file is readable by its owner only");
    }
    return CheckLine::fail(kSubject, problem, "check the path and its permissions");
}

// Reads the whole open file; empty optional and `error` set on failure.
std::optional<std::string> read_all(int fd, std::string& error) {
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            error = std::strerror(errno);
            return std::nullopt;
        }
        if (n == 0) return text;
        text.append(buffer, static_cast<std::size_t>(n));
        if (text.size() > kMaxConfigBytes) {
            error = "larger than 1 MiB, too large for a config file";
            return std::nullopt;
        }
    }
}

// The config file's permissions, given what it holds.
CheckLine check_access(const std::string& path, const struct stat& info, const service::ConfigEntries& entries) {
    const std::string secret = secret_in(entries);
    const std::string mode = mode_text(info.st_mode);
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        if (!secret.empty()) {
            return CheckLine::fail(kSubject,
                                   path + " holds a secret (" + secret + ") but has mode " + mode +
                                       ", open to group or others; clawbot refuses to read it",
                                   "chmod 600 " + path);
        }
        return CheckLine::warn(kSubject, path + " has mode " + mode + ", open to group or others",
                               "chmod 600 " + path + " before it holds API_KEY");
    }
    // The systemd unit runs as `clawbot`; a 0600 file owned by someone else
    // is unreadable to it, though doctor (often root) reads it fine.
    const std::optional<uid_t> service_uid = service_user_uid();
    if (service_uid && info.st_uid != *service_uid) {
        const std::string owner = user_name(info.st_uid);
        return CheckLine::warn(kSubject, path + " is owned by " + owner + " with mode " + mode +
                                             ": the clawbot service user cannot read it",
                               "chown clawbot " + path + " (or run the service as " + owner + ")");
    }
    return CheckLine::ok(kSubject, path + " (mode " + mode + ", owner " + user_name(info.st_uid) + ", " +
                                       std::to_string(entries.size()) + (entries.size() == 1 ? " setting)" : " settings)"));
}

}  // namespace

CheckLine check_config_file(const std::optional<std::string>& path, bool given_explicitly) {
    if (!path) {
        return CheckLine::ok(kSubject, "none (" + std::string(service::kDefaultConfigPath) +
                                           " does not exist): defaults, the environment and flags are in effect");
    }
    const int fd = ::open(path->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return cannot_open(*path, errno, given_explicitly);
    struct stat info {};
    if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
        ::close(fd);
        return CheckLine::fail(kSubject, *path + " is not a regular file",
                               "point --config at the KEY=VALUE file (`clawbot init --config FILE` writes one)");
    }
    std::string error;
    const std::optional<std::string> text = read_all(fd, error);
    ::close(fd);
    if (!text) return CheckLine::fail(kSubject, "cannot read " + *path + ": " + error, "check the file");
    const Result<service::ConfigEntries> entries = service::parse_config_text(*text, *path);
    if (!entries) {
        return CheckLine::fail(kSubject, entries.error().message,
                               "correct that line: KEY=VALUE with the names `clawbot serve --help` lists");
    }
    return check_access(*path, info, *entries);
}

CheckLine check_settings(const Result<service::Settings>& settings) {
    if (!settings) {
        return CheckLine::fail("settings", settings.error().message,
                               "correct that value (every setting and its form: `clawbot serve --help`)");
    }
    const service::Settings& s = *settings;
    std::string text = "PROVIDER=" + s.provider + ", HOST=" + s.host + ", PORT=" + std::to_string(s.port) +
                       ", DATA_DIR=" + s.data_dir;
    if (s.provider == "local") {
        text += ", MODEL_PATH=" + (s.model_path.empty() ? std::string("(not set)") : s.model_path) +
                ", CTX_SIZE=" + std::to_string(s.ctx_size);
    } else {
        text += ", UPSTREAM_URL=" + (s.upstream_url.empty() ? std::string("(not set)") : redact_url(s.upstream_url));
    }
    text += s.api_key.empty() ? ", API_KEY not set" : ", API_KEY set";
    return CheckLine::ok("settings", text);
}

}  // namespace clawbot::cli::doctor
