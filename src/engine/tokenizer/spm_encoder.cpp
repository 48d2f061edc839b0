#include "engine/tokenizer/spm_encoder.h"

#include <queue>

#include "engine/tokenizer/utf8.h"

namespace clawbot {

namespace {

// A piece of the text in a doubly linked list; merged-away pieces keep
// length 0 so stale queue entries can be recognized.
struct Piece {
    int prev;
    int next;
    size_t begin;
    size_t length;
};

struct Candidate {
    float score;
    int left;
    size_t length;  // of the two pieces together when the candidate was made
};

// Highest score first; on ties the leftmost pair, as llama.cpp orders them.
struct CandidateOrder {
    bool operator()(const Candidate& a, const Candidate& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

class SpmMerger {
public:
    SpmMerger(const Vocab& vocab, std::string_view text) : vocab_(vocab), text_(text) {}

    void run(std::vector<TokenId>& out) {
        split_characters();
        for (int i = 1; i < static_cast<int>(pieces_.size()); ++i) consider(i - 1, i);
        while (!queue_.empty()) {
            const Candidate c = queue_.top();
            queue_.pop();
            Piece& left = pieces_[static_cast<size_t>(c.left)];
            if (left.length == 0 || left.next < 0) continue;
            Piece& right = pieces_[static_cast<size_t>(left.next)];
            if (right.length == 0 || left.length + right.length != c.length) continue;  // stale
            left.length += right.length;
            right.length = 0;
            left.next = right.next;
            if (right.next >= 0) pieces_[static_cast<size_t>(right.next)].prev = c.left;
            consider(left.prev, c.left);
            consider(c.left, left.next);
        }
        for (int i = pieces_.empty() ? -1 : 0; i >= 0; i = pieces_[static_cast<size_t>(i)].next) {
            emit(pieces_[static_cast<size_t>(i)], out);
        }
    }

private:
    void split_characters() {
        pieces_.reserve(text_.size());
        size_t pos = 0;
        while (pos < text_.size()) {
            const size_t len = std::min(utf8::sequence_length(static_cast<uint8_t>(text_[pos])), text_.size() - pos);
            const int index = static_cast<int>(pieces_.size());
            pieces_.push_back({index - 1, pos + len == text_.size() ? -1 : index + 1, pos, len});
            pos += len;
        }
    }

    // Queues the pair (left, right) if together they spell a token.
    void consider(int left, int right) {
        if (left < 0 || right < 0) return;
        const Piece& l = pieces_[static_cast<size_t>(left)];
        const Piece& r = pieces_[static_cast<size_t>(right)];
        const TokenId id = vocab_.find(text_.substr(l.begin, l.length + r.length));
        if (id < 0) return;
        queue_.push({vocab_.score(id), left, l.length + r.length});
    }

    // Every merged piece is a token by construction; only single characters
    // may be missing from the vocabulary, and they go out as bytes.
    void emit(const Piece& p, std::vector<TokenId>& out) const {
        const std::string_view piece = text_.substr(p.begin, p.length);
        if (const TokenId id = vocab_.find(piece); id >= 0) {
            out.push_back(id);
            return;
        }
        for (char c : piece) {
            TokenId id = vocab_.byte_token(static_cast<uint8_t>(c));
            if (id < 0) id = vocab_.unk;
            if (id >= 0) out.push_back(id);
        }
    }

    const Vocab& vocab_;
    std::string_view text_;
    std::vector<Piece> pieces_;
    std::priority_queue<Candidate, std::vector<Candidate>, CandidateOrder> queue_;
};

}  // namespace

void spm_encode(const Vocab& vocab, std::string_view escaped_text, std::vector<TokenId>& out) {
    SpmMerger(vocab, escaped_text).run(out);
}

}  // namespace clawbot
