// JSON Schema -> grammar: every supported keyword's grammar parses, takes the
// documents the schema allows (compact and spaced) and refuses the ones it
// does not; unsupported keywords are named with their path; hostile schemas
// are refused; the validator agrees with the grammar; and documents walked
// at random through the grammar parse and validate.
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include <nlohmann/json.hpp>

#include "engine/sample/grammar.h"
#include "service/api/json_schema_grammar.h"

namespace clawbot::service {
namespace {

using nlohmann::json;

std::shared_ptr<const Grammar> compile_text(const std::string& text) {
    auto g = Grammar::parse(text);
    if (!g) {
        ADD_FAILURE() << "grammar does not parse: " << g.error().message << "\n" << text.substr(0, 4000);
        return nullptr;
    }
    return std::make_shared<const Grammar>(std::move(*g));
}

std::shared_ptr<const Grammar> compile(const json& schema) {
    auto text = json_schema_grammar(schema);
    if (!text) {
        ADD_FAILURE() << schema.dump() << " refused: " << text.error().message;
        return nullptr;
    }
    return compile_text(*text);
}

bool accepts(const std::shared_ptr<const Grammar>& g, const std::string& doc) {
    GrammarMatcher m(g);
    return m.accept_bytes(doc) && m.can_end();
}

std::string refusal(const json& schema) {
    auto text = json_schema_grammar(schema);
    if (text) {
        ADD_FAILURE() << schema.dump() << " was accepted";
        return "";
    }
    return text.error().message;
}

// Each valid document is taken (as written and pretty-printed) and validates;
// each invalid one is refused by the grammar and by the validator.
void expect_docs(const json& schema, const std::vector<std::string>& valid, const std::vector<std::string>& invalid) {
    const auto g = compile(schema);
    if (!g) return;
    for (const std::string& doc : valid) {
        EXPECT_TRUE(accepts(g, doc)) << schema.dump() << " should take " << doc;
        const json parsed = json::parse(doc);
        // pretty-printed in the same property order
        const std::string pretty = nlohmann::ordered_json::parse(doc).dump(1);  // deep trees stay within kMaxIndent
        EXPECT_TRUE(accepts(g, pretty)) << schema.dump() << " should take\n" << pretty;
        EXPECT_EQ(validate_json_against_schema(parsed, schema), std::nullopt) << doc;
    }
    for (const std::string& doc : invalid) {
        EXPECT_FALSE(accepts(g, doc)) << schema.dump() << " should refuse " << doc;
        const json parsed = json::parse(doc, nullptr, false);
        if (!parsed.is_discarded()) {
            EXPECT_NE(validate_json_against_schema(parsed, schema), std::nullopt) << schema.dump() << " validated " << doc;
        }
    }
}

// Valid documents the grammar refuses all the same: it may be stricter.
void expect_stricter(const json& schema, const std::vector<std::string>& docs) {
    const auto g = compile(schema);
    if (!g) return;
    for (const std::string& doc : docs) {
        EXPECT_FALSE(accepts(g, doc)) << schema.dump() << " should refuse " << doc;
        EXPECT_EQ(validate_json_against_schema(json::parse(doc), schema), std::nullopt) << doc;
    }
}

json parse_or_fail(const std::string& doc) {
    try {
        return json::parse(doc);
    } catch (const std::exception& e) {
        ADD_FAILURE() << e.what() << ": " << doc;
        return json(json::value_t::discarded);
    }
}

TEST(JsonSchemaGrammar, AnyJsonObject) {
    const auto g = compile_text(json_value_grammar());
    ASSERT_TRUE(g);
    for (const char* doc : {"{}", R"({"a":1})", R"({ "a" : [1, -2.5e+3, true, false, null, "x\n\u00e9\ud83d\ude00"], "b": {"c": {}} })",
                            R"({"":[[],[[]],{}],"k\"":"\\\/\b\f\r\t"})", "{\n  \"a\": 0.5E-2\n}", R"({"u":"é😀"})"}) {
        EXPECT_TRUE(accepts(g, doc)) << doc;
    }
    for (const char* doc : {"[]", "1", "\"x\"", "{", R"({"a":01})", R"({"a":1,})", R"({'a':1})", "{\"a\":\"\x01\"}",
                            R"({"a":"\ud800"})", R"({"a":"\x"})", R"({"a":.5})", R"({"a":tru})"}) {
        EXPECT_FALSE(accepts(g, doc)) << doc;
    }
}

TEST(JsonSchemaGrammar, WhitespaceIsBounded) {
    const auto g = compile_text(json_value_grammar());
    ASSERT_TRUE(g);
    // Nothing around the document, and between two tokens one space or one
    // line break with a little indentation: a model cannot spend its answer
    // on blank lines.
    const int n = JsonGrammarLimits::kMaxIndent;
    for (const char* doc : {" {}", "{} ", "\n{}", "{  }", "{\n\n}", "{\n \n}", "{\"a\":\n\n1}", "{ \n}"}) {
        EXPECT_FALSE(accepts(g, doc)) << doc;
    }
    EXPECT_TRUE(accepts(g, "{\n    \"a\": [\n      1\n    ]\n}"));
    EXPECT_TRUE(accepts(g, "{\n" + std::string(static_cast<size_t>(n), ' ') + "}"));
    EXPECT_FALSE(accepts(g, "{\n" + std::string(static_cast<size_t>(n) + 1, ' ') + "}"));
    GrammarMatcher m(g);
    ASSERT_TRUE(m.accept_bytes("{\"a\":\n"));
    int spaces = 0;
    while (m.accept_bytes(" ")) ++spaces;
    EXPECT_EQ(spaces, n);
}

TEST(JsonSchemaGrammar, PrimitiveTypes) {
    expect_docs({{"type", "string"}}, {R"("")", R"("a\"b")", R"("\u0041")"}, {"1", "null", R"("a)"});
    expect_docs({{"type", "integer"}}, {"0", "-7", "123456789012"}, {"1.5", "01", "\"1\"", "-"});
    expect_stricter({{"type", "integer"}}, {"1e3", "2.0"});
    // numbers stay finite doubles
    expect_stricter({{"type", "number"}}, {"1e100", "1" + std::string(200, '0')});
    expect_docs({{"type", "number"}}, {"1e99", "1e-400"}, {});
    EXPECT_TRUE(accepts(compile({{"type", "number"}}), "1" + std::string(199, '0')));
    expect_docs({{"type", "number"}}, {"0", "-7.25", "1e10", "2.5E-3"}, {"01", "1.", ".5", "true"});
    expect_docs({{"type", "boolean"}}, {"true", "false"}, {"1", "null", "True"});
    expect_docs({{"type", "null"}}, {"null"}, {"0", "false", "\"null\""});
    expect_docs({{"type", {"string", "null"}}}, {"null", R"("x")"}, {"1", "[]"});
    expect_docs(json::object(), {"1", R"({"a":[null]})", "\"s\""}, {"nul"});
    expect_docs(true, {"[1]", "{}"}, {"{"});
}

TEST(JsonSchemaGrammar, EnumAndConst) {
    expect_docs({{"enum", {"red", "green", 3, nullptr, json::object({{"a", 1}}), json::array({1, 2})}}},
                {R"("red")", R"("green")", "3", "null", R"({"a":1})", "[1,2]"}, {R"("blue")", "4", R"({"a":2})", "[1]"});
    expect_docs({{"const", "fixed"}}, {R"("fixed")"}, {R"("other")"});
    // enum values that fail the rest of the schema are left out
    expect_docs({{"type", "string"}, {"enum", {"a", 1, "b"}}}, {R"("a")", R"("b")"}, {"1"});
    EXPECT_NE(refusal({{"type", "string"}, {"enum", {1, 2}}}).find("'enum'"), std::string::npos);
}

TEST(JsonSchemaGrammar, StringLengths) {
    const json s{{"type", "string"}, {"minLength", 2}, {"maxLength", 4}};
    expect_docs(s, {R"("ab")", R"("abcd")", R"("é😀")", R"("\n\"")"}, {R"("a")", R"("abcde")", R"("")"});
    expect_docs({{"type", "string"}, {"minLength", 3}}, {R"("abc")", R"("abcdefgh")"}, {R"("ab")"});
    expect_docs({{"type", "string"}, {"maxLength", 0}}, {R"("")"}, {R"("a")"});
    EXPECT_NE(refusal({{"type", "string"}, {"minLength", 5}, {"maxLength", 2}}).find("minLength"), std::string::npos);
    EXPECT_NE(refusal({{"type", "string"}, {"minLength", -1}}).find("'minLength' at the root"), std::string::npos);
}

TEST(JsonSchemaGrammar, Patterns) {
    expect_docs({{"type", "string"}, {"pattern", R"(^[A-Z]{2}-\d{3,4}$)"}}, {R"("AB-123")", R"("ZZ-0000")"},
                {R"("ab-123")", R"("AB-12")", R"("AB-12345")", R"("XAB-123")"});
    expect_docs({{"type", "string"}, {"pattern", R"(^(foo|ba[rz])+(\.x)?$)"}}, {R"("foo")", R"("barbazfoo")", R"("baz.x")"},
                {R"("")", R"("fo")", R"("foo.")", R"("foo.y")"});
    // characters that JSON must escape are written escaped
    expect_docs({{"type", "string"}, {"pattern", R"(^a"\\\n[^a-z]$)"}}, {R"("a\"\\\nX")", R"("a\"\\\n\"")"},
                {R"("a\"\\\nx")", R"("a\"\\nX")"});
    expect_docs({{"type", "string"}, {"pattern", "^.+$"}}, {R"("x y")", R"("é")"}, {R"("")", R"("a\nb")"});
    expect_docs({{"type", "string"}, {"pattern", R"(^\w+@\w+\.(com|org)$)"}}, {R"("me@site.org")"}, {R"("me@site.net")"});
    for (const char* bad : {"abc", "^abc", "abc$", "^a|b$", R"(^\bx$)", "^(?=a)a$", R"(^(a)\1$)", "^a{2,1}$", "^*$"}) {
        const std::string msg = refusal({{"type", "string"}, {"pattern", bad}});
        EXPECT_NE(msg.find("'pattern' at the root"), std::string::npos) << bad << ": " << msg;
    }
}

TEST(JsonSchemaGrammar, Formats) {
    expect_docs({{"type", "string"}, {"format", "date"}}, {R"("2024-02-29")", R"("2023-12-31")", R"("2000-02-29")"},
                {R"("2023-02-29")", R"("1900-02-29")", R"("2023-04-31")", R"("2023-13-01")", R"("23-01-01")"});
    expect_docs({{"type", "string"}, {"format", "time"}}, {R"("23:59:59Z")", R"("08:30:00.125+02:00")"},
                {R"("24:00:00Z")", R"("08:30:00")", R"("8:30:00Z")"});
    expect_docs({{"type", "string"}, {"format", "date-time"}}, {R"("2024-01-15T10:20:30Z")", R"("2024-01-15T10:20:30.5-05:00")"},
                {R"("2024-01-15 10:20:30Z")", R"("2024-01-15T10:20Z")"});
    expect_docs({{"type", "string"}, {"format", "uuid"}}, {R"("123e4567-e89b-12d3-a456-426614174000")"},
                {R"("123e4567e89b12d3a456426614174000")", R"("123e4567-e89b-12d3-a456-42661417400g")"});
    expect_docs({{"type", "string"}, {"format", "email"}}, {R"("a.b+c@example.co.uk")"}, {R"("a@b")", R"("@x.com")", R"("a b@x.com")"});
    expect_docs({{"type", "string"}, {"format", "ipv4"}}, {R"("192.168.0.255")", R"("0.0.0.0")"}, {R"("256.1.1.1")", R"("01.1.1.1")"});
    EXPECT_NE(refusal({{"type", "string"}, {"format", "hostname"}}).find("unsupported 'format' \"hostname\" at the root"),
              std::string::npos);
}

TEST(JsonSchemaGrammar, IntegerBoundsAreExact) {
    expect_docs({{"type", "integer"}, {"minimum", 18}, {"maximum", 130}}, {"18", "99", "100", "130"},
                {"17", "131", "200", "-18", "0", "1000"});
    expect_docs({{"type", "integer"}, {"minimum", -15}, {"maximum", 7}}, {"-15", "-9", "0", "7"}, {"-16", "8", "-20"});
    expect_docs({{"type", "integer"}, {"exclusiveMinimum", 0}}, {"1", "12345678901234"}, {"0", "-1"});
    expect_docs({{"type", "integer"}, {"exclusiveMaximum", -2}}, {"-3", "-300"}, {"-2", "0", "5"});
    expect_docs({{"type", "integer"}, {"minimum", 1000}}, {"1000", "9999", "10000"}, {"999", "0"});
    expect_docs({{"type", "integer"}, {"minimum", 2.5}, {"maximum", 4.5}}, {"3", "4"}, {"2", "5"});
    EXPECT_NE(refusal({{"type", "integer"}, {"minimum", 5}, {"maximum", 4}}).find("no integer"), std::string::npos);
    // every integer in a range, and its neighbours
    const json s{{"type", "integer"}, {"minimum", -123}, {"maximum", 4567}};
    const auto g = compile(s);
    ASSERT_TRUE(g);
    for (int v = -200; v <= 5000; ++v) {
        const bool in = v >= -123 && v <= 4567;
        ASSERT_EQ(accepts(g, std::to_string(v)), in) << v;
    }
}

TEST(JsonSchemaGrammar, NumberBoundsApproximateTheFraction) {
    const json s{{"type", "number"}, {"minimum", 0}, {"maximum", 1}};
    expect_docs(s, {"0", "0.5", "1", "1.0"}, {"-0.5", "2", "10"});
    // the grammar bounds the integer part only: the validator catches the rest
    const auto g = compile(s);
    ASSERT_TRUE(g);
    EXPECT_TRUE(accepts(g, "1.5"));
    EXPECT_NE(validate_json_against_schema(json::parse("1.5"), s), std::nullopt);
    expect_docs({{"type", "number"}, {"exclusiveMaximum", 0}}, {"-0.001", "-5"}, {"0", "3"});
}

TEST(JsonSchemaGrammar, Objects) {
    const json s{{"type", "object"},
                 {"properties", {{"name", {{"type", "string"}}}, {"age", {{"type", "integer"}}}, {"tag", {{"type", "string"}}}}},
                 {"required", {"name", "age"}},
                 {"additionalProperties", false}};
    expect_docs(s, {R"({"name":"a","age":3})", R"({"name":"a","age":3,"tag":"t"})"},
                {R"({"name":"a"})", R"({"name":"a","age":3,"x":1})", R"({"name":"a","age":"3"})",
                 R"({"name":"a","age":3,})", "{}"});
    // properties come in the order of `required`, then the others by name
    expect_stricter(s, {R"({"age":3,"name":"a"})"});
    // all optional: any subset in order, commas right
    const json opt{{"type", "object"},
                   {"properties", {{"a", {{"type", "integer"}}}, {"b", {{"type", "integer"}}}, {"c", {{"type", "integer"}}}}},
                   {"additionalProperties", false}};
    expect_docs(opt, {"{}", R"({"a":1})", R"({"b":2})", R"({"c":3})", R"({"a":1,"c":3})", R"({"b":2,"c":3})", R"({"a":1,"b":2,"c":3})"},
                {R"({,"a":1})", R"({"a":1,})", R"({"a":1,,"b":2})"});
    expect_docs({{"type", "object"}}, {"{}", R"({"any":[1,{"x":null}]})"}, {"[]"});
    expect_docs({{"type", "object"}, {"additionalProperties", false}}, {"{}"}, {R"({"a":1})"});
    expect_docs({{"type", "object"}, {"additionalProperties", {{"type", "integer"}}}}, {"{}", R"({"a":1,"b":-2})"}, {R"({"a":"x"})"});
    // keys that need escaping
    expect_docs({{"type", "object"}, {"properties", {{"a\"b/c", {{"const", 1}}}}}, {"required", {"a\"b/c"}}},
                {R"({"a\"b/c":1})"}, {R"({"a\"b/c":2})"});
    EXPECT_NE(refusal({{"type", "object"}, {"properties", {{"a", true}}}, {"required", {"b"}}}).find("'b'"), std::string::npos);
}

TEST(JsonSchemaGrammar, ManyOptionalPropertiesStayLinear) {
    json props = json::object();
    for (int i = 0; i < 200; ++i) props["p" + std::to_string(1000 + i)] = {{"type", "integer"}};
    const json s{{"type", "object"}, {"properties", props}, {"additionalProperties", false}};
    auto text = json_schema_grammar(s);
    ASSERT_TRUE(text) << text.error().message;
    EXPECT_LT(text->size(), 64u * 1024);
    const auto g = compile_text(*text);
    ASSERT_TRUE(g);
    EXPECT_TRUE(accepts(g, R"({"p1007":1,"p1100":2,"p1199":3})"));
    EXPECT_FALSE(accepts(g, R"({"p1100":2,"p1007":1})"));
}

TEST(JsonSchemaGrammar, Arrays) {
    const json s{{"type", "array"}, {"items", {{"type", "integer"}}}, {"minItems", 1}, {"maxItems", 3}};
    expect_docs(s, {"[1]", "[1,2]", "[1,2,3]"}, {"[]", "[1,2,3,4]", "[1,]", "[\"a\"]", "[,1]"});
    expect_docs({{"type", "array"}}, {"[]", R"([1,"a",{}])"}, {"{}"});
    expect_docs({{"type", "array"}, {"maxItems", 0}}, {"[]"}, {"[1]"});
    expect_docs({{"type", "array"}, {"items", {{"type", "string"}}}, {"minItems", 2}}, {R"(["a","b"])", R"(["a","b","c","d"])"},
                {R"(["a"])"});
    EXPECT_NE(refusal({{"type", "array"}, {"minItems", 3}, {"maxItems", 1}}).find("minItems"), std::string::npos);
}

TEST(JsonSchemaGrammar, AnyOfOneOfAllOf) {
    expect_docs({{"anyOf", {{{"type", "integer"}}, {{"type", "string"}, {"maxLength", 1}}}}}, {"1", R"("a")"}, {R"("ab")", "null"});
    expect_docs({{"allOf", {{{"type", "boolean"}}}}}, {"true"}, {"1"});
    // oneOf is generated as anyOf; the validator counts matches
    const json one{{"oneOf", {{{"type", "integer"}}, {{"type", "number"}}}}};
    const auto g = compile(one);
    ASSERT_TRUE(g);
    EXPECT_TRUE(accepts(g, "1.5"));
    EXPECT_EQ(validate_json_against_schema(json::parse("1.5"), one), std::nullopt);
    EXPECT_TRUE(accepts(g, "1"));
    EXPECT_NE(validate_json_against_schema(json::parse("1"), one), std::nullopt);
    EXPECT_NE(refusal({{"allOf", {{{"type", "integer"}}, {{"minimum", 1}}}}}).find("'allOf'"), std::string::npos);
    EXPECT_NE(refusal({{"type", "string"}, {"anyOf", {{{"type", "integer"}}}}}).find("'type' next to 'anyOf'"), std::string::npos);
}

TEST(JsonSchemaGrammar, RecursiveDefsTree) {
    const json tree = json::parse(R"({
      "$defs": {"node": {"type": "object", "properties": {
          "value": {"type": "integer"},
          "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
        "required": ["value", "children"], "additionalProperties": false}},
      "$ref": "#/$defs/node"})");
    expect_docs(tree, {R"({"value":1,"children":[]})", R"({"value":1,"children":[{"value":2,"children":[{"value":3,"children":[]}]}]})"},
                {R"({"value":1})", R"({"value":1,"children":[{"value":2}]})"});
    const json linked = json::parse(R"({"type": "object", "properties": {"v": {"type": "integer"},
        "next": {"anyOf": [{"$ref": "#"}, {"type": "null"}]}}, "required": ["v", "next"], "additionalProperties": false})");
    expect_docs(linked, {R"({"v":1,"next":null})", R"({"v":1,"next":{"v":2,"next":null}})"}, {R"({"v":1,"next":{}})"});
    const json legacy{{"definitions", {{"x", {{"type", "boolean"}}}}}, {"$ref", "#/definitions/x"}};
    expect_docs(legacy, {"true"}, {"1"});
}

TEST(JsonSchemaGrammar, UnsupportedKeywordsAreNamedWithTheirPath) {
    const json s{{"type", "object"}, {"properties", {{"x", {{"type", "object"}, {"patternProperties", json::object()}}}}}};
    EXPECT_EQ(refusal(s), "unsupported JSON Schema keyword 'patternProperties' at /properties/x");
    EXPECT_EQ(refusal({{"type", "array"}, {"items", {{"uniqueItems", true}}}}),
              "unsupported JSON Schema keyword 'uniqueItems' at /items");
    EXPECT_EQ(refusal({{"if", true}}), "unsupported JSON Schema keyword 'if' at the root");
    EXPECT_NE(refusal({{"type", "strin"}}).find("'type' at the root"), std::string::npos);
    EXPECT_NE(refusal({{"$ref", "http://x/y.json"}}).find("unsupported '$ref'"), std::string::npos);
    EXPECT_NE(refusal({{"$ref", "#/$defs/missing"}}).find("not defined"), std::string::npos);
    EXPECT_NE(refusal(false).find("'false'"), std::string::npos);
    // ignored annotations
    compile({{"title", "t"}, {"description", "d"}, {"default", 1}, {"examples", {1}}, {"$schema", "x"}, {"$id", "y"},
             {"strict", true}, {"type", "integer"}});
}

TEST(JsonSchemaGrammar, HostileSchemasAreRefused) {
    json deep{{"type", "integer"}};
    for (int i = 0; i < 100; ++i) deep = {{"type", "array"}, {"items", deep}};
    EXPECT_NE(refusal(deep).find("deeper than 64"), std::string::npos);

    json values = json::array();
    for (int i = 0; i < 100000; ++i) values.push_back("value number " + std::to_string(i));
    EXPECT_NE(refusal({{"enum", values}}).find("larger than"), std::string::npos);

    // a $ref cycle with no way out, direct and through a required property
    EXPECT_NE(refusal({{"$defs", {{"a", {{"$ref", "#/$defs/b"}}}, {"b", {{"$ref", "#/$defs/a"}}}}}, {"$ref", "#/$defs/a"}})
                  .find("no finite document"),
              std::string::npos);
    EXPECT_NE(refusal(json::parse(R"({"type":"object","properties":{"x":{"$ref":"#"}},"required":["x"]})"))
                  .find("no finite document"),
              std::string::npos);
    // many big repetitions add up
    json props = json::object();
    for (int i = 0; i < 20; ++i) props["p" + std::to_string(i)] = {{"type", "string"}, {"maxLength", 4000}};
    EXPECT_NE(refusal({{"type", "object"}, {"properties", props}}).find("repeat"), std::string::npos);
    // a long chain of $defs is walked without deep recursion
    json defs = json::object();
    for (int i = 0; i < 2000; ++i) defs["d" + std::to_string(i)] = {{"$ref", "#/$defs/d" + std::to_string(i + 1)}};
    defs["d2000"] = {{"type", "null"}};
    const auto g = compile({{"$defs", defs}, {"$ref", "#/$defs/d0"}});
    ASSERT_TRUE(g);
    EXPECT_TRUE(accepts(g, "null"));
}

TEST(JsonSchemaGrammar, ValidatorAgreesWithTheGrammar) {
    const json s = json::parse(R"({"type":"object","properties":{
        "id":{"type":"string","format":"uuid"},
        "n":{"type":"integer","minimum":-5,"maximum":50},
        "tags":{"type":"array","items":{"enum":["a","b","c"]},"maxItems":2},
        "kind":{"anyOf":[{"type":"null"},{"type":"string","pattern":"^k[0-9]+$"}]},
        "when":{"type":"string","format":"date"}},
      "required":["id","n"],"additionalProperties":false})");
    const auto g = compile(s);
    ASSERT_TRUE(g);
    const std::vector<std::string> docs{
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":3})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":50,"kind":"k12","tags":["a","c"],"when":"2020-02-29"})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":51})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":-6})",
        R"({"id":"nope","n":3})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":3,"tags":["a","b","c"]})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":3,"tags":["d"]})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":3,"kind":"x1"})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":3,"kind":null,"when":"2021-02-29"})",
        R"({"id":"123e4567-e89b-12d3-a456-426614174000","n":3,"extra":1})",
        R"({"n":3})",
    };
    for (const std::string& doc : docs) {
        EXPECT_EQ(accepts(g, doc), !validate_json_against_schema(json::parse(doc), s).has_value()) << doc;
    }
}

TEST(JsonSchemaGrammar, ValidatorDetails) {
    const json s{{"type", "integer"}, {"multipleOf", 3}};
    EXPECT_EQ(validate_json_against_schema(9, s), std::nullopt);
    EXPECT_NE(validate_json_against_schema(10, s), std::nullopt);
    EXPECT_EQ(validate_json_against_schema(3.0, s), std::nullopt);  // 3.0 is an integer in JSON Schema
    EXPECT_EQ(validate_json_against_schema(0.3, {{"multipleOf", 0.1}}), std::nullopt);
    EXPECT_EQ(validate_json_against_schema(json::parse("18446744073709551615"), {{"maximum", 18446744073709551615u}}), std::nullopt);
    const auto msg = validate_json_against_schema(json::parse(R"({"a":[1,"x"]})"),
                                                  {{"properties", {{"a", {{"items", {{"type", "integer"}}}}}}}});
    ASSERT_TRUE(msg);
    EXPECT_NE(msg->find("/a/1"), std::string::npos) << *msg;
    // a ref cycle in the validator ends
    EXPECT_NE(validate_json_against_schema(1, {{"$defs", {{"a", {{"$ref", "#/$defs/a"}}}}}, {"$ref", "#/$defs/a"}}), std::nullopt);
}

// Walks a grammar at random: each step takes one of the printable ASCII
// characters (and \n) that the matcher allows, leaning towards closing
// characters once the document is long; stops when the grammar can end.
std::string random_document(const std::shared_ptr<const Grammar>& g, std::mt19937& rng) {
    GrammarMatcher m(g);
    std::string out;
    std::vector<std::string> alphabet{"\n"};
    for (char c = 0x20; c < 0x7F; ++c) alphabet.emplace_back(1, c);
    alphabet.emplace_back("\xc3\xa9");  // é
    for (int step = 0; step < 4000; ++step) {
        if (m.can_end() && (out.size() > 400 || std::uniform_int_distribution<int>(0, 9)(rng) == 0)) return out;
        std::vector<std::string> allowed;
        for (const std::string& c : alphabet) {
            if (m.can_accept_bytes(c)) allowed.push_back(c);
        }
        if (allowed.empty() && m.can_end()) return out;
        if (allowed.empty()) break;
        if (out.size() > 200) {
            std::vector<std::string> closing;
            for (const std::string& c : allowed) {
                if (c == "\"" || c == "}" || c == "]" || c == "0" || c == "n") closing.push_back(c);
            }
            if (!closing.empty()) allowed = closing;
        }
        const std::string pick = allowed[std::uniform_int_distribution<size_t>(0, allowed.size() - 1)(rng)];
        EXPECT_TRUE(m.accept_bytes(pick));
        out += pick;
    }
    ADD_FAILURE() << "the walk did not end: " << out;
    return out;
}

TEST(JsonSchemaGrammar, RandomWalksParseAndValidate) {
    const std::vector<json> schemas{
        json::parse(R"({"type":"object","properties":{"name":{"type":"string","maxLength":8},
            "age":{"type":"integer","minimum":0,"maximum":120},"score":{"type":"number"},
            "ok":{"type":"boolean"},"tags":{"type":"array","items":{"type":"string"},"maxItems":3},
            "color":{"enum":["red","green",null]}},"required":["name","age","tags"],"additionalProperties":false})"),
        json::parse(R"({"$defs":{"t":{"type":"object","properties":{"v":{"type":"integer","minimum":-9,"maximum":9},
            "kids":{"type":"array","items":{"$ref":"#/$defs/t"},"maxItems":2}},"required":["v"],"additionalProperties":false}},
            "$ref":"#/$defs/t"})"),
        json::parse(R"({"type":"object","properties":{"d":{"type":"string","format":"date-time"},
            "p":{"type":"string","pattern":"^[a-c]{2,3}(-[0-9])?$"},"e":{"type":"string","format":"email"},
            "any":{}},"required":["d","p","e","any"]})"),
        json::parse(R"({"type":"object","additionalProperties":{"type":["string","null"],"minLength":1}})"),
    };
    std::mt19937 rng(12345);
    for (const json& s : schemas) {
        const auto g = compile(s);
        ASSERT_TRUE(g);
        for (int i = 0; i < 30; ++i) {
            const std::string doc = random_document(g, rng);
            const json parsed = parse_or_fail(doc);
            ASSERT_FALSE(parsed.is_discarded()) << doc;
            EXPECT_EQ(validate_json_against_schema(parsed, s), std::nullopt) << doc;
        }
    }
    const auto any = compile_text(json_value_grammar());
    ASSERT_TRUE(any);
    for (int i = 0; i < 30; ++i) {
        const std::string doc = random_document(any, rng);
        const json parsed = parse_or_fail(doc);
        ASSERT_FALSE(parsed.is_discarded()) << doc;
        EXPECT_TRUE(parsed.is_object()) << doc;
    }
}

}  // namespace
}  // namespace clawbot::service
