#include "engine/chat/jinja_lexer.h"
#include "engine/chat/jinja_text.h"

#include <algorithm>
#include <array>

#include "engine/chat/jinja_error.h"

namespace clawbot::chat::jinja {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// How the text after a tag is trimmed.
enum class TrimNext { none, one_newline, all_space };

class Lexer {
public:
    explicit Lexer(std::string_view source) : src_(source) {}

    std::vector<Piece> run() {
        while (true) {
            const std::size_t open = find_tag_open(pos_);
            std::string text(src_.substr(pos_, open == std::string_view::npos ? std::string_view::npos : open - pos_));
            const int text_line = line_;
            advance_to(open == std::string_view::npos ? src_.size() : open);
            apply_trim_after_tag(text);
            if (open == std::string_view::npos) {
                push_text(std::move(text), text_line);
                break;
            }
            lex_tag(std::move(text), text_line);
        }
        return std::move(pieces_);
    }

private:
    std::size_t find_tag_open(std::size_t from) const {
        std::size_t p = from;
        while ((p = src_.find('{', p)) != std::string_view::npos) {
            if (p + 1 < src_.size() && (src_[p + 1] == '{' || src_[p + 1] == '%' || src_[p + 1] == '#')) return p;
            ++p;
        }
        return std::string_view::npos;
    }

    void advance_to(std::size_t target) {
        line_ += static_cast<int>(std::count(src_.begin() + static_cast<std::ptrdiff_t>(pos_),
                                             src_.begin() + static_cast<std::ptrdiff_t>(target), '\n'));
        pos_ = target;
    }

    void apply_trim_after_tag(std::string& text) {
        std::size_t removed = 0;
        if (trim_next_ == TrimNext::all_space) {
            while (removed < text.size() && is_space(text[removed])) ++removed;
        } else if (trim_next_ == TrimNext::one_newline) {
            if (text.starts_with("\r\n")) {
                removed = 2;
            } else if (text.starts_with("\n")) {
                removed = 1;
            }
        }
        // lstrip_blocks treats a tag as starting its line when only white
        // space since the last newline precedes it, a newline eaten here
        // included.
        if (removed > 0) at_line_start_ = text[removed - 1] == '\n';
        text.erase(0, removed);
        trim_next_ = TrimNext::none;
    }

    void push_text(std::string text, int line) {
        if (!text.empty()) pieces_.push_back(Piece{PieceKind::text, std::move(text), {}, line});
    }

    void lex_tag(std::string text, int text_line) {
        const int tag_line = line_;
        const char kind = src_[pos_ + 1];
        std::size_t p = pos_ + 2;
        const char left_mark = p < src_.size() ? src_[p] : '\0';
        if (left_mark == '-' || left_mark == '+') ++p;
        const bool is_block = kind == '%' || kind == '#';
        if (left_mark == '-') {
            while (!text.empty() && is_space(text.back())) text.pop_back();
        } else if (is_block && left_mark != '+') {
            strip_indent_before_block(text);
        }
        push_text(std::move(text), text_line);
        at_line_start_ = false;

        char right_mark = '\0';
        if (kind == '#') {
            const std::size_t close = src_.find("#}", p);
            if (close == std::string_view::npos) fail("line " + std::to_string(tag_line) + ": unclosed comment");
            if (close > p && (src_[close - 1] == '-' || src_[close - 1] == '+')) right_mark = src_[close - 1];
            advance_to(close + 2);
        } else {
            Piece piece{kind == '{' ? PieceKind::output : PieceKind::statement, {}, {}, tag_line};
            right_mark = tokenize_tag(p, kind == '{' ? "}}" : "%}", piece.tokens);
            pieces_.push_back(std::move(piece));
        }
        if (right_mark == '-') {
            trim_next_ = TrimNext::all_space;
        } else if (is_block && right_mark != '+') {
            trim_next_ = TrimNext::one_newline;
        }
    }

    void strip_indent_before_block(std::string& text) const {
        const std::size_t newline = text.rfind('\n');
        const std::size_t line_begin = newline == std::string::npos ? 0 : newline + 1;
        if (newline == std::string::npos && !at_line_start_) return;
        for (std::size_t i = line_begin; i < text.size(); ++i) {
            if (text[i] != ' ' && text[i] != '\t') return;
        }
        text.erase(line_begin);
    }

    // Reads tokens from `p` up to the closing delimiter (outside brackets, so
    // a dict literal's "}}" does not end the tag) and returns the whitespace
    // mark just before it ('-', '+' or '\0').
    char tokenize_tag(std::size_t p, std::string_view close, std::vector<Token>& tokens) {
        int depth = 0;
        while (true) {
            while (p < src_.size() && is_space(src_[p])) ++p;
            if (p >= src_.size()) fail("line " + std::to_string(line_) + ": unclosed tag");
            if (depth == 0) {
                if ((src_[p] == '-' || src_[p] == '+') && src_.substr(p + 1, 2) == close) {
                    advance_to(p + 3);
                    return src_[p];
                }
                if (src_.substr(p, 2) == close) {
                    advance_to(p + 2);
                    return '\0';
                }
            }
            const char c = src_[p];
            if (is_name_start(c)) {
                const std::size_t start = p;
                while (p < src_.size() && is_name_char(src_[p])) ++p;
                tokens.push_back(Token{TokenKind::name, std::string(src_.substr(start, p - start))});
            } else if (is_digit(c)) {
                p = lex_number(p, tokens);
            } else if (c == '\'' || c == '"') {
                p = lex_string(p, tokens);
            } else {
                p = lex_symbol(p, tokens, depth);
            }
        }
    }

    std::size_t lex_number(std::size_t p, std::vector<Token>& tokens) const {
        const std::size_t start = p;
        bool is_float = false;
        while (p < src_.size() && (is_digit(src_[p]) || src_[p] == '_')) ++p;
        if (p + 1 < src_.size() && src_[p] == '.' && is_digit(src_[p + 1])) {
            is_float = true;
            ++p;
            while (p < src_.size() && is_digit(src_[p])) ++p;
        }
        if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
            std::size_t q = p + 1;
            if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
            if (q < src_.size() && is_digit(src_[q])) {
                is_float = true;
                p = q;
                while (p < src_.size() && is_digit(src_[p])) ++p;
            }
        }
        std::string text(src_.substr(start, p - start));
        text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
        Token token{is_float ? TokenKind::floating : TokenKind::integer, text};
        try {
            if (is_float) {
                token.float_value = std::stod(text);
            } else {
                token.int_value = std::stoll(text);
            }
        } catch (const std::exception&) {
            fail("line " + std::to_string(line_) + ": number out of range: " + text);
        }
        tokens.push_back(std::move(token));
        return p;
    }

    std::size_t lex_string(std::size_t p, std::vector<Token>& tokens) const {
        const char quote = src_[p++];
        std::string value;
        while (true) {
            if (p >= src_.size()) fail("line " + std::to_string(line_) + ": unterminated string");
            const char c = src_[p++];
            if (c == quote) break;
            if (c != '\\') {
                value += c;
                continue;
            }
            if (p >= src_.size()) fail("line " + std::to_string(line_) + ": unterminated string");
            const char e = src_[p++];
            switch (e) {
                case 'n':
                    value += '\n';
                    break;
                case 't':
                    value += '\t';
                    break;
                case 'r':
                    value += '\r';
                    break;
                case 'b':
                    value += '\b';
                    break;
                case 'f':
                    value += '\f';
                    break;
                case 'v':
                    value += '\v';
                    break;
                case 'a':
                    value += '\a';
                    break;
                case '0':
                    value += '\0';
                    break;
                case '\\':
                    value += '\\';
                    break;
                case '\'':
                    value += '\'';
                    break;
                case '"':
                    value += '"';
                    break;
                case '\n':
                    break;  // a backslash-newline continues the string
                case 'x':
                case 'u':
                case 'U':
                    p = lex_hex_escape(p, e == 'x' ? 2 : e == 'u' ? 4 : 8, value);
                    break;
                default:
                    // Python keeps unknown escapes as written.
                    value += '\\';
                    value += e;
            }
        }
        tokens.push_back(Token{TokenKind::string, std::move(value)});
        return p;
    }

    std::size_t lex_hex_escape(std::size_t p, int digits, std::string& out) const {
        uint32_t cp = 0;
        for (int i = 0; i < digits; ++i, ++p) {
            if (p >= src_.size()) fail("line " + std::to_string(line_) + ": bad escape in string");
            const char h = src_[p];
            const int v = is_digit(h)              ? h - '0'
                          : (h >= 'a' && h <= 'f') ? h - 'a' + 10
                          : (h >= 'A' && h <= 'F') ? h - 'A' + 10
                                                   : -1;
            if (v < 0) fail("line " + std::to_string(line_) + ": bad escape in string");
            cp = cp * 16 + static_cast<uint32_t>(v);
        }
        if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) fail("line " + std::to_string(line_) + ": bad code point");
        append_utf8(out, cp);
        return p;
    }

    std::size_t lex_symbol(std::size_t p, std::vector<Token>& tokens, int& depth) const {
        static constexpr std::array<std::string_view, 6> kTwoChar = {"**", "//", "==", "!=", "<=", ">="};
        for (std::string_view op : kTwoChar) {
            if (src_.substr(p, 2) == op) {
                tokens.push_back(Token{TokenKind::symbol, std::string(op)});
                return p + 2;
            }
        }
        const char c = src_[p];
        if (std::string_view("+-*/%~<>=()[]{},.:|").find(c) == std::string_view::npos) {
            fail("line " + std::to_string(line_) + ": unexpected character '" + std::string(1, c) + "'");
        }
        if (c == '(' || c == '[' || c == '{') ++depth;
        if ((c == ')' || c == ']' || c == '}') && depth > 0) --depth;
        tokens.push_back(Token{TokenKind::symbol, std::string(1, c)});
        return p + 1;
    }

    std::string_view src_;
    std::size_t pos_ = 0;
    int line_ = 1;
    TrimNext trim_next_ = TrimNext::none;
    bool at_line_start_ = true;
    std::vector<Piece> pieces_;
};

}  // namespace

std::vector<Piece> lex_template(std::string_view source) {
    // Like Jinja's default keep_trailing_newline=False: one final newline of
    // the template file is not part of the output.
    if (source.ends_with("\r\n")) {
        source.remove_suffix(2);
    } else if (source.ends_with('\n') || source.ends_with('\r')) {
        source.remove_suffix(1);
    }
    return Lexer(source).run();
}

}  // namespace clawbot::chat::jinja
