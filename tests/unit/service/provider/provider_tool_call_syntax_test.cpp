// Tool-call syntaxes: each reference chat template maps to the syntax its
// tool branch prints; replies written the way each family writes them are
// found (whole and partial start markers) and read back into names and
// arguments; malformed calls stay text; hostile replies cost bounded work.
#include "service/provider/tool_call_syntax.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "support/test_support.h"

namespace clawbot::service {
namespace {

using nlohmann::json;

struct Expected {
    std::string name;
    json arguments;
    std::string id = "";
};

// The reply's calls, after find_tool_call_start found a complete start at
// `offset`; nullopt (with a failure) when it did not.
std::optional<std::vector<ParsedToolCall>> read_reply(ToolCallSyntax syntax, std::string_view reply, size_t offset) {
    const auto start = find_tool_call_start(syntax, reply);
    if (!start || !start->complete) {
        ADD_FAILURE() << syntax_name(syntax) << ": no complete start in " << reply;
        return std::nullopt;
    }
    EXPECT_EQ(start->offset, offset) << syntax_name(syntax) << ": " << reply;
    return parse_tool_calls(syntax, reply.substr(start->offset));
}

void expect_calls(ToolCallSyntax syntax, std::string_view reply, const std::vector<Expected>& expected,
                  size_t offset = 0) {
    SCOPED_TRACE(std::string(syntax_name(syntax)) + ": " + std::string(reply));
    const auto calls = read_reply(syntax, reply, offset);
    ASSERT_TRUE(calls.has_value());
    ASSERT_EQ(calls->size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i) {
        EXPECT_EQ((*calls)[i].name, expected[i].name);
        const json args = json::parse((*calls)[i].arguments, nullptr, false);
        EXPECT_EQ(args, expected[i].arguments) << (*calls)[i].arguments;
        EXPECT_EQ((*calls)[i].arguments, args.dump()) << "arguments are compact";
        EXPECT_EQ((*calls)[i].id, expected[i].id);
    }
}

// Regions that hold no well-formed calls.
void expect_malformed(ToolCallSyntax syntax, const std::vector<std::string>& regions) {
    for (const std::string& region : regions) {
        EXPECT_EQ(parse_tool_calls(syntax, region), std::nullopt) << syntax_name(syntax) << ": " << region;
    }
}

void expect_start(ToolCallSyntax syntax, std::string_view reply, std::optional<ToolCallStart> expected) {
    const auto start = find_tool_call_start(syntax, reply);
    ASSERT_EQ(start.has_value(), expected.has_value()) << syntax_name(syntax) << ": " << reply;
    if (!start) return;
    EXPECT_EQ(start->offset, expected->offset) << syntax_name(syntax) << ": " << reply;
    EXPECT_EQ(start->complete, expected->complete) << syntax_name(syntax) << ": " << reply;
}

const json kWeather = {{"city", "Paris"}, {"days", 3}};

TEST(ToolCallSyntax, EveryReferenceTemplateMapsToItsSyntax) {
    const std::map<std::string, ToolCallSyntax> expected{
        {"HuggingFaceTB-SmolLM3-3B.jinja", ToolCallSyntax::Generic},  // this copy has no tool branch
        {"Qwen-Qwen2.5-7B-Instruct.jinja", ToolCallSyntax::Hermes},
        {"Qwen-Qwen3-0.6B.jinja", ToolCallSyntax::Hermes},
        {"Qwen3.5-4B.jinja", ToolCallSyntax::Hermes},
        {"deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja", ToolCallSyntax::DeepSeekR1},
        {"deepseek-ai-DeepSeek-V3.1.jinja", ToolCallSyntax::DeepSeekV3},
        {"google-gemma-2-2b-it.jinja", ToolCallSyntax::Generic},
        {"google-gemma-4-31B-it.jinja", ToolCallSyntax::Gemma4},
        {"ibm-granite-granite-3.3-2B-Instruct.jinja", ToolCallSyntax::Granite},
        {"meta-llama-Llama-3.1-8B-Instruct.jinja", ToolCallSyntax::Llama3},
        {"meta-llama-Llama-3.2-3B-Instruct.jinja", ToolCallSyntax::Llama3},
        {"microsoft-Phi-3.5-mini-instruct.jinja", ToolCallSyntax::Generic},
        {"mistralai-Mistral-Nemo-Instruct-2407.jinja", ToolCallSyntax::Mistral},
        {"openai-gpt-oss-120b.jinja", ToolCallSyntax::GptOss},
    };
    const std::filesystem::path dir = test::shared_path("reference/templates/jinja");
    ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;
    std::set<std::string> seen;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.path().extension() != ".jinja") continue;
        const std::string file = entry.path().filename().string();
        seen.insert(file);
        const auto it = expected.find(file);
        if (it == expected.end()) {
            ADD_FAILURE() << "a template this test does not know: " << file;
            continue;
        }
        const std::string source = test::read_file(entry.path().string());
        ASSERT_FALSE(source.empty()) << file;
        EXPECT_EQ(syntax_name(tool_call_syntax_of(source)), syntax_name(it->second)) << file;
    }
    for (const auto& [file, syntax] : expected) EXPECT_TRUE(seen.count(file)) << "missing template " << file;
}

TEST(ToolCallSyntax, MarkersAloneDecideTheSyntax) {
    EXPECT_EQ(tool_call_syntax_of(""), ToolCallSyntax::Generic);
    EXPECT_EQ(tool_call_syntax_of("{{ message.tool_calls }} {{ tool_call.name }}"), ToolCallSyntax::Generic);
    EXPECT_EQ(tool_call_syntax_of("{{- '<tool_call>\\n' }}"), ToolCallSyntax::Hermes);
    EXPECT_EQ(tool_call_syntax_of("{{- '<|tool_call|>' }}"), ToolCallSyntax::Granite);
    EXPECT_EQ(tool_call_syntax_of("{{- '<|tool_call>call:' }}"), ToolCallSyntax::Gemma4);
    EXPECT_EQ(tool_call_syntax_of("{{- '[TOOL_CALLS]' }}"), ToolCallSyntax::Mistral);
    EXPECT_EQ(tool_call_syntax_of("{{- '<|python_tag|>' }}"), ToolCallSyntax::Llama3);
}

TEST(ToolCallSyntax, NamesAreDistinct) {
    std::set<std::string_view> names;
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        EXPECT_FALSE(syntax_name(s).empty());
        names.insert(syntax_name(s));
    }
    EXPECT_EQ(names.size(), std::size(kAllToolCallSyntaxes));
}

// --- Hermes ------------------------------------------------------------------

TEST(ToolCallSyntax, HermesJson) {
    const auto s = ToolCallSyntax::Hermes;
    expect_calls(s, "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>",
                 {{"get_weather", kWeather}});
    // Qwen3 joins parallel calls with a newline; the turn's end marker may follow.
    expect_calls(s,
                 "<tool_call>\n{\"name\": \"a\", \"arguments\": {}}\n</tool_call>\n<tool_call>\n{\"name\": \"b\", "
                 "\"arguments\": {\"x\": [1, 2]}}\n</tool_call><|im_end|>",
                 {{"a", json::object()}, {"b", {{"x", {1, 2}}}}});
    const std::string before = "Let me look that up.\n\n";
    expect_calls(s, before + "<tool_call>\n{\"name\": \"f\", \"arguments\": {\"q\": \"</tool_call>\"}}\n</tool_call>\n",
                 {{"f", {{"q", "</tool_call>"}}}}, before.size());
    // arguments written as a JSON string holding the object
    expect_calls(s, "<tool_call>\n{\"name\": \"f\", \"arguments\": \"{\\\"n\\\": 1}\"}\n</tool_call>", {{"f", {{"n", 1}}}});
    expect_calls(s,
                 "<tool_call>\n{\"name\": \"météo\", \"arguments\": {\"ville\": \"Zürich 東京 😀\", \"e\": "
                 "\"\\u00e9\"}}\n</tool_call>",
                 {{"météo", {{"ville", "Zürich 東京 😀"}, {"e", "é"}}}});
    // the OpenAI shape inside the tags
    expect_calls(s, "<tool_call>{\"type\": \"function\", \"function\": {\"name\": \"g\", \"arguments\": {\"k\": true}}}</tool_call>",
                 {{"g", {{"k", true}}}});
}

TEST(ToolCallSyntax, HermesQwen35Xml) {
    const auto s = ToolCallSyntax::Hermes;
    // As Qwen3.5's template writes it: strings raw (over several lines),
    // other values as JSON.
    expect_calls(s,
                 "<tool_call>\n<function=write_file>\n<parameter=path>\n/tmp/a.txt\n</parameter>\n"
                 "<parameter=content>\nline one\nline two\n</parameter>\n<parameter=mode>\n420\n</parameter>\n"
                 "<parameter=opts>\n{\"append\": false, \"tags\": [\"x\"]}\n</parameter>\n</function>\n</tool_call>",
                 {{"write_file",
                   {{"path", "/tmp/a.txt"},
                    {"content", "line one\nline two"},
                    {"mode", 420},
                    {"opts", {{"append", false}, {"tags", {"x"}}}}}}});
    const std::string before = "I will check both.\n\n";
    expect_calls(s,
                 before + "<tool_call>\n<function=a>\n</function>\n</tool_call>\n<tool_call>\n<function=b>\n"
                          "<parameter=q>\nnaïve \"quoted\" {text\n</parameter>\n</function>\n</tool_call>",
                 {{"a", json::object()}, {"b", {{"q", "naïve \"quoted\" {text"}}}}, before.size());
    expect_malformed(s, {
                            "<tool_call>\n<function=f>\n<parameter=a>\n1\n</function>\n</tool_call>",  // parameter left open
                            "<tool_call>\n<function=f>\n<parameter=a>\n1\n</parameter>\n</tool_call>",  // function left open
                            "<tool_call>\n<function=>\n</function>\n</tool_call>",                      // no name
                            "<tool_call>\n<function=f\n<parameter=a>1</parameter></function></tool_call>",
                            "<tool_call>\n<function=f>\n<param=a>\n1\n</param>\n</function>\n</tool_call>",
                        });
}

TEST(ToolCallSyntax, HermesStartAndMalformed) {
    const auto s = ToolCallSyntax::Hermes;
    expect_start(s, "Plain answer.", std::nullopt);
    expect_start(s, "", std::nullopt);
    expect_start(s, "a < b", std::nullopt);
    expect_start(s, "Checking <", ToolCallStart{9, false});
    expect_start(s, "Checking <tool_ca", ToolCallStart{9, false});
    expect_start(s, "Checking <tool_call>\n{\"na", ToolCallStart{9, true});
    expect_start(s, "<tool_call>", ToolCallStart{0, true});
    expect_malformed(s, {
                            "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}",                   // left open
                            "<tool_call>\n{\"name\": \"f\", \"arguments\": {}\n</tool_call>",        // bad JSON
                            "<tool_call>\n{\"name\": \"\", \"arguments\": {}}\n</tool_call>",        // empty name
                            "<tool_call>\n{\"arguments\": {}}\n</tool_call>",                        // no name
                            "<tool_call>\n{\"name\": 7, \"arguments\": {}}\n</tool_call>",
                            "<tool_call>\n{\"name\": \"f\", \"arguments\": [1]}\n</tool_call>",      // not an object
                            "<tool_call>\n{\"name\": \"f\", \"arguments\": \"[1]\"}\n</tool_call>",  // string, not an object
                            "<tool_call>\n{\"name\": \"f\", \"arguments\": \"{oops\"}\n</tool_call>",
                            "<tool_call>\n{\"name\": \"f\", \"arguments\": {}}\n</tool_call> and some more text",
                            "<tool_call></tool_call>",
                            "<tool_call>",
                            "",
                            "no call here",
                        });
}

// --- Llama 3 -----------------------------------------------------------------

TEST(ToolCallSyntax, Llama3) {
    const auto s = ToolCallSyntax::Llama3;
    expect_calls(s, "{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\", \"days\": 3}}", {{"get_weather", kWeather}});
    expect_calls(s, "\n  {\"name\": \"f\", \"parameters\": {}}<|eot_id|>", {{"f", json::object()}});
    expect_calls(s, "<|python_tag|>{\"name\": \"f\", \"parameters\": {\"a\": 1}}<|eom_id|>", {{"f", {{"a", 1}}}});
    expect_calls(s, "{\"type\": \"function\", \"name\": \"f\", \"parameters\": {\"a\": \"ü\"}}", {{"f", {{"a", "ü"}}}});
    expect_calls(s, "{\"name\": \"f\", \"arguments\": {\"a\": 1}}", {{"f", {{"a", 1}}}});
    expect_calls(s, "{\"name\": \"f\", \"parameters\": \"{\\\"a\\\": 2}\"}", {{"f", {{"a", 2}}}});
    // several calls: ';' or a line break between them
    expect_calls(s, "{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {\"x\": null}}",
                 {{"a", json::object()}, {"b", {{"x", nullptr}}}});
    expect_calls(s, "{\"name\": \"a\", \"parameters\": {}}\n{\"name\": \"b\", \"parameters\": {}};",
                 {{"a", json::object()}, {"b", json::object()}});
    const std::string before = "Sure. ";
    expect_calls(s, before + "<|python_tag|>{\"name\": \"f\", \"parameters\": {}}", {{"f", json::object()}}, before.size());

    expect_start(s, "", ToolCallStart{0, false});
    expect_start(s, "  \n", ToolCallStart{0, false});
    expect_start(s, "{", ToolCallStart{0, false});
    expect_start(s, "{ \"na", ToolCallStart{0, false});
    expect_start(s, "{\"name\"", ToolCallStart{0, true});
    expect_start(s, "{\"answer\": 1}", std::nullopt);
    expect_start(s, "The answer is {\"name\": 1}", std::nullopt);  // a bare call starts the reply
    expect_start(s, "Hello <|python", ToolCallStart{6, false});
    expect_malformed(s, {
                            "{\"name\": \"f\", \"parameters\": [1]}",
                            "{\"name\": \"f\", \"parameters\": {}} and then text",
                            "{\"name\": \"f\", \"parameters\": {}}; {\"name\": \"g\"",
                            "{\"name\": \"f\", \"parameters\": {}",
                            "<|python_tag|>print(1)",
                            "<|python_tag|>brave_search.call(query=\"x\")",
                            "{\"parameters\": {}}",
                        });
}

// --- Mistral -----------------------------------------------------------------

TEST(ToolCallSyntax, Mistral) {
    const auto s = ToolCallSyntax::Mistral;
    // Nemo's template: the function object, then the nine-character id.
    expect_calls(s,
                 "[TOOL_CALLS][{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}, "
                 "\"id\": \"abcDEF123\"}]</s>",
                 {{"get_weather", kWeather, "abcDEF123"}});
    expect_calls(s,
                 "[TOOL_CALLS] [{\"name\": \"a\", \"arguments\": \"{\\\"x\\\": 1}\", \"id\": \"a00000001\"}, {\"name\": "
                 "\"b\", \"arguments\": {}}]",
                 {{"a", {{"x", 1}}, "a00000001"}, {"b", json::object()}});
    // v11+ tokenizers
    expect_calls(s, "[TOOL_CALLS]get_weather[ARGS]{\"city\": \"Paris\", \"days\": 3}", {{"get_weather", kWeather}});
    expect_calls(s, "[TOOL_CALLS]a[ARGS]{}[TOOL_CALLS]b[CALL_ID]xyz987654[ARGS]{\"q\": \"日本\"}",
                 {{"a", json::object()}, {"b", {{"q", "日本"}}, "xyz987654"}});
    const std::string before = "Let me check.";
    expect_calls(s, before + "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}]", {{"f", json::object()}}, before.size());
    expect_start(s, "Let me [TOOL_", ToolCallStart{7, false});
    expect_start(s, "Let me [", ToolCallStart{7, false});
    expect_start(s, "Let me [see]", std::nullopt);
    expect_malformed(s, {
                            "[TOOL_CALLS][]",
                            "[TOOL_CALLS]",
                            "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}",
                            "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": 3}]",
                            "[TOOL_CALLS]f{\"a\": 1}",
                            "[TOOL_CALLS]f[ARGS]",
                            "[TOOL_CALLS][ARGS]{}",
                            "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {}}] trailing words",
                        });
}

// --- gpt-oss -----------------------------------------------------------------

TEST(ToolCallSyntax, GptOssHarmony) {
    const auto s = ToolCallSyntax::GptOss;
    const std::string call =
        "<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\": \"Paris\", \"days\": 3}";
    expect_calls(s, call, {{"get_weather", kWeather}});
    expect_calls(s, call + "<|call|>", {{"get_weather", kWeather}});
    // The reasoning before it mentions a call; only the header counts.
    const std::string analysis =
        "<|channel|>analysis<|message|>User wants weather; use to=functions.get_weather<|message|> soon.<|end|>";
    expect_calls(s, analysis + "<|start|>assistant" + call + "<|call|>", {{"get_weather", kWeather}}, analysis.size());
    // "to=" before the channel, as the template renders past calls
    expect_calls(s, " to=functions.lookup<|channel|>commentary json<|message|>{\"q\": \"ß\"}", {{"lookup", {{"q", "ß"}}}}, 1);
    expect_calls(s, "<|channel|>commentary to=functions.f <|constrain|>json<|message|>\"{\\\"a\\\": [true]}\"",
                 {{"f", {{"a", {true}}}}});

    expect_start(s, "<|channel|>analysis<|message|>thinking about to=functions.x", std::nullopt);
    expect_start(s, "<|channel|>final<|message|>The weather is fine.", std::nullopt);
    expect_start(s, "<|channel|>commentary to=functions.get_wea", ToolCallStart{0, true});
    expect_start(s, "<|chan", ToolCallStart{0, false});
    expect_start(s, "<|channel|>analysis<|message|>ok<|en", ToolCallStart{32, false});
    expect_start(s, "plain text without harmony", std::nullopt);
    expect_malformed(s, {
                            "<|channel|>commentary to=functions.f <|constrain|>json",           // no body
                            "<|channel|>commentary <|constrain|>json<|message|>{}",             // no recipient
                            "<|channel|>commentary to=functions. <|message|>{}",                // empty name
                            "<|channel|>commentary to=functions.f <|message|>[1]",
                            "<|channel|>commentary to=functions.f <|message|>{\"a\": 1",
                            "<|channel|>commentary to=functions.f <|message|>{}<|call|>more text",
                        });
}

TEST(ToolCallSyntax, GptOssStartOffsets) {
    const auto s = ToolCallSyntax::GptOss;
    const std::string analysis = "<|channel|>analysis<|message|>ok<|end|>";
    expect_start(s, analysis + "<|start|>assistant<|channel|>comm", ToolCallStart{analysis.size(), false});
    expect_start(s, analysis + "<|start|>assistant<|channel|>commentary to=functions.f", ToolCallStart{analysis.size(), true});
    // text held back from inside a body, then given again with what followed
    expect_start(s, "<|end|><|channel|>commentary to=functions.f <|message|>{}", ToolCallStart{7, true});
    expect_start(s, "<|end|><|channel|>analysis<|message|>to=functions.f", std::nullopt);
    // a commentary preamble (no recipient) is a message, not a call
    expect_start(s, "<|channel|>commentary<|message|>Checking now.", std::nullopt);
}

// --- DeepSeek ----------------------------------------------------------------

const std::string kCallsBegin = "<｜tool▁calls▁begin｜>";
const std::string kCallsEnd = "<｜tool▁calls▁end｜>";
const std::string kCallBegin = "<｜tool▁call▁begin｜>";
const std::string kCallEnd = "<｜tool▁call▁end｜>";
const std::string kSep = "<｜tool▁sep｜>";

TEST(ToolCallSyntax, DeepSeekV3) {
    const auto s = ToolCallSyntax::DeepSeekV3;
    expect_calls(s, kCallsBegin + kCallBegin + "get_weather" + kSep + "{\"city\": \"Paris\", \"days\": 3}" + kCallEnd + kCallsEnd,
                 {{"get_weather", kWeather}});
    const std::string before = "I'll check both cities.";
    expect_calls(s,
                 before + kCallsBegin + kCallBegin + "a" + kSep + "{\"c\": \"北京\"}" + kCallEnd + kCallBegin + "b" + kSep +
                     "\"{}\"" + kCallEnd + kCallsEnd + "<｜end▁of▁sentence｜>",
                 {{"a", {{"c", "北京"}}}, {"b", json::object()}}, before.size());
    expect_start(s, "Sure" + kCallsBegin.substr(0, 7), ToolCallStart{4, false});  // a marker cut inside a character
    expect_start(s, "Sure" + kCallsBegin, ToolCallStart{4, true});
    expect_malformed(s, {
                            kCallsBegin + kCallBegin + "f" + kSep + "{}" + kCallEnd,             // calls left open
                            kCallsBegin + kCallBegin + "f" + kSep + "{}" + kCallsEnd,            // call left open
                            kCallsBegin + kCallBegin + kSep + "{}" + kCallEnd + kCallsEnd,       // no name
                            kCallsBegin + kCallBegin + "f" + kSep + "[]" + kCallEnd + kCallsEnd,
                            kCallsBegin + kCallsEnd,
                            kCallsBegin + kCallBegin + "f" + "{}" + kCallEnd + kCallsEnd,        // no separator
                        });
}

TEST(ToolCallSyntax, DeepSeekR1) {
    const auto s = ToolCallSyntax::DeepSeekR1;
    const auto r1_call = [](const std::string& name, const std::string& args) {
        return kCallBegin + "function" + kSep + name + "\n```json\n" + args + "\n```" + kCallEnd;
    };
    expect_calls(s, kCallsBegin + r1_call("get_weather", "{\"city\": \"Paris\", \"days\": 3}") + kCallsEnd,
                 {{"get_weather", kWeather}});
    // The distill template writes the arguments string through tojson.
    expect_calls(s, kCallsBegin + r1_call("a", "\"{\\\"x\\\": 1}\"") + "\n" + r1_call("b", "{}") + kCallsEnd,
                 {{"a", {{"x", 1}}}, {"b", json::object()}});
    expect_malformed(s, {
                            kCallsBegin + kCallBegin + "function" + kSep + "f\n```json\n{}\n" + kCallEnd + kCallsEnd,
                            kCallsBegin + kCallBegin + "function" + kSep + "\n```json\n{}\n```" + kCallEnd + kCallsEnd,
                            kCallsBegin + kCallBegin + "function" + kSep + "f\n```json\n{\n```" + kCallEnd + kCallsEnd,
                        });
}

// --- Granite / Phi-4 ---------------------------------------------------------

TEST(ToolCallSyntax, GraniteAndPhi4) {
    const auto s = ToolCallSyntax::Granite;
    expect_calls(s, "<|tool_call|>[{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}]",
                 {{"get_weather", kWeather}});
    expect_calls(s,
                 "<|tool_call|>[{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", \"arguments\": {\"v\": 1.5}}]"
                 "<|end_of_text|>",
                 {{"a", json::object()}, {"b", {{"v", 1.5}}}});
    const std::string before = "Calling:\n";
    expect_calls(s, before + "<|tool_call|>[{\"name\": \"f\", \"arguments\": {\"s\": \"ñ\"}}]<|/tool_call|>",
                 {{"f", {{"s", "ñ"}}}}, before.size());
    expect_start(s, "x <|tool", ToolCallStart{2, false});
    expect_start(s, "x <|tool_call>", std::nullopt);  // Gemma's marker, not Granite's
    expect_malformed(s, {
                            "<|tool_call|>[]",
                            "<|tool_call|>",
                            "<|tool_call|>[{\"name\": \"f\", \"arguments\": {}}",
                            "<|tool_call|>[{\"name\": \"f\", \"arguments\": {}}, 3]",
                            "<|tool_call|>[{\"name\": \"f\", \"arguments\": {}}] and text",
                        });
}

// --- Gemma 4 -----------------------------------------------------------------

TEST(ToolCallSyntax, Gemma4) {
    const auto s = ToolCallSyntax::Gemma4;
    // As Gemma 4's template formats arguments: keys bare and sorted, strings
    // between <|"|> marks, the rest as written.
    expect_calls(s, "<|tool_call>call:get_weather{city:<|\"|>Paris<|\"|>,days:3}<tool_call|>", {{"get_weather", kWeather}});
    expect_calls(s,
                 "<|tool_call>call:f{flag:false,list:[1,<|\"|>two, \"2\"<|\"|>,[]],nested:{k:<|\"|>v{}<|\"|>,n:-2.5e3},"
                 "nothing:None,also:null}<tool_call|><|tool_call>call:g{}<tool_call|><|tool_response>",
                 {{"f",
                   {{"flag", false},
                    {"list", {1, "two, \"2\"", json::array()}},
                    {"nested", {{"k", "v{}"}, {"n", -2500.0}}},
                    {"nothing", nullptr},
                    {"also", nullptr}}},
                  {"g", json::object()}});
    // JSON inside the braces reads too (the forced grammar writes that).
    expect_calls(s, "<|tool_call>call:f{\"a\": \"x<|\\\"|>\", \"b\": [true, {\"c\": 1}]}<tool_call|>",
                 {{"f", {{"a", "x<|\"|>"}, {"b", {true, {{"c", 1}}}}}}});
    const std::string before = "Let me see. ";
    expect_calls(s, before + "<|tool_call>call:f{q:<|\"|>東京<|\"|>}<tool_call|>", {{"f", {{"q", "東京"}}}}, before.size());
    expect_start(s, "ok <|tool_", ToolCallStart{3, false});
    expect_start(s, "ok <|tool_call|>", std::nullopt);  // Granite's marker, not Gemma's
    expect_malformed(s, {
                            "<|tool_call>call:f{a:<|\"|>open}<tool_call|>",
                            "<|tool_call>call:f{a:1}",
                            "<|tool_call>call:f{a:1<tool_call|>",
                            "<|tool_call>call:{a:1}<tool_call|>",
                            "<|tool_call>f{a:1}<tool_call|>",
                            "<|tool_call>call:f{a}<tool_call|>",
                            "<|tool_call>call:f{a:1,}<tool_call|>",
                            "<|tool_call>call:f{:1}<tool_call|>",
                            "<|tool_call>call:f{a:1}<tool_call|> then words",
                        });
}

// --- Generic -----------------------------------------------------------------

TEST(ToolCallSyntax, Generic) {
    const auto s = ToolCallSyntax::Generic;
    expect_calls(s, "{\"tool_calls\": [{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}]}",
                 {{"get_weather", kWeather}});
    expect_calls(s,
                 "\n{\"tool_calls\": [{\"name\": \"a\", \"arguments\": {}}, {\"name\": \"b\", "
                 "\"arguments\": \"{\\\"é\\\": 1}\"}]}\n",
                 {{"a", json::object()}, {"b", {{"é", 1}}}});
    expect_calls(s, "{\"tool_call\": {\"name\": \"f\", \"arguments\": {\"x\": 1}}}", {{"f", {{"x", 1}}}});
    expect_start(s, "", ToolCallStart{0, false});
    expect_start(s, "{\"tool_c", ToolCallStart{0, false});
    expect_start(s, "{\"tool_call\"", ToolCallStart{0, true});
    expect_start(s, "{\"tool_calls\"", ToolCallStart{0, true});
    expect_start(s, "{\"tool_callz\"", std::nullopt);
    expect_start(s, "{\"answer\": 42}", std::nullopt);
    expect_start(s, "Here: {\"tool_calls\": []}", std::nullopt);
    expect_malformed(s, {
                            "{\"tool_calls\": []}",
                            "{\"tool_calls\": {}}",
                            "{\"tool_call\": []}",
                            "{\"tool_calls\": [{\"arguments\": {}}]}",
                            "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {}}]} trailing",
                            "{\"other\": 1}",
                            "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {}}]",
                        });
}

TEST(ToolCallSyntax, NamesMustBeUtf8AndValuesAreRepaired) {
    const std::string bad = "f\xff";
    expect_malformed(ToolCallSyntax::Gemma4, {"<|tool_call>call:" + bad + "{}<tool_call|>"});
    expect_malformed(ToolCallSyntax::DeepSeekV3, {kCallsBegin + kCallBegin + bad + kSep + "{}" + kCallEnd + kCallsEnd});
    expect_malformed(ToolCallSyntax::Hermes, {"<tool_call>\n<function=" + bad + ">\n</function>\n</tool_call>"});
    expect_malformed(ToolCallSyntax::Mistral, {"[TOOL_CALLS]" + bad + "[ARGS]{}"});
    expect_malformed(ToolCallSyntax::GptOss, {"<|channel|>commentary to=functions." + bad + " <|message|>{}"});
    expect_malformed(ToolCallSyntax::Hermes, {"<tool_call>\n{\"name\": \"" + bad + "\", \"arguments\": {}}\n</tool_call>"});
    // raw text values (Qwen3.5, Gemma 4) are not JSON: a stray byte becomes U+FFFD
    expect_calls(ToolCallSyntax::Hermes, "<tool_call>\n<function=f>\n<parameter=s>\na\xff" "b\n</parameter>\n</function>\n</tool_call>",
                 {{"f", {{"s", "a\uFFFDb"}}}});
    expect_calls(ToolCallSyntax::Gemma4, "<|tool_call>call:f{s:<|\"|>a\xff" "b<|\"|>}<tool_call|>", {{"f", {{"s", "a\uFFFDb"}}}});
}

// --- hostile input -----------------------------------------------------------

// A call in each syntax, as its family writes it.
std::string sample_reply(ToolCallSyntax s) {
    switch (s) {
        case ToolCallSyntax::Hermes:
            return "Sure.\n<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": [1, \"x\"]}}\n</tool_call>\n<tool_call>\n"
                   "<function=g>\n<parameter=p>\nv\n</parameter>\n</function>\n</tool_call>";
        case ToolCallSyntax::Llama3:
            return "{\"name\": \"f\", \"parameters\": {\"a\": [1, \"x\"]}}; {\"name\": \"g\", \"parameters\": {}}";
        case ToolCallSyntax::Mistral:
            return "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {\"a\": [1, \"x\"]}, \"id\": \"abcDEF123\"}][TOOL_CALLS]g[ARGS]{}";
        case ToolCallSyntax::GptOss:
            return "<|channel|>analysis<|message|>hm<|end|><|start|>assistant<|channel|>commentary to=functions.f "
                   "<|constrain|>json<|message|>{\"a\": [1, \"x\"]}<|call|>";
        case ToolCallSyntax::DeepSeekV3:
            return "ok" + kCallsBegin + kCallBegin + "f" + kSep + "{\"a\": [1, \"x\"]}" + kCallEnd + kCallsEnd;
        case ToolCallSyntax::DeepSeekR1:
            return kCallsBegin + kCallBegin + "function" + kSep + "f\n```json\n{\"a\": [1, \"x\"]}\n```" + kCallEnd + kCallsEnd;
        case ToolCallSyntax::Granite: return "<|tool_call|>[{\"name\": \"f\", \"arguments\": {\"a\": [1, \"x\"]}}]";
        case ToolCallSyntax::Gemma4: return "x<|tool_call>call:f{a:[1,<|\"|>x<|\"|>]}<tool_call|>";
        case ToolCallSyntax::Generic: return "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {\"a\": [1, \"x\"]}}]}";
    }
    return "";
}

// What a parse may return: named calls whose arguments are compact objects.
void expect_sane(ToolCallSyntax s, std::string_view reply) {
    const auto start = find_tool_call_start(s, reply);
    if (start) {
        ASSERT_LE(start->offset, reply.size());
    }
    const std::string_view region = start ? reply.substr(start->offset) : reply;
    const auto calls = parse_tool_calls(s, region);
    if (!calls) return;
    ASSERT_FALSE(calls->empty());
    for (const ParsedToolCall& c : *calls) {
        EXPECT_FALSE(c.name.empty());
        EXPECT_NO_THROW((void)json(c.name).dump()) << "a name that is not UTF-8";
        EXPECT_NO_THROW((void)json(c.id).dump()) << "an id that is not UTF-8";
        const json args = json::parse(c.arguments, nullptr, false);
        ASSERT_TRUE(args.is_object()) << c.arguments;
        EXPECT_EQ(args.dump(-1, ' ', false, json::error_handler_t::replace), c.arguments);
    }
}

TEST(ToolCallSyntax, SampleRepliesParse) {
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        const std::string reply = sample_reply(s);
        const auto start = find_tool_call_start(s, reply);
        ASSERT_TRUE(start && start->complete) << syntax_name(s);
        const auto calls = parse_tool_calls(s, std::string_view(reply).substr(start->offset));
        ASSERT_TRUE(calls) << syntax_name(s);
        EXPECT_EQ((*calls)[0].name, "f");
        if (s != ToolCallSyntax::Hermes) {
            EXPECT_EQ((*calls)[0].arguments, R"({"a":[1,"x"]})") << syntax_name(s);
        }
    }
}

TEST(ToolCallSyntax, EveryPrefixOfAReplyIsSafe) {
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        const std::string reply = sample_reply(s);
        for (size_t n = 0; n <= reply.size(); ++n) expect_sane(s, std::string_view(reply).substr(0, n));
    }
}

TEST(ToolCallSyntax, MutatedRepliesAreSafe) {
    std::mt19937 rng(20240611);
    const std::vector<std::string> pieces{"<tool_call>", "</tool_call>", "{", "}", "[", "]", "\"", "\\", ":", ",", ";",
                                          "<|message|>", "<|start|>", "to=functions.", "<|\"|>", "[ARGS]", "[TOOL_CALLS]",
                                          kSep, kCallBegin, kCallEnd, "<function=", "<parameter=", "</parameter>",
                                          "\xff", "\xe6\x97", "<|tool_call>", "<tool_call|>", "```", "\n"};
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        const std::string base = sample_reply(s);
        for (int round = 0; round < 400; ++round) {
            std::string r = base;
            const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
            for (int e = 0; e < edits && !r.empty(); ++e) {
                const size_t at = std::uniform_int_distribution<size_t>(0, r.size() - 1)(rng);
                switch (std::uniform_int_distribution<int>(0, 2)(rng)) {
                    case 0: r.erase(at, std::uniform_int_distribution<size_t>(1, 8)(rng)); break;
                    case 1: r.insert(at, pieces[std::uniform_int_distribution<size_t>(0, pieces.size() - 1)(rng)]); break;
                    default: r[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng)); break;
                }
            }
            expect_sane(s, r);
            if (HasFatalFailure()) return;
        }
    }
}

// Replies built to make a careless reader recurse, rescan or loop: each is
// read once; a quadratic reader would take minutes on these.
TEST(ToolCallSyntax, HostileRepliesCostBoundedWork) {
    const size_t n = 200000;
    const std::vector<std::string> hostile{
        std::string(n, '['),
        std::string(n, '{'),
        "{\"tool_calls\": " + std::string(n, '['),
        "<tool_call>\n" + std::string(n, '['),
        "<tool_call>\n{\"name\": \"f\", \"arguments\": " + std::string(n, '[') + std::string(n, ']') + "}\n</tool_call>",
        "<|tool_call>call:f{a:" + std::string(n, '[') + "}<tool_call|>",
        "<|tool_call>call:f{a:" + std::string(n / 2, '{') + "}<tool_call|>",
        [&] {
            std::string r;
            while (r.size() < n) r += "<tool_call>";
            return r;
        }(),
        [&] {
            std::string r;
            while (r.size() < n) r += "<|channel|>commentary<|message|>x<|end|>";
            return r;
        }(),
        [&] {
            std::string r = "<|start|>assistant";
            while (r.size() < n) r += " to=functions.";
            return r;
        }(),
        [&] {
            std::string r = "<tool_call>\n<function=f>\n";
            while (r.size() < n) r += "<parameter=a>\n";
            return r;
        }(),
        [&] {
            std::string r = "[TOOL_CALLS]";
            while (r.size() < n) r += "a[ARGS]{}[TOOL_CALLS]";
            return r + "[ARGS]";
        }(),
        [&] {
            std::string r = kCallsBegin;
            while (r.size() < n) r += kCallBegin + "f" + kSep + "{}" + kCallEnd;
            return r;  // calls left open
        }(),
        std::string(n, '"'),
        std::string(n, '\\'),
    };
    for (const ToolCallSyntax s : kAllToolCallSyntaxes) {
        for (const std::string& r : hostile) {
            expect_sane(s, r);
            EXPECT_EQ(parse_tool_calls(s, r), std::nullopt) << syntax_name(s) << ": " << r.substr(0, 80);
        }
    }
    // Arguments nested past the bound are refused rather than recursed into.
    const std::string deep = "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {\"a\": " + std::string(5000, '[') +
                             std::string(5000, ']') + "}}]}";
    EXPECT_EQ(parse_tool_calls(ToolCallSyntax::Generic, deep), std::nullopt);
    const std::string shallow = "{\"tool_calls\": [{\"name\": \"f\", \"arguments\": {\"a\": [[[]]]}}]}";
    EXPECT_NE(parse_tool_calls(ToolCallSyntax::Generic, shallow), std::nullopt);
}

}  // namespace
}  // namespace clawbot::service
