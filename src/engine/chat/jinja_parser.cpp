#include "engine/chat/jinja_parser.h"

#include <initializer_list>
#include <optional>

#include "engine/chat/jinja_error.h"
#include "engine/chat/jinja_lexer.h"

namespace clawbot::chat::jinja {
namespace {

// The tokens of one tag, read front to back.
class TokenStream {
public:
    TokenStream(const std::vector<Token>& tokens, int line) : tokens_(tokens), line_(line) {}

    bool at_end() const { return pos_ >= tokens_.size(); }
    int line() const { return line_; }
    const Token* peek(std::size_t ahead = 0) const {
        return pos_ + ahead < tokens_.size() ? &tokens_[pos_ + ahead] : nullptr;
    }
    bool is_symbol(std::string_view s, std::size_t ahead = 0) const {
        const Token* t = peek(ahead);
        return t != nullptr && t->kind == TokenKind::symbol && t->text == s;
    }
    bool is_name(std::string_view n, std::size_t ahead = 0) const {
        const Token* t = peek(ahead);
        return t != nullptr && t->kind == TokenKind::name && t->text == n;
    }
    const Token& next() {
        if (at_end()) error("unexpected end of tag");
        return tokens_[pos_++];
    }
    bool accept_symbol(std::string_view s) {
        if (!is_symbol(s)) return false;
        ++pos_;
        return true;
    }
    bool accept_name(std::string_view n) {
        if (!is_name(n)) return false;
        ++pos_;
        return true;
    }
    void expect_symbol(std::string_view s) {
        if (!accept_symbol(s)) error("expected '" + std::string(s) + "'" + found());
    }
    std::string expect_name() {
        const Token* t = peek();
        if (t == nullptr || t->kind != TokenKind::name) error("expected a name" + found());
        ++pos_;
        return t->text;
    }
    void expect_end() {
        if (!at_end()) error("unexpected '" + peek()->text + "'");
    }
    [[noreturn]] void error(const std::string& message) const {
        fail("line " + std::to_string(line_) + ": " + message);
    }

private:
    std::string found() const { return at_end() ? " at end of tag" : ", found '" + peek()->text + "'"; }

    const std::vector<Token>& tokens_;
    std::size_t pos_ = 0;
    int line_;
};

class NestingGuard {
public:
    NestingGuard(int& depth, int max, const TokenStream& ts) : depth_(depth) {
        if (++depth_ > max) ts.error("template nested too deeply");
    }
    ~NestingGuard() { --depth_; }
    NestingGuard(const NestingGuard&) = delete;
    NestingGuard& operator=(const NestingGuard&) = delete;

private:
    int& depth_;
};

bool is_reserved_after_test(std::string_view name) {
    return name == "and" || name == "or" || name == "else" || name == "if" || name == "not" || name == "in" ||
           name == "is";
}

// Expressions, by Jinja's precedence from loosest to tightest:
// conditional, or, and, not, comparisons and `in`, + -, ~, * / // %, **,
// unary minus, then primaries with . [] () and | filters / is tests.
class ExpressionParser {
public:
    ExpressionParser(TokenStream& ts, int& depth, int max_depth) : ts_(ts), depth_(depth), max_depth_(max_depth) {}

    ExprPtr expression(bool allow_conditional = true) {
        NestingGuard guard(depth_, max_depth_, ts_);
        ExprPtr e = logical_or();
        while (allow_conditional && ts_.is_name("if")) {
            ts_.next();
            ExprPtr condition = logical_or();
            ExprPtr otherwise;
            if (ts_.accept_name("else")) otherwise = expression();
            e = make(ConditionalExpr{std::move(condition), std::move(e), std::move(otherwise)});
        }
        return e;
    }

    // An expression, or several separated by commas (a tuple).
    ExprPtr tuple_or_expression(bool allow_conditional = true) {
        ExprPtr first = expression(allow_conditional);
        if (!ts_.is_symbol(",")) return first;
        ListExpr tuple;
        tuple.items.push_back(std::move(first));
        while (ts_.accept_symbol(",")) {
            if (ts_.at_end() || ts_.is_name("if")) break;
            tuple.items.push_back(expression(allow_conditional));
        }
        return make(std::move(tuple));
    }

    void call_args(CallArgs& args) {
        // The opening '(' is already consumed.
        while (!ts_.accept_symbol(")")) {
            const Token* t = ts_.peek();
            if (t != nullptr && t->kind == TokenKind::name && ts_.is_symbol("=", 1)) {
                std::string name = ts_.next().text;
                ts_.next();
                args.named.emplace_back(std::move(name), expression());
            } else {
                args.positional.push_back(expression());
            }
            if (!ts_.is_symbol(")")) ts_.expect_symbol(",");
        }
    }

private:
    template <class Node>
    ExprPtr make(Node node) {
        auto e = std::make_unique<Expr>();
        e->node = std::move(node);
        e->line = ts_.line();
        return e;
    }

    ExprPtr binary(BinaryOp op, ExprPtr left, ExprPtr right) {
        return make(BinaryExpr{op, std::move(left), std::move(right)});
    }

    struct OperatorToken {
        std::string_view text;  // a symbol ("+") or a keyword ("and")
        BinaryOp op;
    };

    std::optional<BinaryOp> accept_operator(std::initializer_list<OperatorToken> operators) {
        const Token* t = ts_.peek();
        if (t == nullptr || (t->kind != TokenKind::symbol && t->kind != TokenKind::name)) return std::nullopt;
        for (const OperatorToken& o : operators) {
            if (t->text == o.text) {
                ts_.next();
                return o.op;
            }
        }
        return std::nullopt;
    }

    // operand (op operand)*, grouped from the left.
    ExprPtr left_associative(ExprPtr (ExpressionParser::*operand)(), std::initializer_list<OperatorToken> operators) {
        ExprPtr e = (this->*operand)();
        while (const auto op = accept_operator(operators)) e = binary(*op, std::move(e), (this->*operand)());
        return e;
    }

    ExprPtr logical_or() { return left_associative(&ExpressionParser::logical_and, {{"or", BinaryOp::logical_or}}); }

    ExprPtr logical_and() { return left_associative(&ExpressionParser::logical_not, {{"and", BinaryOp::logical_and}}); }

    ExprPtr logical_not() {
        if (ts_.accept_name("not")) {
            NestingGuard guard(depth_, max_depth_, ts_);
            return make(UnaryExpr{UnaryOp::logical_not, logical_not()});
        }
        return comparison();
    }

    ExprPtr comparison() {
        ExprPtr e = additive();
        while (true) {
            auto op = accept_operator({{"==", BinaryOp::equal},
                                       {"!=", BinaryOp::not_equal},
                                       {"<", BinaryOp::less},
                                       {"<=", BinaryOp::less_equal},
                                       {">", BinaryOp::greater},
                                       {">=", BinaryOp::greater_equal},
                                       {"in", BinaryOp::in}});
            if (!op && ts_.is_name("not") && ts_.is_name("in", 1)) {
                ts_.next();
                ts_.next();
                op = BinaryOp::not_in;
            }
            if (!op) return e;
            e = binary(*op, std::move(e), additive());
        }
    }

    ExprPtr additive() {
        return left_associative(&ExpressionParser::concatenation, {{"+", BinaryOp::add}, {"-", BinaryOp::subtract}});
    }

    ExprPtr concatenation() { return left_associative(&ExpressionParser::multiplicative, {{"~", BinaryOp::concat}}); }

    ExprPtr multiplicative() {
        return left_associative(&ExpressionParser::power, {{"*", BinaryOp::multiply},
                                                           {"/", BinaryOp::divide},
                                                           {"//", BinaryOp::floor_divide},
                                                           {"%", BinaryOp::modulo}});
    }

    ExprPtr power() { return left_associative(&ExpressionParser::filtered_unary, {{"**", BinaryOp::power}}); }

    ExprPtr filtered_unary() { return unary(true); }

    // As in Jinja, `-x|f` filters the negated value: the sign binds tighter.
    ExprPtr unary(bool with_filters) {
        NestingGuard guard(depth_, max_depth_, ts_);
        ExprPtr e;
        if (ts_.accept_symbol("-")) {
            e = make(UnaryExpr{UnaryOp::negate, unary(false)});
        } else if (ts_.accept_symbol("+")) {
            e = make(UnaryExpr{UnaryOp::plus, unary(false)});
        } else {
            e = postfix(primary());
        }
        return with_filters ? filters_and_tests(std::move(e)) : std::move(e);
    }

    ExprPtr primary() {
        const Token& t = ts_.next();
        switch (t.kind) {
            case TokenKind::name:
                return name_or_constant(t.text);
            case TokenKind::integer:
                return make(LiteralExpr{Value::integer(t.int_value)});
            case TokenKind::floating:
                return make(LiteralExpr{Value::floating(t.float_value)});
            case TokenKind::string: {
                // Adjacent string literals join, as in Python.
                std::string s = t.text;
                while (ts_.peek() != nullptr && ts_.peek()->kind == TokenKind::string) s += ts_.next().text;
                return make(LiteralExpr{Value::string(std::move(s))});
            }
            case TokenKind::symbol:
                break;
        }
        if (t.text == "(") return parenthesized();
        if (t.text == "[") return list_literal();
        if (t.text == "{") return dict_literal();
        ts_.error("unexpected '" + t.text + "'");
    }

    ExprPtr name_or_constant(const std::string& name) {
        if (name == "true" || name == "True") return make(LiteralExpr{Value::boolean(true)});
        if (name == "false" || name == "False") return make(LiteralExpr{Value::boolean(false)});
        if (name == "none" || name == "None") return make(LiteralExpr{Value::none()});
        return make(NameExpr{name});
    }

    ExprPtr parenthesized() {
        if (ts_.accept_symbol(")")) return make(ListExpr{});
        ExprPtr first = expression();
        if (ts_.accept_symbol(")")) return first;
        ListExpr tuple;
        tuple.items.push_back(std::move(first));
        while (ts_.accept_symbol(",")) {
            if (ts_.is_symbol(")")) break;
            tuple.items.push_back(expression());
        }
        ts_.expect_symbol(")");
        return make(std::move(tuple));
    }

    ExprPtr list_literal() {
        ListExpr list;
        while (!ts_.accept_symbol("]")) {
            list.items.push_back(expression());
            if (!ts_.is_symbol("]")) ts_.expect_symbol(",");
        }
        return make(std::move(list));
    }

    ExprPtr dict_literal() {
        DictExpr dict;
        while (!ts_.accept_symbol("}")) {
            ExprPtr key = expression();
            ts_.expect_symbol(":");
            dict.entries.emplace_back(std::move(key), expression());
            if (!ts_.is_symbol("}")) ts_.expect_symbol(",");
        }
        return make(std::move(dict));
    }

    ExprPtr postfix(ExprPtr e) {
        while (true) {
            if (ts_.accept_symbol(".")) {
                const Token& t = ts_.next();
                if (t.kind == TokenKind::integer) {
                    e = make(SubscriptExpr{std::move(e), make(LiteralExpr{Value::integer(t.int_value)})});
                } else if (t.kind == TokenKind::name) {
                    e = make(AttributeExpr{std::move(e), t.text});
                } else {
                    ts_.error("expected an attribute name after '.'");
                }
            } else if (ts_.accept_symbol("[")) {
                e = subscript(std::move(e));
            } else if (ts_.accept_symbol("(")) {
                CallExpr call{std::move(e), {}};
                call_args(call.args);
                e = make(std::move(call));
            } else {
                return e;
            }
        }
    }

    ExprPtr subscript(ExprPtr object) {
        ExprPtr start;
        if (!ts_.is_symbol(":")) start = expression();
        if (ts_.accept_symbol("]")) return make(SubscriptExpr{std::move(object), std::move(start)});
        ts_.expect_symbol(":");
        ExprPtr stop;
        ExprPtr step;
        if (!ts_.is_symbol(":") && !ts_.is_symbol("]")) stop = expression();
        if (ts_.accept_symbol(":") && !ts_.is_symbol("]")) step = expression();
        ts_.expect_symbol("]");
        return make(SliceExpr{std::move(object), std::move(start), std::move(stop), std::move(step)});
    }

    ExprPtr filters_and_tests(ExprPtr e) {
        while (true) {
            if (ts_.accept_symbol("|")) {
                FilterExpr filter{std::move(e), ts_.expect_name(), {}};
                if (ts_.accept_symbol("(")) call_args(filter.args);
                e = make(std::move(filter));
            } else if (ts_.accept_name("is")) {
                TestExpr test{std::move(e), {}, {}, ts_.accept_name("not")};
                test.name = ts_.expect_name();
                test_argument(test.args);
                e = make(std::move(test));
            } else if (ts_.accept_symbol("(")) {
                CallExpr call{std::move(e), {}};
                call_args(call.args);
                e = make(std::move(call));
            } else {
                return e;
            }
        }
    }

    // `is divisibleby(3)` or, without parentheses, `is equalto 'x'`.
    void test_argument(CallArgs& args) {
        if (ts_.accept_symbol("(")) {
            call_args(args);
            return;
        }
        const Token* t = ts_.peek();
        if (t == nullptr) return;
        const bool starts_value = t->kind == TokenKind::string || t->kind == TokenKind::integer ||
                                  t->kind == TokenKind::floating ||
                                  (t->kind == TokenKind::name && !is_reserved_after_test(t->text));
        if (starts_value) args.positional.push_back(postfix(primary()));
    }

    TokenStream& ts_;
    int& depth_;
    int max_depth_;
};

class TemplateParser {
public:
    TemplateParser(std::vector<Piece> pieces, const ParseLimits& limits)
        : pieces_(std::move(pieces)), limits_(limits) {}

    Body parse() {
        Body body = parse_body({});
        if (pos_ < pieces_.size()) {
            const Piece& p = pieces_[pos_];
            fail("line " + std::to_string(p.line) + ": unexpected '" + p.tokens.front().text + "'");
        }
        return body;
    }

private:
    static std::string_view keyword(const Piece& piece) {
        if (piece.kind != PieceKind::statement || piece.tokens.empty()) return {};
        return piece.tokens.front().text;
    }

    // Statements up to (not including) a tag that starts with one of
    // `terminators`, or to the end of the template.
    Body parse_body(std::initializer_list<std::string_view> terminators) {
        Body body;
        while (pos_ < pieces_.size()) {
            const Piece& piece = pieces_[pos_];
            const std::string_view word = keyword(piece);
            for (std::string_view t : terminators) {
                if (word == t) return body;
            }
            ++pos_;
            parse_piece(piece, body);
        }
        return body;
    }

    // The current piece must be one of `words`; it is consumed.
    TokenStream take_terminator(std::initializer_list<std::string_view> words, int opened_at) {
        if (pos_ >= pieces_.size()) {
            fail("line " + std::to_string(opened_at) + ": block is not closed (expected " +
                 std::string(*std::prev(words.end())) + ")");
        }
        const Piece& piece = pieces_[pos_++];
        TokenStream ts(piece.tokens, piece.line);
        ts.next();
        return ts;
    }

    template <class Node>
    StmtPtr make(Node node, int line) {
        auto s = std::make_unique<Stmt>();
        s->node = std::move(node);
        s->line = line;
        return s;
    }

    void parse_piece(const Piece& piece, Body& body) {
        if (piece.kind == PieceKind::text) {
            body.push_back(make(TextStmt{piece.text}, piece.line));
            return;
        }
        TokenStream ts(piece.tokens, piece.line);
        if (piece.kind == PieceKind::output) {
            ExprPtr value = expressions(ts).tuple_or_expression();
            ts.expect_end();
            body.push_back(make(OutputStmt{std::move(value)}, piece.line));
            return;
        }
        NestingGuard guard(depth_, limits_.max_nesting, ts);
        const std::string word = ts.expect_name();
        if (word == "if")
            body.push_back(parse_if(ts));
        else if (word == "for")
            body.push_back(parse_for(ts));
        else if (word == "set")
            body.push_back(parse_set(ts));
        else if (word == "macro")
            body.push_back(parse_macro(ts));
        else if (word == "do")
            body.push_back(parse_do(ts));
        else if (word == "break" || word == "continue")
            body.push_back(parse_loop_control(ts, word));
        else if (word == "generation")
            parse_generation(ts, body);
        else
            ts.error("unsupported tag '" + word + "'");
    }

    ExpressionParser expressions(TokenStream& ts) { return ExpressionParser(ts, depth_, limits_.max_nesting); }

    StmtPtr parse_if(TokenStream& ts) {
        IfStmt stmt;
        ExprPtr condition = expressions(ts).expression();
        ts.expect_end();
        while (true) {
            Body branch = parse_body({"elif", "else", "endif"});
            stmt.branches.emplace_back(std::move(condition), std::move(branch));
            TokenStream end = take_terminator({"elif", "else", "endif"}, ts.line());
            const std::string& word = pieces_[pos_ - 1].tokens.front().text;
            if (word == "elif") {
                condition = expressions(end).expression();
                end.expect_end();
                continue;
            }
            end.expect_end();
            if (word == "else") {
                stmt.else_body = parse_body({"endif"});
                take_terminator({"endif"}, ts.line()).expect_end();
            }
            return make(std::move(stmt), ts.line());
        }
    }

    StmtPtr parse_for(TokenStream& ts) {
        ForStmt stmt;
        const bool parenthesized = ts.accept_symbol("(");
        do {
            stmt.targets.push_back(ts.expect_name());
        } while (ts.accept_symbol(","));
        if (parenthesized) ts.expect_symbol(")");
        if (!ts.accept_name("in")) ts.error("expected 'in' in for loop");
        stmt.iterable = expressions(ts).tuple_or_expression(false);
        if (ts.accept_name("if")) stmt.filter = expressions(ts).expression(false);
        if (ts.is_name("recursive")) ts.error("recursive loops are not supported");
        ts.expect_end();
        ++loop_depth_;
        stmt.body = parse_body({"else", "endfor"});
        --loop_depth_;
        TokenStream end = take_terminator({"else", "endfor"}, ts.line());
        end.expect_end();
        if (pieces_[pos_ - 1].tokens.front().text == "else") {
            stmt.else_body = parse_body({"endfor"});
            take_terminator({"endfor"}, ts.line()).expect_end();
        }
        return make(std::move(stmt), ts.line());
    }

    StmtPtr parse_set(TokenStream& ts) {
        std::vector<std::string> targets{ts.expect_name()};
        std::string attribute;
        if (ts.accept_symbol(".")) {
            attribute = ts.expect_name();
        } else {
            while (ts.accept_symbol(",")) targets.push_back(ts.expect_name());
        }
        if (ts.accept_symbol("=")) {
            ExprPtr value = expressions(ts).tuple_or_expression();
            ts.expect_end();
            return make(SetStmt{std::move(targets), std::move(attribute), std::move(value)}, ts.line());
        }
        if (targets.size() != 1 || !attribute.empty()) ts.error("a block set assigns one plain name");
        ts.expect_end();
        SetBlockStmt stmt{targets.front(), parse_body({"endset"})};
        take_terminator({"endset"}, ts.line()).expect_end();
        return make(std::move(stmt), ts.line());
    }

    StmtPtr parse_macro(TokenStream& ts) {
        MacroStmt stmt;
        stmt.name = ts.expect_name();
        ts.expect_symbol("(");
        while (!ts.accept_symbol(")")) {
            MacroParam param{ts.expect_name(), nullptr};
            if (ts.accept_symbol("=")) param.default_value = expressions(ts).expression();
            stmt.params.push_back(std::move(param));
            if (!ts.is_symbol(")")) ts.expect_symbol(",");
        }
        ts.expect_end();
        // break/continue cannot reach a loop outside the macro.
        const int outer_loops = loop_depth_;
        loop_depth_ = 0;
        stmt.body = parse_body({"endmacro"});
        loop_depth_ = outer_loops;
        take_terminator({"endmacro"}, ts.line());
        return make(std::move(stmt), ts.line());
    }

    StmtPtr parse_do(TokenStream& ts) {
        ExprPtr value = expressions(ts).tuple_or_expression();
        ts.expect_end();
        return make(DoStmt{std::move(value)}, ts.line());
    }

    StmtPtr parse_loop_control(TokenStream& ts, const std::string& word) {
        ts.expect_end();
        if (loop_depth_ == 0) ts.error("'" + word + "' outside a loop");
        if (word == "break") return make(BreakStmt{}, ts.line());
        return make(ContinueStmt{}, ts.line());
    }

    // {% generation %} marks the assistant's text for training; when
    // rendering it is just its contents.
    void parse_generation(TokenStream& ts, Body& body) {
        ts.expect_end();
        Body inner = parse_body({"endgeneration"});
        take_terminator({"endgeneration"}, ts.line()).expect_end();
        for (StmtPtr& s : inner) body.push_back(std::move(s));
    }

    std::vector<Piece> pieces_;
    ParseLimits limits_;
    std::size_t pos_ = 0;
    int depth_ = 0;
    int loop_depth_ = 0;
};

}  // namespace

Body parse_template(std::string_view source, const ParseLimits& limits) {
    return TemplateParser(lex_template(source), limits).parse();
}

}  // namespace clawbot::chat::jinja
