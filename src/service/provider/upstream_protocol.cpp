#include "service/provider/upstream_protocol.h"

#include <algorithm>
#include <charconv>

#include <nlohmann/json.hpp>

namespace clawbot::service {
namespace {

using nlohmann::json;

// An upstream message longer than this is cut: it goes into one log line
// and one client-facing error.
constexpr size_t kMaxErrorText = 300;

std::string one_line(std::string text) {
    for (char& c : text) {
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    }
    if (text.size() > kMaxErrorText) {
        size_t cut = kMaxErrorText;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;  // whole UTF-8 characters
        text = text.substr(0, cut) + "...";
    }
    return text;
}

int int_field(const json& object, const char* name) {
    auto it = object.find(name);
    if (it == object.end() || !it->is_number_integer()) return 0;
    const auto value = it->get<int64_t>();
    return value < 0 || value > INT32_MAX ? 0 : static_cast<int>(value);
}

std::optional<CompletionUsage> usage_of(const json& body) {
    auto it = body.find("usage");
    if (it == body.end() || !it->is_object()) return std::nullopt;
    CompletionUsage u;
    u.prompt_tokens = int_field(*it, "prompt_tokens");
    u.completion_tokens = int_field(*it, "completion_tokens");
    if (auto details = it->find("prompt_tokens_details"); details != it->end() && details->is_object()) {
        u.cached_tokens = int_field(*details, "cached_tokens");
    }
    return u;
}

std::optional<std::string> error_of(const json& body) {
    auto it = body.find("error");
    if (it == body.end() || it->is_null()) return std::nullopt;
    if (it->is_object()) {
        auto message = it->find("message");
        if (message != it->end() && message->is_string()) return message->get<std::string>();
    }
    if (it->is_string()) return it->get<std::string>();
    return it->dump();
}

const json* first_choice(const json& body) {
    auto choices = body.find("choices");
    if (choices == body.end() || !choices->is_array() || choices->empty() || !(*choices)[0].is_object()) return nullptr;
    return &(*choices)[0];
}

std::optional<std::string> finish_of(const json& choice) {
    auto it = choice.find("finish_reason");
    if (it == choice.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

std::string string_in(const json& object, const char* name) {
    auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

float float_in(const json& object, const char* name) {
    auto it = object.find(name);
    return it != object.end() && it->is_number() ? it->get<float>() : 0.0f;
}

// The text, reasoning and tool calls of a choice's "delta" or "message".
// A whole message's tool calls get the "index" a streamed delta carries, so
// both read the same downstream.
void read_message(const json& choice, const char* field, UpstreamChunk& out) {
    auto it = choice.find(field);
    if (it == choice.end() || !it->is_object()) return;
    out.content = string_in(*it, "content");
    out.reasoning = string_in(*it, "reasoning_content");
    if (out.reasoning.empty()) out.reasoning = string_in(*it, "reasoning");
    auto calls = it->find("tool_calls");
    if (calls != it->end() && calls->is_array() && !calls->empty()) {
        json indexed = *calls;
        for (size_t i = 0; i < indexed.size(); ++i) {
            if (indexed[i].is_object() && !indexed[i].contains("index")) indexed[i]["index"] = i;
        }
        out.tool_calls = indexed.dump(-1, ' ', false, json::error_handler_t::replace);
    }
}

// The legacy /completions shape: parallel lists, alternatives as {token: logprob}.
void read_legacy_logprobs(const json& logprobs, UpstreamChunk& out) {
    auto tokens = logprobs.find("tokens");
    auto values = logprobs.find("token_logprobs");
    if (tokens == logprobs.end() || values == logprobs.end() || !tokens->is_array() || !values->is_array()) return;
    auto tops = logprobs.find("top_logprobs");
    for (size_t i = 0; i < tokens->size() && i < values->size(); ++i) {
        const json& token = (*tokens)[i];
        const json& value = (*values)[i];
        TokenLogprob l{token.is_string() ? token.get<std::string>() : "", value.is_number() ? value.get<float>() : 0.0f, {}};
        if (tops != logprobs.end() && tops->is_array() && i < tops->size() && (*tops)[i].is_object()) {
            for (const auto& [alt, lp] : (*tops)[i].items()) {
                if (lp.is_number()) l.top.push_back({alt, lp.get<float>()});
            }
            std::sort(l.top.begin(), l.top.end(), [](const auto& a, const auto& b) { return a.logprob > b.logprob; });
        }
        out.logprobs.push_back(std::move(l));
    }
}

void read_logprobs(const json& choice, UpstreamChunk& out) {
    auto it = choice.find("logprobs");
    if (it == choice.end() || !it->is_object()) return;
    auto content = it->find("content");
    if (content == it->end()) return read_legacy_logprobs(*it, out);
    if (!content->is_array()) return;
    for (const json& entry : *content) {
        if (!entry.is_object()) continue;
        TokenLogprob l{string_in(entry, "token"), float_in(entry, "logprob"), {}};
        if (auto top = entry.find("top_logprobs"); top != entry.end() && top->is_array()) {
            for (const json& alt : *top) {
                if (alt.is_object()) l.top.push_back({string_in(alt, "token"), float_in(alt, "logprob")});
            }
        }
        out.logprobs.push_back(std::move(l));
    }
}

}  // namespace

std::string upstream_request_body(const CompletionRequest& request, const std::string& model) {
    json messages = json::array();
    if (!request.upstream_messages.empty()) messages = json::parse(request.upstream_messages, nullptr, false);
    if (!messages.is_array() || request.upstream_messages.empty()) {
        messages = json::array();
        for (const ChatTurn& turn : request.messages) messages.push_back({{"role", turn.role}, {"content", turn.content}});
    }
    json body = json::object();
    json fields = request.upstream_fields.empty() ? json() : json::parse(request.upstream_fields, nullptr, false);
    if (fields.is_object()) {
        body = std::move(fields);  // the client's fields, as given
    } else {
        body["temperature"] = request.temperature;
        body["top_p"] = request.top_p;
        if (request.max_tokens > 0) body["max_tokens"] = request.max_tokens;
        if (request.seed) body["seed"] = static_cast<int64_t>(*request.seed);
        if (!request.stop.empty()) body["stop"] = request.stop;
    }
    if (!model.empty()) body["model"] = model;  // `clawbot chat --url` may leave it to the server
    if (request.raw_prompt) {
        body["prompt"] = *request.raw_prompt;  // /completions
    } else {
        body["messages"] = std::move(messages);
    }
    body["stream"] = true;
    body["stream_options"] = {{"include_usage", true}};
    // Invalid UTF-8 from a client never gets this far (the API parsed it as
    // JSON), but replace rather than throw if it ever does.
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::optional<UpstreamChunk> parse_upstream_chunk(std::string_view payload) {
    const json body = json::parse(payload, nullptr, false);
    if (!body.is_object()) return std::nullopt;
    UpstreamChunk chunk;
    chunk.error = error_of(body);
    chunk.usage = usage_of(body);
    if (const json* choice = first_choice(body)) {
        read_message(*choice, "delta", chunk);
        if (chunk.content.empty()) chunk.content = string_in(*choice, "text");  // /completions
        read_logprobs(*choice, chunk);
        chunk.finish_reason = finish_of(*choice);
    }
    return chunk;
}

std::optional<UpstreamChunk> parse_upstream_completion(std::string_view body_text) {
    const json body = json::parse(body_text, nullptr, false);
    if (!body.is_object()) return std::nullopt;
    UpstreamChunk whole;
    whole.error = error_of(body);
    whole.usage = usage_of(body);
    const json* choice = first_choice(body);
    if (!choice && !whole.error) return std::nullopt;
    if (choice) {
        read_message(*choice, "message", whole);
        if (whole.content.empty()) whole.content = string_in(*choice, "text");  // /completions
        read_logprobs(*choice, whole);
        whole.finish_reason = finish_of(*choice).value_or("stop");
    }
    return whole;
}

FinishKind finish_kind_of(std::string_view finish_reason) {
    if (finish_reason == "length") return FinishKind::Length;
    if (finish_reason == "tool_calls" || finish_reason == "function_call") return FinishKind::ToolCalls;
    if (finish_reason == "content_filter") return FinishKind::ContentFilter;
    return FinishKind::Stop;
}

std::string upstream_error_text(std::string_view body, std::string_view secret) {
    const json parsed = json::parse(body, nullptr, false);
    std::string text;
    if (parsed.is_object()) {
        if (auto message = error_of(parsed)) text = *message;
    }
    if (text.empty()) text = std::string(body.substr(0, 2 * kMaxErrorText));
    // Redact before cutting, so a cut can never leave part of the key.
    return one_line(redact(std::move(text), secret));
}

std::string upstream_error_code(std::string_view body) {
    const json parsed = json::parse(body, nullptr, false);
    if (!parsed.is_object()) return "";
    auto error = parsed.find("error");
    if (error == parsed.end() || !error->is_object()) return "";
    auto code = error->find("code");
    return code != error->end() && code->is_string() ? code->get<std::string>() : "";
}

std::string redact(std::string text, std::string_view secret) {
    if (secret.empty()) return text;
    for (size_t at = text.find(secret); at != std::string::npos; at = text.find(secret, at)) {
        text.replace(at, secret.size(), "[redacted]");
        at += 10;
    }
    return text;
}

std::optional<int> parse_retry_after(std::string_view value) {
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
    int seconds = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size() || seconds < 0) return std::nullopt;
    return seconds;
}

StartError upstream_refusal_error(int status, std::string_view body, std::string_view api_key,
                                  std::optional<int> retry_after) {
    const std::string said = upstream_error_text(body, api_key);
    const std::string quoted = said.empty() ? "" : ": " + said;
    const std::string status_text = "HTTP " + std::to_string(status);
    if (status == 429) {
        return StartError{StartErrorCode::Overloaded, "the upstream is rate limiting (" + status_text + ")" + quoted,
                          retry_after.value_or(1)};
    }
    if (status >= 500) return StartError{StartErrorCode::UpstreamFailed, "the upstream failed (" + status_text + ")" + quoted};
    // What the upstream says about a refused key may quote part of it: not passed on.
    if (status == 401 || status == 403) {
        return StartError{StartErrorCode::UpstreamFailed, "the upstream refused the API key (" + status_text + "); check API_KEY"};
    }
    if (status == 400 || status == 413 || status == 422) {
        const bool too_long = upstream_error_code(body) == "context_length_exceeded";
        return StartError{too_long ? StartErrorCode::ContextLengthExceeded : StartErrorCode::InvalidRequest,
                          "the upstream refused the request (" + status_text + ")" + quoted};
    }
    if (status == 404) {
        return StartError{StartErrorCode::UpstreamFailed,
                          "the upstream has no such model or path (" + status_text + "); check UPSTREAM_URL and UPSTREAM_MODEL" + quoted};
    }
    return StartError{StartErrorCode::UpstreamFailed, "the upstream answered " + status_text + quoted};
}

std::string upstream_embeddings_body(const std::vector<std::string>& inputs, const std::string& model) {
    const json body{{"model", model}, {"input", inputs}, {"encoding_format", "float"}};
    return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<UpstreamEmbeddings> parse_upstream_embeddings(std::string_view text, size_t expected) {
    const json body = json::parse(text, nullptr, false);
    if (!body.is_object() || !body.contains("data") || !body["data"].is_array()) {
        return make_error("the upstream's reply is not an embedding list");
    }
    const json& data = body["data"];
    if (data.size() != expected) {
        return make_error("the upstream sent " + std::to_string(data.size()) + " embeddings for " + std::to_string(expected) + " inputs");
    }
    UpstreamEmbeddings out;
    out.vectors.resize(expected);
    std::vector<bool> seen(expected, false);
    for (size_t i = 0; i < data.size(); ++i) {
        const json& item = data[i];
        if (!item.is_object()) return make_error("the upstream's embedding " + std::to_string(i) + " is not an object");
        const size_t index = item.contains("index") && item["index"].is_number_unsigned() ? item["index"].get<size_t>() : i;
        if (index >= expected || seen[index]) return make_error("the upstream's embedding indexes do not match the inputs");
        seen[index] = true;
        const auto e = item.find("embedding");
        if (e == item.end() || !e->is_array() || e->empty()) {
            return make_error("the upstream's embedding " + std::to_string(index) + " is not an array of numbers");
        }
        std::vector<float>& v = out.vectors[index];
        v.reserve(e->size());
        for (const json& x : *e) {
            if (!x.is_number()) return make_error("the upstream's embedding " + std::to_string(index) + " is not an array of numbers");
            v.push_back(x.get<float>());
        }
    }
    if (auto u = body.find("usage"); u != body.end() && u->is_object() && u->contains("prompt_tokens") &&
                                      (*u)["prompt_tokens"].is_number_integer()) {
        out.prompt_tokens = (*u)["prompt_tokens"].get<int>();
    }
    return out;
}

}  // namespace clawbot::service
