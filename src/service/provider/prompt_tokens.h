#pragma once
// A conversation as the token ids of its prompt, for the local engine.
#include <span>
#include <string_view>
#include <vector>

#include "engine/chat/chat_message.h"
#include "engine/chat/chat_template.h"
#include "common/result.h"
#include "engine/tokenizer/tokenizer.h"

namespace clawbot::service {

// Control tokens (<|im_start|>, <|eot_id|>, ...) come only from the
// template's own markup: the text of every message, user, assistant or
// system, is tokenized as plain text, so nobody can forge a turn by typing
// its markers. BOS is added as the vocabulary says, unless the template
// itself printed `bos_text` at the start.
// `tools_json`: for the template's `tools` variable ("" = none); strings in
// it are client text too.
Result<std::vector<TokenId>> tokenize_prompt(const chat::ChatTemplate& tmpl, const Tokenizer& tokenizer,
                                             std::span<const chat::ChatMessage> messages, std::string_view bos_text,
                                             std::string_view tools_json = {});

}  // namespace clawbot::service
