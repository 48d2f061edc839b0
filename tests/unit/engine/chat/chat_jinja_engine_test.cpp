// The Jinja subset on its own: whitespace rules, expressions, loops, scopes,
// macros, filters, tests and methods as Jinja2 (and Python) define them, and
// the errors and limits that keep untrusted templates harmless.
#include <gtest/gtest.h>

#include "engine/chat/jinja_template.h"

namespace clawbot::chat::jinja {
namespace {

constexpr CalendarDate kDate{2026, 11, 27};

Result<std::string> try_render(std::string_view source, const Variables& variables = {},
                               const JinjaLimits& limits = {}) {
    auto parsed = JinjaTemplate::parse(source, limits);
    if (!parsed.ok()) return parsed.error();
    return parsed.value().render(variables, kDate);
}

std::string render(std::string_view source, const Variables& variables = {}) {
    auto result = try_render(source, variables);
    return result.ok() ? result.value() : "ERROR: " + result.error().message;
}

// The error message, or "" if it rendered.
std::string error_of(std::string_view source, const JinjaLimits& limits = {}, const Variables& variables = {}) {
    auto result = try_render(source, variables, limits);
    return result.ok() ? std::string() : result.error().message;
}

Value strings(std::initializer_list<const char*> items) {
    std::vector<Value> values;
    for (const char* s : items) values.push_back(Value::string(s));
    return Value::array(std::move(values));
}

TEST(JinjaWhitespace, BlockTagsEatTheirNewlineAndIndent) {
    EXPECT_EQ(render("{% if true %}\n  yes\n{% endif %}\n"), "  yes\n");
    EXPECT_EQ(render("  {% if true %}x{% endif %}"), "x");
    EXPECT_EQ(render("a\n    {% if true %}b{% endif %}"), "a\nb");
    EXPECT_EQ(render("x  {% if true %}y{% endif %}"), "x  y");  // not alone on its line
    EXPECT_EQ(render("  {{ 'x' }}"), "  x");  // expressions keep their indent
    EXPECT_EQ(render("  {%+ if true %}x{% endif %}"), "  x");
    EXPECT_EQ(render("{# note #}\nA"), "A");
    EXPECT_EQ(render("{% if true +%}\nA{% endif %}"), "\nA");
}

TEST(JinjaWhitespace, DashMarkersStripAllWhiteSpace) {
    EXPECT_EQ(render("a  \n {%- if true -%} \n b \n {%- endif %}"), "ab");
    EXPECT_EQ(render("x {{- 'y' -}} z"), "xyz");
    EXPECT_EQ(render("x\n\n{#- gone -#}\n\ny"), "xy");
}

TEST(JinjaWhitespace, OneTrailingNewlineIsDropped) {
    EXPECT_EQ(render("line\n"), "line");
    EXPECT_EQ(render("line\n\n"), "line\n");
}

TEST(JinjaExpressions, ArithmeticFollowsPython) {
    EXPECT_EQ(render("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 2 ** 10 }}"), "7 9 1024");
    EXPECT_EQ(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }}"), "3 -4 2 3.5");
    EXPECT_EQ(render("{{ 1.5 }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e-5 }}"),
              "1.5 1.0 0.30000000000000004 1e+16 1e-05");
    EXPECT_EQ(render("{{ 'ab' * 3 }} {{ [1, 2] + [3] }} {{ 'a' ~ 1 ~ none }}"), "ababab [1, 2, 3] a1None");
}

TEST(JinjaExpressions, LiteralsPrintAsPythonDoes) {
    EXPECT_EQ(render("{{ {'a': 1, 'b': [true, none, 'x']} }}"), "{'a': 1, 'b': [True, None, 'x']}");
    EXPECT_EQ(render("{{ ('a', 2) }} {{ 'it''s' }} {{ \"q\\\"\\tq\" }}"), "['a', 2] its q\"\tq");
    EXPECT_EQ(render("{{ '\\u4f60\\x41' }}"), "你A");
}

TEST(JinjaExpressions, LogicAndConditionals) {
    EXPECT_EQ(render("{{ x or 'fallback' }} {{ 0 and 1 }} {{ 'a' and 'b' }}"), "fallback 0 b");
    EXPECT_EQ(render("{{ 'yes' if 1 > 0 else 'no' }} [{{ 'a' if false }}]"), "yes []");
    EXPECT_EQ(render("{{ not x is defined }} {{ not 1 == 2 }}"), "True True");
    EXPECT_EQ(render("{{ 'b' in 'abc' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 'x' not in 'abc' }}"),
              "True True True True");
    EXPECT_EQ(render("{{ 'c' in undefined_thing }}"), "False");
}

TEST(JinjaExpressions, FiltersBindTighterThanOperators) {
    EXPECT_EQ(render("{{ items|length - 1 }}", {{"items", strings({"a", "b", "c"})}}), "2");
    EXPECT_EQ(render("{{ -1|abs }} {{ not flag|default(false) }}"), "1 True");
}

TEST(JinjaExpressions, AttributesItemsAndSlices) {
    const Variables vars = {{"m", Value::object({{"role", Value::string("user")}})}, {"xs", strings({"a", "b", "c"})}};
    EXPECT_EQ(render("{{ m.role }} {{ m['role'] }} [{{ m.missing }}] [{{ xs[5] }}] {{ xs[-1] }}", vars),
              "user user [] [] c");
    EXPECT_EQ(render("{{ xs[1:] }} {{ xs[:-1] }} {{ xs[::-1] }} {{ xs[::2] }}", vars),
              "['b', 'c'] ['a', 'b'] ['c', 'b', 'a'] ['a', 'c']");
    EXPECT_EQ(render("{{ xs[1::9223372036854775807] }} {{ xs[::-9223372036854775807] }}", vars), "['b'] ['c']");
    EXPECT_EQ(render("{{ '你好吗'|length }} {{ '你好吗'[1] }} {{ '你好吗'[::-1] }} {{ 'abcdef'[1:4] }}"),
              "3 好 吗好你 bcd");
}

TEST(JinjaStrings, MethodsBehaveLikePython) {
    EXPECT_EQ(render("{{ '  hi  '|trim }}|{{ 'xxhixx'.strip('x') }}|{{ '\\n\\nhi\\n'.lstrip('\\n') }}|"
                     "{{ 'hi  '.rstrip() }}|{{ '\\u3000hi\\u00a0'|trim }}"),
              "hi|hi|hi\n|hi|hi");
    EXPECT_EQ(render("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.rsplit(none, 1) }}"),
              "['a', 'b', '', 'c'] ['a', 'b'] ['a b', 'c']");
    EXPECT_EQ(render("{{ 'a</t>b</t>c'.split('</t>', 1)[1] }} {{ 'x</t>y'.split('</t>')[-1] }}"), "b</t>c y");
    EXPECT_EQ(
        render("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith(('x', 'lo')) }} {{ 'hello'.startswith('lo') }}"),
        "True True False");
    EXPECT_EQ(render("{{ 'Hello World'|upper }} {{ 'abca'.replace('a', 'x') }} {{ 'hello world'|title }} "
                     "{{ 'hELLO'|capitalize }} {{ 'a-b'.replace('-', '+', 1) }}"),
              "HELLO WORLD xbcx Hello World Hello a+b");
    EXPECT_EQ(render("{{ ', '.join(['a', 'b']) }} {{ 'banana'.count('an') }} {{ 'banana'.find('na') }}"), "a, b 2 2");
}

TEST(JinjaFilters, ListsAndDicts) {
    const Variables vars = {
        {"users", Value::array({
                      Value::object({{"role", Value::string("user")}, {"name", Value::string("ann")}}),
                      Value::object({{"role", Value::string("bot")}, {"name", Value::string("bo")}}),
                      Value::object({{"role", Value::string("user")}, {"name", Value::string("cy")}}),
                  })}};
    EXPECT_EQ(render("{{ users|selectattr('role', 'equalto', 'user')|map(attribute='name')|join(' ') }}", vars),
              "ann cy");
    EXPECT_EQ(render("{{ users|rejectattr('role', 'equalto', 'user')|map(attribute='name')|list }}", vars), "['bo']");
    EXPECT_EQ(
        render("{{ [3, 1, 2]|sort|join(',') }} {{ ['a', 'b']|map('upper')|list }} {{ [1, 2, 3]|reject('odd')|list }}"),
        "1,2,3 ['A', 'B'] [2]");
    EXPECT_EQ(render("{% for k, v in {'b': 1, 'a': 2}|dictsort %}{{ k }}={{ v }};{% endfor %}"), "a=2;b=1;");
    EXPECT_EQ(render("{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}{{ v }}{% endfor %}"), "b1a2");
    EXPECT_EQ(render("{{ {'a': 1}.get('b', 'none') }} {{ {'a': 1}.get('a') }} {{ {'a': 1}.get('z') }}"), "none 1 None");
    EXPECT_EQ(render("{{ [1, 2]|first }} {{ [1, 2]|last }} {{ ['x', 'y']|join }} {{ {'k': 1}|list }}"), "1 2 xy ['k']");
    EXPECT_EQ(render("{{ [1, 2, 1]|unique|list }} {{ [1, 5, 3]|max }} {{ [1, 2, 3]|sum }} {{ 'abc'|reverse }}"),
              "[1, 2] 5 6 cba");
}

TEST(JinjaFilters, ScalarsAndDefaults) {
    EXPECT_EQ(render("{{ x|default('d') }}|{{ ''|default('d') }}|{{ ''|default('d', true) }}|{{ none|default('d') }}"),
              "d||d|None");
    EXPECT_EQ(render("{{ '42'|int + 1 }} {{ 'x'|int }} {{ 3.9|int }} {{ '2.5'|float }} {{ 5|string ~ '!' }}"),
              "43 0 3 2.5 5!");
    EXPECT_EQ(render("{{ 'a\\nb'|indent(2) }}|{{ 'a\\nb'|indent(2, true) }}"), "a\n  b|  a\n  b");
}

TEST(JinjaFilters, ToJsonKeepsOrderAndUtf8) {
    EXPECT_EQ(render("{{ {'b': [1, 'x', none, true], 'a': 1.5}|tojson }}"), R"({"b": [1, "x", null, true], "a": 1.5})");
    EXPECT_EQ(render("{{ {'a': [1], 'e': {}}|tojson(indent=2) }}"), "{\n  \"a\": [\n    1\n  ],\n  \"e\": {}\n}");
    EXPECT_EQ(render("{{ 'a\"b\\n\\u0001你'|tojson }}"), R"("a\"b\n\u0001你")");
}

TEST(JinjaLoops, LoopVariables) {
    EXPECT_EQ(render("{% for x in ['a', 'b', 'c'] %}{{ loop.index0 }}{{ loop.index }}{{ x }}"
                     "{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %}{{ loop.length }}"
                     "{{ loop.revindex0 }};{% endfor %}"),
              "01aF32;12b31;23cL30;");
    EXPECT_EQ(
        render("{% for x in [1, 2, 3] %}{{ loop.previtem|default('-') }}{{ loop.nextitem|default('-') }} {% endfor %}"),
        "-2 13 2- ");
}

TEST(JinjaLoops, ElseFilterBreakContinueAndNesting) {
    EXPECT_EQ(render("{% for x in [] %}x{% else %}empty{% endfor %}"), "empty");
    EXPECT_EQ(render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}"), "2/2 4/2 ");
    EXPECT_EQ(render("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}"
                     "{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}"),
              "13");
    EXPECT_EQ(render("{% for a in [1, 2] %}{% for b in [3] %}{{ loop.index }}{{ a }}{{ b }} {% endfor %}{% endfor %}"),
              "113 123 ");
    EXPECT_EQ(render("{% for i in range(3) %}{{ i }}{% endfor %}|{% for i in range(5, 0, -2) %}{{ i }}{% endfor %}"),
              "012|531");
    EXPECT_EQ(render("{% for c in 'ab' %}[{{ c }}]{% endfor %}{% for x in nothing %}never{% endfor %}"), "[a][b]");
}

TEST(JinjaScopes, LoopsAndMacrosHaveTheirOwnVariables) {
    EXPECT_EQ(render("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{% endfor %}{{ x }}"), "1");
    EXPECT_EQ(render("{% if true %}{% set y = 5 %}{% endif %}{{ y }}"), "5");
    EXPECT_EQ(
        render("{% set ns = namespace(x=1) %}{% for i in [1, 2] %}{% set ns.x = ns.x + i %}{% endfor %}{{ ns.x }}"),
        "4");
    EXPECT_EQ(render("{% set greeting %}Hi {{ name }}{% endset %}[{{ greeting }}]", {{"name", Value::string("Bob")}}),
              "[Hi Bob]");
    EXPECT_EQ(render("{% set a, b = 1, 2 %}{{ a }}{{ b }}"), "12");
    EXPECT_EQ(render("{% set xs = [] %}{% do xs.append(1) %}{% do xs.append(2) %}{{ xs }}"), "[1, 2]");
    EXPECT_EQ(render("{% set m = messages[1:] %}{{ m|length }}", {{"messages", strings({"a", "b"})}}), "1");
}

TEST(JinjaMacros, ArgumentsDefaultsRecursionAndGlobals) {
    EXPECT_EQ(render("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}"
                     "{{ greet('A') }} {{ greet('B', punct='?') }} {{ greet(name='C') }}"),
              "Hi A! Hi B? Hi C!");
    EXPECT_EQ(
        render("{% macro count(n) %}{{ n }}{% if n > 0 %}{{ count(n - 1) }}{% endif %}{% endmacro %}{{ count(3) }}"),
        "3210");
    EXPECT_EQ(render("{% set g = 'G' %}{% macro m() %}{{ g }}{{ later() }}{% endmacro %}"
                     "{% macro later() %}L{% endmacro %}{{ m() }}"),
              "GL");
    EXPECT_EQ(render("{% macro m() %}  x  {% endmacro %}[{{ m()|trim }}]"), "[x]");
}

TEST(JinjaTests, TypeAndValueTests) {
    EXPECT_EQ(render("{{ 1 is number }}{{ 'a' is string }}{{ none is none }}{{ {} is mapping }}{{ [] is iterable }}"
                     "{{ 'a' is sequence }}{{ false is false }}{{ 0 is false }}{{ 3 is odd }}{{ 4 is divisibleby(2) }}"
                     "{{ x is undefined }}{{ 1 is not string }}{{ 'a' is equalto 'a' }}{{ true is boolean }}"),
              "TrueTrueTrueTrueTrueTrueTrueFalseTrueTrueTrueTrueTrueTrue");
}

TEST(JinjaGlobals, DatesDictsAndExceptions) {
    EXPECT_EQ(render("{{ strftime_now('%Y-%m-%d %A %B %-d %j %a %b %y') }}"),
              "2026-11-27 Friday November 27 331 Fri Nov 26");
    EXPECT_EQ(render("{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%B %d, %Y') }}"),
              "27 Nov 2026|November 27, 2026");
    EXPECT_EQ(render("{{ dict(a=1, b='x')|tojson }} {{ strftime_now is defined }}"), R"({"a": 1, "b": "x"} True)");
    EXPECT_NE(error_of("{{ raise_exception('roles must alternate') }}").find("roles must alternate"),
              std::string::npos);
}

TEST(JinjaErrors, SyntaxErrorsNameTheLine) {
    EXPECT_NE(error_of("line1\n{% if x %}").find("line 2"), std::string::npos);
    EXPECT_NE(error_of("{{ 1 + }}"), "");
    EXPECT_NE(error_of("{% endfor %}"), "");
    EXPECT_NE(error_of("{% include 'x' %}").find("unsupported tag"), std::string::npos);
    EXPECT_NE(error_of("{% break %}").find("outside a loop"), std::string::npos);
    EXPECT_NE(error_of("{{ 'abc }}").find("unterminated"), std::string::npos);
    EXPECT_NE(error_of("{{ x "), "");
    EXPECT_NE(error_of("{# never closed"), "");
}

TEST(JinjaErrors, RuntimeErrorsAreValues) {
    EXPECT_NE(error_of("{{ x|nosuchfilter }}").find("unknown filter"), std::string::npos);
    EXPECT_NE(error_of("{{ 'a' + 1 }}").find("unsupported operand"), std::string::npos);
    EXPECT_NE(error_of("{{ foo() }}").find("'foo' is undefined"), std::string::npos);
    EXPECT_NE(error_of("{{ 1 // 0 }}").find("division by zero"), std::string::npos);
    EXPECT_NE(error_of("{{ 9223372036854775807 + 1 }}").find("overflow"), std::string::npos);
    EXPECT_NE(error_of("{% set x = 1 %}{% set x.y = 2 %}").find("not a namespace"), std::string::npos);
    EXPECT_NE(error_of("\n\n{{ none|length }}").find("line 3"), std::string::npos);
}

TEST(JinjaLimits, LoopsAreBounded) {
    JinjaLimits small;
    small.render.max_iterations = 10'000;
    EXPECT_NE(error_of("{% for i in range(200) %}{% for j in range(200) %}{% endfor %}{% endfor %}", small)
                  .find("loop iterations"),
              std::string::npos);
    EXPECT_NE(error_of("{% for i in range(100000000) %}{% endfor %}").find("range too long"), std::string::npos);
    EXPECT_EQ(error_of("{% for i in range(50) %}{% for j in range(50) %}{% endfor %}{% endfor %}", small), "");
}

TEST(JinjaLimits, OutputAndStringsAreBounded) {
    JinjaLimits small;
    small.render.max_output_bytes = 500;
    EXPECT_NE(error_of("{% for i in range(100) %}0123456789{% endfor %}", small).find("output longer"),
              std::string::npos);
    EXPECT_NE(
        error_of("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}"),
        "");
    EXPECT_NE(error_of("{{ 'x' * 100000000000 }}"), "");
    EXPECT_NE(error_of("{{ [1] * 100000000000 }}"), "");
    small.max_source_bytes = 10;
    EXPECT_NE(error_of("{{ 'this source is too long' }}", small).find("limit"), std::string::npos);
}

TEST(JinjaLimits, RecursionAndNestingAreBounded) {
    EXPECT_NE(error_of("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}").find("nested deeper"), std::string::npos);
    EXPECT_NE(error_of("{{ " + std::string(500, '(') + "1" + std::string(500, ')') + " }}").find("nested too deeply"),
              std::string::npos);
    std::string deep;
    for (int i = 0; i < 300; ++i) deep += "{% if true %}";
    for (int i = 0; i < 300; ++i) deep += "{% endif %}";
    EXPECT_NE(error_of(deep).find("nested too deeply"), std::string::npos);
}

TEST(JinjaLimits, ContainersCannotHoldThemselves) {
    EXPECT_NE(error_of("{% set ns = namespace() %}{% set ns.me = ns %}").find("itself"), std::string::npos);
    EXPECT_NE(error_of("{% set l = [] %}{% do l.append(l) %}").find("itself"), std::string::npos);
    EXPECT_NE(error_of("{% set l = [] %}{% set ns = namespace(l=l) %}{% do l.append(ns) %}").find("itself"),
              std::string::npos);
}

TEST(JinjaTemplate, RendersRepeatedlyWithFreshState) {
    auto parsed = JinjaTemplate::parse(
        "{% set ns = namespace(n=0) %}{% for x in xs %}{% set ns.n = ns.n + x %}{% endfor %}{{ ns.n }}");
    ASSERT_TRUE(parsed.ok());
    const Variables vars = {{"xs", Value::array({Value::integer(1), Value::integer(2)})}};
    for (int i = 0; i < 3; ++i) {
        auto out = parsed.value().render(vars, kDate);
        ASSERT_TRUE(out.ok());
        EXPECT_EQ(out.value(), "3");
    }
}

}  // namespace
}  // namespace clawbot::chat::jinja
