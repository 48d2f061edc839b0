#pragma once
// SentencePiece-style encoding of one text fragment (spaces already escaped
// as "▁"): start from single characters and keep merging the adjacent pair
// whose concatenation is the highest-scoring token; characters no token
// covers fall back to byte tokens.
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace clawbot {

void spm_encode(const Vocab& vocab, std::string_view escaped_text, std::vector<TokenId>& out);

}  // namespace clawbot
