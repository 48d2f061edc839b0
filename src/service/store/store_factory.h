#pragma once
// Opens the store the STORE setting names: "sqlite" (DATA_DIR/clawbot.db,
// the default) or redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]. Used by
// `serve` and by the commands that manage tokens, so both reach the same
// store. A store that cannot be opened is an error, never a fallback.
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "service/config/settings.h"
#include "service/store/conversation_store.h"

namespace clawbot::service {

struct OpenedStore {
    std::unique_ptr<ConversationStore> store;
    std::string description;            // "SQLite at PATH" or "Redis at redis://***@HOST:PORT/DB": safe to log
    std::vector<std::string> warnings;  // worth logging once (e.g. Redis's AOF settings)
};

Result<OpenedStore> open_store(const Settings& settings);

}  // namespace clawbot::service
