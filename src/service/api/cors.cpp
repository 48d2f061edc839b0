#include "service/api/cors.h"

#include <algorithm>

namespace clawbot::service {

CorsPolicy::CorsPolicy(std::string_view origins) {
    while (!origins.empty()) {
        const size_t comma = origins.find(',');
        std::string_view origin = origins.substr(0, comma);
        origins.remove_prefix(comma == std::string_view::npos ? origins.size() : comma + 1);
        while (!origin.empty() && origin.front() == ' ') origin.remove_prefix(1);
        while (!origin.empty() && (origin.back() == ' ' || origin.back() == '/')) origin.remove_suffix(1);
        if (origin == "*") {
            any_ = true;
        } else if (!origin.empty()) {
            origins_.emplace_back(origin);
        }
    }
}

bool CorsPolicy::allows(std::string_view origin) const {
    if (origin.empty() || origin == "null") return false;  // "null": sandboxed pages and files, never trusted by name
    return any_ || std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

std::vector<std::pair<std::string, std::string>> CorsPolicy::response_headers(std::string_view origin) const {
    if (!allows(origin)) return {};
    // The origin itself, never "*": the answer then varies by Origin, which
    // caches must know.
    return {{"Access-Control-Allow-Origin", std::string(origin)},
            {"Vary", "Origin"},
            {"Access-Control-Expose-Headers", "Retry-After"}};
}

std::vector<std::pair<std::string, std::string>> CorsPolicy::preflight_headers() {
    return {{"Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS"},
            {"Access-Control-Allow-Headers", "Authorization, Content-Type"},
            {"Access-Control-Max-Age", "600"}};
}

}  // namespace clawbot::service
