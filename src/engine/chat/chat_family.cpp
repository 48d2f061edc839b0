#include "engine/chat/chat_family.h"

#include <array>
#include <utility>

namespace clawbot::chat {
namespace {

using F = ChatTemplateFamily;

// The names are llama.cpp's, so a user can pass the same --chat-template name
// to either program.
constexpr std::array<std::pair<F, std::string_view>, 26> kFamilyNames = {{
    {F::chatml, "chatml"},
    {F::llama2, "llama2"},
    {F::llama2_sys, "llama2-sys"},
    {F::llama2_sys_bos, "llama2-sys-bos"},
    {F::llama2_sys_strip, "llama2-sys-strip"},
    {F::mistral_v1, "mistral-v1"},
    {F::mistral_v3, "mistral-v3"},
    {F::mistral_v3_tekken, "mistral-v3-tekken"},
    {F::mistral_v7, "mistral-v7"},
    {F::mistral_v7_tekken, "mistral-v7-tekken"},
    {F::phi3, "phi3"},
    {F::phi4, "phi4"},
    {F::falcon3, "falcon3"},
    {F::zephyr, "zephyr"},
    {F::gemma, "gemma"},
    {F::vicuna, "vicuna"},
    {F::vicuna_orca, "vicuna-orca"},
    {F::deepseek, "deepseek"},
    {F::deepseek3, "deepseek3"},
    {F::command_r, "command-r"},
    {F::llama3, "llama3"},
    {F::llama4, "llama4"},
    {F::granite, "granite"},
    {F::openchat, "openchat"},
    {F::exaone3, "exaone3"},
    {F::minicpm, "minicpm"},
}};

constexpr std::array<F, kFamilyNames.size()> make_family_list() {
    std::array<F, kFamilyNames.size()> families{};
    for (std::size_t i = 0; i < kFamilyNames.size(); ++i) families[i] = kFamilyNames[i].first;
    return families;
}

constexpr auto kFamilies = make_family_list();

}  // namespace

std::span<const ChatTemplateFamily> all_families() { return kFamilies; }

std::string_view family_name(ChatTemplateFamily family) {
    for (const auto& [f, name] : kFamilyNames) {
        if (f == family) return name;
    }
    return "unknown";
}

std::optional<ChatTemplateFamily> family_from_name(std::string_view name) {
    for (const auto& [f, family_label] : kFamilyNames) {
        if (family_label == name) return f;
    }
    return std::nullopt;
}

}  // namespace clawbot::chat
