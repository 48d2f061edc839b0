#pragma once
// Splits template source into literal text and {{ }} / {% %} tags, applying
// the whitespace rules chat templates are written for (those of Hugging
// Face's renderer and llama.cpp): trim_blocks, lstrip_blocks, "-" markers,
// no trailing newline kept. Comments are dropped. Tags are tokenized.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::chat::jinja {

enum class TokenKind { name, string, integer, floating, symbol };

struct Token {
    TokenKind kind;
    std::string text;  // name, decoded string, or symbol ("==", "(", ...)
    int64_t int_value = 0;
    double float_value = 0.0;
};

enum class PieceKind { text, output, statement };

struct Piece {
    PieceKind kind;
    std::string text;           // for text pieces
    std::vector<Token> tokens;  // for tags
    int line = 1;               // where the piece starts, for error messages
};

// Throws JinjaError on an unterminated tag, comment or string.
std::vector<Piece> lex_template(std::string_view source);

}  // namespace clawbot::chat::jinja
