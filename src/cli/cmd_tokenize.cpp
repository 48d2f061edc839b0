#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "engine/gguf/gguf_file.h"
#include "engine/tokenizer/tokenizer.h"

namespace clawbot::cli {

// Works on vocabulary-only files too: only tokenizer metadata is read.
int run_tokenize(const TokenizeOptions& o) {
    auto file = gguf::GgufFile::open(o.model);
    if (!file) return fail(file.error().message);
    auto tokenizer = Tokenizer::from_gguf(**file);
    if (!tokenizer) return fail(o.model + ": " + tokenizer.error().message);
    const auto ids = (*tokenizer)->encode(o.text, !o.no_bos, o.parse_special);
    std::cout << nlohmann::json(ids).dump() << "\n";
    return 0;
}

}  // namespace clawbot::cli
