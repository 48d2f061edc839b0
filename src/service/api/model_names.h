#pragma once
// Which `model` names a /v1 request may use. One model is loaded (or, in
// cloud mode, one upstream model configured); a request naming another gets
// 404 model_not_found, as OpenAI answers, unless MODEL_ALIASES lists the
// name ("gpt-4o,my-assistant") or is "*" (any name answers with the loaded
// model). An absent or empty `model` means the loaded one.
#include <string>
#include <string_view>
#include <vector>

namespace clawbot::service {

class ModelNames {
public:
    ModelNames(std::string loaded, std::string_view aliases);

    bool accepts(std::string_view requested) const;
    const std::string& loaded() const { return loaded_; }
    // The names /v1/models lists: the loaded model's, then the aliases ("*" is not a name).
    std::vector<std::string> listed() const;

private:
    std::string loaded_;
    std::vector<std::string> aliases_;
    bool any_ = false;
};

}  // namespace clawbot::service
