#pragma once
// Public ids for store records: a type prefix plus 64 random bits, so ids
// reveal neither how many records exist nor when they were made, and cannot
// be guessed to reach another owner's conversation.
#include <string>

#include "common/result.h"

namespace clawbot::service {

Result<std::string> new_conversation_id();  // "conv_" + 16 hex
Result<std::string> new_message_id();       // "msg_" + 16 hex

}  // namespace clawbot::service
