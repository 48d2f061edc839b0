// The pushdown matcher. A parse stack is a node in a hash-consed arena
// (position in the grammar, parent node), so stacks share their tails and two
// equal stacks are the same id. A matcher position is an interned, sorted set
// of stack ids plus the partial UTF-8 character read so far. A step on a code
// point depends only on which stacks' tops match it, so transitions are cached
// per set: a table for ASCII, and per set of matching stacks above it.
#include <algorithm>
#include <limits>

#include "engine/sample/grammar.h"
#include "engine/sample/token_trie.h"

namespace clawbot {

namespace {

constexpr uint32_t kBottom = 0;  // the empty stack: the grammar is complete
constexpr int32_t kDead = -1;     // no stack survives
constexpr int32_t kUnknown = -2;  // not computed yet
constexpr int32_t kLimit = -3;    // refused for a limit of the caches: not cached

// Caches grow with the positions visited; past the soft limits they are
// rebuilt around the current position before the next call, past the hard
// ones a new transition is refused.
constexpr size_t kSoftNodes = size_t{1} << 18, kHardNodes = size_t{1} << 21;
constexpr size_t kSoftSets = size_t{1} << 12, kHardSets = size_t{1} << 15;
constexpr size_t kMaxClosure = size_t{1} << 16;  // (position, parent) pairs expanded in one step

uint64_t mix(uint64_t k) {
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    k *= 0xc4ceb9fe1a85ec53ULL;
    k ^= k >> 33;
    return k;
}

// Open addressing, uint64 -> uint32; the all-ones key is never stored.
class FlatMap {
public:
    FlatMap() { clear(); }
    void clear() {
        keys_.assign(16, kEmpty);
        vals_.assign(16, 0);
        count_ = 0;
    }
    const uint32_t* find(uint64_t key) const {
        const size_t mask = keys_.size() - 1;
        for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
            if (keys_[i] == key) return &vals_[i];
            if (keys_[i] == kEmpty) return nullptr;
        }
    }
    void insert(uint64_t key, uint32_t val) {
        if ((count_ + 1) * 2 > keys_.size()) grow();
        place(key, val);
        ++count_;
    }
    size_t size() const { return count_; }

private:
    static constexpr uint64_t kEmpty = ~uint64_t{0};
    void place(uint64_t key, uint32_t val) {
        const size_t mask = keys_.size() - 1;
        size_t i = mix(key) & mask;
        while (keys_[i] != kEmpty) i = (i + 1) & mask;
        keys_[i] = key;
        vals_[i] = val;
    }
    void grow() {
        std::vector<uint64_t> keys(keys_.size() * 2, kEmpty);
        std::vector<uint32_t> vals(keys.size(), 0);
        keys.swap(keys_);
        vals.swap(vals_);
        for (size_t i = 0; i < keys.size(); ++i) {
            if (keys[i] != kEmpty) place(keys[i], vals[i]);
        }
    }
    std::vector<uint64_t> keys_;
    std::vector<uint32_t> vals_;
    size_t count_ = 0;
};

// A set of uint64 cleared in O(1) by a generation stamp.
class StampedSet {
public:
    StampedSet() : keys_(64, 0), stamps_(64, 0) {}
    void clear() {
        count_ = 0;
        if (++stamp_ == 0) {  // wrapped: forget every old stamp
            std::fill(stamps_.begin(), stamps_.end(), 0);
            stamp_ = 1;
        }
    }
    bool insert(uint64_t key) {  // false if present
        if ((count_ + 1) * 2 > keys_.size()) grow();
        if (!place(key)) return false;
        ++count_;
        return true;
    }
    size_t size() const { return count_; }

private:
    bool place(uint64_t key) {
        const size_t mask = keys_.size() - 1;
        for (size_t i = mix(key) & mask;; i = (i + 1) & mask) {
            if (stamps_[i] != stamp_) {
                keys_[i] = key;
                stamps_[i] = stamp_;
                return true;
            }
            if (keys_[i] == key) return false;
        }
    }
    void grow() {
        std::vector<uint64_t> keys(keys_.size() * 2, 0);
        std::vector<uint32_t> stamps(keys.size(), 0);
        keys.swap(keys_);
        stamps.swap(stamps_);
        for (size_t i = 0; i < keys.size(); ++i) {
            if (stamps[i] == stamp_) place(keys[i]);
        }
    }
    std::vector<uint64_t> keys_;
    std::vector<uint32_t> stamps_;
    uint32_t stamp_ = 1;
    size_t count_ = 0;
};

uint64_t pair_key(uint32_t a, uint32_t b) { return (uint64_t{a} << 32) | b; }

constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};

}  // namespace

struct GrammarMatcher::State {
    // Where the matcher is: a stack set, and the partial character read.
    // Packed in one word: the mask walk stores and reloads one per trie
    // node, and a struct of narrow fields defeats store forwarding.
    struct Pos {
        uint64_t bits;  // set (32) | bits of the character read (21) | need (2) | len (3)
        static Pos at(int32_t set) { return Pos{static_cast<uint32_t>(set)}; }
        static Pos partial(int32_t set, uint32_t cp, unsigned need, unsigned len) {
            return Pos{uint64_t{static_cast<uint32_t>(set)} | (uint64_t{cp} << 32) | (uint64_t{need} << 53) |
                       (uint64_t{len} << 56)};
        }
        int32_t set() const { return static_cast<int32_t>(static_cast<uint32_t>(bits)); }
        uint32_t cp() const { return static_cast<uint32_t>(bits >> 32) & 0x1FFFFF; }
        unsigned need() const { return static_cast<unsigned>(bits >> 53) & 3; }  // continuation bytes to come
        unsigned len() const { return static_cast<unsigned>(bits >> 56) & 7; }   // the character's length
        bool boundary() const { return (bits >> 32) == 0; }  // not inside a character
        bool dead() const { return set() < 0; }
    };
    struct Node {
        uint32_t pos;     // element index: a char set on top, else a return position
        uint32_t parent;  // node below; kBottom at the bottom
    };
    // How a set's stacks take characters above ASCII.
    enum class Wide : uint8_t { kUnknown, kNone, kUniform, kMixed };

    std::shared_ptr<const Grammar> grammar;
    std::shared_ptr<const TokenTrie> vocab;

    std::vector<Node> nodes;
    FlatMap node_ids;
    std::vector<uint32_t> set_items;  // set i: set_items[set_begin[i] .. set_begin[i+1])
    std::vector<uint32_t> set_begin{0};
    std::vector<int32_t> set_slots;  // open addressing over set ids, -1 = empty
    std::vector<int32_t> ascii;      // 128 transitions per set
    std::vector<Wide> wide;
    std::vector<int32_t> wide_target;  // kUniform: where every such character leads
    // Characters known to lead from a set back to itself: ASCII bytes
    // (two words per set), and (wide_loop) every character above ASCII.
    std::vector<uint64_t> loop;
    std::vector<uint8_t> wide_loop;
    FlatMap wide_cache;                // (set, mask of matching stacks) -> set

    Pos cur = Pos::at(kDead);
    bool hit_limit = false;
    size_t compact_nodes = kSoftNodes;  // compact() rebuilds past this many nodes  // the last advance() ran into the arena's limit

    // Scratch, reused.
    std::vector<uint32_t> out;
    std::vector<std::pair<uint32_t, uint32_t>> work;
    StampedSet visited;
    std::vector<Pos> walk;
    std::vector<uint8_t> mask;
    // The last mask computed, and where (valid until the caches are rebuilt).
    std::vector<uint8_t> last_mask;
    uint64_t last_mask_pos = ~uint64_t{0};
    size_t last_mask_allowed = 0;

    const Grammar& g() const { return *grammar; }
    size_t set_count() const { return set_begin.size() - 1; }
    std::span<const uint32_t> items(int32_t set) const {
        const auto s = static_cast<size_t>(set);
        return std::span<const uint32_t>(set_items).subspan(set_begin[s], set_begin[s + 1] - set_begin[s]);
    }
    bool complete(int32_t set) const { return set >= 0 && !items(set).empty() && items(set)[0] == kBottom; }

    // The node (pos, parent), or kLimit past the arena's limit.
    int64_t node(uint32_t pos, uint32_t parent) {
        const uint64_t key = pair_key(pos, parent);
        if (const uint32_t* id = node_ids.find(key)) return *id;
        if (nodes.size() >= kHardNodes) {
            hit_limit = true;
            return kLimit;
        }
        const auto id = static_cast<uint32_t>(nodes.size());
        nodes.push_back({pos, parent});
        node_ids.insert(key, id);
        return id;
    }

    // Adds to `out` every stack with a char set (or nothing) on top that the
    // stack (pos, parent) stands for: rule references expand into their
    // alternatives, ends of alternatives return to the parent. A reference
    // last in its alternative pushes no return position, so right recursion
    // (and x*) runs in constant depth. false: a limit was hit.
    bool close(uint32_t pos, uint32_t parent) {
        const Grammar& gr = g();
        work.clear();
        work.push_back({pos, parent});
        while (!work.empty()) {
            const auto [p, par] = work.back();
            work.pop_back();
            if (!visited.insert(pair_key(p, par))) continue;
            if (visited.size() > kMaxClosure) return false;
            const Grammar::Element e = gr.elements_[p];
            if (e.kind == Grammar::Kind::kEnd) {
                if (par == kBottom) {
                    out.push_back(kBottom);
                } else {
                    work.push_back({nodes[par].pos, nodes[par].parent});
                }
            } else if (e.kind == Grammar::Kind::kChars) {
                const int64_t id = node(p, par);
                if (id < 0) return false;
                out.push_back(static_cast<uint32_t>(id));
                if (out.size() > kMaxStacks) return false;
            } else {
                int64_t cont = par;
                if (gr.elements_[p + 1].kind != Grammar::Kind::kEnd) cont = node(p + 1, par);
                if (cont < 0) return false;
                for (uint32_t a = gr.rule_alts_[e.value]; a < gr.rule_alts_[e.value + 1]; ++a) {
                    work.push_back({gr.alt_starts_[a], static_cast<uint32_t>(cont)});
                }
            }
        }
        return true;
    }

    // The set of the stacks in `out` (sorted, deduplicated here).
    int32_t intern_out() {
        std::sort(out.begin(), out.end());
        out.erase(std::unique(out.begin(), out.end()), out.end());
        if (out.empty()) return kDead;
        if (out.size() > kMaxStacks) return kDead;
        uint64_t h = out.size();
        for (uint32_t v : out) h = mix(h ^ v);
        if ((set_count() + 1) * 2 > set_slots.size()) rehash_sets(std::max<size_t>(64, set_slots.size() * 2));
        const size_t slot_mask = set_slots.size() - 1;
        size_t i = h & slot_mask;
        for (; set_slots[i] >= 0; i = (i + 1) & slot_mask) {
            const auto have = items(set_slots[i]);
            if (std::equal(have.begin(), have.end(), out.begin(), out.end())) return set_slots[i];
        }
        if (set_count() >= kHardSets) return kLimit;
        const auto id = static_cast<int32_t>(set_count());
        set_items.insert(set_items.end(), out.begin(), out.end());
        set_begin.push_back(static_cast<uint32_t>(set_items.size()));
        ascii.resize(ascii.size() + 128, kUnknown);
        wide.push_back(Wide::kUnknown);
        wide_target.push_back(kUnknown);
        loop.push_back(0);
        loop.push_back(0);
        wide_loop.push_back(0);
        set_slots[i] = id;
        return id;
    }
    void rehash_sets(size_t size) {
        set_slots.assign(size, -1);
        for (size_t s = 0; s < set_count(); ++s) {
            uint64_t h = items(static_cast<int32_t>(s)).size();
            for (uint32_t v : items(static_cast<int32_t>(s))) h = mix(h ^ v);
            size_t i = h & (size - 1);
            while (set_slots[i] >= 0) i = (i + 1) & (size - 1);
            set_slots[i] = static_cast<int32_t>(s);
        }
    }

    // The set after reading `cp` in `set`: every stack whose top takes it,
    // advanced and expanded.
    int32_t advance(int32_t set, uint32_t cp) {
        const Grammar& gr = g();
        visited.clear();
        out.clear();
        hit_limit = false;
        for (size_t k = 0, n = items(set).size(); k < n; ++k) {
            const uint32_t id = items(set)[k];
            if (id == kBottom) continue;
            const Node nd = nodes[id];
            if (!gr.set_contains(gr.elements_[nd.pos].value, cp)) continue;
            if (!close(nd.pos + 1, nd.parent)) return hit_limit ? kLimit : kDead;
        }
        return intern_out();
    }

    int32_t initial() {
        const Grammar& gr = g();
        visited.clear();
        out.clear();
        for (uint32_t a = gr.rule_alts_[gr.root_]; a < gr.rule_alts_[gr.root_ + 1]; ++a) {
            if (!close(gr.alt_starts_[a], kBottom)) return kDead;
        }
        return intern_out();
    }

    int32_t ascii_step(int32_t set, uint8_t b) {
        const size_t at = static_cast<size_t>(set) * 128 + b;
        int32_t t = ascii[at];
        if (t == kUnknown) {
            t = advance(set, b);
            if (t == kLimit) return kDead;
            ascii[at] = t;
            if (t == set) loop[2 * static_cast<size_t>(set) + (b >> 6)] |= uint64_t{1} << (b & 63);
        }
        return t;
    }

    Wide wide_kind(int32_t set) {
        const auto s = static_cast<size_t>(set);
        if (wide[s] != Wide::kUnknown) return wide[s];
        // Uniform: each stack takes either every character above ASCII or none.
        const Grammar& gr = g();
        bool any = false, partial = false;
        for (uint32_t id : items(set)) {
            if (id == kBottom) continue;
            const uint32_t cs = gr.elements_[nodes[id].pos].value;
            const bool all = covers(cs, 0x80, 0xD7FF) && covers(cs, 0xE000, 0x10FFFF);
            if (all) {
                any = true;
            } else if (gr.set_intersects(cs, 0x80, 0x10FFFF)) {
                partial = true;
            }
        }
        wide[s] = partial ? Wide::kMixed : any ? Wide::kUniform : Wide::kNone;
        return wide[s];
    }
    bool covers(uint32_t cs, uint32_t lo, uint32_t hi) const {
        const Grammar& gr = g();
        const auto* first = gr.ranges_.data() + gr.set_ranges_[cs];
        const auto* last = gr.ranges_.data() + gr.set_ranges_[cs + 1];
        const auto* r = std::lower_bound(first, last, lo, [](const Grammar::Range& a, uint32_t v) { return a.hi < v; });
        return r != last && r->lo <= lo && r->hi >= hi;
    }

    // Whether some stack can still take a character starting with the bytes read.
    bool possible(int32_t set, uint32_t cp, unsigned need, unsigned len) {
        const unsigned shift = 6u * need;
        const uint32_t lo = std::max(cp << shift, kMinForLength[len]);
        const uint32_t hi = std::min((cp << shift) | ((1u << shift) - 1), 0x10FFFFu);
        if (lo > hi || (lo >= 0xD800 && hi <= 0xDFFF)) return false;  // overlong, too large, surrogate
        const Wide w = wide_kind(set);
        if (w != Wide::kMixed) return w == Wide::kUniform;
        const Grammar& gr = g();
        for (uint32_t id : items(set)) {
            if (id == kBottom) continue;
            const uint32_t cs = gr.elements_[nodes[id].pos].value;
            if (lo < 0xD800 && gr.set_intersects(cs, lo, std::min(hi, 0xD7FFu))) return true;
            if (hi > 0xDFFF && gr.set_intersects(cs, std::max(lo, 0xE000u), hi)) return true;
        }
        return false;
    }

    int32_t wide_step(int32_t set, uint32_t cp) {
        const auto s = static_cast<size_t>(set);
        if (wide_kind(set) == Wide::kUniform) {
            if (wide_target[s] == kUnknown) {
                const int32_t t = advance(set, cp);
                if (t == kLimit) return kDead;
                wide_target[s] = t;
                wide_loop[s] = t == set;
            }
            return wide_target[s];
        }
        const auto its = items(set);
        if (its.size() > 32) {  // too many stacks for the cache key: compute
            const int32_t t = advance(set, cp);
            return t == kLimit ? kDead : t;
        }
        const Grammar& gr = g();
        uint32_t matching = 0;
        for (size_t k = 0; k < its.size(); ++k) {
            if (its[k] != kBottom && gr.set_contains(gr.elements_[nodes[its[k]].pos].value, cp)) {
                matching |= 1u << k;
            }
        }
        if (matching == 0) return kDead;
        const uint64_t key = pair_key(static_cast<uint32_t>(set), matching);
        if (const uint32_t* t = wide_cache.find(key)) return static_cast<int32_t>(*t);
        const int32_t t = advance(set, cp);
        if (t == kLimit) return kDead;
        wide_cache.insert(key, static_cast<uint32_t>(t));
        return t;
    }

    // One byte. Invalid UTF-8 (overlong forms and surrogates included) is dead.
    // Where `bytes` lead from p; dead as soon as one is refused.
    Pos advance(Pos p, std::string_view bytes) {
        for (const char c : bytes) {
            if (p.dead()) return p;
            p = step(p, static_cast<uint8_t>(c));
        }
        return p;
    }

    Pos step(Pos p, uint8_t b) {
        const Pos dead = Pos::at(kDead);
        const int32_t set = p.set();
        if (p.boundary()) {
            if (b < 0x80) return Pos::at(ascii_step(set, b));
            uint32_t cp;
            unsigned len;
            if (b >= 0xC2 && b <= 0xDF) {
                cp = b & 0x1Fu, len = 2;
            } else if (b >= 0xE0 && b <= 0xEF) {
                cp = b & 0x0Fu, len = 3;
            } else if (b >= 0xF0 && b <= 0xF4) {
                cp = b & 0x07u, len = 4;
            } else {
                return dead;
            }
            return possible(set, cp, len - 1, len) ? Pos::partial(set, cp, len - 1, len) : dead;
        }
        if ((b & 0xC0) != 0x80) return dead;
        const uint32_t cp = (p.cp() << 6) | (b & 0x3Fu);
        const unsigned need = p.need() - 1, len = p.len();
        if (need > 0) return possible(set, cp, need, len) ? Pos::partial(set, cp, need, len) : dead;
        if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return dead;
        return Pos::at(wide_step(set, cp));
    }

    // Rebuilds the caches, and the arena if it grew, around the current position.
    void compact() {
        const bool rebuild = nodes.size() > compact_nodes;
        if (!rebuild && set_count() <= kSoftSets) return;
        last_mask_pos = ~uint64_t{0};  // set ids are about to change
        std::vector<uint32_t> stacks;
        if (!cur.dead()) stacks.assign(items(cur.set()).begin(), items(cur.set()).end());
        if (rebuild) move_to_new_arena(stacks);
        set_items.clear();
        set_begin = {0};
        set_slots.clear();
        ascii.clear();
        wide.clear();
        wide_target.clear();
        loop.clear();
        wide_loop.clear();
        wide_cache.clear();
        rehash_sets(64);
        if (!cur.dead()) {
            out = std::move(stacks);
            cur = Pos{(cur.bits & ~uint64_t{0xFFFFFFFF}) | static_cast<uint32_t>(intern_out())};
        }
    }

    // Copies `stacks` (renumbered in place) into a fresh arena.
    void move_to_new_arena(std::vector<uint32_t>& stacks) {
        std::vector<Node> old = std::move(nodes);
        nodes = {Node{0, 0}};
        node_ids.clear();
        FlatMap moved;  // old id -> new id
        std::vector<uint32_t> chain;
        for (uint32_t& id : stacks) {
            chain.clear();
            uint32_t at = id;
            while (at != kBottom && !moved.find(at)) {
                chain.push_back(at);
                at = old[at].parent;
            }
            uint32_t below = at == kBottom ? kBottom : *moved.find(at);
            for (size_t k = chain.size(); k-- > 0;) {
                below = static_cast<uint32_t>(node(old[chain[k]].pos, below));
                moved.insert(chain[k], below);
            }
            id = below;
        }
        // Deep stacks are live data: wait until the arena doubles again.
        compact_nodes = std::max(kSoftNodes, 2 * nodes.size());
    }
};

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar, std::shared_ptr<const TokenTrie> vocab)
    : s_(std::make_unique<State>()) {
    s_->grammar = std::move(grammar);
    s_->vocab = std::move(vocab);
    s_->nodes.push_back({0, 0});  // kBottom
    s_->rehash_sets(64);
    reset();
}

GrammarMatcher::~GrammarMatcher() = default;
GrammarMatcher::GrammarMatcher(GrammarMatcher&&) noexcept = default;
GrammarMatcher& GrammarMatcher::operator=(GrammarMatcher&&) noexcept = default;

void GrammarMatcher::reset() {
    State& s = *s_;
    s.cur = State::Pos::at(kDead);
    s.compact();
    s.cur = State::Pos::at(s.initial());
}

bool GrammarMatcher::can_accept_bytes(std::string_view bytes) {
    State& s = *s_;
    s.compact();
    return !s.advance(s.cur, bytes).dead();
}

bool GrammarMatcher::accept_bytes(std::string_view bytes) {
    State& s = *s_;
    s.compact();
    const State::Pos p = s.advance(s.cur, bytes);
    if (p.dead()) return false;
    s.cur = p;
    return true;
}

bool GrammarMatcher::can_end() const { return s_->cur.boundary() && s_->complete(s_->cur.set()); }

bool GrammarMatcher::accept_token(TokenId id) {
    const TokenTrie* vocab = s_->vocab.get();
    if (!vocab || id < 0 || id >= vocab->n_vocab()) return false;
    switch (vocab->kind(id)) {
        case TokenTrie::Kind::kText: return accept_bytes(vocab->piece(id));
        case TokenTrie::Kind::kEndOfGen: return can_end();
        case TokenTrie::Kind::kNever: return false;
    }
    return false;
}

size_t GrammarMatcher::allowed_tokens(std::vector<uint8_t>& mask) {
    State& s = *s_;
    const TokenTrie* vocab = s.vocab.get();
    const size_t n_vocab = vocab ? static_cast<size_t>(vocab->n_vocab()) : 0;
    mask.assign(n_vocab, 0);
    if (!vocab || s.cur.dead()) return 0;
    s.compact();
    // The same position as the last mask (a string being written, token
    // after token, comes back to the same stack set): the same mask.
    if (s.cur.bits == s.last_mask_pos && s.last_mask.size() == mask.size()) {
        std::copy(s.last_mask.begin(), s.last_mask.end(), mask.begin());
        return s.last_mask_allowed;
    }
    const TokenTrie::Node* nodes = vocab->nodes().data();
    const TokenTrie::AsciiBytes* bytes = vocab->subtree_bytes().data();
    // Subtrees taken whole are judged from a token's first byte on: not
    // from inside a character.
    const bool whole_subtrees = s.cur.boundary();
    const size_t n_nodes = vocab->nodes().size() - 1;
    const TokenId* tokens = vocab->tokens().data();
    mask.push_back(0);  // slot n_vocab: where a node without a token marks
    uint8_t* out = mask.data();
    s.walk.resize(size_t{vocab->max_depth()} + 1);
    State::Pos* walk = s.walk.data();
    walk[0] = s.cur;
    size_t allowed = 0;
    // Depth-first order: a node's parent position is the last one written
    // one level up. A dead prefix skips its whole subtree.
    for (size_t i = 0; i < n_nodes;) {
        const TokenTrie::Node nd = nodes[i];
        const State::Pos parent = walk[nd.depth - 1u];
        if (whole_subtrees && parent.boundary()) {
            // Every byte below leads back here (and every piece decodes):
            // every token of the subtree is allowed, without a step.
            const size_t ps = static_cast<size_t>(parent.bits);
            const bool wide_ok = !(nd.flags & TokenTrie::kNonAscii) ||
                                 (s.wide_loop[ps] && (nd.flags & TokenTrie::kValidUtf8));
            if (wide_ok && (bytes[i].lo & ~s.loop[2 * ps]) == 0 && (bytes[i].hi & ~s.loop[2 * ps + 1]) == 0) {
                for (uint32_t k = nd.tok_begin, end = nodes[nd.skip].tok_begin; k < end; ++k) out[tokens[k]] = 1;
                i = nd.skip;
                continue;
            }
        }
        State::Pos q;
        if (parent.boundary() && nd.byte < 0x80) {  // the common case, inline
            const int32_t t = s.ascii[static_cast<size_t>(parent.bits) * 128 + nd.byte];
            q = State::Pos::at(t != kUnknown ? t : s.ascii_step(parent.set(), nd.byte));
        } else {
            q = s.step(parent, nd.byte);
        }
        if (q.dead()) {
            i = nd.skip;
            continue;
        }
        walk[nd.depth] = q;
        out[nd.token] = 1;
        if (nd.flags & TokenTrie::kMoreTokens) {
            for (uint32_t k = nd.tok_begin + 1, end = nodes[i + 1].tok_begin; k < end; ++k) out[tokens[k]] = 1;
        }
        ++i;
    }
    mask.pop_back();
    for (const uint8_t m : mask) allowed += m;
    if (can_end()) {
        for (const TokenId id : vocab->end_of_generation()) {
            out[id] = 1;
            ++allowed;
        }
    }
    s.last_mask.assign(mask.begin(), mask.end());
    s.last_mask_pos = s.cur.bits;
    s.last_mask_allowed = allowed;
    return allowed;
}

size_t GrammarMatcher::fill_mask(std::span<float> logits) {
    State& s = *s_;
    const size_t allowed = allowed_tokens(s.mask);
    const size_t n = std::min(logits.size(), s.mask.size());
    constexpr float kNegInf = -std::numeric_limits<float>::infinity();
    // Branch-free so that it vectorizes: keep the bits where allowed, else -inf's.
    const uint8_t* mask = s.mask.data();
    auto* bits = reinterpret_cast<uint32_t*>(logits.data());
    static_assert(sizeof(float) == sizeof(uint32_t));
    for (size_t i = 0; i < n; ++i) {
        const uint32_t keep = 0u - uint32_t{mask[i]};
        bits[i] = (bits[i] & keep) | (0xFF800000u & ~keep);
    }
    for (size_t i = n; i < logits.size(); ++i) logits[i] = kNegInf;
    return allowed;
}

}  // namespace clawbot
