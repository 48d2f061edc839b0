// Functions every template can call without defining them.
#include <functional>

#include "engine/chat/jinja_args.h"
#include "engine/chat/jinja_builtins.h"

namespace clawbot::chat::jinja {
namespace {

class NativeFunction final : public Callable {
public:
    using Body = std::function<Value(Evaluator&, const Arguments&)>;
    explicit NativeFunction(Body body) : body_(std::move(body)) {}
    Value call(Evaluator& evaluator, const Arguments& args) override { return body_(evaluator, args); }

private:
    Body body_;
};

Value function(NativeFunction::Body body) { return Value::callable(std::make_shared<NativeFunction>(std::move(body))); }

Value range(Evaluator& ev, const Arguments& args) {
    const std::size_t n_args = args.positional.size();
    if (n_args < 1 || n_args > 3) fail("range expects 1 to 3 integers");
    int64_t start = 0;
    int64_t stop = 0;
    int64_t step = 1;
    if (n_args == 1) {
        stop = int_arg(&args.positional[0], 0, "range");
    } else {
        start = int_arg(&args.positional[0], 0, "range");
        stop = int_arg(&args.positional[1], 0, "range");
        if (n_args == 3) step = int_arg(&args.positional[2], 1, "range");
    }
    if (step == 0) fail("range step must not be zero");
    // Count first, so an enormous range fails before anything is built.
    const __int128 span = step > 0 ? static_cast<__int128>(stop) - start : static_cast<__int128>(start) - stop;
    const __int128 stride = step > 0 ? step : -static_cast<__int128>(step);
    const __int128 count = span <= 0 ? 0 : (span + stride - 1) / stride;
    if (count > static_cast<__int128>(ev.limits().max_iterations)) fail("range too long");
    ev.charge_iterations(static_cast<std::size_t>(count));
    std::vector<Value> items;
    items.reserve(static_cast<std::size_t>(count));
    for (int64_t i = 0; i < static_cast<int64_t>(count); ++i) items.push_back(Value::integer(start + i * step));
    return Value::array(std::move(items));
}

// namespace(a=1) and dict(a=1); a dict given first is copied in.
Value make_object(const Arguments& args, bool is_namespace) {
    Value object = Value::object();
    if (!args.positional.empty()) {
        if (!args.positional[0].is_object()) fail("expected keyword arguments or a dict");
        object.as_object().entries = args.positional[0].as_object().entries;
    }
    for (const auto& [key, value] : args.named) object.as_object().set(key, value);
    object.as_object().is_namespace = is_namespace;
    return object;
}

}  // namespace

void add_globals(Frame& frame, const CalendarDate& today) {
    frame.vars["range"] = function(range);
    frame.vars["namespace"] = function([](Evaluator&, const Arguments& args) { return make_object(args, true); });
    frame.vars["dict"] = function([](Evaluator&, const Arguments& args) { return make_object(args, false); });
    frame.vars["raise_exception"] = function([](Evaluator&, const Arguments& args) -> Value {
        const Value* message = args.get(0, "message");
        fail("template raised: " + (message != nullptr ? to_display_string(*message) : std::string("error")));
    });
    frame.vars["strftime_now"] = function([today](Evaluator& ev, const Arguments& args) {
        return ev.new_string(format_date(today, string_arg(args.get(0, "format"), "strftime_now")));
    });
}

}  // namespace clawbot::chat::jinja
