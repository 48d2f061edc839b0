#include "service/config/settings_loader.h"

#include <algorithm>
#include <filesystem>

#include <cstdlib>

#include <sys/stat.h>

#include "service/config/config_file.h"
#include "service/config/settings_table.h"

namespace clawbot::service {

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
    };
}

std::optional<std::string> resolve_config_path(const std::optional<std::string>& explicit_path,
                                               std::string_view default_path) {
    if (explicit_path) return explicit_path;
    const std::string path(default_path);
    struct stat info {};
    // "Exists" includes an unreadable file: reading it then fails with a
    // clear message instead of silently running on defaults.
    if (::stat(path.c_str(), &info) == 0) return path;
    return std::nullopt;
}

namespace {

// Settings that name files or directories. Written relative in a config
// file, they mean relative to that file (as `init` writes them), never to
// wherever the command happens to run: run from elsewhere, DATA_DIR=./data
// must still find the same tokens and history, not start a new empty store.
constexpr std::string_view kPathSettings[] = {"MODEL_PATH", "MODELS_DIR", "DATA_DIR", "LOG_FILE", "CHAT_TEMPLATE_FILE"};

std::string relative_to_file(const std::string& value, const std::string& file) {
    const std::filesystem::path p(value);
    if (value.empty() || p.is_absolute()) return value;
    return (std::filesystem::path(file).parent_path() / p).lexically_normal().string();
}

}  // namespace

Result<Settings> load_settings(const std::map<std::string, std::string>& flags,
                               const EnvLookup& env, std::optional<std::string> config_path) {
    for (const auto& [name, value] : flags) {
        if (find_setting(name) == nullptr) return make_error("unknown setting " + name);
    }
    ConfigEntries file_entries;
    const std::optional<std::string> path = resolve_config_path(config_path);
    if (path) {
        Result<ConfigEntries> read = read_config_file(*path);
        if (!read) return read.error();
        file_entries = std::move(read).value();
    }

    Settings settings;
    for (const SettingSpec& spec : settings_table()) {
        const std::string name(spec.name);
        Result<bool> applied = true;
        if (const auto flag = flags.find(name); flag != flags.end()) {
            applied = apply_setting(settings, spec, flag->second, "flag " + flag_name(spec));
        } else if (const std::optional<std::string> value = env ? env(name) : std::nullopt) {
            applied = apply_setting(settings, spec, *value, "environment");
        } else if (const auto entry = file_entries.find(name); entry != file_entries.end()) {
            const bool is_path = std::find(std::begin(kPathSettings), std::end(kPathSettings), spec.name) != std::end(kPathSettings);
            applied = apply_setting(settings, spec, is_path ? relative_to_file(entry->second.value, *path) : entry->second.value,
                                    *path + " line " + std::to_string(entry->second.line));
        }
        if (!applied) return applied.error();
    }
    settings.model_path = resolve_model_name(settings);
    return settings;
}

std::string models_dir_of(const Settings& s) {
    if (!s.models_dir.empty()) return s.models_dir;
    return (std::filesystem::path(s.data_dir) / "models").string();
}

std::string resolve_model_name(const Settings& s) {
    const std::string& given = s.model_path;
    std::error_code ec;
    if (given.empty() || std::filesystem::exists(given, ec)) return given;
    // A name (as `models list` shows it): the file of that name in the
    // models directory, with or without its .gguf. Read from a config file
    // the name arrives made relative to the file: its last part is the name.
    const std::string name = std::filesystem::path(given).filename().string();
    for (const std::string& file : {name, name + ".gguf"}) {
        const std::filesystem::path candidate = std::filesystem::path(models_dir_of(s)) / file;
        if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
    }
    return given;  // loading it says what is missing
}

}  // namespace clawbot::service
