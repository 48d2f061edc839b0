#include "service/config/config_writer.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "service/config/settings.h"
#include "service/config/settings_table.h"

namespace clawbot::service {

namespace {

Error system_error(const std::string& what, const std::string& path) {
    return make_error(what + " " + path + ": " + std::strerror(errno));
}

// The parser trims whitespace and strips one pair of outer quotes, so a value
// that would be changed by either is written inside double quotes.
std::string render_value(const std::string& value) {
    const auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    const bool needs_quotes =
        !value.empty() && (is_space(value.front()) || is_space(value.back()) ||
                           value.front() == '"' || value.front() == '\'');
    return needs_quotes ? "\"" + value + "\"" : value;
}

Result<std::string> render_config(const std::map<std::string, std::string>& values) {
    Settings scratch;
    for (const auto& [name, value] : values) {
        const SettingSpec* spec = find_setting(name);
        if (spec == nullptr) return make_error("unknown setting " + name);
        if (value.find_first_of(std::string_view("\n\r\0", 3)) != std::string::npos) {
            return make_error(name + ": a config value cannot hold a line break or NUL byte");
        }
        Result<bool> valid = apply_setting(scratch, *spec, value, "value to write");
        if (!valid) return valid.error();
    }
    std::string text =
        "# clawbot configuration (KEY=VALUE). Keep this file mode 0600: it may hold secrets.\n";
    for (const SettingSpec& spec : settings_table()) {  // table order reads better than A-Z
        const auto it = values.find(std::string(spec.name));
        if (it != values.end()) text += std::string(spec.name) + "=" + render_value(it->second) + "\n";
    }
    return text;
}

Result<bool> write_all_and_sync(int fd, const std::string& text, const std::string& path) {
    std::size_t written = 0;
    while (written < text.size()) {
        const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return system_error("cannot write", path);
        written += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0) return system_error("cannot sync", path);
    return true;
}

// Makes the rename/link itself durable.
void sync_parent_directory(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

Result<bool> move_into_place(const std::string& temp, const std::string& path,
                             ExistingConfig existing) {
    if (existing == ExistingConfig::Replace) {
        if (::rename(temp.c_str(), path.c_str()) != 0) return system_error("cannot replace", path);
        return true;
    }
    // link() fails with EEXIST instead of overwriting: atomic create-if-absent.
    if (::link(temp.c_str(), path.c_str()) != 0) {
        if (errno == EEXIST) return make_error("config file " + path + " already exists");
        return system_error("cannot create", path);
    }
    ::unlink(temp.c_str());
    return true;
}

}  // namespace

Result<bool> write_config_file(const std::string& path,
                               const std::map<std::string, std::string>& values,
                               ExistingConfig existing) {
    Result<std::string> text = render_config(values);
    if (!text) return text.error();

    mode_t mode = 0600;
    struct stat current {};
    if (::stat(path.c_str(), &current) == 0) {
        if (existing == ExistingConfig::Refuse) return make_error("config file " + path + " already exists");
        mode &= current.st_mode;  // never looser than the file it replaces
    }

    std::string temp = path + ".tmp-XXXXXX";
    const int fd = ::mkstemp(temp.data());  // O_EXCL, mode 0600
    if (fd < 0) return system_error("cannot create a temporary file for", path);
    Result<bool> done = true;
    if (::fchmod(fd, mode) != 0) done = system_error("cannot set the mode of", temp);
    if (done) done = write_all_and_sync(fd, *text, temp);
    ::close(fd);
    if (done) done = move_into_place(temp, path, existing);
    if (!done) {
        ::unlink(temp.c_str());
        return done;
    }
    sync_parent_directory(path);
    return true;
}

}  // namespace clawbot::service
