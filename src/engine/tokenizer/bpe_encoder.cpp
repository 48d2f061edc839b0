#include "engine/tokenizer/bpe_encoder.h"

#include <queue>
#include <string>

#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/pre_tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace clawbot {

namespace {

struct Symbol {
    int prev;
    int next;
    size_t begin;
    size_t length;  // 0 once merged into its left neighbour
    TokenId id;     // -1 if the spelled text is not a token
};

struct Candidate {
    uint32_t rank;
    int left;
    size_t length;  // of both symbols together when the candidate was made
    TokenId result;
};

// Lowest rank first; on ties the leftmost pair.
struct CandidateOrder {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

class WordMerger {
public:
    WordMerger(const Vocab& vocab, std::string_view spelled, bool byte_tokens = false)
        : vocab_(vocab), word_(spelled), byte_tokens_(byte_tokens) {}

    void run(std::vector<TokenId>& out) {
        split_characters();
        for (int i = 1; i < static_cast<int>(symbols_.size()); ++i) consider(i - 1, i);
        while (!queue_.empty()) {
            const Candidate c = queue_.top();
            queue_.pop();
            Symbol& left = at(c.left);
            if (left.length == 0 || left.next < 0) continue;
            Symbol& right = at(left.next);
            if (right.length == 0 || left.length + right.length != c.length) continue;  // stale
            left.length += right.length;
            left.id = c.result;
            right.length = 0;
            left.next = right.next;
            if (right.next >= 0) at(right.next).prev = c.left;
            consider(left.prev, c.left);
            consider(c.left, left.next);
        }
        for (int i = symbols_.empty() ? -1 : 0; i >= 0; i = at(i).next) emit(at(i), out);
    }

private:
    Symbol& at(int i) { return symbols_[static_cast<size_t>(i)]; }

    void split_characters() {
        symbols_.reserve(word_.size());
        size_t pos = 0;
        while (pos < word_.size()) {
            const size_t len = std::min(utf8::sequence_length(static_cast<uint8_t>(word_[pos])), word_.size() - pos);
            const int index = static_cast<int>(symbols_.size());
            symbols_.push_back({index - 1, pos + len == word_.size() ? -1 : index + 1, pos, len,
                                vocab_.find(word_.substr(pos, len))});
            pos += len;
        }
    }

    void consider(int left, int right) {
        if (left < 0 || right < 0) return;
        const Symbol& l = at(left);
        const Symbol& r = at(right);
        if (l.id < 0 || r.id < 0) return;
        if (const Vocab::Merge* m = vocab_.find_merge(l.id, r.id)) {
            queue_.push({m->rank, left, l.length + r.length, m->result});
        }
    }

    // A symbol that is not a token goes out byte by byte, each byte looked
    // up as a one-byte text (llama.cpp's fallback) or, for SentencePiece-style
    // vocabularies, as its <0xNN> token; bytes with no token are dropped.
    void emit(const Symbol& s, std::vector<TokenId>& out) const {
        if (s.id >= 0) {
            out.push_back(s.id);
            return;
        }
        for (size_t i = s.begin; i < s.begin + s.length; ++i) {
            const TokenId id = byte_tokens_ ? vocab_.byte_token(static_cast<uint8_t>(word_[i])) : vocab_.find(word_.substr(i, 1));
            if (id >= 0) out.push_back(id);
        }
    }

    const Vocab& vocab_;
    std::string_view word_;
    bool byte_tokens_;
    std::vector<Symbol> symbols_;
    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue_;
};

}  // namespace

void bpe_encode(const Vocab& vocab, std::string_view text, std::vector<TokenId>& out) {
    const std::vector<uint32_t> cps = utf8::decode_lenient(text);
    std::string raw;
    std::string spelled;
    for (const WordSpan& word : split_words(vocab.pre.kind, cps)) {
        // Rebuilt from codepoints: malformed input bytes have become U+FFFD.
        raw.clear();
        for (size_t i = word.begin; i < word.end; ++i) utf8::append(raw, cps[i]);
        spelled.clear();
        byte_level::append_encoded(spelled, raw);
        if (vocab.pre.ignore_merges) {
            if (const TokenId id = vocab.find(spelled); id >= 0) {
                out.push_back(id);
                continue;
            }
        }
        WordMerger(vocab, spelled).run(out);
    }
}

void sp_bpe_encode(const Vocab& vocab, std::string_view escaped, std::vector<TokenId>& out) {
    if (!escaped.empty()) WordMerger(vocab, escaped, true).run(out);
}

}  // namespace clawbot
