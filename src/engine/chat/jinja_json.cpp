#include "engine/chat/jinja_json.h"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "engine/chat/content_marks.h"
#include "engine/chat/jinja_text.h"

namespace clawbot::chat::jinja {
namespace {

constexpr int kMaxDepth = 64;

class JsonReader {
public:
    JsonReader(std::string_view text, const JsonToValueOptions& options) : text_(text), options_(options) {}

    std::optional<Value> document() {
        auto v = value(0);
        skip_space();
        if (!v || pos_ != text_.size()) return std::nullopt;
        return v;
    }

private:
    void skip_space() {
        while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\t' || text_[pos_] == '\n' || text_[pos_] == '\r')) ++pos_;
    }
    bool eat(char c) {
        skip_space();
        if (pos_ < text_.size() && text_[pos_] == c) {
            ++pos_;
            return true;
        }
        return false;
    }
    bool eat_word(std::string_view word) {
        if (text_.substr(pos_, word.size()) != word) return false;
        pos_ += word.size();
        return true;
    }

    std::optional<Value> value(int depth) {
        if (depth > kMaxDepth) return std::nullopt;
        skip_space();
        if (pos_ >= text_.size()) return std::nullopt;
        const char c = text_[pos_];
        if (c == '{') return object(depth);
        if (c == '[') return array(depth);
        if (c == '"') {
            auto s = string();
            if (!s) return std::nullopt;
            // Marks a string held itself (raw or escaped) go first: they could
            // close the real ones and leave client text outside them.
            return Value::string(options_.mark_strings ? mark_content(without_content_marks(*s)) : std::move(*s));
        }
        if (eat_word("true")) return Value::boolean(true);
        if (eat_word("false")) return Value::boolean(false);
        if (eat_word("null")) return Value::none();
        return number();
    }

    std::optional<Value> object(int depth) {
        ++pos_;  // {
        std::vector<std::pair<std::string, Value>> entries;
        if (eat('}')) return Value::object(std::move(entries));
        do {
            skip_space();
            if (pos_ >= text_.size() || text_[pos_] != '"') return std::nullopt;
            auto key = string();
            if (!key || !eat(':')) return std::nullopt;
            auto v = value(depth + 1);
            if (!v) return std::nullopt;
            entries.emplace_back(std::move(*key), std::move(*v));
        } while (eat(','));
        if (!eat('}')) return std::nullopt;
        return Value::object(std::move(entries));
    }

    std::optional<Value> array(int depth) {
        ++pos_;  // [
        std::vector<Value> items;
        if (eat(']')) return Value::array(std::move(items));
        do {
            auto v = value(depth + 1);
            if (!v) return std::nullopt;
            items.push_back(std::move(*v));
        } while (eat(','));
        if (!eat(']')) return std::nullopt;
        return Value::array(std::move(items));
    }

    std::optional<uint32_t> hex4() {
        if (pos_ + 4 > text_.size()) return std::nullopt;
        uint32_t v = 0;
        const auto [end, ec] = std::from_chars(text_.data() + pos_, text_.data() + pos_ + 4, v, 16);
        if (ec != std::errc() || end != text_.data() + pos_ + 4) return std::nullopt;
        pos_ += 4;
        return v;
    }

    std::optional<std::string> string() {
        ++pos_;  // "
        std::string out;
        while (pos_ < text_.size()) {
            const char c = text_[pos_++];
            if (c == '"') return out;
            if (static_cast<unsigned char>(c) < 0x20) return std::nullopt;
            if (c != '\\') {
                out += c;
                continue;
            }
            if (pos_ >= text_.size()) return std::nullopt;
            const char e = text_[pos_++];
            switch (e) {
                case '"': out += '"'; break;
                case '\\': out += '\\'; break;
                case '/': out += '/'; break;
                case 'b': out += '\b'; break;
                case 'f': out += '\f'; break;
                case 'n': out += '\n'; break;
                case 'r': out += '\r'; break;
                case 't': out += '\t'; break;
                case 'u': {
                    auto cp = hex4();
                    if (!cp) return std::nullopt;
                    if (*cp >= 0xDC00 && *cp <= 0xDFFF) return std::nullopt;
                    if (*cp >= 0xD800 && *cp <= 0xDBFF) {
                        if (!eat_word("\\u")) return std::nullopt;
                        auto low = hex4();
                        if (!low || *low < 0xDC00 || *low > 0xDFFF) return std::nullopt;
                        *cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
                    }
                    append_utf8(out, *cp);
                    break;
                }
                default: return std::nullopt;
            }
        }
        return std::nullopt;
    }

    std::optional<Value> number() {
        const size_t start = pos_;
        bool integral = true;
        if (pos_ < text_.size() && text_[pos_] == '-') ++pos_;
        const size_t digits = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
        if (pos_ == digits) return std::nullopt;
        if (pos_ < text_.size() && text_[pos_] == '.') {
            integral = false;
            ++pos_;
            const size_t frac = pos_;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
            if (pos_ == frac) return std::nullopt;
        }
        if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
            integral = false;
            ++pos_;
            if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
            const size_t exp = pos_;
            while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
            if (pos_ == exp) return std::nullopt;
        }
        const std::string_view literal = text_.substr(start, pos_ - start);
        if (integral) {
            int64_t i = 0;
            const auto [end, ec] = std::from_chars(literal.data(), literal.data() + literal.size(), i);
            if (ec == std::errc() && end == literal.data() + literal.size()) return Value::integer(i);
        }
        // strtod needs a terminated string; the literal is short.
        const std::string copy(literal);
        return Value::floating(std::strtod(copy.c_str(), nullptr));
    }

    std::string_view text_;
    const JsonToValueOptions& options_;
    size_t pos_ = 0;
};

}  // namespace

std::optional<Value> parse_json_value(std::string_view text, const JsonToValueOptions& options) {
    return JsonReader(text, options).document();
}

}  // namespace clawbot::chat::jinja
