#pragma once
// Reference conversations for the chat template tests: the JSON-lines files
// under shared/reference/templates, rendered by llama.cpp.
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/chat/calendar_date.h"
#include "engine/chat/chat_message.h"
#include "support/test_support.h"

namespace clawbot::test {

inline std::vector<nlohmann::json> read_template_cases(const std::string& file) {
    std::istringstream lines(read_file(shared_path("reference/templates/" + file)));
    std::vector<nlohmann::json> cases;
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty()) cases.push_back(nlohmann::json::parse(line));
    }
    return cases;
}

inline std::vector<chat::ChatMessage> messages_of(const nlohmann::json& c) {
    std::vector<chat::ChatMessage> messages;
    for (const auto& m : c.at("messages")) messages.push_back({m.at("role"), m.at("content")});
    return messages;
}

inline std::string jinja_source(const std::string& template_file) {
    return read_file(shared_path("reference/templates/jinja/" + template_file));
}

// The date the references were rendered with, where a template prints it.
inline constexpr chat::CalendarDate kReferenceDate{2026, 11, 27};

}  // namespace clawbot::test
