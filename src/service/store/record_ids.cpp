#include "service/store/record_ids.h"

#include "service/auth/secure_random.h"

namespace clawbot::service {

namespace {

Result<std::string> prefixed_random_id(const char* prefix) {
    Result<std::string> hex = random_hex(8);
    if (!hex) return hex.error();
    return prefix + *hex;
}

}  // namespace

Result<std::string> new_conversation_id() { return prefixed_random_id("conv_"); }
Result<std::string> new_message_id() { return prefixed_random_id("msg_"); }

}  // namespace clawbot::service
