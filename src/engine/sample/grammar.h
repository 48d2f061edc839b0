#pragma once
// Grammar-constrained decoding: a GBNF-style grammar (Grammar), a pushdown
// matcher that follows the text generated so far (GrammarMatcher), and the
// token mask it derives over a vocabulary trie (token_trie.h).
//
// Grammar text:
//   name ::= alternative | alternative ...      one rule; `root` is the start
//   "text"   string literal (\n \t \r \\ \" \' \xHH \uHHHH \UHHHHHHHH)
//   [a-z_]   character class; [^"\\] negated; the escapes above plus \] \[ \- \^
//   .        any code point
//   name     reference to a rule
//   ( ... )  group;  x* x+ x? x{m} x{m,} x{m,n}  repetitions
//   # ...    comment to the end of the line
// A rule may span lines; it ends where the next `name ::=` begins.
// Terminals are Unicode code points; the matcher consumes UTF-8 bytes.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "engine/tokenizer/tokenizer.h"

namespace clawbot {

class TokenTrie;

// Limits that keep a hostile grammar from costing unbounded time or memory.
struct GrammarLimits {
    static constexpr size_t kMaxTextBytes = 1 << 20;
    static constexpr int kMaxNesting = 64;          // ( ... ) depth
    static constexpr uint32_t kMaxRepetition = 4096;  // the n of x{m,n}
    static constexpr size_t kMaxElements = 1 << 18;  // after repetitions are expanded
    static constexpr size_t kMaxRules = 1 << 16;
};

// A compiled grammar: rules of alternatives of elements, repetitions expanded
// into helper rules. Immutable once parsed; share it between requests as a
// shared_ptr<const Grammar>.
class Grammar {
public:
    // Parses and checks a grammar: syntax (errors carry line:column), undefined
    // rules, a missing or empty root, left recursion, and the limits above.
    static Result<Grammar> parse(std::string_view text);

    size_t rule_count() const { return rule_names_.size(); }
    size_t element_count() const { return elements_.size(); }

private:
    friend class GrammarMatcher;
    friend class GrammarBuilder;

    enum class Kind : uint8_t { kChars, kRule, kEnd };
    struct Element {
        Kind kind;
        uint32_t value;  // kChars: char set index; kRule: rule index
    };
    struct Range {
        uint32_t lo, hi;  // inclusive code points
    };

    bool set_contains(uint32_t set, uint32_t cp) const;
    // Whether the set holds a code point in [lo, hi].
    bool set_intersects(uint32_t set, uint32_t lo, uint32_t hi) const;

    // Each alternative is a run of elements ending with kEnd.
    std::vector<Element> elements_;
    std::vector<uint32_t> alt_starts_;   // element index where each alternative starts
    std::vector<uint32_t> rule_alts_;    // rule r's alternatives: alt_starts_[rule_alts_[r] .. rule_alts_[r+1])
    std::vector<Range> ranges_;          // sorted, disjoint, per char set
    std::vector<uint32_t> set_ranges_;   // set s: ranges_[set_ranges_[s] .. set_ranges_[s+1])
    std::vector<std::string> rule_names_;
    uint32_t root_ = 0;
};

// Follows generated text through a grammar as a set of parse stacks (a
// pushdown automaton over code points, fed UTF-8 bytes; a character split
// across calls is held as a partial decode and checked against what can still
// match). Stack sets are interned and their transitions cached, so the same
// position reached again costs a table lookup. One matcher per request; not
// thread-safe. A grammar so ambiguous that a step would need more than
// kMaxStacks stacks rejects that step.
class GrammarMatcher {
public:
    static constexpr size_t kMaxStacks = 4096;

    // `vocab` is needed only by the token functions (accept_token, masks).
    explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar,
                            std::shared_ptr<const TokenTrie> vocab = nullptr);
    ~GrammarMatcher();
    GrammarMatcher(GrammarMatcher&&) noexcept;
    GrammarMatcher& operator=(GrammarMatcher&&) noexcept;

    // Consumes bytes if the grammar allows them (a trailing partial UTF-8
    // character included); false leaves the matcher as it was.
    bool accept_bytes(std::string_view bytes);
    // Whether accept_bytes(bytes) would succeed; the position is unchanged.
    bool can_accept_bytes(std::string_view bytes);
    // The grammar accepts the text so far (no character is half-read): an
    // end-of-generation token may come now.
    bool can_end() const;
    // A text token is accepted as its bytes; an end-of-generation token when
    // can_end() (the position does not change); control tokens, tokens with
    // no bytes and ids outside the vocabulary never.
    bool accept_token(TokenId id);
    // mask[id] = 1 for every token accept_token would take now, else 0;
    // sized to the vocabulary. Returns the number allowed.
    size_t allowed_tokens(std::vector<uint8_t>& mask);
    // Sets the logits of tokens not allowed to -infinity (and of rows past the
    // vocabulary). Returns the number allowed.
    size_t fill_mask(std::span<float> logits);
    // Back to the start of the grammar.
    void reset();

private:
    struct State;
    std::unique_ptr<State> s_;
};

}  // namespace clawbot
