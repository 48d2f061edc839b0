#pragma once
// Byte-level BPE encoding of one text fragment (no special tokens inside):
// pre-tokenize into words, spell each word's bytes in the GPT-2 alphabet and
// apply merges lowest rank first within the word.
#include <string_view>
#include <vector>

#include "engine/tokenizer/vocab.h"

namespace clawbot {

void bpe_encode(const Vocab& vocab, std::string_view text, std::vector<TokenId>& out);

// SentencePiece-style BPE (VocabKind::SpBpe): `escaped` is one text
// fragment with its spaces already written as U+2581; merges run over its
// characters as one word, and a character that is no token goes out as its
// bytes' <0xNN> tokens.
void sp_bpe_encode(const Vocab& vocab, std::string_view escaped, std::vector<TokenId>& out);

}  // namespace clawbot
