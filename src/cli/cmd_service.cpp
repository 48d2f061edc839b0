// `clawbot serve`, `init` and `token ...`: settings come from flags, the
// environment and the config file, in that order of precedence.
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cli/commands.h"
#include "service/app/server_app.h"
#include "service/config/config_writer.h"
#include "service/config/settings_loader.h"
#include "service/store/store_factory.h"

namespace clawbot::cli {
namespace {

using service::Settings;

Result<Settings> settings_of(const ServiceOptions& o) {
    return service::load_settings(o.flags, service::process_environment(), o.config);
}

// The store STORE names (SQLite by default, or the Redis the nodes share).
// `description`, when given, gets where it is ("SQLite at PATH").
Result<std::unique_ptr<service::ConversationStore>> open_store(const ServiceOptions& o, std::string* description = nullptr) {
    auto settings = settings_of(o);
    if (!settings) return settings.error();
    auto opened = service::open_store(*settings);
    if (!opened) return opened.error();
    for (const std::string& warning : opened->warnings) std::cerr << "clawbot: warning: " << warning << "\n";
    if (description) *description = opened->description;
    return std::move(opened->store);
}

void print_new_token(const service::CreatedToken& t) {
    std::cout << "Access token " << t.record.id << " (" << t.record.name << (t.record.admin ? ", admin" : "")
              << "); it is shown only this once, keep it safe:\n  " << t.plaintext << "\n";
}

}  // namespace

int run_serve(const ServiceOptions& o) {
    auto settings = settings_of(o);
    if (!settings) return fail(settings.error().message);
    return service::run_server(*settings);
}

int run_init(const ServiceOptions& o) {
    const std::string config_path = o.config.value_or(std::string(service::kDefaultConfigPath));
    if (!std::filesystem::exists(config_path)) {
        std::map<std::string, std::string> values = o.flags;
        if (!values.count("DATA_DIR")) values["DATA_DIR"] = Settings{}.data_dir;
        // Written absolute: the file then means the same from any directory.
        for (const char* name : {"DATA_DIR", "MODEL_PATH", "LOG_FILE", "CHAT_TEMPLATE_FILE"}) {
            auto it = values.find(name);
            if (it == values.end() || it->second.empty()) continue;
            std::error_code ec;
            const auto absolute = std::filesystem::absolute(it->second, ec);
            if (!ec) it->second = absolute.lexically_normal().string();
        }
        std::error_code ec;
        std::filesystem::create_directories(std::filesystem::path(config_path).parent_path(), ec);
        auto written = service::write_config_file(config_path, values);
        if (!written) return fail(written.error().message);
        std::cout << "Wrote " << config_path << " (mode 0600)\n";
    } else {
        std::cout << "Keeping the existing " << config_path << "\n";
    }
    ServiceOptions with_file{o.flags, config_path};
    auto store = open_store(with_file);
    if (!store) return fail(store.error().message);
    auto active = (*store)->count_active_tokens();
    if (!active) return fail(active.error().message);
    if (*active > 0) {
        std::cout << "Already initialised: " << *active << " active access token(s). Create another with "
                  << "`clawbot token create --name NAME`.\n";
        return 0;
    }
    auto token = (*store)->create_token("admin", true);
    if (!token) return fail(token.error().message);
    print_new_token(*token);
    // A start command that works: without a model the service only answers 503.
    auto settings = settings_of(with_file);
    if (settings && settings->model_path.empty() && settings->provider == "local") {
        std::cout << "Start the service with a GGUF model file: clawbot serve --config " << config_path
                  << " --model-path MODEL.gguf\n(or put MODEL_PATH=/path/to/MODEL.gguf in " << config_path << ")\n";
    } else {
        std::cout << "Start the service: clawbot serve --config " << config_path << "\n";
    }
    return 0;
}

int run_token_create(const ServiceOptions& o, const std::string& name, bool admin) {
    auto store = open_store(o);
    if (!store) return fail(store.error().message);
    auto token = (*store)->create_token(name, admin);
    if (!token) return fail(token.error().message);
    print_new_token(*token);
    return 0;
}

int run_token_list(const ServiceOptions& o) {
    std::string where;
    auto store = open_store(o, &where);
    if (!store) return fail(store.error().message);
    auto tokens = (*store)->list_tokens();
    if (!tokens) return fail(tokens.error().message);
    // An empty store where tokens were expected is most often another store:
    // say which one this is, rather than print an empty table as if all is well.
    if (tokens->empty()) {
        std::cerr << "clawbot: warning: no access tokens in " << where
                  << ". Tokens made before are in another store: check DATA_DIR and STORE (and --config); "
                  << "`clawbot init` makes the first one.\n";
    }
    std::printf("%-18s %-24s %-6s %-8s\n", "ID", "NAME", "ADMIN", "STATUS");
    for (const auto& t : *tokens) {
        std::printf("%-18s %-24s %-6s %-8s\n", t.id.c_str(), t.name.c_str(), t.admin ? "yes" : "no", t.revoked ? "revoked" : "active");
    }
    return 0;
}

int run_token_revoke(const ServiceOptions& o, const std::string& id) {
    auto store = open_store(o);
    if (!store) return fail(store.error().message);
    auto revoked = (*store)->revoke_token(id);
    if (!revoked) return fail(revoked.error().message);
    if (!*revoked) return fail("no active token with id '" + id + "'");
    std::cout << "Revoked " << id << "; it is refused from the next request on.\n";
    return 0;
}

}  // namespace clawbot::cli
