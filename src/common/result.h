#pragma once
// Errors as values at layer boundaries, for every layer: a Result<T> holds
// either a T or an error (an Error with a one-line message unless a layer
// needs more, e.g. a code that maps to an HTTP status); Result<void> is
// success or an error. gcc 12 has no std::expected in C++20 mode.
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace clawbot {

struct Error {
    std::string message;
};

template <class T, class E = Error>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
    Result(E error) : v_(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const T& operator*() const& { return std::get<0>(v_); }

    const E& error() const { return std::get<1>(v_); }

private:
    std::variant<T, E> v_;
};

// Success (default-constructed) or an error.
template <class E>
class [[nodiscard]] Result<void, E> {
public:
    Result() = default;
    Result(E error) : error_(std::move(error)) {}

    bool ok() const { return !error_.has_value(); }
    explicit operator bool() const { return ok(); }
    const E& error() const { return *error_; }

private:
    std::optional<E> error_;
};

inline Error make_error(std::string message) { return Error{std::move(message)}; }

}  // namespace clawbot
