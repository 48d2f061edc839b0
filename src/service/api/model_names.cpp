#include "service/api/model_names.h"

#include <algorithm>

namespace clawbot::service {

ModelNames::ModelNames(std::string loaded, std::string_view aliases) : loaded_(std::move(loaded)) {
    while (!aliases.empty()) {
        const size_t comma = aliases.find(',');
        std::string_view name = aliases.substr(0, comma);
        aliases.remove_prefix(comma == std::string_view::npos ? aliases.size() : comma + 1);
        while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
        while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
        if (name == "*") {
            any_ = true;
        } else if (!name.empty()) {
            aliases_.emplace_back(name);
        }
    }
}

bool ModelNames::accepts(std::string_view requested) const {
    if (requested.empty() || any_ || requested == loaded_) return true;
    return std::find(aliases_.begin(), aliases_.end(), requested) != aliases_.end();
}

std::vector<std::string> ModelNames::listed() const {
    std::vector<std::string> names{loaded_};
    for (const std::string& alias : aliases_) {
        if (alias != loaded_) names.push_back(alias);
    }
    return names;
}

}  // namespace clawbot::service
