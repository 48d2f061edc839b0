#include "service/store/store_records.h"

namespace clawbot::service {

namespace {

// The code point of the UTF-8 sequence at text[at], advancing `at`; -1 when
// the bytes there are not valid UTF-8 (overlong, surrogate, beyond U+10FFFF,
// truncated).
long next_code_point(std::string_view text, std::size_t& at) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(at);
    if (lead < 0x80) {
        ++at;
        return lead;
    }
    std::size_t length = 0;
    long code = 0;
    long minimum = 0;
    if ((lead & 0xE0) == 0xC0) {
        length = 2, code = lead & 0x1F, minimum = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, code = lead & 0x0F, minimum = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, code = lead & 0x07, minimum = 0x10000;
    } else {
        return -1;
    }
    if (at + length > text.size()) return -1;
    for (std::size_t i = 1; i < length; ++i) {
        if ((byte(at + i) & 0xC0) != 0x80) return -1;
        code = (code << 6) | (byte(at + i) & 0x3F);
    }
    if (code < minimum || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return -1;
    at += length;
    return code;
}

bool is_control(long code) { return code < 0x20 || (code >= 0x7F && code <= 0x9F); }

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

std::string_view role_name(MessageRole role) {
    switch (role) {
        case MessageRole::System: return "system";
        case MessageRole::User: return "user";
        case MessageRole::Assistant: return "assistant";
    }
    return "user";
}

std::optional<MessageRole> parse_role(std::string_view name) {
    if (name == "system") return MessageRole::System;
    if (name == "user") return MessageRole::User;
    if (name == "assistant") return MessageRole::Assistant;
    return std::nullopt;
}

std::string_view finish_name(MessageFinish finish) {
    switch (finish) {
        case MessageFinish::Stop: return "stop";
        case MessageFinish::Length: return "length";
        case MessageFinish::ContentFilter: return "content_filter";
        case MessageFinish::Cancelled: return "cancelled";
        case MessageFinish::Error: return "error";
    }
    return "stop";
}

std::optional<MessageFinish> parse_finish(std::string_view name) {
    for (MessageFinish finish : {MessageFinish::Stop, MessageFinish::Length, MessageFinish::ContentFilter,
                                 MessageFinish::Cancelled, MessageFinish::Error}) {
        if (name == finish_name(finish)) return finish;
    }
    return std::nullopt;
}

std::optional<std::string> clean_conversation_title(std::string_view text) {
    while (!text.empty() && is_ascii_space(text.front())) text.remove_prefix(1);
    while (!text.empty() && is_ascii_space(text.back())) text.remove_suffix(1);
    std::size_t characters = 0;
    for (std::size_t at = 0; at < text.size();) {
        const long code = next_code_point(text, at);
        if (code < 0 || is_control(code)) return std::nullopt;
        if (++characters > kMaxTitleCharacters) return std::nullopt;
    }
    if (characters == 0) return std::nullopt;
    return std::string(text);
}

bool valid_system_prompt(std::string_view text) {
    if (text.size() > kMaxSystemPromptBytes) return false;
    for (std::size_t at = 0; at < text.size();) {
        if (next_code_point(text, at) < 0) return false;
    }
    return true;
}

bool valid_search_text(std::string_view text) {
    if (text.size() > kMaxSearchBytes) return false;
    for (std::size_t at = 0; at < text.size();) {
        const long code = next_code_point(text, at);
        if (code <= 0) return false;  // invalid UTF-8, or NUL
    }
    return true;
}

std::string ascii_lower(std::string_view text) {
    std::string lower(text);
    for (char& c : lower) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return lower;
}

}  // namespace clawbot::service
