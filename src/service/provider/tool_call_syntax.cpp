// Tool-call syntaxes: telling them from a chat template and reading them
// back from a reply. Replies are model output, so every reader here is a
// single forward pass over the text (JSON values are delimited by a bracket
// scan before nlohmann parses them) with nesting bounded, and anything
// unexpected gives nullopt rather than a guess.
#include "service/provider/tool_call_syntax.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>

#include <nlohmann/json.hpp>

namespace clawbot::service {

namespace {

using nlohmann::json;

// Deeper arguments are refused: nlohmann's dump() recurses once per level,
// and no real tool takes arguments nested this deep.
constexpr size_t kMaxNesting = 128;

constexpr size_t npos = std::string_view::npos;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

size_t space_end(std::string_view s, size_t pos) {
    while (pos < s.size() && is_space(s[pos])) ++pos;
    return pos;
}

// Invalid UTF-8 from the model becomes U+FFFD rather than an exception.
std::string compact(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const auto b = static_cast<unsigned char>(s[i]);
        if (b < 0x80) {
            ++i;
            continue;
        }
        size_t more;
        uint32_t cp;
        if (b >= 0xC2 && b <= 0xDF) {
            more = 1, cp = b & 0x1Fu;
        } else if (b >= 0xE0 && b <= 0xEF) {
            more = 2, cp = b & 0x0Fu;
        } else if (b >= 0xF0 && b <= 0xF4) {
            more = 3, cp = b & 0x07u;
        } else {
            return false;
        }
        if (s.size() - i <= more) return false;
        for (size_t k = 1; k <= more; ++k) {
            const auto c = static_cast<unsigned char>(s[i + k]);
            if ((c & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (c & 0x3Fu);
        }
        if (more == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) return false;
        if (more == 3 && (cp < 0x10000 || cp > 0x10FFFF)) return false;
        i += 1 + more;
    }
    return true;
}

// A name read from raw reply text (JSON names are checked by nlohmann): one
// that is not UTF-8 could not go into a JSON response, and names no tool.
bool usable_name(std::string_view name) { return !name.empty() && name.find('\n') == npos && valid_utf8(name); }

// The length of the JSON string, object or array at the start of `text`,
// found by matching quotes and brackets (nlohmann checks the rest); npos
// when it is not closed, brackets do not pair up, or it nests too deep.
size_t json_extent(std::string_view text) {
    if (text.empty()) return npos;
    std::string closers;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
                if (closers.empty()) return i + 1;
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (closers.size() >= kMaxNesting) return npos;
            closers.push_back(c == '{' ? '}' : ']');
        } else if (c == '}' || c == ']') {
            if (closers.empty() || closers.back() != c) return npos;
            closers.pop_back();
            if (closers.empty()) return i + 1;
        } else if (closers.empty()) {
            return npos;  // a bare scalar is never what a call holds here
        }
    }
    return npos;
}

// nesting of brackets outside strings, for text not delimited by json_extent
bool nesting_within_bounds(std::string_view text) {
    size_t depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            if (++depth > kMaxNesting) return false;
        } else if ((c == '}' || c == ']') && depth > 0) {
            --depth;
        }
    }
    return true;
}

std::optional<json> parse_json(std::string_view text) {
    if (!nesting_within_bounds(text)) return std::nullopt;
    json v = json::parse(text, nullptr, false);
    if (v.is_discarded()) return std::nullopt;
    return v;
}

// The arguments as the API carries them: a compact JSON object. Models (and
// the templates that taught them) sometimes write the object as a JSON string.
std::optional<std::string> arguments_of(const json& v) {
    if (v.is_object()) return compact(v);
    if (!v.is_string()) return std::nullopt;
    const auto inner = parse_json(v.get_ref<const std::string&>());
    if (!inner || !inner->is_object()) return std::nullopt;
    return compact(*inner);
}

// {"name": N, "arguments"|"parameters": {..}, "id": ..}, or the OpenAI shape
// {"type": "function", "function": {"name", "arguments"}}. A call with no
// arguments member has none: {}.
std::optional<ParsedToolCall> call_from_object(const json& v) {
    if (!v.is_object()) return std::nullopt;
    const json* call = &v;
    if (!v.contains("name")) {
        const auto fn = v.find("function");
        if (fn != v.end() && fn->is_object()) call = &*fn;
    }
    const auto name = call->find("name");
    if (name == call->end() || !name->is_string() || name->get_ref<const std::string&>().empty()) return std::nullopt;
    ParsedToolCall out;
    out.name = name->get<std::string>();
    auto args = call->find("arguments");
    if (args == call->end()) args = call->find("parameters");
    if (args == call->end()) {
        out.arguments = "{}";
    } else if (auto text = arguments_of(*args)) {
        out.arguments = std::move(*text);
    } else {
        return std::nullopt;
    }
    for (const json* holder : {&v, call}) {
        const auto id = holder->find("id");
        if (id != holder->end() && id->is_string()) out.id = id->get<std::string>();
    }
    return out;
}

// A read position in a reply region; every method only moves forward.
class Cursor {
public:
    explicit Cursor(std::string_view text) : text_(text) {}

    bool at_end() const { return pos_ >= text_.size(); }
    std::string_view rest() const { return text_.substr(pos_); }
    bool starts_with(std::string_view token) const { return rest().starts_with(token); }
    void skip_space() { pos_ = space_end(text_, pos_); }

    bool eat(std::string_view token) {
        if (!starts_with(token)) return false;
        pos_ += token.size();
        return true;
    }
    bool eat_any(std::initializer_list<std::string_view> tokens) {
        for (const std::string_view t : tokens) {
            if (eat(t)) return true;
        }
        return false;
    }
    // The text before the next `token`, which is consumed too.
    std::optional<std::string_view> until(std::string_view token) {
        const size_t at = text_.find(token, pos_);
        if (at == npos) return std::nullopt;
        const std::string_view before = text_.substr(pos_, at - pos_);
        pos_ = at + token.size();
        return before;
    }
    // Characters up to (not including) whitespace or any of `stops`.
    std::string_view take_until_any(std::string_view stops) {
        const size_t start = pos_;
        while (!at_end() && !is_space(text_[pos_]) && stops.find(text_[pos_]) == npos) ++pos_;
        return text_.substr(start, pos_ - start);
    }
    // The JSON string, object or array here.
    std::optional<json> json_value() {
        const size_t n = json_extent(rest());
        if (n == npos) return std::nullopt;
        json v = json::parse(rest().substr(0, n), nullptr, false);
        if (v.is_discarded()) return std::nullopt;
        pos_ += n;
        return v;
    }

private:
    std::string_view text_;
    size_t pos_ = 0;
};

using Calls = std::vector<ParsedToolCall>;

// The region is read when calls were found and only whitespace or the
// syntax's closing markers follow them.
std::optional<Calls> finish(Calls calls, Cursor& c, std::initializer_list<std::string_view> closers) {
    if (calls.empty()) return std::nullopt;
    for (;;) {
        c.skip_space();
        if (c.at_end()) return calls;
        if (!c.eat_any(closers)) return std::nullopt;
    }
}

// --- Hermes ------------------------------------------------------------------

// Qwen3.5's <parameter=K> values are raw text: JSON when they read as JSON
// (numbers, objects, true), else the text itself.
json xml_parameter_value(std::string_view raw) {
    if (raw.starts_with('\n')) raw.remove_prefix(1);
    if (raw.ends_with('\n')) raw.remove_suffix(1);
    if (auto v = parse_json(raw)) return std::move(*v);
    return json(std::string(raw));
}

// <function=N>\n<parameter=K>\nV\n</parameter>\n...</function>
std::optional<ParsedToolCall> hermes_xml_call(Cursor& c) {
    if (!c.eat("<function=")) return std::nullopt;
    const auto name_text = c.until(">");
    if (!name_text) return std::nullopt;
    const std::string_view name = trim(*name_text);
    if (!usable_name(name)) return std::nullopt;
    json args = json::object();
    for (;;) {
        c.skip_space();
        if (c.eat("</function>")) break;
        if (!c.eat("<parameter=")) return std::nullopt;
        const auto key = c.until(">");
        if (!key || trim(*key).empty()) return std::nullopt;
        const auto value = c.until("</parameter>");
        if (!value) return std::nullopt;
        args[std::string(trim(*key))] = xml_parameter_value(*value);
    }
    return ParsedToolCall{std::string(name), compact(args), ""};
}

std::optional<Calls> parse_hermes(std::string_view region) {
    Cursor c(region);
    Calls calls;
    for (;;) {
        c.skip_space();
        if (!c.eat("<tool_call>")) break;
        c.skip_space();
        std::optional<ParsedToolCall> call;
        if (c.starts_with("<function=")) {
            call = hermes_xml_call(c);
        } else if (auto v = c.json_value()) {
            call = call_from_object(*v);
        }
        if (!call) return std::nullopt;
        c.skip_space();
        if (!c.eat("</tool_call>")) return std::nullopt;
        calls.push_back(std::move(*call));
    }
    return finish(std::move(calls), c, {"<|im_end|>", "<|endoftext|>"});
}

// --- Llama 3 -----------------------------------------------------------------

std::optional<Calls> parse_llama3(std::string_view region) {
    Cursor c(region);
    c.skip_space();
    c.eat("<|python_tag|>");
    Calls calls;
    for (;;) {
        c.skip_space();
        const auto v = c.json_value();
        if (!v) return std::nullopt;
        auto call = call_from_object(*v);
        if (!call) return std::nullopt;
        calls.push_back(std::move(*call));
        c.skip_space();
        c.eat(";");
        c.skip_space();
        if (!c.starts_with("{")) break;
    }
    return finish(std::move(calls), c, {"<|eom_id|>", "<|eot_id|>"});
}

// --- Mistral -----------------------------------------------------------------

// [TOOL_CALLS]N[CALL_ID]id[ARGS]{..}: the form of v11+ tokenizers.
std::optional<ParsedToolCall> mistral_args_call(Cursor& c) {
    const std::string_view name = c.take_until_any("[");
    if (!usable_name(name)) return std::nullopt;
    ParsedToolCall call{std::string(name), "", ""};
    if (c.eat("[CALL_ID]")) {
        const std::string_view id = c.take_until_any("[");
        if (!valid_utf8(id)) return std::nullopt;
        call.id = std::string(id);
    }
    if (!c.eat("[ARGS]")) return std::nullopt;
    c.skip_space();
    const auto v = c.json_value();
    if (!v) return std::nullopt;
    auto args = arguments_of(*v);
    if (!args) return std::nullopt;
    call.arguments = std::move(*args);
    return call;
}

// A JSON array of call objects, or one call object.
bool append_json_calls(const json& v, Calls& calls) {
    if (v.is_object()) {
        auto call = call_from_object(v);
        if (!call) return false;
        calls.push_back(std::move(*call));
        return true;
    }
    if (!v.is_array() || v.empty()) return false;
    for (const json& item : v) {
        auto call = call_from_object(item);
        if (!call) return false;
        calls.push_back(std::move(*call));
    }
    return true;
}

std::optional<Calls> parse_mistral(std::string_view region) {
    Cursor c(region);
    Calls calls;
    for (;;) {
        c.skip_space();
        if (!c.eat("[TOOL_CALLS]")) break;
        c.skip_space();
        if (c.starts_with("[") || c.starts_with("{")) {
            const auto v = c.json_value();
            if (!v || !append_json_calls(*v, calls)) return std::nullopt;
        } else {
            auto call = mistral_args_call(c);
            if (!call) return std::nullopt;
            calls.push_back(std::move(*call));
        }
    }
    return finish(std::move(calls), c, {"</s>"});
}

// --- gpt-oss (harmony) -------------------------------------------------------

constexpr std::string_view kToFunctions = "to=functions.";

// The function a harmony header addresses ("functions.N"), if any.
std::optional<std::string_view> harmony_recipient(std::string_view header) {
    const size_t at = header.find(kToFunctions);
    if (at == npos) return std::nullopt;
    Cursor c(header.substr(at + kToFunctions.size()));
    const std::string_view name = c.take_until_any("<");
    if (!usable_name(name)) return std::nullopt;
    return name;
}

std::optional<Calls> parse_gpt_oss(std::string_view region) {
    Cursor c(region);
    Calls calls;
    for (;;) {
        c.skip_space();
        const auto header = c.until("<|message|>");
        if (!header) return std::nullopt;
        const auto name = harmony_recipient(*header);
        if (!name) return std::nullopt;
        c.skip_space();
        const auto v = c.json_value();
        if (!v) return std::nullopt;
        auto args = arguments_of(*v);
        if (!args) return std::nullopt;
        calls.push_back(ParsedToolCall{std::string(*name), std::move(*args), ""});
        c.skip_space();
        c.eat_any({"<|call|>", "<|end|>"});
        c.skip_space();
        if (!c.starts_with("<|start|>") && !c.starts_with("<|channel|>")) break;
    }
    return finish(std::move(calls), c, {"<|call|>", "<|end|>", "<|return|>"});
}

// --- DeepSeek ----------------------------------------------------------------

constexpr std::string_view kDsCallsBegin = "<｜tool▁calls▁begin｜>";
constexpr std::string_view kDsCallsEnd = "<｜tool▁calls▁end｜>";
constexpr std::string_view kDsCallBegin = "<｜tool▁call▁begin｜>";
constexpr std::string_view kDsCallEnd = "<｜tool▁call▁end｜>";
constexpr std::string_view kDsSep = "<｜tool▁sep｜>";

// One call after <｜tool▁call▁begin｜>, in either DeepSeek form: V3's
// N<｜tool▁sep｜>{..} or R1's function<｜tool▁sep｜>N\n```json\n{..}\n```.
std::optional<ParsedToolCall> deepseek_call(Cursor& c) {
    const auto head = c.until(kDsSep);
    if (!head) return std::nullopt;
    std::string_view name = trim(*head);
    c.skip_space();
    const bool fenced = !c.starts_with("{") && !c.starts_with("\"");
    if (fenced) {
        name = c.take_until_any("`");
        c.skip_space();
        if (!c.eat("```json") && !c.eat("```")) return std::nullopt;
        c.skip_space();
    }
    if (!usable_name(name)) return std::nullopt;
    const auto v = c.json_value();
    if (!v) return std::nullopt;
    auto args = arguments_of(*v);
    if (!args) return std::nullopt;
    c.skip_space();
    if (fenced && !c.eat("```")) return std::nullopt;
    c.skip_space();
    if (!c.eat(kDsCallEnd)) return std::nullopt;
    return ParsedToolCall{std::string(name), std::move(*args), ""};
}

std::optional<Calls> parse_deepseek(std::string_view region) {
    Cursor c(region);
    c.skip_space();
    const bool wrapped = c.eat(kDsCallsBegin);
    Calls calls;
    for (;;) {
        c.skip_space();
        if (!c.eat(kDsCallBegin)) break;
        auto call = deepseek_call(c);
        if (!call) return std::nullopt;
        calls.push_back(std::move(*call));
    }
    c.skip_space();
    if (!c.eat(kDsCallsEnd) && wrapped) return std::nullopt;
    return finish(std::move(calls), c, {"<｜end▁of▁sentence｜>"});
}

// --- Granite / Phi-4 ---------------------------------------------------------

std::optional<Calls> parse_granite(std::string_view region) {
    Cursor c(region);
    Calls calls;
    for (;;) {
        c.skip_space();
        if (!c.eat("<|tool_call|>")) break;
        c.skip_space();
        const auto v = c.json_value();
        if (!v || !append_json_calls(*v, calls)) return std::nullopt;
        c.skip_space();
        c.eat("<|/tool_call|>");
    }
    return finish(std::move(calls), c, {"<|end_of_text|>", "<|end|>"});
}

// --- Gemma 4 -----------------------------------------------------------------

constexpr std::string_view kGemmaQuote = "<|\"|>";

// Gemma 4's argument notation: {key:value,..} with strings in <|"|>..<|"|>,
// bare keys, numbers and booleans as in JSON. JSON itself (quoted keys and
// strings) reads as well, which is what the forced grammar writes.
class GemmaValueReader {
public:
    explicit GemmaValueReader(Cursor& c) : c_(c) {}

    std::optional<json> value(size_t depth) {
        if (depth > kMaxNesting) return std::nullopt;
        c_.skip_space();
        if (c_.eat(kGemmaQuote)) {
            const auto text = c_.until(kGemmaQuote);
            if (!text) return std::nullopt;
            return json(std::string(*text));
        }
        if (c_.starts_with("\"")) return c_.json_value();
        if (c_.eat("{")) return object_rest(depth);
        if (c_.eat("[")) return array_rest(depth);
        return scalar();
    }

    // After the '{'.
    std::optional<json> object_rest(size_t depth) {
        json out = json::object();
        c_.skip_space();
        if (c_.eat("}")) return out;
        for (;;) {
            const auto key = this->key();
            c_.skip_space();
            if (!key || !c_.eat(":")) return std::nullopt;
            auto v = value(depth + 1);
            if (!v) return std::nullopt;
            out[*key] = std::move(*v);
            c_.skip_space();
            if (c_.eat("}")) return out;
            if (!c_.eat(",")) return std::nullopt;
        }
    }

private:
    std::optional<json> array_rest(size_t depth) {
        json out = json::array();
        c_.skip_space();
        if (c_.eat("]")) return out;
        for (;;) {
            auto v = value(depth + 1);
            if (!v) return std::nullopt;
            out.push_back(std::move(*v));
            c_.skip_space();
            if (c_.eat("]")) return out;
            if (!c_.eat(",")) return std::nullopt;
        }
    }

    std::optional<std::string> key() {
        c_.skip_space();
        if (c_.eat(kGemmaQuote)) {
            const auto text = c_.until(kGemmaQuote);
            if (!text) return std::nullopt;
            return std::string(*text);
        }
        if (c_.starts_with("\"")) {
            const auto v = c_.json_value();
            if (!v || !v->is_string()) return std::nullopt;
            return v->get<std::string>();
        }
        const std::string_view bare = c_.take_until_any(":,{}[]<\"");
        if (bare.empty()) return std::nullopt;
        return std::string(bare);
    }

    // A bare number, boolean or null; other bare words are taken as text.
    std::optional<json> scalar() {
        const std::string_view token = c_.take_until_any(",}]<");
        if (token.empty()) return std::nullopt;
        if (token == "None") return json(nullptr);
        json v = json::parse(token, nullptr, false);
        if (!v.is_discarded() && v.is_primitive()) return v;
        return json(std::string(token));
    }

    Cursor& c_;
};

std::optional<Calls> parse_gemma4(std::string_view region) {
    Cursor c(region);
    Calls calls;
    for (;;) {
        c.skip_space();
        if (!c.eat("<|tool_call>")) break;
        c.skip_space();
        if (!c.eat("call:")) return std::nullopt;
        const std::string_view name = c.take_until_any("{<");
        c.skip_space();
        if (!usable_name(name) || !c.eat("{")) return std::nullopt;
        GemmaValueReader reader(c);
        const auto args = reader.object_rest(0);
        if (!args) return std::nullopt;
        c.skip_space();
        if (!c.eat("<tool_call|>")) return std::nullopt;
        calls.push_back(ParsedToolCall{std::string(name), compact(*args), ""});
    }
    return finish(std::move(calls), c, {"<|tool_response>", "<turn|>", "<eos>"});
}

// --- Generic -----------------------------------------------------------------

std::optional<Calls> parse_generic(std::string_view region) {
    Cursor c(region);
    c.skip_space();
    const auto v = c.json_value();
    if (!v || !v->is_object()) return std::nullopt;
    Calls calls;
    if (const auto list = v->find("tool_calls"); list != v->end()) {
        if (!list->is_array() || !append_json_calls(*list, calls)) return std::nullopt;
    } else if (const auto one = v->find("tool_call"); one != v->end()) {
        if (!one->is_object() || !append_json_calls(*one, calls)) return std::nullopt;
    }
    return finish(std::move(calls), c, {});
}

// --- where a call starts -----------------------------------------------------

// The longest proper prefix of `marker` that `text` ends with.
size_t partial_marker_at_end(std::string_view text, std::string_view marker) {
    for (size_t n = std::min(marker.size() - 1, text.size()); n > 0; --n) {
        if (text.ends_with(marker.substr(0, n))) return n;
    }
    return 0;
}

std::optional<ToolCallStart> find_markers(std::string_view reply, std::initializer_list<std::string_view> markers) {
    size_t first = npos;
    for (const std::string_view m : markers) first = std::min(first, reply.find(m));
    if (first != npos) return ToolCallStart{first, true};
    size_t partial = npos;
    for (const std::string_view m : markers) {
        if (const size_t n = partial_marker_at_end(reply, m); n > 0) partial = std::min(partial, reply.size() - n);
    }
    if (partial != npos) return ToolCallStart{partial, false};
    return std::nullopt;
}

enum class Match { kNo, kPartial, kFull };

// Whether the reply opens with {"KEY" for one of `keys` (whitespace
// allowed): the start of a call written as a bare JSON object.
Match bare_json_start(std::string_view reply, std::initializer_list<std::string_view> keys) {
    size_t i = space_end(reply, 0);
    if (i == reply.size()) return Match::kPartial;
    if (reply[i] != '{') return Match::kNo;
    i = space_end(reply, i + 1);
    if (i == reply.size()) return Match::kPartial;
    if (reply[i] != '"') return Match::kNo;
    const std::string_view rest = reply.substr(i + 1);
    Match best = Match::kNo;
    for (const std::string_view key : keys) {
        const std::string quoted = std::string(key) + "\"";
        if (rest.starts_with(quoted)) return Match::kFull;
        if (std::string_view(quoted).starts_with(rest)) best = Match::kPartial;
    }
    return best;
}

std::optional<ToolCallStart> bare_json_call_start(std::string_view reply, std::initializer_list<std::string_view> keys) {
    switch (bare_json_start(reply, keys)) {
        case Match::kFull: return ToolCallStart{0, true};
        case Match::kPartial: return ToolCallStart{0, false};
        case Match::kNo: break;
    }
    return std::nullopt;
}

std::optional<ToolCallStart> llama3_start(std::string_view reply) {
    const auto bare = bare_json_call_start(reply, {"name", "type", "function"});
    if (bare && bare->complete) return bare;
    const auto tag = find_markers(reply, {"<|python_tag|>"});
    if (tag && tag->complete) return tag;
    return bare ? bare : tag;
}

// Harmony replies are messages: a header (<|start|>role, <|channel|>name,
// to=recipient, <|constrain|>type) up to <|message|>, then a body up to
// <|end|>, <|call|> or <|return|>. A call is a message whose header
// addresses functions.N; "to=functions." inside a body (reasoning that
// talks about a call) is not one.
std::optional<ToolCallStart> gpt_oss_start(std::string_view reply) {
    static constexpr std::string_view kBodyEnds[] = {"<|end|>", "<|call|>", "<|return|>"};
    size_t header = 0;
    bool in_body = false;
    for (size_t pos = reply.find("<|"); pos != npos; pos = reply.find("<|", pos)) {
        const std::string_view at = reply.substr(pos);
        size_t step = 2;
        if (at.starts_with("<|start|>")) {
            in_body = false;
            header = pos;
            step = std::string_view("<|start|>").size();
        } else if (const auto end = std::find_if(std::begin(kBodyEnds), std::end(kBodyEnds),
                                                 [&](std::string_view e) { return at.starts_with(e); });
                   end != std::end(kBodyEnds)) {
            // Also outside a body: text handed over from the middle of a
            // reply may begin with the end of the message before.
            in_body = false;
            header = pos + end->size();
            step = end->size();
        } else if (!in_body && at.starts_with("<|message|>")) {
            if (reply.substr(header, pos - header).find(kToFunctions) != npos) {
                return ToolCallStart{space_end(reply, header), true};
            }
            in_body = true;
            step = std::string_view("<|message|>").size();
        }
        pos += step;
    }
    if (in_body) {
        size_t partial = npos;
        for (const std::string_view m : {"<|end|>", "<|call|>", "<|return|>", "<|start|>"}) {
            if (const size_t n = partial_marker_at_end(reply, m); n > 0) partial = std::min(partial, reply.size() - n);
        }
        if (partial == npos) return std::nullopt;
        return ToolCallStart{partial, false};
    }
    const size_t begin = space_end(reply, header);
    const std::string_view tail = reply.substr(begin);
    if (tail.empty()) return std::nullopt;
    if (tail.find(kToFunctions) != npos) return ToolCallStart{begin, true};
    // An unfinished header may still name a function.
    for (const std::string_view opener : {"<|start|>", "<|channel|>", "to="}) {
        if (tail.starts_with(opener) || opener.starts_with(tail)) return ToolCallStart{begin, false};
    }
    return std::nullopt;
}

bool contains(std::string_view text, std::string_view what) { return text.find(what) != npos; }

}  // namespace

ToolCallSyntax tool_call_syntax_of(std::string_view source) {
    // Most specific markers first: several families also mention "tool_call"
    // in variable names, so only the printed markers count.
    if (contains(source, "<|channel|>") && contains(source, "to=")) return ToolCallSyntax::GptOss;
    if (contains(source, kDsCallBegin) && contains(source, kDsSep)) {
        return contains(source, "```json") ? ToolCallSyntax::DeepSeekR1 : ToolCallSyntax::DeepSeekV3;
    }
    if (contains(source, "[TOOL_CALLS]")) return ToolCallSyntax::Mistral;
    if (contains(source, "<|tool_call>")) return ToolCallSyntax::Gemma4;
    if (contains(source, "<|tool_call|>")) return ToolCallSyntax::Granite;
    if (contains(source, "<tool_call>")) return ToolCallSyntax::Hermes;
    if (contains(source, "<|python_tag|>") ||
        (contains(source, "<|start_header_id|>") && contains(source, "\"parameters\""))) {
        return ToolCallSyntax::Llama3;
    }
    return ToolCallSyntax::Generic;
}

std::string_view syntax_name(ToolCallSyntax syntax) {
    switch (syntax) {
        case ToolCallSyntax::Hermes: return "hermes";
        case ToolCallSyntax::Llama3: return "llama3";
        case ToolCallSyntax::Mistral: return "mistral";
        case ToolCallSyntax::GptOss: return "gpt-oss";
        case ToolCallSyntax::DeepSeekV3: return "deepseek-v3";
        case ToolCallSyntax::DeepSeekR1: return "deepseek-r1";
        case ToolCallSyntax::Granite: return "granite";
        case ToolCallSyntax::Gemma4: return "gemma4";
        case ToolCallSyntax::Generic: return "generic";
    }
    return "unknown";
}

std::optional<ToolCallStart> find_tool_call_start(ToolCallSyntax syntax, std::string_view reply) {
    switch (syntax) {
        case ToolCallSyntax::Hermes: return find_markers(reply, {"<tool_call>"});
        case ToolCallSyntax::Llama3: return llama3_start(reply);
        case ToolCallSyntax::Mistral: return find_markers(reply, {"[TOOL_CALLS]"});
        case ToolCallSyntax::GptOss: return gpt_oss_start(reply);
        case ToolCallSyntax::DeepSeekV3:
        case ToolCallSyntax::DeepSeekR1: return find_markers(reply, {kDsCallsBegin, kDsCallBegin});
        case ToolCallSyntax::Granite: return find_markers(reply, {"<|tool_call|>"});
        case ToolCallSyntax::Gemma4: return find_markers(reply, {"<|tool_call>"});
        case ToolCallSyntax::Generic: return bare_json_call_start(reply, {"tool_calls", "tool_call"});
    }
    return std::nullopt;
}

std::optional<std::vector<ParsedToolCall>> parse_tool_calls(ToolCallSyntax syntax, std::string_view region) {
    switch (syntax) {
        case ToolCallSyntax::Hermes: return parse_hermes(region);
        case ToolCallSyntax::Llama3: return parse_llama3(region);
        case ToolCallSyntax::Mistral: return parse_mistral(region);
        case ToolCallSyntax::GptOss: return parse_gpt_oss(region);
        case ToolCallSyntax::DeepSeekV3:
        case ToolCallSyntax::DeepSeekR1: return parse_deepseek(region);
        case ToolCallSyntax::Granite: return parse_granite(region);
        case ToolCallSyntax::Gemma4: return parse_gemma4(region);
        case ToolCallSyntax::Generic: return parse_generic(region);
    }
    return std::nullopt;
}

}  // namespace clawbot::service
