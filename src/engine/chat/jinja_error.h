#pragma once
// Inside the interpreter an error unwinds the whole render at once; it is
// caught at the JinjaTemplate boundary and returned as an Error value, so no
// exception leaves the public API.
#include <stdexcept>
#include <string>

namespace clawbot::chat::jinja {

class JinjaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

[[noreturn]] inline void fail(const std::string& message) { throw JinjaError(message); }

}  // namespace clawbot::chat::jinja
