#include "engine/tokenizer/vocab.h"

#include <cstdint>
#include <string>

namespace clawbot {

uint32_t token_attr::from_token_type(int64_t type) {
    switch (type) {
        case 1: return kNormal;
        case 2: return kUnknown;
        case 3: return kControl;
        case 4: return kUserDefined;
        case 5: return kUnused;
        case 6: return kByte;
        default: return 0;
    }
}

Result<Vocab> Vocab::create(VocabKind kind, const std::vector<std::string_view>& texts, std::vector<float> scores,
                            std::vector<uint32_t> attrs) {
    if (texts.empty()) return make_error("tokenizer vocabulary is empty");
    if (scores.size() != texts.size() || attrs.size() != texts.size()) {
        return make_error("tokenizer scores/types do not match the token count");
    }
    Vocab v;
    v.kind_ = kind;
    v.scores_ = std::move(scores);
    v.attrs_ = std::move(attrs);
    v.offsets_.reserve(texts.size() + 1);
    v.offsets_.push_back(0);
    size_t total = 0;
    for (auto t : texts) total += t.empty() ? 24 : t.size();
    if (total > UINT32_MAX) return make_error("tokenizer vocabulary texts exceed 4 GiB");
    v.arena_.reserve(total);
    for (size_t i = 0; i < texts.size(); ++i) {
        if (texts[i].empty()) {
            const std::string renamed = "[EMPTY_" + std::to_string(i) + "]";
            v.arena_.insert(v.arena_.end(), renamed.begin(), renamed.end());
        } else {
            v.arena_.insert(v.arena_.end(), texts[i].begin(), texts[i].end());
        }
        v.offsets_.push_back(static_cast<uint32_t>(v.arena_.size()));
    }
    v.ids_.reserve(texts.size());
    for (TokenId id = 0; id < v.size(); ++id) {
        const auto [it, inserted] = v.ids_.emplace(v.text(id), id);
        if (!inserted) {
            return make_error("duplicate token in vocabulary: '" + std::string(v.text(id)) + "' has ids " +
                              std::to_string(it->second) + " and " + std::to_string(id));
        }
    }
    return v;
}

std::string_view Vocab::text(TokenId id) const {
    const auto i = static_cast<size_t>(id);
    return {arena_.data() + offsets_[i], offsets_[i + 1] - offsets_[i]};
}

TokenId Vocab::find(std::string_view text) const {
    const auto it = ids_.find(text);
    return it == ids_.end() ? -1 : it->second;
}

TokenId Vocab::byte_token(uint8_t byte) const {
    static constexpr char kHex[] = "0123456789ABCDEF";
    const char spelled[6] = {'<', '0', 'x', kHex[byte >> 4], kHex[byte & 15], '>'};
    if (const TokenId id = find(std::string_view(spelled, 6)); id >= 0) return id;
    const char raw = static_cast<char>(byte);
    return find(std::string_view(&raw, 1));
}

void Vocab::add_merge(TokenId left, TokenId right, uint32_t rank) {
    const std::string joined = std::string(text(left)) + std::string(text(right));
    // The first occurrence of a pair wins, as with llama.cpp's emplace.
    merges_.emplace(merge_key(left, right), Merge{rank, find(joined)});
}

const Vocab::Merge* Vocab::find_merge(TokenId left, TokenId right) const {
    const auto it = merges_.find(merge_key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
}

}  // namespace clawbot
