#pragma once
// Which tokens are special and which end generation. GGUF files often leave
// this implicit, so llama.cpp recognizes such tokens by their text; we apply
// the same rules so that encoding and stopping match the reference.
#include <string_view>

#include "engine/tokenizer/vocab.h"

namespace clawbot {

// Fill-in-the-middle ids a file may declare; -1 where it does not.
struct FimIds {
    TokenId prefix = -1;
    TokenId suffix = -1;
    TokenId middle = -1;
    TokenId pad = -1;
    TokenId repo = -1;
    TokenId file_sep = -1;
};

// Marks special-looking tokens as control, detects EOT/EOM when the file
// does not name them, builds the end-of-generation set and the list of
// tokens to match in raw text. `model_name` is general.name (Phi-3 files are
// recognized by it, as llama.cpp does, to give their special tokens RSTRIP).
void resolve_special_tokens(Vocab& vocab, FimIds fim, std::string_view model_name);

}  // namespace clawbot
