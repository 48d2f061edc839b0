#pragma once
// A SentencePiece-style vocabulary of a chosen size for random-weight
// models: control tokens, the 256 byte tokens, then letter pieces.
#include "engine/gguf/gguf_writer.h"

namespace clawbot::cli {

void write_synthetic_vocab(gguf::GgufWriter& out, int n_vocab);

}  // namespace clawbot::cli
