#include "engine/tokenizer/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace clawbot {

std::string IncrementalDetokenizer::push(TokenId id) {
    pending_ += tokenizer_.token_to_piece(id, render_special_);
    // A character may be spread over several byte tokens: hold back a tail
    // that is a well-formed beginning, release everything before it.
    const size_t held = utf8::unfinished_tail_length(pending_);
    std::string out;
    utf8::append_sanitized(out, std::string_view(pending_).substr(0, pending_.size() - held));
    pending_.erase(0, pending_.size() - held);
    return out;
}

std::string IncrementalDetokenizer::flush() {
    std::string out;
    utf8::append_sanitized(out, pending_);
    pending_.clear();
    return out;
}

}  // namespace clawbot
