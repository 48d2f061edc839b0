#pragma once
// Grammars and helpers shared by the grammar tests.
#include <memory>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "engine/sample/grammar.h"

namespace clawbot::test {

// JSON (RFC 8259) in GBNF, with whitespace around values.
inline constexpr std::string_view kJsonGrammar = R"gbnf(
root   ::= ws value ws
value  ::= object | array | string | number | "true" | "false" | "null"
object ::= "{" ws ( member ( ws "," ws member )* ws )? "}"
member ::= string ws ":" ws value
array  ::= "[" ws ( value ( ws "," ws value )* ws )? "]"
string ::= "\"" char* "\""
char   ::= [^"\\\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} )
number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
ws     ::= [ \t\n\r]*
)gbnf";

// The grammar, or a failed test and nullptr.
inline std::shared_ptr<const Grammar> compile(std::string_view text) {
    auto g = Grammar::parse(text);
    if (!g) {
        ADD_FAILURE() << "grammar does not parse: " << g.error().message << "\n" << text;
        return nullptr;
    }
    return std::make_shared<const Grammar>(std::move(g).value());
}

// Whether the grammar accepts exactly `text`, fed in one call.
inline bool matches(const std::shared_ptr<const Grammar>& g, std::string_view text) {
    GrammarMatcher m(g);
    return m.accept_bytes(text) && m.can_end();
}

// The same, fed one byte per call; must agree with matches().
inline bool matches_bytewise(const std::shared_ptr<const Grammar>& g, std::string_view text) {
    GrammarMatcher m(g);
    for (const char c : text) {
        if (!m.accept_bytes(std::string_view(&c, 1))) return false;
    }
    return m.can_end();
}

}  // namespace clawbot::test
