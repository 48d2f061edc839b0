// GBNF text -> Grammar: a recursive-descent parser with a nesting cap, then
// checks (undefined rules, root, left recursion) on the compiled rules.
#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include "engine/sample/grammar.h"

namespace clawbot {

namespace {

constexpr uint32_t kMaxCodePoint = 0x10FFFF;
constexpr uint32_t kUnbounded = UINT32_MAX;

struct RawElem {
    bool is_rule;
    uint32_t value;  // char set or rule index
};
using Seq = std::vector<RawElem>;

struct RawRule {
    std::string name;
    std::vector<Seq> alts;
    size_t defined_at = std::string_view::npos;
    size_t first_ref_at = std::string_view::npos;
};

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

// The user's name for a rule: helper rules are named "parent~n".
std::string user_name(const std::string& name) { return name.substr(0, name.find('~')); }

}  // namespace

class GrammarBuilder {
public:
    explicit GrammarBuilder(std::string_view text) : src_(text) {}

    Result<Grammar> run() {
        if (src_.size() > GrammarLimits::kMaxTextBytes) {
            return make_error("grammar is " + std::to_string(src_.size()) + " bytes, more than the limit of " +
                              std::to_string(GrammarLimits::kMaxTextBytes));
        }
        skip_space();
        while (pos_ < src_.size()) {
            if (!parse_rule()) return *error_;
            skip_space();
        }
        if (!resolve()) return *error_;
        Grammar g = flatten();
        if (!check_left_recursion(g)) return *error_;
        return g;
    }

private:
    // --- errors ------------------------------------------------------------
    bool fail(size_t at, const std::string& what) {
        if (!error_) error_ = make_error(where(at) + ": " + what);
        return false;
    }
    std::string where(size_t at) const {
        size_t line = 1, col = 1;
        for (size_t i = 0; i < at && i < src_.size(); ++i) {
            if (src_[i] == '\n') {
                ++line;
                col = 1;
            } else if ((static_cast<unsigned char>(src_[i]) & 0xC0) != 0x80) {
                ++col;
            }
        }
        return std::to_string(line) + ":" + std::to_string(col);
    }
    std::string found() const {
        if (pos_ >= src_.size()) return "the end of the grammar";
        const char c = src_[pos_];
        if (c == '\n' || c == '\r') return "the end of the line";
        return "'" + std::string(1, c) + "'";
    }

    // --- lexing --------------------------------------------------------------
    bool at_end() const { return pos_ >= src_.size(); }
    char peek() const { return at_end() ? '\0' : src_[pos_]; }

    // Spaces, newlines and comments.
    void skip_space() {
        while (!at_end()) {
            const char c = src_[pos_];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                ++pos_;
            } else if (c == '#') {
                while (!at_end() && src_[pos_] != '\n') ++pos_;
            } else {
                break;
            }
        }
    }
    void skip_inline_space() {
        while (!at_end() && (src_[pos_] == ' ' || src_[pos_] == '\t')) ++pos_;
    }
    std::string_view read_name() {
        const size_t start = pos_;
        while (!at_end() && is_name_char(src_[pos_])) ++pos_;
        return src_.substr(start, pos_ - start);
    }
    // `name ::=` starts here: the current rule ends before it.
    bool at_rule_start() {
        const size_t saved = pos_;
        const bool named = !read_name().empty();
        skip_inline_space();
        const bool yes = named && src_.substr(pos_, 3) == "::=";
        pos_ = saved;
        return yes;
    }

    bool read_hex(int digits, uint32_t& cp) {
        cp = 0;
        for (int i = 0; i < digits; ++i) {
            const char c = peek();
            uint32_t v;
            if (c >= '0' && c <= '9') {
                v = static_cast<uint32_t>(c - '0');
            } else if (c >= 'a' && c <= 'f') {
                v = static_cast<uint32_t>(c - 'a' + 10);
            } else if (c >= 'A' && c <= 'F') {
                v = static_cast<uint32_t>(c - 'A' + 10);
            } else {
                return fail(pos_, "expected " + std::to_string(digits) + " hex digits in the escape, found " + found());
            }
            cp = cp * 16 + v;
            ++pos_;
        }
        return true;
    }

    // After a backslash.
    bool read_escape(uint32_t& cp) {
        const size_t start = pos_ - 1;
        if (at_end()) return fail(start, "unfinished escape at the end of the grammar");
        const char c = src_[pos_++];
        switch (c) {
            case 'n': cp = '\n'; return true;
            case 't': cp = '\t'; return true;
            case 'r': cp = '\r'; return true;
            case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/':
                cp = static_cast<unsigned char>(c);
                return true;
            case 'x': if (!read_hex(2, cp)) return false; break;
            case 'u': if (!read_hex(4, cp)) return false; break;
            case 'U': if (!read_hex(8, cp)) return false; break;
            default:
                return fail(start, "unknown escape '\\" + std::string(1, c) +
                                       "' (known: \\n \\t \\r \\\\ \\\" \\' \\[ \\] \\- \\^ \\/ \\xHH \\uHHHH \\UHHHHHHHH)");
        }
        if (cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return fail(start, "escape is not a Unicode scalar value");
        }
        return true;
    }

    // One UTF-8 character of the grammar text.
    bool read_utf8(uint32_t& cp) {
        const size_t start = pos_;
        const auto b0 = static_cast<unsigned char>(src_[pos_++]);
        int more;
        if (b0 < 0x80) {
            cp = b0;
            return true;
        } else if (b0 >= 0xC2 && b0 <= 0xDF) {
            cp = b0 & 0x1Fu, more = 1;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            cp = b0 & 0x0Fu, more = 2;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            cp = b0 & 0x07u, more = 3;
        } else {
            return fail(start, "invalid UTF-8 in the grammar");
        }
        for (int i = 0; i < more; ++i) {
            if (at_end() || (static_cast<unsigned char>(src_[pos_]) & 0xC0) != 0x80) {
                return fail(start, "invalid UTF-8 in the grammar");
            }
            cp = (cp << 6) | (static_cast<unsigned char>(src_[pos_++]) & 0x3Fu);
        }
        static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[more] || cp > kMaxCodePoint || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return fail(start, "invalid UTF-8 in the grammar");
        }
        return true;
    }

    // --- building ------------------------------------------------------------
    uint32_t char_set(std::vector<Grammar::Range> ranges) {
        std::sort(ranges.begin(), ranges.end(), [](auto a, auto b) { return a.lo < b.lo; });
        std::vector<Grammar::Range> merged;
        for (const auto r : ranges) {
            if (!merged.empty() && r.lo <= merged.back().hi + 1) {
                merged.back().hi = std::max(merged.back().hi, r.hi);
            } else {
                merged.push_back(r);
            }
        }
        std::vector<uint64_t> key;
        for (const auto r : merged) key.push_back((uint64_t{r.lo} << 32) | r.hi);
        const auto [it, added] = set_ids_.emplace(std::move(key), static_cast<uint32_t>(sets_.size()));
        if (added) sets_.push_back(std::move(merged));
        return it->second;
    }
    static std::vector<Grammar::Range> complement(const std::vector<Grammar::Range>& sorted_merged) {
        std::vector<Grammar::Range> out;
        uint32_t next = 0;
        for (const auto r : sorted_merged) {
            if (r.lo > next) out.push_back({next, r.lo - 1});
            next = r.hi + 1;
        }
        if (next <= kMaxCodePoint) out.push_back({next, kMaxCodePoint});
        return out;
    }

    bool count_elements(size_t n, size_t at) {
        elements_ += n;
        if (elements_ > GrammarLimits::kMaxElements) {
            return fail(at, "grammar too large: more than " + std::to_string(GrammarLimits::kMaxElements) +
                                " elements once repetitions are expanded");
        }
        return true;
    }

    bool rule_id(std::string_view name, size_t at, uint32_t& id) {
        const auto [it, added] = ids_.emplace(std::string(name), static_cast<uint32_t>(rules_.size()));
        if (added) {
            if (!new_rule(std::string(name), id)) return fail(at, "too many rules");
        }
        id = it->second;
        return true;
    }
    bool new_rule(std::string name, uint32_t& id) {
        if (rules_.size() >= GrammarLimits::kMaxRules) return false;
        id = static_cast<uint32_t>(rules_.size());
        rules_.push_back(RawRule{std::move(name), {}, std::string_view::npos, std::string_view::npos});
        return true;
    }
    bool helper_rule(uint32_t parent, size_t at, uint32_t& id) {
        std::string name = user_name(rules_[parent].name) + "~" + std::to_string(++helpers_);
        if (!new_rule(std::move(name), id)) return fail(at, "too many rules");
        rules_[id].defined_at = rules_[parent].defined_at;
        return true;
    }

    // --- parsing -------------------------------------------------------------
    bool parse_rule() {
        const size_t start = pos_;
        const std::string_view name = read_name();
        if (name.empty()) return fail(pos_, "expected a rule name, found " + found());
        skip_inline_space();
        if (src_.substr(pos_, 3) != "::=") {
            return fail(pos_, "expected '::=' after the rule name '" + std::string(name) + "', found " + found());
        }
        const size_t body_at = pos_;
        pos_ += 3;
        uint32_t id;
        if (!rule_id(name, start, id)) return false;
        if (rules_[id].defined_at != std::string_view::npos) {
            return fail(start, "rule '" + std::string(name) + "' is defined twice (first at " +
                                   where(rules_[id].defined_at) + ")");
        }
        rules_[id].defined_at = start;
        size_t atoms = 0;
        std::vector<Seq> alts;
        if (!parse_alternatives(id, 0, alts, atoms)) return false;
        if (peek() == ')') return fail(pos_, "unexpected ')' with no group open");
        if (atoms == 0 && alts.size() == 1) {
            return fail(body_at, "rule '" + std::string(name) + "' is empty (write \"\" to match empty text)");
        }
        rules_[id].alts = std::move(alts);
        return true;
    }

    bool parse_alternatives(uint32_t rule, int depth, std::vector<Seq>& alts, size_t& atoms) {
        for (;;) {
            alts.emplace_back();
            if (!parse_sequence(rule, depth, alts.back(), atoms)) return false;
            skip_space();
            if (peek() != '|') return true;
            ++pos_;
        }
    }

    bool parse_sequence(uint32_t rule, int depth, Seq& seq, size_t& atoms) {
        for (;;) {
            skip_space();
            if (at_end() || peek() == '|' || peek() == ')' || at_rule_start()) return true;
            const size_t atom_at = pos_;
            Seq atom;
            if (!parse_atom(rule, depth, atom)) return false;
            ++atoms;
            skip_inline_space();
            while (peek() == '*' || peek() == '+' || peek() == '?' || peek() == '{') {
                if (!parse_repetition(rule, atom_at, atom)) return false;
                skip_inline_space();
            }
            seq.insert(seq.end(), atom.begin(), atom.end());
        }
    }

    bool parse_atom(uint32_t rule, int depth, Seq& atom) {
        const size_t start = pos_;
        const char c = peek();
        if (c == '"') {
            ++pos_;
            for (;;) {
                if (at_end() || peek() == '\n' || peek() == '\r') {
                    return fail(start, "unterminated string literal");
                }
                uint32_t cp;
                if (peek() == '"') {
                    ++pos_;
                    return true;
                } else if (peek() == '\\') {
                    ++pos_;
                    if (!read_escape(cp)) return false;
                } else if (!read_utf8(cp)) {
                    return false;
                }
                if (!count_elements(1, start)) return false;
                atom.push_back({false, char_set({{cp, cp}})});
            }
        }
        if (c == '[') return parse_class(atom);
        if (c == '.') {
            ++pos_;
            atom.push_back({false, char_set({{0, kMaxCodePoint}})});
            return count_elements(1, start);
        }
        if (c == '(') {
            if (depth + 1 > GrammarLimits::kMaxNesting) {
                return fail(start, "groups nested deeper than " + std::to_string(GrammarLimits::kMaxNesting));
            }
            ++pos_;
            std::vector<Seq> alts;
            size_t atoms = 0;
            if (!parse_alternatives(rule, depth + 1, alts, atoms)) return false;
            if (peek() != ')') {
                return fail(pos_, "expected ')' to close the group opened at " + where(start) + ", found " + found());
            }
            ++pos_;
            if (alts.size() == 1) {  // a plain sequence needs no rule of its own
                atom = std::move(alts[0]);
                return true;
            }
            uint32_t id;
            if (!helper_rule(rule, start, id) || !count_elements(1, start)) return false;
            rules_[id].alts = std::move(alts);
            atom.push_back({true, id});
            return true;
        }
        if (is_name_char(c)) {
            const std::string_view name = read_name();
            uint32_t id;
            if (!rule_id(name, start, id) || !count_elements(1, start)) return false;
            if (rules_[id].first_ref_at == std::string_view::npos) rules_[id].first_ref_at = start;
            atom.push_back({true, id});
            return true;
        }
        return fail(start, "expected an element (\"string\", [class], '.', a rule name or '(' group), found " + found());
    }

    bool parse_class(Seq& atom) {
        const size_t start = pos_;
        ++pos_;
        const bool negated = peek() == '^';
        if (negated) ++pos_;
        std::vector<Grammar::Range> ranges;
        auto read_char = [&](uint32_t& cp) {
            if (peek() == '\\') {
                ++pos_;
                return read_escape(cp);
            }
            return read_utf8(cp);
        };
        for (;;) {
            if (at_end() || peek() == '\n' || peek() == '\r') {
                return fail(start, "unterminated character class");
            }
            if (peek() == ']') {
                ++pos_;
                break;
            }
            const size_t item_at = pos_;
            uint32_t lo, hi;
            if (!read_char(lo)) return false;
            hi = lo;
            if (peek() == '-' && pos_ + 1 < src_.size() && src_[pos_ + 1] != ']') {
                ++pos_;
                if (at_end() || peek() == '\n' || peek() == '\r') return fail(start, "unterminated character class");
                if (!read_char(hi)) return false;
                if (hi < lo) return fail(item_at, "bad character class: range end comes before its start");
            }
            ranges.push_back({lo, hi});
        }
        if (ranges.empty()) return fail(start, "bad character class: it is empty");
        if (!count_elements(1, start)) return false;
        uint32_t set = char_set(ranges);
        if (negated) set = char_set(complement(sets_[set]));
        atom.push_back({false, set});
        return true;
    }

    bool read_count(uint32_t& n) {
        if (!(peek() >= '0' && peek() <= '9')) return fail(pos_, "expected a number in {m,n}, found " + found());
        uint64_t v = 0;
        while (peek() >= '0' && peek() <= '9') {
            v = std::min<uint64_t>(v * 10 + static_cast<uint64_t>(peek() - '0'), uint64_t{1} << 40);
            ++pos_;
        }
        if (v > GrammarLimits::kMaxRepetition) {
            return fail(pos_, "repetition count " + std::to_string(v) + " is over the limit of " +
                                  std::to_string(GrammarLimits::kMaxRepetition));
        }
        n = static_cast<uint32_t>(v);
        return true;
    }

    // x* x+ x? x{m} x{m,} x{m,n}: x repeated m times, then either a star
    // rule (R ::= x R | "") or n-m nested optional rules.
    bool parse_repetition(uint32_t rule, size_t atom_at, Seq& atom) {
        uint32_t lo = 0, hi = kUnbounded;
        const char op = src_[pos_++];
        if (op == '+') {
            lo = 1;
        } else if (op == '?') {
            hi = 1;
        } else if (op == '{') {
            skip_inline_space();
            if (!read_count(lo)) return false;
            skip_inline_space();
            hi = lo;
            if (peek() == ',') {
                ++pos_;
                skip_inline_space();
                hi = kUnbounded;
                if (peek() != '}' && !read_count(hi)) return false;
                skip_inline_space();
            }
            if (peek() != '}') return fail(pos_, "expected '}' to close the repetition, found " + found());
            ++pos_;
            if (hi < lo) return fail(atom_at, "repetition {m,n} with n less than m");
        }
        if (atom.size() != 1) {  // repeat one element: a rule for the sequence
            uint32_t id;
            if (!helper_rule(rule, atom_at, id) || !count_elements(1, atom_at)) return false;
            rules_[id].alts.push_back(std::move(atom));
            atom = {RawElem{true, id}};
        }
        const RawElem x = atom[0];
        atom.clear();
        const size_t optional = hi == kUnbounded ? 1 : hi - lo;
        if (!count_elements(size_t{lo} + 4 * optional, atom_at)) return false;
        atom.assign(lo, x);
        uint32_t id;
        if (hi == kUnbounded) {
            if (!helper_rule(rule, atom_at, id)) return false;
            rules_[id].alts = {Seq{x, RawElem{true, id}}, Seq{}};
            atom.push_back({true, id});
        } else if (hi > lo) {
            std::optional<uint32_t> inner;
            for (uint32_t k = lo; k < hi; ++k) {
                if (!helper_rule(rule, atom_at, id)) return false;
                Seq more{x};
                if (inner) more.push_back({true, *inner});
                rules_[id].alts = {std::move(more), Seq{}};
                inner = id;
            }
            atom.push_back({true, *inner});
        }
        return true;
    }

    // --- checks --------------------------------------------------------------
    bool resolve() {
        for (const auto& r : rules_) {
            if (r.defined_at == std::string_view::npos) {
                return fail(r.first_ref_at, "undefined rule '" + r.name + "'");
            }
        }
        const auto root = ids_.find("root");
        if (root == ids_.end()) {
            error_ = make_error("no rule named 'root' (the start rule)");
            return false;
        }
        root_ = root->second;
        return true;
    }

    Grammar flatten() {
        Grammar g;
        for (const auto& ranges : sets_) {
            g.set_ranges_.push_back(static_cast<uint32_t>(g.ranges_.size()));
            g.ranges_.insert(g.ranges_.end(), ranges.begin(), ranges.end());
        }
        g.set_ranges_.push_back(static_cast<uint32_t>(g.ranges_.size()));
        for (const auto& r : rules_) {
            g.rule_alts_.push_back(static_cast<uint32_t>(g.alt_starts_.size()));
            for (const auto& alt : r.alts) {
                g.alt_starts_.push_back(static_cast<uint32_t>(g.elements_.size()));
                for (const auto e : alt) {
                    g.elements_.push_back({e.is_rule ? Grammar::Kind::kRule : Grammar::Kind::kChars, e.value});
                }
                g.elements_.push_back({Grammar::Kind::kEnd, 0});
            }
            g.rule_names_.push_back(r.name);
        }
        g.rule_alts_.push_back(static_cast<uint32_t>(g.alt_starts_.size()));
        g.root_ = root_;
        return g;
    }

    // A rule that can begin with itself before reading a character would
    // make the matcher's stacks grow without end. A reference in tail
    // position pushes nothing, so a cycle of only those is harmless (x* of a
    // nullable x makes one); a cycle with any other reference is an error.
    bool check_left_recursion(const Grammar& g) {
        const size_t n = rules_.size();
        std::vector<uint8_t> nullable(n, 0);
        for (bool changed = true; changed;) {
            changed = false;
            for (size_t r = 0; r < n; ++r) {
                if (nullable[r]) continue;
                for (uint32_t a = g.rule_alts_[r]; a < g.rule_alts_[r + 1] && !nullable[r]; ++a) {
                    bool all = true;
                    for (uint32_t e = g.alt_starts_[a]; g.elements_[e].kind != Grammar::Kind::kEnd; ++e) {
                        const auto& el = g.elements_[e];
                        if (el.kind == Grammar::Kind::kChars || !nullable[el.value]) {
                            all = false;
                            break;
                        }
                    }
                    if (all) nullable[r] = changed = true;
                }
            }
        }
        struct Edge {
            uint32_t to;
            bool tail;
        };
        std::vector<std::vector<Edge>> edges(n);
        for (size_t r = 0; r < n; ++r) {
            for (uint32_t a = g.rule_alts_[r]; a < g.rule_alts_[r + 1]; ++a) {
                for (uint32_t e = g.alt_starts_[a]; g.elements_[e].kind == Grammar::Kind::kRule; ++e) {
                    const uint32_t to = g.elements_[e].value;
                    edges[r].push_back({to, g.elements_[e + 1].kind == Grammar::Kind::kEnd});
                    if (!nullable[to]) break;
                }
            }
        }
        const std::vector<uint32_t> comp = components(edges);
        for (size_t r = 0; r < n; ++r) {
            for (const Edge& e : edges[r]) {
                if (!e.tail && comp[r] == comp[e.to]) {
                    const std::string from = user_name(rules_[r].name), to = user_name(rules_[e.to].name);
                    std::string msg = "rule '" + from + "' is left-recursive: it can begin with ";
                    msg += from == to ? "itself" : "'" + to + "', which leads back to '" + from + "'";
                    msg += " before reading any text; rewrite it with repetition, e.g. list ::= item (\",\" item)*";
                    return fail(rules_[r].defined_at, msg);
                }
            }
        }
        return true;
    }

    // Strongly connected components (Tarjan's algorithm, iterative).
    template <class Edges>
    static std::vector<uint32_t> components(const Edges& edges) {
        const size_t n = edges.size();
        constexpr uint32_t kNone = UINT32_MAX;
        std::vector<uint32_t> index(n, kNone), low(n, 0), comp(n, kNone), stack;
        std::vector<uint8_t> on_stack(n, 0);
        std::vector<std::pair<uint32_t, size_t>> call;  // node, next edge
        uint32_t next_index = 0, next_comp = 0;
        for (uint32_t root = 0; root < n; ++root) {
            if (index[root] != kNone) continue;
            call.push_back({root, 0});
            while (!call.empty()) {
                auto& [v, k] = call.back();
                if (k == 0 && index[v] == kNone) {
                    index[v] = low[v] = next_index++;
                    stack.push_back(v);
                    on_stack[v] = 1;
                }
                if (k < edges[v].size()) {
                    const uint32_t w = edges[v][k++].to;
                    if (index[w] == kNone) {
                        call.push_back({w, 0});
                    } else if (on_stack[w]) {
                        low[v] = std::min(low[v], index[w]);
                    }
                    continue;
                }
                if (low[v] == index[v]) {
                    uint32_t w;
                    do {
                        w = stack.back();
                        stack.pop_back();
                        on_stack[w] = 0;
                        comp[w] = next_comp;
                    } while (w != v);
                    ++next_comp;
                }
                const uint32_t done = v;
                call.pop_back();
                if (!call.empty()) low[call.back().first] = std::min(low[call.back().first], low[done]);
            }
        }
        return comp;
    }

    std::string_view src_;
    size_t pos_ = 0;
    std::optional<Error> error_;
    std::vector<RawRule> rules_;
    std::unordered_map<std::string, uint32_t> ids_;
    std::vector<std::vector<Grammar::Range>> sets_;
    std::map<std::vector<uint64_t>, uint32_t> set_ids_;
    size_t elements_ = 0;
    uint32_t helpers_ = 0;
    uint32_t root_ = 0;
};

Result<Grammar> Grammar::parse(std::string_view text) { return GrammarBuilder(text).run(); }

bool Grammar::set_contains(uint32_t set, uint32_t cp) const {
    return set_intersects(set, cp, cp);
}

bool Grammar::set_intersects(uint32_t set, uint32_t lo, uint32_t hi) const {
    const Range* first = ranges_.data() + set_ranges_[set];
    const Range* last = ranges_.data() + set_ranges_[set + 1];
    // The first range that ends at or after lo.
    const Range* r = std::lower_bound(first, last, lo, [](const Range& a, uint32_t v) { return a.hi < v; });
    return r != last && r->lo <= hi;
}

}  // namespace clawbot
