// JSON Schema -> grammar text, and the validator that checks a generated
// document against the same subset. Patterns and formats go through one
// small regular-expression parser whose tree feeds both: the grammar (as
// JSON-encoded string characters) and the validator (a set-of-positions
// matcher on code points, no backtracking).
#include "service/api/json_schema_grammar.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <map>
#include <set>
#include <string_view>
#include <variant>
#include <vector>

namespace clawbot::service {

namespace {

using nlohmann::json;
using Limits = JsonGrammarLimits;

constexpr uint32_t kMaxCp = 0x10FFFF;
constexpr uint32_t kInf = UINT32_MAX;
constexpr uint32_t kMaxGrammarRepeat = 4096;  // GrammarLimits::kMaxRepetition
constexpr double kMaxExactBound = 1e18;        // integer bounds past this stay out of the grammar
// Numbers a reader turns into a finite double: at most this many integer
// digits (json-int) and a positive exponent of two digits, so 1e299 at most.
constexpr size_t kMaxIntegerDigits = 200;

// Thrown inside the converter and returned as an Error at its boundary: the
// converter is a deep recursion where every level could fail.
struct SchemaError {
    std::string message;
};
[[noreturn]] void fail(std::string message) { throw SchemaError{std::move(message)}; }

std::string where(const std::string& path) { return path.empty() ? "the root" : path; }

std::string pointer_token(std::string_view key) {
    std::string out;
    for (const char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

// "#/$defs/NAME" or "#/definitions/NAME": the section and NAME with the
// JSON pointer escapes undone (~0 is ~, ~1 is /). nullopt for any other
// reference, a deeper path ("#/$defs/a/b") included.
struct DefRef {
    const char* section;
    std::string name;
};

std::optional<DefRef> parse_def_ref(const std::string& ref) {
    for (const char* section : {"$defs", "definitions"}) {
        const std::string prefix = "#/" + std::string(section) + "/";
        if (ref.rfind(prefix, 0) != 0) continue;
        const std::string token = ref.substr(prefix.size());
        if (token.find('/') != std::string::npos) return std::nullopt;
        std::string name;
        for (size_t i = 0; i < token.size(); ++i) {
            if (token[i] == '~' && i + 1 < token.size() && (token[i + 1] == '0' || token[i + 1] == '1')) {
                name += token[++i] == '0' ? '~' : '/';
            } else {
                name += token[i];
            }
        }
        return DefRef{section, std::move(name)};
    }
    return std::nullopt;
}

std::string hex(uint32_t v, int digits) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(static_cast<size_t>(digits), '0');
    for (int i = digits - 1; i >= 0; --i, v >>= 4) out[static_cast<size_t>(i)] = kDigits[v & 15];
    return out;
}

// A grammar string literal matching exactly these bytes.
std::string lit(std::string_view bytes) {
    std::string out = "\"";
    for (const char ch : bytes) {
        const auto c = static_cast<unsigned char>(ch);
        if (c == '"') {
            out += "\\\"";
        } else if (c == '\\') {
            out += "\\\\";
        } else if (c < 0x20 || c == 0x7F) {
            out += "\\x" + hex(c, 2);
        } else {
            out += ch;
        }
    }
    return out + "\"";
}

std::string compact(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// Exactly this value (object members in nlohmann's order), with the bounded
// whitespace allowed between tokens.
std::string value_literal(const json& v) {
    if (!v.is_array() && !v.is_object()) return lit(compact(v));
    if (v.empty()) return lit(v.is_array() ? "[" : "{") + " ws " + lit(v.is_array() ? "]" : "}");
    std::string out = lit(v.is_array() ? "[" : "{") + " ws";
    bool first = true;
    for (const auto& [k, item] : v.items()) {
        if (!first) out += " \",\" ws";
        first = false;
        if (v.is_object()) out += " " + lit(compact(json(k))) + " ws \":\" ws";
        out += " " + value_literal(item) + " ws";
    }
    return out + " " + lit(v.is_array() ? "]" : "}");
}

std::vector<uint32_t> decode_utf8(std::string_view s) {
    std::vector<uint32_t> out;
    for (size_t i = 0; i < s.size();) {
        const auto b0 = static_cast<unsigned char>(s[i]);
        int more = b0 < 0x80 ? 0 : (b0 >> 5) == 6 ? 1 : (b0 >> 4) == 14 ? 2 : (b0 >> 3) == 30 ? 3 : -1;
        uint32_t cp = more == 0 ? b0 : more == 1 ? (b0 & 0x1Fu) : more == 2 ? (b0 & 0x0Fu) : (b0 & 0x07u);
        size_t j = i + 1;
        for (int k = 0; k < more; ++k, ++j) {
            if (j >= s.size() || (static_cast<unsigned char>(s[j]) & 0xC0) != 0x80) {
                more = -1;
                break;
            }
            cp = (cp << 6) | (static_cast<unsigned char>(s[j]) & 0x3Fu);
        }
        if (more < 0) {
            out.push_back(0xFFFD);
            ++i;
        } else {
            out.push_back(cp);
            i = j;
        }
    }
    return out;
}

// --- code point sets ----------------------------------------------------------

struct CpRange {
    uint32_t lo, hi;
};
using CpSet = std::vector<CpRange>;  // sorted, disjoint, not adjacent

CpSet normalize(CpSet s) {
    std::sort(s.begin(), s.end(), [](CpRange a, CpRange b) { return a.lo < b.lo; });
    CpSet out;
    for (const CpRange r : s) {
        if (!out.empty() && r.lo <= out.back().hi + 1) {
            out.back().hi = std::max(out.back().hi, r.hi);
        } else {
            out.push_back(r);
        }
    }
    return out;
}
CpSet complement(const CpSet& s) {
    CpSet out;
    uint32_t next = 0;
    for (const CpRange r : s) {
        if (r.lo > next) out.push_back({next, r.lo - 1});
        next = r.hi + 1;
    }
    if (next <= kMaxCp) out.push_back({next, kMaxCp});
    return out;
}
CpSet intersect(const CpSet& a, const CpSet& b) {
    CpSet out;
    for (const CpRange x : a) {
        for (const CpRange y : b) {
            const uint32_t lo = std::max(x.lo, y.lo), hi = std::min(x.hi, y.hi);
            if (lo <= hi) out.push_back({lo, hi});
        }
    }
    return normalize(out);
}
bool contains(const CpSet& s, uint32_t cp) {
    for (const CpRange r : s) {
        if (cp >= r.lo && cp <= r.hi) return true;
    }
    return false;
}

const CpSet kDigit{{'0', '9'}};
const CpSet kWord{{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
const CpSet kSpace = normalize({{'\t', '\r'}, {' ', ' '}, {0xA0, 0xA0}, {0x1680, 0x1680}, {0x2000, 0x200A},
                                {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
                                {0xFEFF, 0xFEFF}});
const CpSet kDot = complement({{'\n', '\n'}, {'\r', '\r'}, {0x2028, 0x2029}});
// Characters a JSON string may hold as themselves (surrogates never come from UTF-8).
const CpSet kRawJson = normalize({{0x20, 0x21}, {0x23, 0x5B}, {0x5D, 0xD7FF}, {0xE000, kMaxCp}});

std::string class_char(uint32_t cp) {
    if ((cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
        return std::string(1, static_cast<char>(cp));
    }
    if (cp < 0x100) return "\\x" + hex(cp, 2);
    if (cp < 0x10000) return "\\u" + hex(cp, 4);
    return "\\U" + hex(cp, 8);
}

// The JSON text of one string character that cannot appear as itself.
std::string json_escape(uint32_t cp) {
    switch (cp) {
        case '"': return "\\\"";
        case '\\': return "\\\\";
        case '\b': return "\\b";
        case '\f': return "\\f";
        case '\n': return "\\n";
        case '\r': return "\\r";
        case '\t': return "\\t";
        default: return "\\u" + hex(cp, 4);
    }
}

// Grammar for one JSON string character of `set`; empty if none can be written.
std::string set_grammar(const CpSet& set) {
    std::vector<std::string> parts;
    const CpSet raw = intersect(set, kRawJson);
    if (!raw.empty()) {
        std::string cls = "[";
        for (const CpRange r : raw) {
            cls += class_char(r.lo);
            if (r.hi > r.lo) cls += "-" + class_char(r.hi);
        }
        parts.push_back(cls + "]");
    }
    for (uint32_t cp = 0; cp < 0x20; ++cp) {
        if (contains(set, cp)) parts.push_back(lit(json_escape(cp)));
    }
    for (const uint32_t cp : {uint32_t{'"'}, uint32_t{'\\'}}) {
        if (contains(set, cp)) parts.push_back(lit(json_escape(cp)));
    }
    if (parts.size() <= 1) return parts.empty() ? "" : parts[0];
    std::string out = "(";
    for (size_t i = 0; i < parts.size(); ++i) out += (i ? " | " : "") + parts[i];
    return out + ")";
}

// --- regular expressions (the pattern subset) ---------------------------------

struct Re {
    enum class Kind { kSet, kSeq, kAlt, kRep } kind = Kind::kSeq;
    CpSet set;
    std::vector<Re> kids;
    uint32_t lo = 0, hi = 0;  // kRep; hi == kInf: unbounded
};

class RegexParser {
public:
    // An anchored ECMAScript pattern ^...$; on failure the error names what.
    static std::variant<Re, std::string> parse(std::string_view pattern) {
        RegexParser p(pattern);
        Re re;
        if (auto err = p.run(re)) return *err;
        return re;
    }

private:
    static constexpr int kMaxDepth = 16;
    static constexpr uint32_t kMaxCount = 100000;

    explicit RegexParser(std::string_view pattern) : cps_(decode_utf8(pattern)) {}

    std::optional<std::string> run(Re& out) {
        if (cps_.empty() || cps_[0] != '^') return "it must start with '^' (only anchored patterns are supported)";
        size_t slashes = 0;
        for (size_t i = cps_.size() - 1; i > 0 && cps_[i - 1] == '\\'; --i) ++slashes;
        if (cps_.size() < 2 || cps_.back() != '$' || slashes % 2 == 1) {
            return "it must end with '$' (only anchored patterns are supported)";
        }
        end_ = cps_.size() - 1;
        pos_ = 1;
        try {
            out = alternatives(0);
            if (pos_ != end_) return "unexpected ')' at character " + std::to_string(pos_ + 1);
            if (out.kind == Re::Kind::kAlt) {
                return "a top-level '|' is not supported (it binds looser than ^ and $): write ^(a|b)$";
            }
        } catch (const SchemaError& e) {
            return e.message;
        }
        return std::nullopt;
    }

    bool more() const { return pos_ < end_; }
    uint32_t peek() const { return more() ? cps_[pos_] : 0; }
    [[noreturn]] void bad(const std::string& what) const {
        fail(what + " at character " + std::to_string(pos_ + 1) + " is not supported");
    }

    Re alternatives(int depth) {
        Re alt;
        alt.kind = Re::Kind::kAlt;
        for (;;) {
            alt.kids.push_back(sequence(depth));
            if (peek() != '|' || !more()) break;
            ++pos_;
        }
        return alt.kids.size() == 1 ? std::move(alt.kids[0]) : alt;
    }

    Re sequence(int depth) {
        Re seq;
        seq.kind = Re::Kind::kSeq;
        while (more() && peek() != '|' && peek() != ')') {
            Re atom = this->atom(depth);
            while (more() && (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{')) {
                Re rep;
                rep.kind = Re::Kind::kRep;
                quantifier(rep.lo, rep.hi);
                if (more() && peek() == '?') ++pos_;  // lazy: the same language
                rep.kids.push_back(std::move(atom));
                atom = std::move(rep);
            }
            seq.kids.push_back(std::move(atom));
        }
        return seq;
    }

    void quantifier(uint32_t& lo, uint32_t& hi) {
        const uint32_t c = cps_[pos_++];
        if (c == '*') {
            lo = 0, hi = kInf;
        } else if (c == '+') {
            lo = 1, hi = kInf;
        } else if (c == '?') {
            lo = 0, hi = 1;
        } else {
            lo = count();
            hi = lo;
            if (peek() == ',') {
                ++pos_;
                hi = peek() == '}' ? kInf : count();
            }
            if (peek() != '}' || !more()) bad("a '{' that is not a {m}, {m,} or {m,n} quantifier");
            ++pos_;
            if (hi < lo) bad("a quantifier {m,n} with n < m");
        }
    }

    uint32_t count() {
        if (!more() || peek() < '0' || peek() > '9') bad("a '{' that is not a {m}, {m,} or {m,n} quantifier");
        uint64_t v = 0;
        while (more() && peek() >= '0' && peek() <= '9') {
            v = v * 10 + (peek() - '0');
            if (v > kMaxCount) bad("a count over " + std::to_string(kMaxCount));
            ++pos_;
        }
        return static_cast<uint32_t>(v);
    }

    static Re set_node(CpSet set) {
        Re re;
        re.kind = Re::Kind::kSet;
        re.set = normalize(std::move(set));
        return re;
    }

    Re atom(int depth) {
        const uint32_t c = peek();
        if (c == '(') {
            if (depth + 1 > kMaxDepth) bad("groups nested deeper than " + std::to_string(kMaxDepth));
            ++pos_;
            if (peek() == '?') {
                if (pos_ + 1 < end_ && cps_[pos_ + 1] == ':') {
                    pos_ += 2;
                } else {
                    bad("a lookaround or named group '(?'");
                }
            }
            Re inner = alternatives(depth + 1);
            if (peek() != ')' || !more()) fail("a '(' is not closed");
            ++pos_;
            return inner;
        }
        if (c == '*' || c == '+' || c == '?' || c == '{') bad("a quantifier with nothing to repeat");
        if (c == '^' || c == '$') bad("an anchor inside the pattern");
        ++pos_;
        if (c == '.') return set_node(kDot);
        if (c == '[') return char_class();
        if (c == '\\') {
            CpSet set;
            escape(false, set);
            return set_node(std::move(set));
        }
        return set_node({{c, c}});
    }

    // After a backslash; `in_class`: \b is a backspace there.
    void escape(bool in_class, CpSet& out) {
        if (!more()) fail("the pattern ends with a lone '\\'");
        const uint32_t c = cps_[pos_++];
        switch (c) {
            case 'd': out = kDigit; return;
            case 'D': out = complement(kDigit); return;
            case 'w': out = kWord; return;
            case 'W': out = complement(kWord); return;
            case 's': out = kSpace; return;
            case 'S': out = complement(kSpace); return;
            case 'n': out = {{'\n', '\n'}}; return;
            case 't': out = {{'\t', '\t'}}; return;
            case 'r': out = {{'\r', '\r'}}; return;
            case 'f': out = {{'\f', '\f'}}; return;
            case 'v': out = {{'\v', '\v'}}; return;
            case 'x':
            case 'u': {
                const int digits = c == 'x' ? 2 : 4;
                uint32_t v = 0;
                for (int i = 0; i < digits; ++i) {
                    const uint32_t h = peek();
                    const int d = h >= '0' && h <= '9' ? static_cast<int>(h - '0')
                                  : h >= 'a' && h <= 'f' ? static_cast<int>(h - 'a' + 10)
                                  : h >= 'A' && h <= 'F' ? static_cast<int>(h - 'A' + 10)
                                                         : -1;
                    if (!more() || d < 0) bad("an escape '\\" + std::string(1, static_cast<char>(c)) + "' without hex digits");
                    v = v * 16 + static_cast<uint32_t>(d);
                    ++pos_;
                }
                out = {{v, v}};
                return;
            }
            case 'b':
                if (in_class) {
                    out = {{'\b', '\b'}};
                    return;
                }
                bad("a word boundary '\\b'");
            case '0':
                if (peek() >= '0' && peek() <= '9') bad("an octal escape");
                out = {{0, 0}};
                return;
            default: break;
        }
        if (c < 0x80 && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
            pos_ -= 1;
            bad("the escape '\\" + std::string(1, static_cast<char>(c)) + "'");
        }
        out = {{c, c}};  // an escaped punctuation character stands for itself
    }

    Re char_class() {
        const bool negated = peek() == '^' && more();
        if (negated) ++pos_;
        CpSet set;
        for (;;) {
            if (!more()) fail("a '[' is not closed");
            if (peek() == ']') {
                ++pos_;
                break;
            }
            CpSet item;
            bool single = true;
            if (peek() == '\\') {
                ++pos_;
                escape(true, item);
                single = item.size() == 1 && item[0].lo == item[0].hi;
            } else {
                const uint32_t c = cps_[pos_++];
                item = {{c, c}};
            }
            if (single && peek() == '-' && pos_ + 1 < end_ && cps_[pos_ + 1] != ']') {
                ++pos_;
                CpSet end;
                if (peek() == '\\') {
                    ++pos_;
                    escape(true, end);
                    if (end.size() != 1 || end[0].lo != end[0].hi) bad("a class range ending in a class escape");
                } else {
                    const uint32_t c = cps_[pos_++];
                    end = {{c, c}};
                }
                if (end[0].lo < item[0].lo) bad("a class range out of order");
                item = {{item[0].lo, end[0].lo}};
            }
            set.insert(set.end(), item.begin(), item.end());
        }
        set = normalize(std::move(set));
        return set_node(negated ? complement(set) : set);
    }

    std::vector<uint32_t> cps_;
    size_t pos_ = 0, end_ = 0;
};

// Positions of `text` where `re` can end when started at any of `from`.
std::vector<uint8_t> re_step(const Re& re, const std::vector<uint32_t>& text, const std::vector<uint8_t>& from) {
    const size_t n = text.size();
    switch (re.kind) {
        case Re::Kind::kSet: {
            std::vector<uint8_t> out(n + 1, 0);
            for (size_t i = 0; i < n; ++i) {
                if (from[i] && contains(re.set, text[i])) out[i + 1] = 1;
            }
            return out;
        }
        case Re::Kind::kSeq: {
            std::vector<uint8_t> cur = from;
            for (const Re& k : re.kids) cur = re_step(k, text, cur);
            return cur;
        }
        case Re::Kind::kAlt: {
            std::vector<uint8_t> out(n + 1, 0);
            for (const Re& k : re.kids) {
                const auto part = re_step(k, text, from);
                for (size_t i = 0; i <= n; ++i) out[i] |= part[i];
            }
            return out;
        }
        case Re::Kind::kRep: {
            std::vector<uint8_t> cur = from;
            for (uint32_t i = 0; i < re.lo; ++i) {
                auto next = re_step(re.kids[0], text, cur);
                if (next == cur) break;  // a fixed point: more copies change nothing
                cur = std::move(next);
            }
            std::vector<uint8_t> all = cur;
            for (uint32_t i = re.lo; i < re.hi; ++i) {
                cur = re_step(re.kids[0], text, cur);
                bool added = false;
                for (size_t p = 0; p <= n; ++p) {
                    if (cur[p] && !all[p]) all[p] = 1, added = true;
                }
                if (!added) break;  // every later round ends where an earlier one did
            }
            return all;
        }
    }
    return {};
}

bool re_matches(const Re& re, std::string_view s) {
    const std::vector<uint32_t> text = decode_utf8(s);
    std::vector<uint8_t> start(text.size() + 1, 0);
    start[0] = 1;
    return re_step(re, text, start)[text.size()] != 0;
}

// The formats, as anchored patterns in the subset above, so that the grammar
// and the validator read the same definition.
const std::map<std::string, std::string>& format_patterns() {
    static const std::map<std::string, std::string> kFormats = [] {
        const std::string date =
            R"((\d{4}-((0[13578]|1[02])-(0[1-9]|[12]\d|3[01])|(0[469]|11)-(0[1-9]|[12]\d|30)|02-(0[1-9]|1\d|2[0-8]))|)"
            R"((\d\d(0[48]|[2468][048]|[13579][26])|(0[048]|[2468][048]|[13579][26])00)-02-29))";
        const std::string time = R"(([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d))";
        const std::string octet = R"((25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d))";
        return std::map<std::string, std::string>{
            {"date", "^" + date + "$"},
            {"time", "^" + time + "$"},
            {"date-time", "^" + date + "[Tt]" + time + "$"},
            {"uuid", R"(^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$)"},
            {"email", R"(^[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9\-]{1,63}(\.[A-Za-z0-9\-]{1,63}){1,8}$)"},
            {"ipv4", "^(" + octet + "\\.){3}" + octet + "$"},
        };
    }();
    return kFormats;
}

const Re* format_regex(const std::string& name) {
    static const std::map<std::string, Re> kCompiled = [] {
        std::map<std::string, Re> out;
        for (const auto& [n, p] : format_patterns()) out.emplace(n, std::get<Re>(RegexParser::parse(p)));
        return out;
    }();
    const auto it = kCompiled.find(name);
    return it == kCompiled.end() ? nullptr : &it->second;
}

// --- integer ranges -------------------------------------------------------------

std::string digit_class(char a, char b) {
    return a == b ? lit(std::string(1, a)) : "[" + std::string(1, a) + "-" + std::string(1, b) + "]";
}
std::string any_digits(size_t n) {
    return n == 0 ? "" : n == 1 ? "[0-9]" : "[0-9]{" + std::to_string(n) + "}";
}
std::string join_alts(const std::vector<std::string>& alts) {
    if (alts.size() == 1) return alts[0];
    std::string out = "(";
    for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
    return out + ")";
}
std::string seq(const std::string& a, const std::string& b) { return b.empty() ? a : a + " " + b; }

// Digit strings of s's length that are >= s (ge) or <= s (le).
std::string digits_ge(const std::string& s) {
    if (s.find_first_not_of('0') == std::string::npos) return any_digits(s.size());
    if (s.size() == 1) return digit_class(s[0], '9');
    std::vector<std::string> alts{seq(lit(s.substr(0, 1)), digits_ge(s.substr(1)))};
    if (s[0] < '9') alts.push_back(seq(digit_class(static_cast<char>(s[0] + 1), '9'), any_digits(s.size() - 1)));
    return join_alts(alts);
}
std::string digits_le(const std::string& s) {
    if (s.find_first_not_of('9') == std::string::npos) return any_digits(s.size());
    if (s.size() == 1) return digit_class('0', s[0]);
    std::vector<std::string> alts;
    if (s[0] > '0') alts.push_back(seq(digit_class('0', static_cast<char>(s[0] - 1)), any_digits(s.size() - 1)));
    alts.push_back(seq(lit(s.substr(0, 1)), digits_le(s.substr(1))));
    return join_alts(alts);
}
// Digit strings a <= x <= b, all three of one length.
std::string digits_between(const std::string& a, const std::string& b) {
    if (a.size() == 1) return digit_class(a[0], b[0]);
    if (a[0] == b[0]) return seq(lit(a.substr(0, 1)), digits_between(a.substr(1), b.substr(1)));
    std::vector<std::string> alts{seq(lit(a.substr(0, 1)), digits_ge(a.substr(1)))};
    if (a[0] + 1 < b[0]) {
        alts.push_back(seq(digit_class(static_cast<char>(a[0] + 1), static_cast<char>(b[0] - 1)), any_digits(a.size() - 1)));
    }
    alts.push_back(seq(lit(b.substr(0, 1)), digits_le(b.substr(1))));
    return join_alts(alts);
}
// Decimal integers without leading zeros in [lo, hi] (hi absent: no bound).
std::string integer_range(uint64_t lo, std::optional<uint64_t> hi) {
    const std::string los = std::to_string(lo);
    const std::string his = hi ? std::to_string(*hi) : "";
    std::vector<std::string> alts;
    const size_t last = hi ? his.size() : los.size();
    for (size_t len = los.size(); len <= last; ++len) {
        const std::string a = len == los.size() ? los : "1" + std::string(len - 1, '0');
        const std::string b = hi && len == his.size() ? his : std::string(len, '9');
        alts.push_back(digits_between(a, b));
    }
    if (!hi && los.size() < kMaxIntegerDigits) {
        alts.push_back("[1-9] [0-9]{" + std::to_string(los.size()) + "," + std::to_string(kMaxIntegerDigits - 1) + "}");
    }
    return join_alts(alts);
}

// --- the converter --------------------------------------------------------------

const std::set<std::string_view> kIgnored{"description", "title", "default", "examples", "$schema",
                                          "$id", "$comment", "strict", "$defs", "definitions"};
const std::set<std::string_view> kKnown{"type", "enum", "const", "anyOf", "oneOf", "allOf", "$ref",
                                        "properties", "required", "additionalProperties", "items",
                                        "minItems", "maxItems", "minLength", "maxLength", "pattern", "format",
                                        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                                        "multipleOf"};
const std::vector<std::pair<std::string, std::vector<std::string>>> kFamilies{
    {"object", {"properties", "required", "additionalProperties"}},
    {"array", {"items", "minItems", "maxItems"}},
    {"string", {"minLength", "maxLength", "pattern", "format"}},
    {"number", {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}},
};
const std::set<std::string> kTypes{"string", "integer", "number", "boolean", "null", "object", "array"};

const char* const kSharedRules = R"(json-value ::= json-object | json-array | json-string | json-number | "true" | "false" | "null"
json-object ::= "{" ws ( json-member ( "," ws json-member )* )? "}"
json-member ::= json-string ws ":" ws json-value ws
json-array ::= "[" ws ( json-value ws ( "," ws json-value ws )* )? "]"
json-string ::= "\"" json-char* "\""
json-char ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" json-u4 )
json-u4 ::= [0-9a-cA-Ce-fE-F] json-hex json-hex json-hex | [dD] [0-7] json-hex json-hex | [dD] [89abAB] json-hex json-hex "\\u" [dD] [c-fC-F] json-hex json-hex
json-hex ::= [0-9a-fA-F]
json-number ::= "-"? json-int ( "." [0-9]+ )? ( [eE] ( "-" [0-9]+ | "+"? [0-9]{1,2} ) )?
json-int ::= "0" | [1-9] [0-9]{0,199}
json-integer ::= "-"? json-int
json-boolean ::= "true" | "false"
json-null ::= "null"
)";

// Between two tokens: nothing, one space, or one line break and a little
// indentation. Pretty-printed JSON a few levels deep fits, but a model
// that likes blank lines or long runs of spaces (small ones do) cannot
// spend its answer on them: each gap costs at most kMaxIndent + 1 characters.
std::string ws_rule() {
    return "ws ::= (\" \" | \"\\n\" [ \\t]{0," + std::to_string(Limits::kMaxIndent) + "})?\n";
}

std::optional<std::string> validate(const json& doc, const json& schema, const json& root);

class SchemaCompiler {
public:
    explicit SchemaCompiler(const json& root) : root_(root) {}

    std::string run() {
        const std::string top = node(root_, "", 0);
        while (!pending_.empty()) {
            const Pending p = pending_.front();
            pending_.pop_front();
            const std::string body = node(*p.schema, p.path, 0);
            emit(p.rule, body);
            nodes_.push_back({p.rule, p.path, {{body}}});
        }
        check_productive();
        // Nothing before or after the document: once it is closed, the only
        // token left is the end of the answer.
        std::string text = "root ::= " + top + "\n" + ws_rule() + kSharedRules + rules_;
        if (text.size() > Limits::kMaxGrammarBytes) too_large();
        return text;
    }

private:
    struct Node {
        std::string name, path;
        std::vector<std::vector<std::string>> alts;  // each alternative needs all these rules to finish
    };
    struct Pending {
        std::string rule, path;
        const json* schema;
    };

    [[noreturn]] static void too_large() {
        fail("the grammar for this schema would be larger than " + std::to_string(Limits::kMaxGrammarBytes / 1024) +
             " KiB");
    }
    void emit(const std::string& name, const std::string& body) {
        rules_ += name + " ::= " + body + "\n";
        if (rules_.size() > Limits::kMaxGrammarBytes) too_large();
    }
    std::string fresh() { return "n" + std::to_string(++count_); }

    // x{lo,hi} as a grammar suffix; counts past the grammar's limit are widened.
    std::string repeat(uint64_t lo, std::optional<uint64_t> hi) {
        const uint64_t l = std::min<uint64_t>(lo, kMaxGrammarRepeat);
        if (hi && *hi > kMaxGrammarRepeat) hi.reset();
        units_ += hi ? *hi : l;
        if (units_ > Limits::kMaxRepetitionUnits) {
            fail("the grammar for this schema would repeat more than " + std::to_string(Limits::kMaxRepetitionUnits) +
                 " times in all (maxLength, maxItems and pattern counts add up)");
        }
        if (!hi) return l == 0 ? "*" : l == 1 ? "+" : "{" + std::to_string(l) + ",}";
        if (l == *hi) return "{" + std::to_string(l) + "}";
        if (l == 0 && *hi == 1) return "?";
        return "{" + std::to_string(l) + "," + std::to_string(*hi) + "}";
    }

    static std::optional<uint64_t> count(const json& s, const char* key, const std::string& path) {
        const auto it = s.find(key);
        if (it == s.end()) return std::nullopt;
        if (it->is_number_unsigned()) return it->get<uint64_t>();
        if (it->is_number_integer() && it->get<int64_t>() >= 0) return static_cast<uint64_t>(it->get<int64_t>());
        if (it->is_number_float() && it->get<double>() >= 0 && it->get<double>() < 1e18 &&
            std::floor(it->get<double>()) == it->get<double>()) {
            return static_cast<uint64_t>(it->get<double>());
        }
        fail("'" + std::string(key) + "' at " + where(path) + " must be a non-negative integer");
    }
    static std::optional<double> number(const json& s, const char* key, const std::string& path) {
        const auto it = s.find(key);
        if (it == s.end()) return std::nullopt;
        if (!it->is_number()) fail("'" + std::string(key) + "' at " + where(path) + " must be a number");
        return it->get<double>();
    }

    static void alone(const json& s, const char* key, const std::string& path) {
        for (const auto& [k, v] : s.items()) {
            if (k != key && !kIgnored.count(k)) {
                fail("'" + k + "' next to '" + key + "' is not supported at " + where(path));
            }
        }
    }

    std::string node(const json& s, const std::string& path, int depth) {
        if (depth > Limits::kMaxDepth) {
            fail("schema nested deeper than " + std::to_string(Limits::kMaxDepth) + " levels at " + where(path));
        }
        if (s.is_boolean()) {
            if (s.get<bool>()) return "json-value";
            fail("the schema 'false' at " + where(path) + " matches nothing");
        }
        if (!s.is_object()) fail("the schema at " + where(path) + " must be an object or a boolean");
        for (const auto& [k, v] : s.items()) {
            if (!kIgnored.count(k) && !kKnown.count(k)) {
                fail("unsupported JSON Schema keyword '" + k + "' at " + where(path));
            }
        }
        Node n{fresh(), path, {}};
        std::vector<std::string> alts;
        if (s.contains("$ref")) {
            alone(s, "$ref", path);
            alts = {ref_rule(s["$ref"], path + "/$ref")};
            n.alts = {{alts[0]}};
        } else if (s.contains("anyOf") || s.contains("oneOf") || s.contains("allOf")) {
            const char* key = s.contains("anyOf") ? "anyOf" : s.contains("oneOf") ? "oneOf" : "allOf";
            alone(s, key, path);
            const json& list = s[key];
            if (!list.is_array() || list.empty()) fail("'" + std::string(key) + "' at " + where(path) + " must be a non-empty array");
            if (std::string_view(key) == "allOf" && list.size() != 1) {
                fail("'allOf' with more than one schema is not supported at " + where(path));
            }
            for (size_t i = 0; i < list.size(); ++i) {
                alts.push_back(node(list[i], path + "/" + key + "/" + std::to_string(i), depth + 1));
                n.alts.push_back({alts.back()});
            }
        } else if (s.contains("enum") || s.contains("const")) {
            alts = enum_values(s, path);
            n.alts = {{}};
        } else {
            for (const std::string& t : types(s, path)) typed(s, t, n, path, depth, alts);
        }
        std::string body;
        for (size_t i = 0; i < alts.size(); ++i) body += (i ? " | " : "") + alts[i];
        emit(n.name, body);
        nodes_.push_back(std::move(n));
        return nodes_.back().name;
    }

    std::string ref_rule(const json& ref, const std::string& path) {
        if (!ref.is_string()) fail("'$ref' at " + where(path) + " must be a string");
        const std::string r = ref.get<std::string>();
        if (const auto it = defs_.find(r); it != defs_.end()) return it->second;
        const json* target = nullptr;
        std::string target_path;
        if (r == "#") {
            target = &root_;
        } else {
            if (const std::optional<DefRef> def = parse_def_ref(r)) {
                const auto defs = root_.find(def->section);
                if (defs == root_.end() || !defs->is_object() || !defs->contains(def->name)) {
                    fail("'$ref' at " + where(path) + " points to '" + r + "', which is not defined");
                }
                target = &(*defs)[def->name];
                target_path = "/" + std::string(def->section) + "/" + pointer_token(def->name);
            }
            if (!target) {
                fail("unsupported '$ref' '" + r + "' at " + where(path) + " (only \"#\", \"#/$defs/NAME\" and " +
                     "\"#/definitions/NAME\")");
            }
        }
        const std::string rule = "d" + std::to_string(++count_);
        defs_.emplace(r, rule);
        pending_.push_back({rule, target_path, target});
        return rule;
    }

    std::vector<std::string> enum_values(const json& s, const std::string& path) {
        const char* key = s.contains("const") ? "const" : "enum";
        std::vector<json> candidates;
        if (s.contains("const")) {
            candidates.push_back(s["const"]);
        } else {
            if (!s["enum"].is_array() || s["enum"].empty()) fail("'enum' at " + where(path) + " must be a non-empty array");
            candidates.assign(s["enum"].begin(), s["enum"].end());
        }
        json rest = s;
        rest.erase(key);
        std::vector<std::string> alts;
        std::set<std::string> seen;
        std::optional<std::string> why;
        size_t bytes = 0;
        for (const json& v : candidates) {
            if (bytes > Limits::kMaxGrammarBytes) too_large();
            auto invalid = validate(v, rest, root_);
            if (invalid) {
                if (!why) why = invalid;
                continue;
            }
            std::string l = value_literal(v);
            bytes += l.size() + 3;
            if (seen.insert(l).second) alts.push_back(std::move(l));
        }
        if (alts.empty()) {
            fail("no value of '" + std::string(key) + "' at " + where(path) + " satisfies the rest of its schema (" +
                 *why + ")");
        }
        return alts;
    }

    static std::vector<std::string> types(const json& s, const std::string& path) {
        std::vector<std::string> out;
        if (const auto it = s.find("type"); it != s.end()) {
            const json list = it->is_array() ? *it : json::array({*it});
            for (const json& t : list) {
                if (!t.is_string() || !kTypes.count(t.get<std::string>())) {
                    fail("'type' at " + where(path) + " must name string, integer, number, boolean, null, object or array");
                }
                if (std::find(out.begin(), out.end(), t.get<std::string>()) == out.end()) out.push_back(t.get<std::string>());
            }
            if (out.empty()) fail("'type' at " + where(path) + " is an empty list");
            return out;
        }
        for (const auto& [type, keys] : kFamilies) {
            for (const std::string& k : keys) {
                if (s.contains(k)) {
                    out.push_back(type);
                    break;
                }
            }
        }
        if (out.empty()) out.push_back("any");
        return out;
    }

    void typed(const json& s, const std::string& t, Node& n, const std::string& path, int depth,
               std::vector<std::string>& alts) {
        if (t == "any") {
            alts.push_back("json-value");
        } else if (t == "null") {
            alts.push_back("json-null");
        } else if (t == "boolean") {
            alts.push_back("json-boolean");
        } else if (t == "integer" || t == "number") {
            alts.push_back(numeric(s, t == "integer", path));
        } else if (t == "string") {
            alts.push_back(string(s, path, n.name));
        } else if (t == "array") {
            n.alts.push_back({});
            alts.push_back(array(s, path, depth, n.alts.back()));
            return;
        } else {
            n.alts.push_back({});
            alts.push_back(object(s, path, depth, n.name + "-o" + std::to_string(alts.size()), n.alts.back()));
            return;
        }
        n.alts.push_back({});
    }

    std::string numeric(const json& s, bool integer, const std::string& path) {
        const auto min = number(s, "minimum", path), max = number(s, "maximum", path);
        const auto xmin = number(s, "exclusiveMinimum", path), xmax = number(s, "exclusiveMaximum", path);
        if (const auto m = number(s, "multipleOf", path); m && !(*m > 0)) {
            fail("'multipleOf' at " + where(path) + " must be greater than 0");
        }
        if (!min && !max && !xmin && !xmax) return integer ? "json-integer" : "json-number";
        std::optional<double> lo = min, hi = max;
        if (xmin && (!lo || *xmin >= *lo)) lo = xmin;
        if (xmax && (!hi || *xmax <= *hi)) hi = xmax;
        bool lo_open = lo && xmin && *lo == *xmin, hi_open = hi && xmax && *hi == *xmax;
        if (integer) {
            // Exact: the smallest and largest integers allowed.
            if (lo) lo = lo_open ? std::floor(*lo) + 1 : std::ceil(*lo);
            if (hi) hi = hi_open ? std::ceil(*hi) - 1 : std::floor(*hi);
            lo_open = hi_open = false;
        }
        if (lo && hi && (*lo > *hi || (*lo == *hi && (lo_open || hi_open)))) {
            fail("no " + std::string(integer ? "integer" : "number") + " satisfies the bounds at " + where(path));
        }
        // Past +-1e18 a bound is left to the validator (a looser grammar).
        auto bound = [](std::optional<double> v) -> std::optional<uint64_t> {
            if (!v || *v > kMaxExactBound) return std::nullopt;
            return static_cast<uint64_t>(std::floor(std::max(*v, 0.0)));
        };
        const std::string frac = integer ? "" : " ( \".\" [0-9]+ )?";
        std::vector<std::string> alts;
        if (!hi || *hi > 0 || (*hi == 0 && !hi_open)) {  // v >= 0 as I.F with I = floor(v)
            const auto from = lo && *lo > 0 ? bound(lo) : std::optional<uint64_t>(0);
            alts.push_back(integer_range(from.value_or(0), bound(hi)) + frac);
        }
        if (!lo || *lo < 0) {  // v < 0 as -I.F with I = floor(|v|)
            std::optional<double> abs_lo, abs_hi;
            if (hi && *hi < 0) abs_lo = -*hi;
            if (lo) abs_hi = -*lo;
            uint64_t from = bound(abs_lo).value_or(0);
            if (integer && from == 0) from = 1;
            alts.push_back("\"-\" " + integer_range(from, bound(abs_hi)) + frac);
        }
        return join_alts(alts);
    }

    std::string string(const json& s, const std::string& path, const std::string& name) {
        const auto min = count(s, "minLength", path), max = count(s, "maxLength", path);
        if (min && max && *min > *max) fail("no string satisfies minLength > maxLength at " + where(path));
        const Re* re = nullptr;
        Re pattern;
        std::string rule;
        if (const auto it = s.find("format"); it != s.end()) {
            if (s.contains("pattern")) fail("'pattern' next to 'format' is not supported at " + where(path));
            if (!it->is_string() || !format_regex(it->get<std::string>())) {
                fail("unsupported 'format' " + compact(*it) + " at " + where(path) +
                     " (supported: date, time, date-time, uuid, email, ipv4)");
            }
            re = format_regex(it->get<std::string>());
            rule = "fmt-" + it->get<std::string>();
            if (formats_.count(rule)) return rule;
            formats_.insert(rule);
        } else if (const auto p = s.find("pattern"); p != s.end()) {
            if (!p->is_string() || p->get<std::string>().size() > Limits::kMaxPatternBytes) {
                fail("'pattern' at " + where(path) + " must be a string of at most " +
                     std::to_string(Limits::kMaxPatternBytes) + " bytes");
            }
            auto parsed = RegexParser::parse(p->get<std::string>());
            if (auto* err = std::get_if<std::string>(&parsed)) {
                fail("unsupported 'pattern' at " + where(path) + ": " + *err);
            }
            pattern = std::move(std::get<Re>(parsed));
            re = &pattern;
            rule = name + "-p";
        } else {
            if (!min && !max) return "json-string";
            return "\"\\\"\" json-char" + repeat(min.value_or(0), max) + " \"\\\"\"";
        }
        const std::string body = re_grammar(*re, path);
        emit(rule, "\"\\\"\" " + (body.empty() ? "\"\"" : body) + " \"\\\"\"");
        return rule;
    }

    std::string re_grammar(const Re& re, const std::string& path) {
        switch (re.kind) {
            case Re::Kind::kSet: {
                std::string g = set_grammar(re.set);
                if (g.empty()) fail("'pattern' at " + where(path) + " has a character class that matches nothing");
                return g;
            }
            case Re::Kind::kSeq: {
                std::string out;
                for (const Re& k : re.kids) {
                    const std::string g = re_grammar(k, path);
                    if (!g.empty()) out = out.empty() ? g : out + " " + g;
                }
                return out;
            }
            case Re::Kind::kAlt: {
                std::vector<std::string> alts;
                for (const Re& k : re.kids) {
                    std::string g = re_grammar(k, path);
                    alts.push_back(g.empty() ? "\"\"" : g);
                }
                return join_alts(alts);
            }
            case Re::Kind::kRep: {
                const std::string inner = re_grammar(re.kids[0], path);
                if (inner.empty() || re.hi == 0) return "";
                return "( " + inner + " )" + repeat(re.lo, re.hi == kInf ? std::nullopt : std::optional<uint64_t>(re.hi));
            }
        }
        return "";
    }

    std::string array(const json& s, const std::string& path, int depth, std::vector<std::string>& needs) {
        const uint64_t min = count(s, "minItems", path).value_or(0);
        const auto max = count(s, "maxItems", path);
        if (max && min > *max) fail("no array satisfies minItems > maxItems at " + where(path));
        const auto items = s.find("items");
        if ((max && *max == 0) || (items != s.end() && items->is_boolean() && !items->get<bool>())) {
            if (min > 0) fail("no array satisfies 'items': false with minItems > 0 at " + where(path));
            return "\"[\" ws \"]\"";
        }
        const std::string item = items == s.end() ? "json-value" : node(*items, path + "/items", depth + 1);
        if (min > 0) needs.push_back(item);
        std::string elems = item + " ws";
        if (!max || *max > 1) {
            elems += " ( \",\" ws " + item + " ws )" +
                     repeat(min > 0 ? min - 1 : 0, max ? std::optional<uint64_t>(*max - 1) : std::nullopt);
        }
        return "\"[\" ws " + (min == 0 ? "( " + elems + " )?" : elems) + " \"]\"";
    }

    std::string object(const json& s, const std::string& path, int depth, const std::string& name,
                       std::vector<std::string>& needs) {
        const json empty = json::object();
        const auto pit = s.find("properties");
        if (pit != s.end() && !pit->is_object()) fail("'properties' at " + where(path) + " must be an object");
        const json& props = pit == s.end() ? empty : *pit;
        // Order: the required properties as `required` lists them, then the
        // optional ones by name (nlohmann::json keeps no text order).
        std::vector<std::string> order;
        std::set<std::string> required;
        if (const auto rit = s.find("required"); rit != s.end()) {
            if (!rit->is_array()) fail("'required' at " + where(path) + " must be an array of property names");
            for (const json& r : *rit) {
                if (!r.is_string()) fail("'required' at " + where(path) + " must be an array of property names");
                const std::string key = r.get<std::string>();
                if (!props.contains(key)) {
                    fail("required property '" + key + "' at " + where(path) + " is not listed in 'properties'");
                }
                if (required.insert(key).second) order.push_back(key);
            }
        }
        for (const auto& [k, v] : props.items()) {
            if (!required.count(k)) order.push_back(k);
        }
        const auto ap = s.find("additionalProperties");
        if (ap != s.end() && !ap->is_boolean() && !ap->is_object()) {
            fail("'additionalProperties' at " + where(path) + " must be a boolean or a schema");
        }
        if (order.empty()) {
            if (ap == s.end() || (ap->is_boolean() && ap->get<bool>())) return "json-object";
            if (ap->is_boolean()) return "\"{\" ws \"}\"";
            const std::string value = node(*ap, path + "/additionalProperties", depth + 1);
            const std::string member = "json-string ws \":\" ws " + value + " ws";
            return "\"{\" ws ( " + member + " ( \",\" ws " + member + " )* )? \"}\"";
        }
        // Properties beyond `properties` are left out (stricter than an
        // absent additionalProperties). first(i): properties i.. with none
        // written yet; rest(i): the same after one was written (each then
        // starts with a comma). Linear in the number of properties.
        const size_t n = order.size();
        std::vector<std::string> member(n);
        for (size_t i = 0; i < n; ++i) {
            const std::string value =
                node(props[order[i]], path + "/properties/" + pointer_token(order[i]), depth + 1);
            if (required.count(order[i])) needs.push_back(value);
            member[i] = lit(compact(json(order[i]))) + " ws \":\" ws " + value + " ws";
        }
        auto rest = [&](size_t i) { return i == n ? std::string() : name + "-r" + std::to_string(i); };
        auto first = [&](size_t i) { return i == n ? std::string() : name + "-f" + std::to_string(i); };
        for (size_t i = n; i-- > 0;) {
            const bool req = required.count(order[i]) != 0;
            const std::string comma = "\",\" ws " + member[i];
            emit(rest(i), seq(req ? comma : "( " + comma + " )?", rest(i + 1)));
            const std::string here = seq(member[i], rest(i + 1));
            emit(first(i), req ? here : here + " | " + (i + 1 == n ? "\"\"" : first(i + 1)));
        }
        return "\"{\" ws " + first(0) + " \"}\"";
    }

    // Every rule must be able to finish: a $ref cycle with no way out would
    // leave the model inside a document it can never close.
    void check_productive() {
        std::set<std::string> names, done;
        for (const Node& n : nodes_) names.insert(n.name);
        for (bool changed = true; changed;) {
            changed = false;
            for (const Node& n : nodes_) {
                if (done.count(n.name)) continue;
                for (const auto& alt : n.alts) {
                    const bool ok = std::all_of(alt.begin(), alt.end(),
                                                [&](const std::string& r) { return !names.count(r) || done.count(r); });
                    if (ok) {
                        done.insert(n.name);
                        changed = true;
                        break;
                    }
                }
            }
        }
        for (const Node& n : nodes_) {
            if (!done.count(n.name)) {
                fail("the schema at " + where(n.path) +
                     " has no finite document: it requires itself through '$ref' with no way out");
            }
        }
    }

    const json& root_;
    std::string rules_;
    std::vector<Node> nodes_;
    std::map<std::string, std::string> defs_;
    std::deque<Pending> pending_;
    std::set<std::string> formats_;
    size_t count_ = 0;
    size_t units_ = Limits::kMaxIndent;
};

// --- the validator --------------------------------------------------------------

bool is_integer(const json& v) {
    if (v.is_number_integer()) return true;
    if (!v.is_number_float()) return false;
    const double d = v.get<double>();
    return std::isfinite(d) && std::floor(d) == d;
}

// -1, 0, 1 as a < b, a == b, a > b; integers exactly, others as doubles.
int compare(const json& a, const json& b) {
    if (a.is_number_integer() && b.is_number_integer()) {
        auto wide = [](const json& v) -> __int128 {
            return v.is_number_unsigned() ? static_cast<__int128>(v.get<uint64_t>()) : v.get<int64_t>();
        };
        const __int128 x = wide(a), y = wide(b);
        return x < y ? -1 : x > y ? 1 : 0;
    }
    const double x = a.get<double>(), y = b.get<double>();
    return x < y ? -1 : x > y ? 1 : 0;
}

bool multiple_of(const json& v, const json& m) {
    if (v.is_number_integer() && m.is_number_integer()) {
        auto wide = [](const json& x) -> __int128 {
            return x.is_number_unsigned() ? static_cast<__int128>(x.get<uint64_t>()) : x.get<int64_t>();
        };
        const __int128 d = wide(m);
        return d != 0 && wide(v) % d == 0;
    }
    const double q = v.get<double>() / m.get<double>();
    return std::isfinite(q) && std::fabs(q - std::round(q)) <= 1e-9 * std::max(1.0, std::fabs(q));
}

const char* type_of(const json& v) {
    switch (v.type()) {
        case json::value_t::null: return "null";
        case json::value_t::boolean: return "boolean";
        case json::value_t::string: return "string";
        case json::value_t::array: return "array";
        case json::value_t::object: return "object";
        default: return is_integer(v) ? "integer" : "number";
    }
}

class Validator {
public:
    explicit Validator(const json& root) : root_(root) {}

    std::optional<std::string> check(const json& doc, const json& s, const std::string& at, int depth) {
        if (++steps_ > kMaxSteps || depth > kMaxDepth) return "the schema is too deep or too complex to check";
        if (s.is_boolean()) {
            if (s.get<bool>()) return std::nullopt;
            return fault(at, "the schema 'false' matches nothing");
        }
        if (!s.is_object()) return fault(at, "the schema is not an object");
        for (const auto& [k, v] : s.items()) {
            if (!kIgnored.count(k) && !kKnown.count(k)) return fault(at, "unsupported keyword '" + k + "'");
        }
        if (const auto it = s.find("$ref"); it != s.end()) {
            const json* target = resolve(*it);
            if (!target) return fault(at, "unresolved $ref " + compact(*it));
            if (auto e = check(doc, *target, at, depth + 1)) return e;
        }
        if (auto e = combinators(doc, s, at, depth)) return e;
        if (const auto it = s.find("const"); it != s.end() && doc != *it) return fault(at, "not the 'const' value");
        if (const auto it = s.find("enum"); it != s.end()) {
            if (!it->is_array() || std::find(it->begin(), it->end(), doc) == it->end()) {
                return fault(at, "not one of the 'enum' values");
            }
        }
        if (const auto it = s.find("type"); it != s.end()) {
            const json list = it->is_array() ? *it : json::array({*it});
            const std::string actual = type_of(doc);
            bool ok = false;
            for (const json& t : list) {
                ok = ok || (t.is_string() && (t == actual || (t == "number" && actual == "integer")));
            }
            if (!ok) return fault(at, "expected type " + compact(*it) + ", found " + actual);
        }
        if (doc.is_string()) return string(doc.get_ref<const std::string&>(), s, at);
        if (doc.is_number()) return numeric(doc, s, at);
        if (doc.is_array()) return array(doc, s, at, depth);
        if (doc.is_object()) return object(doc, s, at, depth);
        return std::nullopt;
    }

private:
    static constexpr int kMaxDepth = 512;
    static constexpr size_t kMaxSteps = 1'000'000;

    static std::string fault(const std::string& at, const std::string& what) {
        return "at " + (at.empty() ? std::string("the root") : at) + ": " + what;
    }

    const json* resolve(const json& ref) const {
        if (!ref.is_string()) return nullptr;
        const std::string r = ref.get<std::string>();
        if (r == "#") return &root_;
        const std::optional<DefRef> def = parse_def_ref(r);
        if (!def) return nullptr;
        const auto defs = root_.find(def->section);
        if (defs == root_.end() || !defs->is_object() || !defs->contains(def->name)) return nullptr;
        return &(*defs)[def->name];
    }

    std::optional<std::string> combinators(const json& doc, const json& s, const std::string& at, int depth) {
        for (const char* key : {"anyOf", "oneOf", "allOf"}) {
            const auto it = s.find(key);
            if (it == s.end()) continue;
            if (!it->is_array()) return fault(at, "'" + std::string(key) + "' is not an array");
            size_t matched = 0;
            std::optional<std::string> first;
            for (const json& sub : *it) {
                auto e = check(doc, sub, at, depth + 1);
                if (!e) ++matched;
                if (e && !first) first = e;
            }
            const std::string k = key;
            if (k == "anyOf" && matched == 0) return fault(at, "matches no 'anyOf' schema (" + first.value_or("") + ")");
            if (k == "oneOf" && matched != 1) {
                return fault(at, "matches " + std::to_string(matched) + " 'oneOf' schemas, not exactly one");
            }
            if (k == "allOf" && first) return first;
        }
        return std::nullopt;
    }

    std::optional<std::string> string(const std::string& v, const json& s, const std::string& at) {
        const size_t len = decode_utf8(v).size();
        const auto min = s.find("minLength"), max = s.find("maxLength");
        if (min != s.end() && min->is_number() && static_cast<double>(len) < min->get<double>()) {
            return fault(at, "shorter than minLength " + compact(*min));
        }
        if (max != s.end() && max->is_number() && static_cast<double>(len) > max->get<double>()) {
            return fault(at, "longer than maxLength " + compact(*max));
        }
        if (const auto it = s.find("format"); it != s.end()) {
            const Re* re = it->is_string() ? format_regex(it->get<std::string>()) : nullptr;
            if (!re) return fault(at, "unsupported format " + compact(*it));
            if (!re_matches(*re, v)) return fault(at, "not a valid " + it->get<std::string>());
        }
        if (const auto it = s.find("pattern"); it != s.end()) {
            if (!it->is_string()) return fault(at, "'pattern' is not a string");
            auto cached = patterns_.find(it->get<std::string>());
            if (cached == patterns_.end()) {
                cached = patterns_.emplace(it->get<std::string>(), RegexParser::parse(it->get<std::string>())).first;
            }
            if (const auto* err = std::get_if<std::string>(&cached->second)) return fault(at, "unsupported pattern: " + *err);
            if (!re_matches(std::get<Re>(cached->second), v)) return fault(at, "does not match the pattern " + compact(*it));
        }
        return std::nullopt;
    }

    std::optional<std::string> numeric(const json& v, const json& s, const std::string& at) {
        struct Bound {
            const char* key;
            bool ok(int c) const {
                const std::string k = key;
                return k == "minimum" ? c >= 0 : k == "maximum" ? c <= 0 : k == "exclusiveMinimum" ? c > 0 : c < 0;
            }
        };
        for (const Bound b : {Bound{"minimum"}, Bound{"maximum"}, Bound{"exclusiveMinimum"}, Bound{"exclusiveMaximum"}}) {
            const auto it = s.find(b.key);
            if (it != s.end() && it->is_number() && !b.ok(compare(v, *it))) {
                return fault(at, compact(v) + " is outside " + b.key + " " + compact(*it));
            }
        }
        if (const auto it = s.find("multipleOf"); it != s.end() && it->is_number() && !multiple_of(v, *it)) {
            return fault(at, compact(v) + " is not a multiple of " + compact(*it));
        }
        return std::nullopt;
    }

    std::optional<std::string> array(const json& v, const json& s, const std::string& at, int depth) {
        const auto min = s.find("minItems"), max = s.find("maxItems");
        if (min != s.end() && min->is_number() && static_cast<double>(v.size()) < min->get<double>()) {
            return fault(at, "fewer items than minItems " + compact(*min));
        }
        if (max != s.end() && max->is_number() && static_cast<double>(v.size()) > max->get<double>()) {
            return fault(at, "more items than maxItems " + compact(*max));
        }
        if (const auto it = s.find("items"); it != s.end()) {
            for (size_t i = 0; i < v.size(); ++i) {
                if (auto e = check(v[i], *it, at + "/" + std::to_string(i), depth + 1)) return e;
            }
        }
        return std::nullopt;
    }

    std::optional<std::string> object(const json& v, const json& s, const std::string& at, int depth) {
        const auto props = s.find("properties");
        if (const auto it = s.find("required"); it != s.end() && it->is_array()) {
            for (const json& r : *it) {
                if (r.is_string() && !v.contains(r.get<std::string>())) {
                    return fault(at, "missing required property " + compact(r));
                }
            }
        }
        const auto ap = s.find("additionalProperties");
        for (const auto& [k, value] : v.items()) {
            const std::string where = at + "/" + pointer_token(k);
            if (props != s.end() && props->is_object() && props->contains(k)) {
                if (auto e = check(value, (*props)[k], where, depth + 1)) return e;
            } else if (ap != s.end()) {
                if (auto e = check(value, *ap, where, depth + 1)) {
                    return ap->is_boolean() ? fault(at, "property " + compact(json(k)) + " is not allowed") : e;
                }
            }
        }
        return std::nullopt;
    }

    const json& root_;
    size_t steps_ = 0;
    std::map<std::string, std::variant<Re, std::string>> patterns_;
};

std::optional<std::string> validate(const json& doc, const json& schema, const json& root) {
    return Validator(root).check(doc, schema, "", 0);
}

}  // namespace

std::string json_value_grammar() {
    return "root ::= json-object\n" + ws_rule() + kSharedRules;
}

Result<std::string> json_schema_grammar(const nlohmann::json& schema) {
    try {
        return SchemaCompiler(schema).run();
    } catch (const SchemaError& e) {
        return make_error(e.message);
    }
}

std::optional<std::string> validate_json_against_schema(const nlohmann::json& doc, const nlohmann::json& schema) {
    return validate(doc, schema, schema);
}

}  // namespace clawbot::service
