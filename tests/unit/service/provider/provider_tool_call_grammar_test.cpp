// Forced tool-call grammars: rule prefixing leaves literals, classes and
// comments alone; for every syntax, with one tool or two, parallel or not,
// the grammar parses, takes the calls a model of that family writes (and
// nothing else), and what it takes reads back with parse_tool_calls; walks
// at random through each grammar give calls whose arguments fit the schema.
#include "service/provider/tool_call_grammar.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>
#include <set>

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

bool accepts(const std::shared_ptr<const Grammar>& g, const std::string& doc) {
    GrammarMatcher m(g);
    return m.accept_bytes(doc) && m.can_end();
}

const json kWeatherSchema = json::parse(R"({"type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1, "maximum": 7}},
    "required": ["city"], "additionalProperties": false})");

std::vector<ToolSpec> weather_tool() { return {ToolSpec{"get_weather", kWeatherSchema}}; }
std::vector<ToolSpec> two_tools() { return {ToolSpec{"get_weather", kWeatherSchema}, ToolSpec{"search_docs", nullptr}}; }

// --- prefix_grammar_rules -----------------------------------------------------

TEST(ToolCallGrammar, PrefixRenamesRulesOnly) {
    EXPECT_EQ(prefix_grammar_rules("root ::= a \"b root\" [a-z_] # root a\na ::= \"x\"\n", "p-"),
              "p-root ::= p-a \"b root\" [a-z_] # root a\np-a ::= \"x\"\n");
    // escapes inside literals and classes, counts of repetitions, groups
    EXPECT_EQ(prefix_grammar_rules(R"(root ::= "a\"root" [\]root-] (x | y_2){2,3} z? .)"
                                   "\nx ::= \"\\\\\" y_2\ny_2 ::= \"1\"\nz ::= [^\"]",
                                   "t0-"),
              R"(t0-root ::= "a\"root" [\]root-] (t0-x | t0-y_2){2,3} t0-z? .)"
              "\nt0-x ::= \"\\\\\" t0-y_2\nt0-y_2 ::= \"1\"\nt0-z ::= [^\"]");
    EXPECT_EQ(prefix_grammar_rules("", "p-"), "");
}

TEST(ToolCallGrammar, PrefixedGrammarsJoinAndKeepTheirLanguage) {
    const std::string any = prefix_grammar_rules(json_value_grammar(), "t0-");
    auto schema = json_schema_grammar(kWeatherSchema);
    ASSERT_TRUE(schema) << schema.error().message;
    const std::string weather = prefix_grammar_rules(*schema, "t1-");
    EXPECT_EQ(any.find("\nroot ::="), std::string::npos);
    const auto g = compile_text("root ::= \"<\" t0-root \"|\" t1-root \">\"\n" + any + weather);
    ASSERT_TRUE(g);
    EXPECT_TRUE(accepts(g, R"(<{"a": [1, "root"]}|{"city": "Oslo", "days": 2}>)"));
    EXPECT_TRUE(accepts(g, "<{}|{\"city\": \"\\\"x\\\"\"}>"));
    EXPECT_FALSE(accepts(g, R"(<{}|{"city": "Oslo", "days": 9}>)"));
    EXPECT_FALSE(accepts(g, R"(<[]|{"city": "Oslo"}>)"));
    EXPECT_FALSE(accepts(g, R"(<{}|{}>)"));
}

// --- what each family writes ------------------------------------------------

struct Call {
    std::string name;
    std::string args;  // JSON as the model writes it
};

// The reply a model of the family writes for these calls, written out by
// hand from the family's template (not from the grammar).
std::string render(ToolCallSyntax s, const std::vector<Call>& calls) {
    const std::string calls_begin = "<｜tool▁calls▁begin｜>", calls_end = "<｜tool▁calls▁end｜>";
    const std::string call_begin = "<｜tool▁call▁begin｜>", call_end = "<｜tool▁call▁end｜>", sep = "<｜tool▁sep｜>";
    std::string out;
    for (size_t i = 0; i < calls.size(); ++i) {
        const std::string& n = calls[i].name;
        const std::string& a = calls[i].args;
        const std::string object = "{\"name\": \"" + n + "\", \"arguments\": " + a + "}";
        switch (s) {
            case ToolCallSyntax::Hermes:
                out += (i ? "\n" : "") + ("<tool_call>\n" + object + "\n</tool_call>");
                break;
            case ToolCallSyntax::Llama3:
                out += (i ? "; " : "") + ("{\"name\": \"" + n + "\", \"parameters\": " + a + "}");
                break;
            case ToolCallSyntax::Mistral:
                out += (i ? ", " : "[TOOL_CALLS][") + ("{\"name\": \"" + n + "\", \"arguments\": " + a + ", \"id\": \"Ab3dE6gH" +
                                                       std::to_string(i) + "\"}");
                break;
            case ToolCallSyntax::GptOss:
                out += "<|channel|>commentary to=functions." + n + " <|constrain|>json<|message|>" + a;
                break;
            case ToolCallSyntax::DeepSeekV3:
                out += (i ? "" : calls_begin) + call_begin + n + sep + a + call_end;
                break;
            case ToolCallSyntax::DeepSeekR1:
                out += (i ? "\n" : calls_begin) + call_begin + "function" + sep + n + "\n```json\n" + a + "\n```" + call_end;
                break;
            case ToolCallSyntax::Granite: out += (i ? ", " : "<|tool_call|>[") + object; break;
            case ToolCallSyntax::Gemma4: out += "<|tool_call>call:" + n + a + "<tool_call|>"; break;
            case ToolCallSyntax::Generic: out += (i ? ", " : "{\"tool_calls\": [") + object; break;
        }
    }
    switch (s) {
        case ToolCallSyntax::Mistral:
        case ToolCallSyntax::Granite: out += "]"; break;
        case ToolCallSyntax::DeepSeekV3:
        case ToolCallSyntax::DeepSeekR1: out += calls_end; break;
        case ToolCallSyntax::Generic: out += "]}"; break;
        default: break;
    }
    return out;
}

std::shared_ptr<const Grammar> forced(ToolCallSyntax s, const std::vector<ToolSpec>& tools, bool parallel) {
    auto text = forced_tool_call_grammar(s, tools, parallel);
    if (!text) {
        ADD_FAILURE() << syntax_name(s) << ": " << text.error().message;
        return nullptr;
    }
    return compile_text(*text);
}

// The grammar takes the reply, and the reply reads back as these calls.
void expect_round_trip(ToolCallSyntax s, const std::shared_ptr<const Grammar>& g, const std::vector<Call>& calls) {
    const std::string reply = render(s, calls);
    SCOPED_TRACE(std::string(syntax_name(s)) + ": " + reply);
    EXPECT_TRUE(accepts(g, reply));
    const auto start = find_tool_call_start(s, reply);
    ASSERT_TRUE(start && start->complete);
    EXPECT_EQ(start->offset, 0u);
    const auto parsed = parse_tool_calls(s, std::string_view(reply).substr(start->offset));
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->size(), calls.size());
    for (size_t i = 0; i < calls.size(); ++i) {
        EXPECT_EQ((*parsed)[i].name, calls[i].name);
        EXPECT_EQ(json::parse((*parsed)[i].arguments), json::parse(calls[i].args));
    }
}

const Call kParis{"get_weather", R"({"city": "Paris", "days": 3})"};
const Call kZurich{"get_weather", R"({"city": "Zürich 😀"})"};
const Call kSearch{"search_docs", R"({"q": ["x", 1.5], "deep": {"k": null}})"};

TEST(ToolCallGrammar, OneToolOneCall) {
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        const auto g = forced(s, weather_tool(), false);
        ASSERT_TRUE(g) << syntax_name(s);
        expect_round_trip(s, g, {kParis});
        expect_round_trip(s, g, {kZurich});
        SCOPED_TRACE(syntax_name(s));
        EXPECT_FALSE(accepts(g, render(s, {kParis, kZurich}))) << "one call only";
        EXPECT_FALSE(accepts(g, render(s, {kSearch}))) << "a tool not offered";
        EXPECT_FALSE(accepts(g, render(s, {{"get_weather", R"({"city": "Paris", "days": 8})"}}))) << "against the schema";
        EXPECT_FALSE(accepts(g, render(s, {{"get_weather", R"({"days": 3})"}}))) << "a required property missing";
        EXPECT_FALSE(accepts(g, "Sure! " + render(s, {kParis}))) << "no text before the call";
        EXPECT_FALSE(accepts(g, render(s, {kParis}) + " ")) << "nothing after it";
        EXPECT_FALSE(accepts(g, "")) << "a call is required";
    }
}

TEST(ToolCallGrammar, OneToolParallel) {
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        const auto g = forced(s, weather_tool(), true);
        ASSERT_TRUE(g) << syntax_name(s);
        expect_round_trip(s, g, {kParis});
        if (s == ToolCallSyntax::GptOss) {
            // <|call|> ends a harmony reply: one call, parallel or not
            EXPECT_FALSE(accepts(g, render(s, {kParis, kZurich})));
            continue;
        }
        expect_round_trip(s, g, {kParis, kZurich});
        expect_round_trip(s, g, {kZurich, kParis, kZurich});
        EXPECT_FALSE(accepts(g, render(s, {kParis, kSearch}))) << syntax_name(s);
    }
}

TEST(ToolCallGrammar, TwoToolsOneCall) {
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        const auto g = forced(s, two_tools(), false);
        ASSERT_TRUE(g) << syntax_name(s);
        expect_round_trip(s, g, {kParis});
        expect_round_trip(s, g, {kSearch});
        // null parameters: any object, and only an object
        expect_round_trip(s, g, {{"search_docs", "{}"}});
        EXPECT_FALSE(accepts(g, render(s, {{"search_docs", "[1]"}}))) << syntax_name(s);
        EXPECT_FALSE(accepts(g, render(s, {{"search_docs", "\"{}\""}}))) << syntax_name(s);
        EXPECT_FALSE(accepts(g, render(s, {kSearch, kParis}))) << syntax_name(s);
        EXPECT_FALSE(accepts(g, render(s, {{"search_doc", "{}"}}))) << syntax_name(s);
    }
}

TEST(ToolCallGrammar, TwoToolsParallel) {
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        const auto g = forced(s, two_tools(), true);
        ASSERT_TRUE(g) << syntax_name(s);
        expect_round_trip(s, g, {kSearch});
        if (s == ToolCallSyntax::GptOss) continue;
        expect_round_trip(s, g, {kSearch, kParis});
        expect_round_trip(s, g, {kParis, kSearch, kZurich});
    }
}

TEST(ToolCallGrammar, MistralIdsAreNineAlphanumerics) {
    const auto g = forced(ToolCallSyntax::Mistral, weather_tool(), false);
    ASSERT_TRUE(g);
    const std::string head = R"([TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}, "id": ")";
    EXPECT_TRUE(accepts(g, head + "a1B2c3D4e\"}]"));
    EXPECT_FALSE(accepts(g, head + "a1B2c3D4\"}]"));
    EXPECT_FALSE(accepts(g, head + "a1B2c3D4e5\"}]"));
    EXPECT_FALSE(accepts(g, head + "a1B2c3D4_\"}]"));
}

TEST(ToolCallGrammar, NamesAreEscapedInLiteralsAndJson) {
    // Not a name OpenAI would let through, but the grammar must not break on it.
    const std::vector<ToolSpec> tools{ToolSpec{"we\"ird\\na\u00efme", nullptr}};
    for (const ToolCallSyntax s : {ToolCallSyntax::Hermes, ToolCallSyntax::Llama3, ToolCallSyntax::Mistral,
                                   ToolCallSyntax::Granite, ToolCallSyntax::Generic}) {
        const auto g = forced(s, tools, false);
        ASSERT_TRUE(g) << syntax_name(s);
        // in JSON the name is written escaped
        const std::string reply = render(s, {{R"(we\"ird\\naïme)", R"({"a": 1})"}});
        EXPECT_TRUE(accepts(g, reply)) << syntax_name(s) << ": " << reply;
        const auto start = find_tool_call_start(s, reply);
        ASSERT_TRUE(start && start->complete) << syntax_name(s);
        const auto calls = parse_tool_calls(s, std::string_view(reply).substr(start->offset));
        ASSERT_TRUE(calls) << syntax_name(s);
        EXPECT_EQ((*calls)[0].name, tools[0].name);
    }
    // written bare: a name with a quote or backslash still fits the literal
    const std::vector<ToolSpec> odd{ToolSpec{"a\"b\\c", nullptr}};
    for (const ToolCallSyntax s : {ToolCallSyntax::GptOss, ToolCallSyntax::DeepSeekV3, ToolCallSyntax::DeepSeekR1,
                                   ToolCallSyntax::Gemma4}) {
        const auto g = forced(s, odd, false);
        ASSERT_TRUE(g) << syntax_name(s);
        expect_round_trip(s, g, {{"a\"b\\c", "{}"}});
    }
}

TEST(ToolCallGrammar, Errors) {
    auto none = forced_tool_call_grammar(ToolCallSyntax::Hermes, {}, true);
    ASSERT_FALSE(none);
    EXPECT_NE(none.error().message.find("no tools"), std::string::npos) << none.error().message;

    const json hostname = {{"type", "object"}, {"properties", {{"h", {{"type", "string"}, {"format", "hostname"}}}}}};
    const std::vector<ToolSpec> bad{ToolSpec{"get_weather", kWeatherSchema}, ToolSpec{"lookup_host", hostname}};
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        auto r = forced_tool_call_grammar(s, bad, false);
        ASSERT_FALSE(r) << syntax_name(s);
        EXPECT_NE(r.error().message.find("lookup_host"), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find("hostname"), std::string::npos) << r.error().message;
    }
    for (const json& not_an_object : {json{{"type", "string"}}, json{{"type", {"array", "null"}}}, json(false), json(3)}) {
        auto r = forced_tool_call_grammar(ToolCallSyntax::Hermes, std::vector<ToolSpec>{{"f_tool", not_an_object}}, false);
        ASSERT_FALSE(r) << not_an_object.dump();
        EXPECT_NE(r.error().message.find("f_tool"), std::string::npos) << r.error().message;
    }
    auto empty = forced_tool_call_grammar(ToolCallSyntax::Hermes, std::vector<ToolSpec>{{"", nullptr}}, false);
    EXPECT_FALSE(empty);
    EXPECT_FALSE(forced_tool_call_grammar(ToolCallSyntax::Hermes, std::vector<ToolSpec>{{"bad\xff", nullptr}}, false));
    // bare names end at whitespace or the next marker
    for (const ToolCallSyntax s : {ToolCallSyntax::GptOss, ToolCallSyntax::DeepSeekV3, ToolCallSyntax::DeepSeekR1,
                                   ToolCallSyntax::Gemma4}) {
        auto r = forced_tool_call_grammar(s, std::vector<ToolSpec>{{"two words", nullptr}}, false);
        ASSERT_FALSE(r) << syntax_name(s);
        EXPECT_NE(r.error().message.find("two words"), std::string::npos) << r.error().message;
    }
    EXPECT_TRUE(forced_tool_call_grammar(ToolCallSyntax::Hermes, std::vector<ToolSpec>{{"two words", nullptr}}, false));
}

TEST(ToolCallGrammar, ManyToolsStayWithinTheGrammarLimit) {
    std::vector<ToolSpec> tools;
    for (int i = 0; i < 40; ++i) tools.push_back(ToolSpec{"tool_" + std::to_string(i), kWeatherSchema});
    const auto g = forced(ToolCallSyntax::Hermes, tools, true);
    ASSERT_TRUE(g);
    expect_round_trip(ToolCallSyntax::Hermes, g, {{"tool_39", R"({"city": "Rome"})"}, {"tool_0", R"({"city": "Oslo"})"}});
    // far too many for one grammar: refused here, naming where it overflowed
    for (int i = 40; i < 3000; ++i) tools.push_back(ToolSpec{"tool_" + std::to_string(i), kWeatherSchema});
    auto r = forced_tool_call_grammar(ToolCallSyntax::Hermes, tools, true);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("MiB (at tool 'tool_"), std::string::npos) << r.error().message;
}

TEST(ToolCallGrammar, SchemasWithoutTypeAreObjects) {
    // A schema without "type" (or with no constraint at all) reads as an
    // object schema; a list of types that includes "object" keeps only that.
    const json untyped = {{"properties", {{"n", {{"type", "integer"}}}}}, {"required", {"n"}}};
    const json listed = {{"type", {"object", "null"}}};
    const json described = {{"description", "anything goes"}};
    for (const json& schema : {untyped, listed, described, json::object(), json(true)}) {
        const auto g = forced(ToolCallSyntax::Llama3, {ToolSpec{"f", schema}}, false);
        ASSERT_TRUE(g) << schema.dump();
        EXPECT_FALSE(accepts(g, R"({"name": "f", "parameters": null})")) << schema.dump();
        EXPECT_FALSE(accepts(g, R"({"name": "f", "parameters": 1})")) << schema.dump();
    }
    const auto g = forced(ToolCallSyntax::Llama3, {ToolSpec{"f", untyped}}, false);
    ASSERT_TRUE(g);
    EXPECT_TRUE(accepts(g, R"({"name": "f", "parameters": {"n": 4}})"));
    EXPECT_FALSE(accepts(g, R"({"name": "f", "parameters": {"n": "4"}})"));
}

// --- random walks -------------------------------------------------------------

// Every UTF-8 character of the text, once each.
void add_characters(std::string_view text, std::set<std::string>& out) {
    for (size_t i = 0; i < text.size();) {
        const auto b = static_cast<unsigned char>(text[i]);
        const size_t n = b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
        out.insert(std::string(text.substr(i, n)));
        i += n;
    }
}

// Walks a grammar at random (as api_json_schema_grammar_test does), over
// printable ASCII, \n, é and the characters of the syntax's markers; leans
// towards closing characters once the text is long.
std::string random_reply(const std::shared_ptr<const Grammar>& g, const std::set<std::string>& alphabet,
                         std::mt19937& rng) {
    GrammarMatcher m(g);
    std::string out;
    for (int step = 0; step < 6000; ++step) {
        if (m.can_end() && (out.size() > 600 || std::uniform_int_distribution<int>(0, 9)(rng) == 0)) return out;
        std::vector<std::string> allowed;
        for (const std::string& c : alphabet) {
            if (m.can_accept_bytes(c)) allowed.push_back(c);
        }
        if (allowed.empty() && m.can_end()) return out;
        if (allowed.empty()) break;
        if (out.size() > 300) {
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

TEST(ToolCallGrammar, RandomWalksParseAndFitTheSchemas) {
    const json schema_a = json::parse(R"({"type": "object", "properties": {
        "name": {"type": "string", "maxLength": 6}, "n": {"type": "integer", "minimum": -3, "maximum": 40},
        "tags": {"type": "array", "items": {"enum": ["x", "y z", "<tool_call>"]}, "maxItems": 3},
        "ok": {"type": "boolean"}}, "required": ["name", "n"], "additionalProperties": false})");
    const json schema_b = json::parse(R"({"type": "object", "additionalProperties": {"type": ["string", "number", "null"]}})");
    const std::vector<ToolSpec> tools{ToolSpec{"alpha", schema_a}, ToolSpec{"beta_2", schema_b}, ToolSpec{"gamma", nullptr}};
    std::mt19937 rng(4242);
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        auto text = forced_tool_call_grammar(s, tools, true);
        ASSERT_TRUE(text) << text.error().message;
        const auto g = compile_text(*text);
        ASSERT_TRUE(g);
        std::set<std::string> alphabet{"\n", "\xc3\xa9"};
        for (char c = 0x20; c < 0x7F; ++c) alphabet.insert(std::string(1, c));
        add_characters(*text, alphabet);  // the markers' characters are in its literals
        std::set<size_t> counts;
        for (int i = 0; i < 25; ++i) {
            const std::string reply = random_reply(g, alphabet, rng);
            SCOPED_TRACE(std::string(syntax_name(s)) + ": " + reply);
            const auto start = find_tool_call_start(s, reply);
            ASSERT_TRUE(start && start->complete);
            const auto calls = parse_tool_calls(s, std::string_view(reply).substr(start->offset));
            ASSERT_TRUE(calls);
            counts.insert(calls->size());
            for (const ParsedToolCall& c : *calls) {
                const json args = json::parse(c.arguments);
                if (c.name == "alpha") {
                    EXPECT_EQ(validate_json_against_schema(args, schema_a), std::nullopt);
                } else if (c.name == "beta_2") {
                    EXPECT_EQ(validate_json_against_schema(args, schema_b), std::nullopt);
                } else {
                    EXPECT_EQ(c.name, "gamma");
                    EXPECT_TRUE(args.is_object());
                }
            }
        }
        if (s != ToolCallSyntax::GptOss) {
            EXPECT_GT(counts.size(), 1u) << syntax_name(s) << ": the walks should reach parallel calls";
        }
    }
}

}  // namespace
}  // namespace clawbot::service
