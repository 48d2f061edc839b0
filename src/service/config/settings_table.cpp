#include "service/config/settings_table.h"

#include <array>
#include <climits>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <variant>

#include "service/config/setting_values.h"

namespace clawbot::service {

namespace {

// "local": the in-process engine; "openai": an OpenAI-compatible upstream.
constexpr std::array<std::string_view, 2> kProviders = {"local", "openai"};

using K = SettingKind;
using S = Settings;

constexpr std::array<SettingSpec, 43> kTable = {{
    {"MODEL_PATH", "GGUF model to load: a file, or the name of one in MODELS_DIR (clawbot models list)", K::Text,
     &S::model_path, false, true},
    {"MODELS_DIR", "where clawbot pull stores models and MODEL_PATH names are looked up; empty: DATA_DIR/models", K::Text,
     &S::models_dir, false, true},
    {"CHAT_TEMPLATE_FILE", "a Jinja chat template file used in place of the model's own (tokenizer.chat_template)",
     K::Text, &S::chat_template_file, false, true},
    {"MODEL_ALIASES", "other model names /v1 requests may use for the loaded model, comma-separated, or * for any; "
                      "other names get 404 model_not_found", K::Text, &S::model_aliases, false, true},
    {"CORS_ORIGINS", "browser origins (https://app.example.com, comma-separated, or *) allowed to call the API; "
                     "preflight OPTIONS answered for them only", K::Text, &S::cors_origins, false, true},
    {"HOST", "address to listen on; a non-loopback address needs an access token", K::Text, &S::host},
    {"PORT", "TCP port to listen on", K::Port, &S::port},
    {"DATA_DIR", "directory of the SQLite store (clawbot.db)", K::Text, &S::data_dir},
    {"STORE", "where tokens and conversations live: sqlite (DATA_DIR/clawbot.db) or "
              "redis://[:PASSWORD@]HOST[:PORT][/DB] (shared by several nodes)", K::Text, &S::store},
    {"LOG_FILE", "file for the JSON request log; empty logs to stderr", K::Text, &S::log_file, false,
     true},
    {"THREADS", "inference threads; 0 picks one per physical core", K::NonNegativeInt, &S::threads},
    {"CTX_SIZE", "context length in tokens per conversation", K::PositiveInt, &S::ctx_size},
    {"MAX_BATCH_SIZE", "most sequences decoded together in one step", K::PositiveInt,
     &S::max_batch_size},
    {"MAX_CONCURRENT_REQUESTS", "most chat requests in flight (generating or queued) before 429", K::PositiveInt,
     &S::max_concurrent_requests},
    {"MAX_QUEUE", "most requests waiting for a slot before 429", K::PositiveInt, &S::max_queue},
    {"API_KEY", "upstream API key for cloud mode (secret; prefer the config file)", K::Text,
     &S::api_key, true, true},
    {"METRICS_PUBLIC", "serve /metrics without an access token", K::Bool, &S::metrics_public},
    {"MAX_BODY_BYTES", "largest request body accepted", K::ByteSize, &S::max_body_bytes},
    {"MAX_HEADER_BYTES", "largest request header block accepted", K::ByteSize,
     &S::max_header_bytes},
    {"HEADER_TIMEOUT_S", "seconds a client has to send the request headers", K::PositiveInt,
     &S::header_timeout_s},
    {"REQUEST_LINE_TIMEOUT_S", "seconds a new or idle connection has to send its request line", K::PositiveInt,
     &S::request_line_timeout_s},
    {"MAX_CONNECTIONS", "most open client connections", K::PositiveInt, &S::max_connections},
    {"MAX_CONNECTIONS_PER_CLIENT", "most open connections from one client address (429 past it); 0: no limit",
     K::NonNegativeInt, &S::max_connections_per_client},
    {"CONNECTION_LIMIT_EXEMPT", "comma-separated client addresses without the per-client limit (e.g. nginx's)",
     K::Text, &S::connection_limit_exempt, false, true},
    {"RESERVED_OPS_CONNECTIONS", "of MAX_CONNECTIONS, slots kept for /healthz, /readyz and /metrics",
     K::NonNegativeInt, &S::reserved_ops_connections},
    {"MAX_BUFFERED_BODY_BYTES", "request body bytes all connections together may be reading (503 past it)",
     K::ByteSize, &S::max_buffered_body_bytes},
    {"RATE_LIMIT_REQUESTS_PER_MINUTE", "chat requests per access token per minute (429 past it); 0: no limit",
     K::NonNegativeInt, &S::rate_limit_requests_per_minute},
    {"RATE_LIMIT_TOKENS_PER_MINUTE", "prompt + completion tokens per access token per minute (429 past it); 0: no limit",
     K::NonNegativeInt, &S::rate_limit_tokens_per_minute},
    {"DRAIN_TIMEOUT_S", "seconds SIGTERM waits for running replies to finish", K::PositiveInt,
     &S::drain_timeout_s},
    {"PROVIDER", "where answers come from: the local model, or an OpenAI-compatible upstream", K::Choice,
     &S::provider, false, false, kProviders},
    {"UPSTREAM_URL", "cloud mode: upstream base URL (http:// or https://, e.g. https://api.openai.com/v1)",
     K::Text, &S::upstream_url, false, true},
    {"UPSTREAM_MODEL", "cloud mode: model name to ask the upstream for", K::Text, &S::upstream_model, false,
     true},
    {"UPSTREAM_CONNECT_TIMEOUT_S", "cloud mode: seconds to connect to the upstream", K::PositiveInt,
     &S::upstream_connect_timeout_s},
    {"UPSTREAM_READ_TIMEOUT_S", "cloud mode: seconds the upstream may stay silent mid-reply", K::PositiveInt,
     &S::upstream_read_timeout_s},
    {"UPSTREAM_RETRIES", "cloud mode: retries on 429, 5xx or refused connection before the first byte",
     K::NonNegativeInt, &S::upstream_retries},
    {"REPACK_WEIGHTS", "copy the model's matrices into the fast kernels' layout at load; off runs on the mapped "
                       "file (slower prefill and batches, and the copy is never made)", K::Bool, &S::repack_weights},
    {"REUSE_PORT", "share the port with a newer process during an upgrade (SO_REUSEPORT)", K::Bool,
     &S::reuse_port},
    {"IO_THREADS", "HTTP I/O threads (at most 64)", K::PositiveInt, &S::io_threads},
    {"STORE_THREADS", "threads for store reads, and as many for store writes (at most 64)", K::PositiveInt,
     &S::store_threads},
    {"STORE_QUEUE", "store calls that may wait for a store thread before 503", K::PositiveInt, &S::store_queue},
    {"STORE_TIMEOUT_MS", "longest a store call waits for a lock held elsewhere or for Redis; a write that cannot "
                         "commit in time fails and is never acknowledged", K::PositiveInt, &S::store_timeout_ms},
    {"PREP_THREADS", "threads that prepare chat requests: history, template, tokenizing (at most 64)",
     K::PositiveInt, &S::prep_threads},
    {"STREAM_BUFFER_BYTES", "a streamed reply's bytes the client has not read yet; past it the connection is closed "
                            "and the reply cancelled, so a slow client slows nobody else", K::ByteSize,
     &S::stream_buffer_bytes},
}};

struct Range {
    std::uint64_t min;
    std::uint64_t max;
    std::string_view what;
};

Range range_of(SettingKind kind) {
    switch (kind) {
        case K::Port: return {0, 65535, "a port number 0..65535 (0: any free port)"};
        case K::NonNegativeInt: return {0, INT_MAX, "a whole number >= 0"};
        case K::ByteSize:
            return {1, std::numeric_limits<std::size_t>::max(), "a positive number of bytes"};
        default: return {1, INT_MAX, "a whole number >= 1"};
    }
}

std::string choices_text(const SettingSpec& spec) {
    std::string out;
    for (std::string_view choice : spec.choices) {
        if (!out.empty()) out += "|";
        out += choice;
    }
    return out;
}

Error bad_value(const SettingSpec& spec, std::string_view text, std::string_view expected,
                std::string_view origin) {
    std::string message(spec.name);
    message.append(" (").append(origin).append("): expected ").append(expected).append(", got ");
    // A mistyped secret is still a secret: never echo it into logs.
    if (spec.secret) {
        message.append("(hidden)");
    } else {
        message.append("\"").append(text).append("\"");
    }
    return make_error(std::move(message));
}

Result<bool> apply_text(Settings& settings, const SettingSpec& spec, std::string_view text,
                        std::string_view origin) {
    if (spec.kind == K::Choice) {
        bool known = false;
        for (std::string_view choice : spec.choices) known = known || choice == text;
        if (!known) return bad_value(spec, text, "one of " + choices_text(spec), origin);
    } else if (text.empty() && !spec.may_be_empty) {
        return bad_value(spec, text, "a non-empty value", origin);
    }
    settings.*std::get<std::string Settings::*>(spec.field) = std::string(text);
    return true;
}

}  // namespace

std::span<const SettingSpec> settings_table() { return kTable; }

const SettingSpec* find_setting(std::string_view name) {
    for (const SettingSpec& spec : kTable) {
        if (spec.name == name) return &spec;
    }
    return nullptr;
}

std::string flag_name(const SettingSpec& spec) {
    std::string flag = "--";
    for (char c : spec.name) {
        flag += c == '_' ? '-' : static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return flag;
}

std::string default_text(const SettingSpec& spec) { return setting_text(Settings{}, spec); }

std::string setting_text(const Settings& settings, const SettingSpec& spec) {
    return std::visit(
        [&](auto member) -> std::string {
            const auto& value = settings.*member;
            using V = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<V, std::string>) {
                return value;
            } else if constexpr (std::is_same_v<V, bool>) {
                return value ? "1" : "0";
            } else {
                return std::to_string(value);
            }
        },
        spec.field);
}

std::string value_placeholder(const SettingSpec& spec) {
    switch (spec.kind) {
        case K::Text: return "TEXT";
        case K::Choice: return choices_text(spec);
        case K::Port: return "PORT";
        case K::PositiveInt:
        case K::NonNegativeInt: return "N";
        case K::ByteSize: return "BYTES";
        case K::Bool: return "BOOL";
    }
    return "TEXT";
}

Result<bool> apply_setting(Settings& settings, const SettingSpec& spec, std::string_view text,
                           std::string_view origin) {
    if (spec.kind == K::Text || spec.kind == K::Choice) {
        return apply_text(settings, spec, text, origin);
    }
    if (spec.kind == K::Bool) {
        const std::optional<bool> value = parse_bool_text(text);
        if (!value) return bad_value(spec, text, "1/0/true/false/yes/no", origin);
        settings.*std::get<bool Settings::*>(spec.field) = *value;
        return true;
    }
    const Range range = range_of(spec.kind);
    const std::optional<std::uint64_t> value = parse_unsigned_text(text);
    if (!value || *value < range.min || *value > range.max) {
        return bad_value(spec, text, range.what, origin);
    }
    if (spec.kind == K::ByteSize) {
        settings.*std::get<std::size_t Settings::*>(spec.field) = static_cast<std::size_t>(*value);
    } else {
        settings.*std::get<int Settings::*>(spec.field) = static_cast<int>(*value);
    }
    return true;
}

}  // namespace clawbot::service
