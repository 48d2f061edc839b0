#include <iostream>

#include "cli/commands.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot::cli {

int fail(const std::string& message) {
    std::cerr << "clawbot: error: " << message << "\n";
    return 1;
}

int resolve_threads(int requested) { return requested > 0 ? requested : physical_core_count(); }

}  // namespace clawbot::cli
