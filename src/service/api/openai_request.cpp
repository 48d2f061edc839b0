#include "service/api/openai_request.h"

#include "service/api/json_schema_grammar.h"
#include "service/api/openai_tools.h"

#include <algorithm>
#include <charconv>

namespace clawbot::service {
namespace {

using nlohmann::json;

// OpenAI's own limits: at most 300 biased tokens, 4 stop strings, 20
// alternatives per logprob.
constexpr size_t kMaxLogitBias = 300;
constexpr size_t kMaxStops = 4;
constexpr int kMaxTopLogprobs = 20;

// The fields this route reads itself; in cloud mode everything else the
// client sent goes to the upstream as given.
constexpr const char* kOwnFields[] = {"model", "messages", "prompt", "stream", "stream_options", "n"};

BadRequest bad(std::string message, std::string param) {
    return BadRequest{"invalid_request", std::move(message), std::move(param)};
}

// Not implemented by the local engine (yet): refused rather than ignored.
BadRequest unsupported(const std::string& param, const std::string& what) {
    return BadRequest{"unsupported_parameter", "'" + param + "': " + what + " is not supported by the local model yet",
                      param};
}

// "content" may be a string, null, or a list of parts; only text parts are taken.
std::optional<std::string> message_text(const json& content) {
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

std::optional<BadRequest> parse_messages(const json& body, bool forward, std::vector<ChatTurn>& out) {
    auto it = body.find("messages");
    if (it == body.end() || !it->is_array() || it->empty()) return bad("'messages' must be a non-empty array", "messages");
    for (const auto& m : *it) {
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            return bad("each message needs a string 'role'", "messages");
        }
        std::string role = m["role"].get<std::string>();
        if (role == "developer") role = "system";
        if (role != "system" && role != "user" && role != "assistant" && role != "tool") {
            return bad("unsupported message role '" + role + "'", "messages");
        }
        auto text = message_text(m.contains("content") ? m["content"] : json());
        if (!text) return bad("message content must be a string or a list of text parts", "messages");
        ChatTurn& turn = out.emplace_back(std::move(role), std::move(*text));
        // Cloud mode sends the messages on as the client wrote them.
        if (!forward) {
            if (auto e = read_message_tool_fields(m, turn)) return e;
        }
    }
    return std::nullopt;
}

std::optional<BadRequest> parse_stop(const json& body, std::vector<std::string>& out) {
    auto it = body.find("stop");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (it->is_string()) {
        out.push_back(it->get<std::string>());
        return std::nullopt;
    }
    if (!it->is_array() || it->size() > kMaxStops) return bad("'stop' must be a string or up to 4 strings", "stop");
    for (const auto& s : *it) {
        if (!s.is_string()) return bad("'stop' must be a string or up to 4 strings", "stop");
        out.push_back(s.get<std::string>());
    }
    return std::nullopt;
}

// {"token id": bias, ...} with ids as decimal strings and biases in [-100, 100].
std::optional<BadRequest> parse_logit_bias(const json& body, std::vector<LogitBias>& out) {
    auto it = body.find("logit_bias");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (!it->is_object()) return bad("'logit_bias' must be an object of token id to bias", "logit_bias");
    if (it->size() > kMaxLogitBias) return bad("'logit_bias' may name at most 300 tokens", "logit_bias");
    for (const auto& [key, value] : it->items()) {
        int32_t token = -1;
        const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), token);
        if (ec != std::errc() || end != key.data() + key.size() || token < 0) {
            return bad("'logit_bias' keys must be token ids (non-negative integers), not '" + key.substr(0, 32) + "'",
                       "logit_bias");
        }
        if (!value.is_number() || value.get<double>() < -100.0 || value.get<double>() > 100.0) {
            return bad("'logit_bias' values must be numbers from -100 to 100", "logit_bias");
        }
        out.push_back({token, value.get<float>()});
    }
    return std::nullopt;
}

// What the local model does not do: refused, never ignored.
std::optional<BadRequest> refuse_unimplemented(const json& body) {
    if (auto it = body.find("functions"); it != body.end() && !it->is_null()) return unsupported("functions", "function calling");
    if (auto it = body.find("audio"); it != body.end() && !it->is_null()) return unsupported("audio", "audio output");
    if (auto it = body.find("prediction"); it != body.end() && !it->is_null()) return unsupported("prediction", "predicted output");
    return std::nullopt;
}

}  // namespace

namespace {

// The fields both endpoints share: sampling, stop, stream and its options.
std::optional<BadRequest> read_common(const json& body, const OpenAiLimits& limits, OpenAiParams& p) {
    CompletionRequest& c = p.completion;
    if (auto e = parse_stop(body, c.stop)) return e;
    if (auto e = parse_logit_bias(body, c.logit_bias)) return e;
    FieldReader f(body);
    p.stream = f.boolean("stream").value_or(false);
    auto max_tokens = f.integer("max_tokens", 1, limits.context_size);
    auto max_completion = f.integer("max_completion_tokens", 1, limits.context_size);
    auto temperature = f.number("temperature", 0.0, 2.0);
    auto top_p = f.number("top_p", 0.0, 1.0);
    auto top_k = f.integer("top_k", 0, 1'000'000);
    auto min_p = f.number("min_p", 0.0, 1.0);
    auto presence = f.number("presence_penalty", -2.0, 2.0);
    auto frequency = f.number("frequency_penalty", -2.0, 2.0);
    auto repetition = f.number("repetition_penalty", 0.0, 2.0);
    auto seed = f.integer("seed", INT64_MIN, INT64_MAX);
    auto n = f.integer("n", 1, 1'000);
    f.string("user");
    if (!f.ok()) return f.error();
    if (n && *n != 1) return bad("only n = 1 is supported", "n");
    if (top_p && *top_p <= 0.0) return bad("'top_p' must be greater than 0", "top_p");
    if (repetition && *repetition <= 0.0) return bad("'repetition_penalty' must be greater than 0", "repetition_penalty");
    if (auto it = body.find("stream_options"); it != body.end() && !it->is_null()) {
        if (!it->is_object()) return bad("'stream_options' must be an object", "stream_options");
        auto usage = it->find("include_usage");
        if (usage != it->end() && !usage->is_boolean()) {
            return bad("'stream_options.include_usage' must be a boolean", "stream_options");
        }
        p.include_usage = usage != it->end() && usage->get<bool>();
    }
    c.max_tokens = static_cast<int>(max_completion.value_or(max_tokens.value_or(0)));
    c.temperature = static_cast<float>(temperature.value_or(1.0));
    c.top_p = static_cast<float>(top_p.value_or(1.0));
    if (top_k) c.top_k = static_cast<int>(*top_k);
    if (min_p) c.min_p = static_cast<float>(*min_p);
    c.presence_penalty = static_cast<float>(presence.value_or(0.0));
    c.frequency_penalty = static_cast<float>(frequency.value_or(0.0));
    c.repetition_penalty = static_cast<float>(repetition.value_or(1.0));
    if (seed) c.seed = static_cast<uint64_t>(*seed);
    return std::nullopt;
}

// Cloud mode: everything the client sent but what this route owns, as given.
void keep_for_upstream(const json& body, CompletionRequest& c) {
    json fields = json::object();
    for (const auto& [key, value] : body.items()) {
        if (std::find(std::begin(kOwnFields), std::end(kOwnFields), key) == std::end(kOwnFields)) fields[key] = value;
    }
    c.upstream_fields = fields.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::optional<BadRequest> read_response_format(const json& format, const std::string& param, CompletionRequest& c,
                                               std::optional<json>& schema) {
    if (format.is_null()) return std::nullopt;
    if (!format.is_object() || !format.contains("type") || !format["type"].is_string()) {
        return bad("'" + param + "' must be an object with a string 'type'", param);
    }
    const std::string& type = format["type"].get_ref<const std::string&>();
    if (type == "text") return std::nullopt;
    if (type == "json_object") {
        c.grammar = json_value_grammar();
        return std::nullopt;
    }
    if (type != "json_schema") {
        return bad("'" + param + ".type' must be text, json_object or json_schema, not '" + type.substr(0, 64) + "'", param);
    }
    auto spec = format.find("json_schema");
    if (spec == format.end() || !spec->is_object()) return bad("'" + param + ".json_schema' must be an object", param);
    auto given = spec->find("schema");
    if (given == spec->end() || !given->is_object()) {
        return bad("'" + param + ".json_schema.schema' must be a JSON Schema object", param);
    }
    if (auto name = spec->find("name"); name != spec->end() && !name->is_string()) {
        return bad("'" + param + ".json_schema.name' must be a string", param);
    }
    Result<std::string> grammar = json_schema_grammar(*given);
    if (!grammar) return bad("'" + param + ".json_schema.schema': " + grammar.error().message, param);
    c.grammar = std::move(grammar).value();
    schema = *given;
    return std::nullopt;
}

std::variant<OpenAiParams, BadRequest> parse_openai_request(const json& body, const OpenAiLimits& limits) {
    OpenAiParams p;
    CompletionRequest& c = p.completion;
    if (auto e = parse_messages(body, limits.forward, c.messages)) return *e;
    if (auto e = read_common(body, limits, p)) return *e;
    FieldReader f(body);
    auto logprobs = f.boolean("logprobs");
    auto top_logprobs = f.integer("top_logprobs", 0, kMaxTopLogprobs);
    f.string("reasoning_effort");
    if (!f.ok()) return f.error();
    if (top_logprobs && !logprobs.value_or(false)) return bad("'top_logprobs' needs 'logprobs': true", "top_logprobs");
    if (!limits.forward) {
        if (auto e = refuse_unimplemented(body)) return *e;
        if (auto e = read_tools(body, c)) return *e;
        if (auto it = body.find("response_format"); it != body.end()) {
            if (auto e = read_response_format(*it, "response_format", c, p.schema)) return *e;
        }
        if (!c.grammar.empty() && (c.tool_choice == ToolChoice::Required || c.tool_choice == ToolChoice::Named)) {
            return bad("'response_format' and a forced 'tool_choice' cannot be combined: the reply is either", "response_format");
        }
    }
    p.logprobs = logprobs.value_or(false);
    if (p.logprobs) c.top_logprobs = static_cast<int>(top_logprobs.value_or(0));
    if (limits.forward) {
        keep_for_upstream(body, c);
        c.upstream_messages = body["messages"].dump(-1, ' ', false, json::error_handler_t::replace);
    }
    return p;
}

std::variant<OpenAiParams, BadRequest> parse_text_completion_request(const json& body, const OpenAiLimits& limits) {
    OpenAiParams p;
    CompletionRequest& c = p.completion;
    auto found = body.find("prompt");
    const json* prompt = found == body.end() ? nullptr : &*found;
    if (prompt && prompt->is_array() && prompt->size() == 1) prompt = &(*prompt)[0];  // ["text"] is "text"
    if (!prompt || !prompt->is_string()) {
        return bad("'prompt' must be a string (several prompts, or token ids, are not supported)", "prompt");
    }
    c.raw_prompt = prompt->get<std::string>();
    if (auto e = read_common(body, limits, p)) return *e;
    FieldReader f(body);
    // The legacy API's logprobs: how many alternatives (0..5), not a flag.
    auto logprobs = f.integer("logprobs", 0, 5);
    auto echo = f.boolean("echo");
    auto best_of = f.integer("best_of", 1, 1'000);
    auto suffix = f.string("suffix");
    if (!f.ok()) return f.error();
    if (best_of && *best_of != 1) return bad("only best_of = 1 is supported", "best_of");
    if (!limits.forward) {
        if (echo.value_or(false)) return unsupported("echo", "echoing the prompt");
        if (suffix && !suffix->empty()) return unsupported("suffix", "a suffix (insertion)");
    }
    // The legacy default is 16 tokens.
    if (c.max_tokens == 0) c.max_tokens = 16;
    p.logprobs = logprobs.has_value();
    if (logprobs) c.top_logprobs = static_cast<int>(*logprobs);
    if (limits.forward) keep_for_upstream(body, c);
    return p;
}

}  // namespace clawbot::service
