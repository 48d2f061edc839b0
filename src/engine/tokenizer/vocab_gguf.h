#pragma once
// Reads a Vocab from tokenizer.ggml.* metadata, with llama.cpp's defaults
// for whatever a file leaves out.
#include "common/result.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/vocab.h"

namespace clawbot {

Result<Vocab> load_vocab(const gguf::GgufFile& file);

}  // namespace clawbot
