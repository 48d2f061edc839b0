// POST /v1/chat/completions and GET /v1/models, stateless as in the
// OpenAI API, so existing clients and SDKs work unchanged.
#include <chrono>

#include "service/api/json_body.h"
#include "service/api/routes.h"
#include "service/api/sse.h"
#include "service/api/stream_relay.h"
#include "service/auth/secure_random.h"

namespace clawbot::service {
namespace {

struct OpenAiParams {
    CompletionRequest completion;
    bool stream = false;
    bool include_usage = false;
};

// "content" may be a string or a list of parts; only text parts are taken.
std::optional<std::string> message_text(const nlohmann::json& content) {
    if (content.is_string()) return content.get<std::string>();
    if (content.is_null()) return std::string();
    if (!content.is_array()) return std::nullopt;
    std::string text;
    for (const auto& part : content) {
        if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
            return std::nullopt;
        }
        text += part["text"].get<std::string>();
    }
    return text;
}

std::optional<BadRequest> parse_messages(const nlohmann::json& body, std::vector<ChatTurn>& out) {
    auto it = body.find("messages");
    if (it == body.end() || !it->is_array() || it->empty()) return BadRequest{"invalid_request", "'messages' must be a non-empty array"};
    for (const auto& m : *it) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            return BadRequest{"invalid_request", "each message needs a string 'role'"};
        }
        std::string role = m["role"].get<std::string>();
        if (role == "developer") role = "system";
        if (role != "system" && role != "user" && role != "assistant") {
            return BadRequest{"invalid_request", "unsupported message role '" + role + "'"};
        }
        auto text = message_text(m.contains("content") ? m["content"] : nlohmann::json());
        if (!text) return BadRequest{"invalid_request", "message content must be a string or a list of text parts"};
        out.push_back({std::move(role), std::move(*text)});
    }
    return std::nullopt;
}

std::optional<BadRequest> parse_stop(const nlohmann::json& body, std::vector<std::string>& out) {
    auto it = body.find("stop");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) {
        out.push_back(it->get<std::string>());
        return std::nullopt;
    }
    if (!it->is_array() || it->size() > 4) return BadRequest{"invalid_request", "'stop' must be a string or up to 4 strings"};
    for (const auto& s : *it) {
        if (!s.is_string()) return BadRequest{"invalid_request", "'stop' must be a string or up to 4 strings"};
        out.push_back(s.get<std::string>());
    }
    return std::nullopt;
}

std::variant<OpenAiParams, BadRequest> parse_request(const HttpRequest& req, int context_size) {
    auto parsed = parse_json_object(req.body);
    if (auto* bad = std::get_if<BadRequest>(&parsed)) return *bad;
    const nlohmann::json& body = std::get<nlohmann::json>(parsed);
    OpenAiParams p;
    if (auto bad = parse_messages(body, p.completion.messages)) return *bad;
    if (auto bad = parse_stop(body, p.completion.stop)) return *bad;
    FieldReader f(body);
    p.stream = f.boolean("stream").value_or(false);
    auto max_tokens = f.integer("max_tokens", 1, context_size);
    auto max_completion = f.integer("max_completion_tokens", 1, context_size);
    auto temperature = f.number("temperature", 0.0, 2.0);
    auto top_p = f.number("top_p", 0.0, 1.0);
    auto seed = f.integer("seed", INT64_MIN, INT64_MAX);
    auto n = f.integer("n", INT64_MIN, INT64_MAX);
    if (!f.ok()) return f.error();
    if (n && *n != 1) return BadRequest{"invalid_request", "only n = 1 is supported"};
    if (auto it = body.find("stream_options"); it != body.end() && it->is_object()) {
        auto usage = it->find("include_usage");
        if (usage != it->end() && !usage->is_boolean()) return BadRequest{"invalid_request", "'stream_options.include_usage' must be a boolean"};
        p.include_usage = usage != it->end() && usage->get<bool>();
    }
    p.completion.max_tokens = static_cast<int>(max_completion.value_or(max_tokens.value_or(0)));
    p.completion.temperature = static_cast<float>(temperature.value_or(1.0));
    p.completion.top_p = static_cast<float>(top_p.value_or(1.0));
    if (top_p && *top_p <= 0.0) return BadRequest{"invalid_request", "'top_p' must be greater than 0"};
    if (seed) p.completion.seed = static_cast<uint64_t>(*seed);
    return p;
}

std::string completion_id() {
    auto bytes = random_hex(12);
    return "chatcmpl-" + (bytes ? *bytes : std::string("0"));
}

nlohmann::json usage_json(const CompletionUsage& u) {
    return {{"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"total_tokens", u.prompt_tokens + u.completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}},
            {"truncated_turns", u.truncated_turns}};
}

const char* finish_name(FinishKind k) { return k == FinishKind::Length ? "length" : "stop"; }

class OpenAiHandler final : public CompletionHandler {
public:
    OpenAiHandler(Scope scope, OpenAiParams params, std::string model, std::unique_ptr<InflightLimit::Slot> slot)
        : scope_(std::move(scope)), params_(std::move(params)), model_(std::move(model)), slot_(std::move(slot)),
          id_(completion_id()),
          created_(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()),
          relay_(scope_) {}

    StreamRelay& relay() { return relay_; }

    void on_delta(std::string_view text) override {
        scope_->first_token();
        if (params_.stream) {
            send_data(chunk({{"content", text}}, nullptr));
        } else {
            std::lock_guard lock(mutex_);
            content_ += text;
        }
    }

    void on_queued(int position) override {
        // An SSE comment: clients ignore it, proxies see traffic.
        if (params_.stream) relay_.send(": queued, position " + std::to_string(position) + "\n\n");
    }

    void on_error(const StartError& error) override {
        scope_->ctx().log.event("error", "completion: " + error.message);
        if (!params_.stream || relay_.claim_unstarted()) return respond_start_error(scope_, error);
        relay_.send(sse_data(dump_json({{"error", {{"code", start_error_name(error.code)}, {"message", error.message}}}})));
        relay_.finish();
    }

    void on_done(FinishKind finish, const CompletionUsage& usage) override {
        scope_->set_usage(usage);
        if (params_.stream) {
            send_data(chunk(nlohmann::json::object(), finish_name(finish)));
            if (params_.include_usage) {
                nlohmann::json last = chunk(nlohmann::json::object(), nullptr);
                last["choices"] = nlohmann::json::array();
                last["usage"] = usage_json(usage);
                relay_.send(sse_data(dump_json(last)));
            }
            relay_.send(sse_data("[DONE]"));
            relay_.finish();
            return;
        }
        std::lock_guard lock(mutex_);
        nlohmann::json body{{"id", id_}, {"object", "chat.completion"}, {"created", created_}, {"model", model_},
                            {"choices", nlohmann::json::array({{{"index", 0},
                                                                {"message", {{"role", "assistant"}, {"content", content_}}},
                                                                {"logprobs", nullptr},
                                                                {"finish_reason", finish_name(finish)}}})},
                            {"usage", usage_json(usage)}};
        scope_->respond(json_response(200, body));
    }

private:
    // Every stream opens with the assistant role, sent with the first data
    // (not before, so a failure before any output can still get a status).
    void send_data(const nlohmann::json& payload) {
        if (!role_sent_) {
            role_sent_ = true;
            relay_.send(sse_data(dump_json(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))));
        }
        relay_.send(sse_data(dump_json(payload)));
    }

    nlohmann::json chunk(nlohmann::json delta, nlohmann::json finish_reason) const {
        return {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_},
                {"choices", nlohmann::json::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", nullptr},
                                                    {"finish_reason", std::move(finish_reason)}}})}};
    }

    Scope scope_;
    OpenAiParams params_;
    std::string model_;
    std::unique_ptr<InflightLimit::Slot> slot_;  // released with the handler
    std::string id_;
    int64_t created_;
    std::mutex mutex_;
    std::string content_;
    bool role_sent_ = false;  // provider callbacks of one completion come one at a time
    StreamRelay relay_;
};

}  // namespace

void handle_chat_completions(const HttpRequest& req, const Scope& scope, const TokenRecord&) {
    ApiContext& ctx = scope->ctx();
    if (!ctx.provider) return scope->respond(error_response(503, "no_model", "no model is loaded"));
    auto parsed = parse_request(req, ctx.provider->context_size());
    if (auto* bad = std::get_if<BadRequest>(&parsed)) return scope->respond(error_response(400, bad->code, bad->message));
    OpenAiParams params = std::move(std::get<OpenAiParams>(parsed));
    auto slot = acquire_inflight(scope);
    if (!slot) return;
    const CompletionRequest completion = params.completion;
    auto handler = std::make_shared<OpenAiHandler>(scope, std::move(params), ctx.provider->model_name(), std::move(slot));
    StartResult started = ctx.provider->start(completion, handler);
    if (!started) return respond_start_error(scope, started.error());
    // A client that hangs up stops its generation; after the answer this is a no-op.
    handler->relay().watch(*started);
}

void handle_models(const HttpRequest&, const Scope& scope) {
    ApiContext& ctx = scope->ctx();
    nlohmann::json data = nlohmann::json::array();
    if (ctx.provider) data.push_back({{"id", ctx.provider->model_name()}, {"object", "model"}, {"created", 0}, {"owned_by", "clawbot"}});
    scope->respond(json_response(200, {{"object", "list"}, {"data", data}}));
}

}  // namespace clawbot::service
