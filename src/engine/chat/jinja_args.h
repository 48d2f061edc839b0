#pragma once
// Reading the arguments of filters, tests, methods and globals, with the
// type errors a template author would expect from Python.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/chat/jinja_callable.h"
#include "engine/chat/jinja_error.h"

namespace clawbot::chat::jinja {

inline const std::string& string_arg(const Value* v, std::string_view what) {
    if (v == nullptr || !v->is_string()) {
        fail(std::string(what) + " expects a string, got " + (v == nullptr ? "nothing" : std::string(v->type_name())));
    }
    return v->as_string();
}

inline std::optional<std::string> optional_string_arg(const Value* v, std::string_view what) {
    if (v == nullptr || v->is_none() || v->is_undefined()) return std::nullopt;
    return string_arg(v, what);
}

inline int64_t int_arg(const Value* v, int64_t fallback, std::string_view what) {
    if (v == nullptr || v->is_none() || v->is_undefined()) return fallback;
    if (v->is_bool()) return v->as_bool() ? 1 : 0;
    if (!v->is_int()) fail(std::string(what) + " expects an integer, got " + std::string(v->type_name()));
    return v->as_int();
}

inline bool bool_arg(const Value* v, bool fallback) {
    if (v == nullptr || v->is_undefined()) return fallback;
    return v->truthy();
}

}  // namespace clawbot::chat::jinja
