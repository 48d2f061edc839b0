// POST /v1/chat/completions and GET /v1/models, stateless as in the
// OpenAI API, so existing clients and SDKs work unchanged.
#include <chrono>

#include "service/api/json_body.h"
#include "service/api/json_schema_grammar.h"
#include "service/api/openai_request.h"
#include "service/api/routes.h"
#include "service/api/sse.h"
#include "service/api/stream_relay.h"
#include "service/auth/secure_random.h"

namespace clawbot::service {
namespace {

std::string completion_id(const char* prefix) {
    auto bytes = random_hex(12);
    return prefix + (bytes ? *bytes : std::string("0"));
}

nlohmann::json usage_json(const CompletionUsage& u) {
    return {{"prompt_tokens", u.prompt_tokens},
            {"completion_tokens", u.completion_tokens},
            {"total_tokens", u.prompt_tokens + u.completion_tokens},
            {"prompt_tokens_details", {{"cached_tokens", u.cached_tokens}}},
            {"truncated_turns", u.truncated_turns}};
}

// OpenAI's logprob entry; `bytes` because a token may be part of a UTF-8
// character, which the "token" string cannot show.
nlohmann::json logprob_entry(const std::string& token, float logprob) {
    nlohmann::json bytes = nlohmann::json::array();
    for (unsigned char b : token) bytes.push_back(b);
    return {{"token", token}, {"logprob", logprob}, {"bytes", std::move(bytes)}};
}

nlohmann::json logprobs_json(std::span<const TokenLogprob> logprobs) {
    nlohmann::json content = nlohmann::json::array();
    for (const TokenLogprob& l : logprobs) {
        nlohmann::json entry = logprob_entry(l.token, l.logprob);
        nlohmann::json top = nlohmann::json::array();
        for (const TokenLogprob::Alternative& a : l.top) top.push_back(logprob_entry(a.token, a.logprob));
        entry["top_logprobs"] = std::move(top);
        content.push_back(std::move(entry));
    }
    return content;
}

// The legacy /v1/completions shape of log probabilities: parallel lists,
// and each position's alternatives as {token: logprob}. `offset`: where the
// text so far ends, advanced past these tokens.
nlohmann::json legacy_logprobs_json(std::span<const TokenLogprob> logprobs, size_t& offset) {
    nlohmann::json out{{"tokens", nlohmann::json::array()}, {"token_logprobs", nlohmann::json::array()},
                       {"top_logprobs", nlohmann::json::array()}, {"text_offset", nlohmann::json::array()}};
    for (const TokenLogprob& l : logprobs) {
        out["tokens"].push_back(l.token);
        out["token_logprobs"].push_back(l.logprob);
        nlohmann::json top = nlohmann::json::object();
        for (const TokenLogprob::Alternative& a : l.top) top[a.token] = a.logprob;
        out["top_logprobs"].push_back(std::move(top));
        out["text_offset"].push_back(offset);
        offset += l.token.size();
    }
    return out;
}

void append_legacy_logprobs(nlohmann::json& into, const nlohmann::json& more) {
    for (const char* list : {"tokens", "token_logprobs", "top_logprobs", "text_offset"}) {
        for (const nlohmann::json& v : more[list]) into[list].push_back(v);
    }
}

// Folds streamed tool-call fragments (by "index": id and type once, name
// and arguments in pieces) into whole calls, for a non-streamed reply.
void merge_tool_calls(nlohmann::json& calls, std::string_view fragments_text) {
    const nlohmann::json fragments = nlohmann::json::parse(fragments_text, nullptr, false);
    if (!fragments.is_array()) return;
    for (const nlohmann::json& f : fragments) {
        if (!f.is_object()) continue;
        const size_t index = f.contains("index") && f["index"].is_number_unsigned() ? f["index"].get<size_t>() : calls.size();
        if (index > calls.size() || index > 1024) continue;  // a gap: not a sequence we can follow
        if (index == calls.size()) calls.push_back({{"id", ""}, {"type", "function"}, {"function", {{"name", ""}, {"arguments", ""}}}});
        nlohmann::json& call = calls[index];
        if (f.contains("id") && f["id"].is_string()) call["id"] = f["id"];
        if (f.contains("type") && f["type"].is_string()) call["type"] = f["type"];
        if (auto fn = f.find("function"); fn != f.end() && fn->is_object()) {
            for (const char* part : {"name", "arguments"}) {
                if (fn->contains(part) && (*fn)[part].is_string()) {
                    call["function"][part] = call["function"][part].get<std::string>() + (*fn)[part].get<std::string>();
                }
            }
        }
    }
}

// Answers /v1/chat/completions, or /v1/completions (a request with a
// raw_prompt): the same stream and errors, in each endpoint's JSON shape.
class OpenAiHandler final : public CompletionHandler {
public:
    OpenAiHandler(Scope scope, OpenAiParams params, std::string model, std::unique_ptr<InflightLimit::Slot> slot)
        : scope_(std::move(scope)), params_(std::move(params)), model_(std::move(model)), slot_(std::move(slot)),
          text_(params_.completion.raw_prompt.has_value()),
          id_(completion_id(text_ ? "cmpl-" : "chatcmpl-")),
          created_(std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()),
          relay_(scope_) {}

    StreamRelay& relay() { return relay_; }

    void on_delta(const CompletionDelta& delta) override {
        scope_->first_token();
        if (params_.stream && params_.schema) {
            std::lock_guard lock(mutex_);
            content_ += delta.content;  // checked against the schema at the end
        }
        if (params_.stream && text_) {
            nlohmann::json logprobs = nullptr;
            if (params_.logprobs) logprobs = legacy_logprobs_json(delta.logprobs, text_offset_);
            send_data(text_chunk(std::string(delta.content), nullptr, std::move(logprobs)));
            return;
        }
        if (params_.stream) {
            nlohmann::json d = nlohmann::json::object();
            if (!delta.content.empty()) d["content"] = delta.content;
            if (!delta.reasoning.empty()) d["reasoning_content"] = delta.reasoning;
            if (!delta.tool_calls.empty()) {
                nlohmann::json calls = nlohmann::json::parse(delta.tool_calls, nullptr, false);
                if (calls.is_array()) d["tool_calls"] = std::move(calls);
            }
            nlohmann::json logprobs = nullptr;
            if (params_.logprobs) logprobs = {{"content", logprobs_json(delta.logprobs)}};
            send_data(chunk(std::move(d), nullptr, std::move(logprobs)));
            return;
        }
        std::lock_guard lock(mutex_);
        content_ += delta.content;
        reasoning_ += delta.reasoning;
        if (!delta.tool_calls.empty()) merge_tool_calls(tool_calls_, delta.tool_calls);
        if (params_.logprobs && text_) {
            append_legacy_logprobs(logprobs_, legacy_logprobs_json(delta.logprobs, text_offset_));
        } else if (params_.logprobs) {
            for (nlohmann::json& entry : logprobs_json(delta.logprobs)) logprobs_.push_back(std::move(entry));
        }
    }

    void on_queued(int position) override {
        // An SSE comment: clients ignore it, proxies see traffic.
        if (params_.stream) relay_.send(": queued, position " + std::to_string(position) + "\n\n");
    }

    void on_error(const StartError& error) override {
        scope_->ctx().log.event("error", "completion: " + error.message);
        if (!params_.stream || relay_.claim_unstarted()) return respond_start_error(scope_, error);
        relay_.send(sse_data(start_error_event(error)));
        relay_.finish();
    }

    void on_done(FinishKind finish, const CompletionUsage& usage) override {
        scope_->set_usage(usage);
        if (auto invalid = schema_violation(finish)) {
            const StartError error{StartErrorCode::Internal,
                                   "the answer does not validate against the response_format schema: " + *invalid};
            scope_->mark_failed(500);
            return on_error(error);
        }
        if (params_.stream) {
            send_data(text_ ? text_chunk("", finish_reason_name(finish), nullptr)
                            : chunk(nlohmann::json::object(), finish_reason_name(finish), nullptr));
            if (params_.include_usage) {
                nlohmann::json last = text_ ? text_chunk("", nullptr, nullptr) : chunk(nlohmann::json::object(), nullptr, nullptr);
                last["choices"] = nlohmann::json::array();
                last["usage"] = usage_json(usage);
                relay_.send(sse_data(dump_json(last)));
            }
            relay_.send(sse_data("[DONE]"));
            relay_.finish();
            return;
        }
        std::lock_guard lock(mutex_);
        if (text_) {
            nlohmann::json body = text_chunk(content_, finish_reason_name(finish), params_.logprobs ? logprobs_ : nullptr);
            body["usage"] = usage_json(usage);
            return scope_->respond(json_response(200, body));
        }
        nlohmann::json message{{"role", "assistant"}, {"content", content_}};
        if (!tool_calls_.empty()) {
            message["tool_calls"] = tool_calls_;
            if (content_.empty()) message["content"] = nullptr;  // as OpenAI answers a call
        }
        if (!reasoning_.empty()) message["reasoning_content"] = reasoning_;
        nlohmann::json logprobs = nullptr;
        if (params_.logprobs) logprobs = {{"content", logprobs_}};
        nlohmann::json body{{"id", id_}, {"object", "chat.completion"}, {"created", created_}, {"model", model_},
                            {"choices", nlohmann::json::array({{{"index", 0},
                                                                {"message", std::move(message)},
                                                                {"logprobs", std::move(logprobs)},
                                                                {"finish_reason", finish_reason_name(finish)}}})},
                            {"usage", usage_json(usage)}};
        scope_->respond(json_response(200, body));
    }

private:
    // A finished answer under a json_schema response_format is checked
    // against the schema where the grammar is looser than it (numbers'
    // fractions, multipleOf, oneOf: json_schema_grammar.h). A reply cut by
    // max_tokens ("length") is reported as such, unchecked.
    std::optional<std::string> schema_violation(FinishKind finish) {
        if (!params_.schema || finish != FinishKind::Stop) return std::nullopt;
        std::lock_guard lock(mutex_);
        const nlohmann::json doc = nlohmann::json::parse(content_, nullptr, false);
        if (doc.is_discarded()) return std::string("it is not JSON");
        return validate_json_against_schema(doc, *params_.schema);
    }

    // Every stream opens with the assistant role, sent with the first data
    // (not before, so a failure before any output can still get a status).
    void send_data(const nlohmann::json& payload) {
        if (!role_sent_ && !text_) {
            role_sent_ = true;
            relay_.send(sse_data(dump_json(chunk({{"role", "assistant"}, {"content", ""}}, nullptr, nullptr))));
        }
        relay_.send(sse_data(dump_json(payload)));
    }

    // A /v1/completions chunk, or (finish set, usage added) its whole answer.
    nlohmann::json text_chunk(std::string text, nlohmann::json finish_reason, nlohmann::json logprobs) const {
        return {{"id", id_}, {"object", "text_completion"}, {"created", created_}, {"model", model_},
                {"choices", nlohmann::json::array({{{"text", std::move(text)}, {"index", 0}, {"logprobs", std::move(logprobs)},
                                                    {"finish_reason", std::move(finish_reason)}}})}};
    }

    nlohmann::json chunk(nlohmann::json delta, nlohmann::json finish_reason, nlohmann::json logprobs) const {
        return {{"id", id_}, {"object", "chat.completion.chunk"}, {"created", created_}, {"model", model_},
                {"choices", nlohmann::json::array({{{"index", 0}, {"delta", std::move(delta)}, {"logprobs", std::move(logprobs)},
                                                    {"finish_reason", std::move(finish_reason)}}})}};
    }

    Scope scope_;
    OpenAiParams params_;
    std::string model_;
    std::unique_ptr<InflightLimit::Slot> slot_;  // released with the handler
    const bool text_;  // /v1/completions
    std::string id_;
    int64_t created_;
    std::mutex mutex_;
    std::string content_;
    std::string reasoning_;
    nlohmann::json tool_calls_ = nlohmann::json::array();
    nlohmann::json logprobs_ = text_ ? legacy_logprobs_json({}, text_offset_) : nlohmann::json::array();
    size_t text_offset_ = 0;  // legacy logprobs' text_offset
    bool role_sent_ = false;  // provider callbacks of one completion come one at a time
    StreamRelay relay_;
};

}  // namespace

namespace {

using Parser = std::variant<OpenAiParams, BadRequest> (*)(const nlohmann::json&, const OpenAiLimits&);

void handle_openai_completion(const HttpRequest& req, const Scope& scope, Parser parse) {
    ApiContext& ctx = scope->ctx();
    if (!ctx.provider) return scope->respond(error_response(503, "no_model", kNoModelMessage));
    auto body = parse_json_object(req.body);
    if (auto* bad = std::get_if<BadRequest>(&body)) return scope->respond(bad_request_response(*bad));
    if (auto refusal = refuse_unknown_model(ctx, std::get<nlohmann::json>(body))) return scope->respond(std::move(*refusal));
    auto parsed = parse(std::get<nlohmann::json>(body),
                        OpenAiLimits{ctx.provider->context_size(), ctx.provider->forwards_openai_fields()});
    if (auto* bad = std::get_if<BadRequest>(&parsed)) return scope->respond(bad_request_response(*bad));
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

}  // namespace

void handle_chat_completions(const HttpRequest& req, const Scope& scope, const TokenRecord&) {
    handle_openai_completion(req, scope, parse_openai_request);
}

void handle_text_completions(const HttpRequest& req, const Scope& scope, const TokenRecord&) {
    handle_openai_completion(req, scope, parse_text_completion_request);
}

namespace {

nlohmann::json model_object(const std::string& id) {
    return {{"id", id}, {"object", "model"}, {"created", 0}, {"owned_by", "clawbot"}};
}

}  // namespace

std::optional<HttpResponse> refuse_unknown_model(const ApiContext& ctx, const nlohmann::json& body) {
    auto it = body.find("model");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) return error_response(400, "invalid_request", "'model' must be a string", "model");
    const std::string& name = it->get_ref<const std::string&>();
    if (ctx.model_names.accepts(name)) return std::nullopt;
    return error_response(404, "model_not_found",
                          "the model '" + name.substr(0, 128) + "' does not exist here; this server answers with '" +
                              ctx.model_names.loaded() + "' (MODEL_ALIASES may name others)",
                          "model");
}

void handle_models(const HttpRequest&, const Scope& scope) {
    ApiContext& ctx = scope->ctx();
    nlohmann::json data = nlohmann::json::array();
    if (ctx.provider) {
        for (const std::string& name : ctx.model_names.listed()) data.push_back(model_object(name));
    }
    scope->respond(json_response(200, {{"object", "list"}, {"data", data}}));
}

void handle_model(const HttpRequest&, const Scope& scope, const std::string& id) {
    ApiContext& ctx = scope->ctx();
    if (!ctx.provider || id.empty() || !ctx.model_names.accepts(id)) {
        return scope->respond(error_response(404, "model_not_found", "no model '" + id.substr(0, 128) + "' here", "model"));
    }
    scope->respond(json_response(200, model_object(id)));
}

}  // namespace clawbot::service
