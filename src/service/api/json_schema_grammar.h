#pragma once
// JSON Schema -> grammar text for the engine's grammar-constrained decoding
// (engine/sample/grammar.h), for OpenAI's response_format: {"type":
// "json_object"} and {"type": "json_schema", "json_schema": {"schema", ...}}.
//
// The grammar may be stricter than the schema (properties come in the order
// the schema lists them, no properties outside `properties`, one spelling per
// string character, whitespace between tokens bounded) but never looser,
// except where noted below; every supported, satisfiable schema gets a
// grammar that accepts at least one document.
//
// Supported (anything else is refused with the keyword and its JSON pointer):
//   type (one name or a list), enum, const, anyOf, oneOf, allOf of one schema,
//   $ref to "#", "#/$defs/NAME" or "#/definitions/NAME" (recursion allowed),
//   object: properties, required, additionalProperties (false, true or a schema)
//   array: items, minItems, maxItems
//   string: minLength, maxLength, format (date, time, date-time, uuid, email),
//           pattern (anchored ^...$: literals, escapes, \d \w \s \D \W \S, '.',
//           classes, groups, |, * + ? {m} {m,} {m,n})
//   integer/number: minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf
//   ignored: description, title, default, examples, $schema, $id, $comment,
//            strict, $defs, definitions (the last two are what $ref reads)
//
// Where the grammar is looser than the schema (a generated document must then
// be checked with validate_json_against_schema):
//   - number (not integer) bounds: the integer part is bounded exactly, the
//     fraction is not (maximum 1 lets "1.5" through); exponents are refused
//   - multipleOf is not in the grammar
//   - oneOf is generated as anyOf (a document matching two branches passes)
//   - minLength/maxLength next to a pattern or format are not in the grammar
//   - repetition counts above 4096 (maxLength, maxItems, {m,n}) are unbounded
//   - integer bounds beyond +-1e18 are left out of the grammar
// Where it is stricter than JSON itself: at most 32 whitespace characters
// between tokens; numbers have at most 200 integer digits and a positive
// exponent of at most two digits (so that every number is a finite double,
// which nlohmann::json requires); \u escapes must not leave a lone surrogate.
// Properties come in the order `required` lists them, then the optional ones
// by name (nlohmann::json objects keep no text order).
// Integer bounds, lengths, item counts, enum/const, formats and patterns on
// their own are exact.
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "common/result.h"

namespace clawbot::service {

struct JsonGrammarLimits {
    static constexpr size_t kMaxGrammarBytes = 256 * 1024;
    static constexpr int kMaxDepth = 64;             // schema nesting
    static constexpr int kMaxIndent = 8;             // between two tokens: one space, or a line break and this many
    static constexpr size_t kMaxRepetitionUnits = 32768;  // sum of the bounded counts
    static constexpr size_t kMaxPatternBytes = 1024;
};

// Any JSON value at the top an object ({"type": "json_object"}).
std::string json_value_grammar();

// The grammar for documents valid against `schema`, or why it is refused.
Result<std::string> json_schema_grammar(const nlohmann::json& schema);

// nullopt if `doc` is valid against `schema` (the subset above, exactly;
// multipleOf on non-integers within 1e-9), else the first reason it is not.
std::optional<std::string> validate_json_against_schema(const nlohmann::json& doc, const nlohmann::json& schema);

}  // namespace clawbot::service
