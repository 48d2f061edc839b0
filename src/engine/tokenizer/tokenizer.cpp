#include "engine/tokenizer/tokenizer.h"

#include "engine/tokenizer/bpe_encoder.h"
#include "engine/tokenizer/byte_level.h"
#include "engine/tokenizer/special_splitter.h"
#include "engine/tokenizer/spm_encoder.h"
#include "engine/tokenizer/vocab.h"
#include "engine/tokenizer/vocab_gguf.h"

namespace clawbot {

namespace {

constexpr std::string_view kEscapedSpace = "\xE2\x96\x81";  // U+2581 "▁"

class VocabTokenizer final : public Tokenizer {
public:
    explicit VocabTokenizer(Vocab vocab) : vocab_(std::move(vocab)) {}

    std::vector<TokenId> encode(std::string_view text, bool add_special, bool parse_special) const override {
        return encode_split(text, add_special, parse_special, {});
    }

    std::vector<TokenId> encode(std::string_view text, bool add_special,
                                std::span<const ByteRange> plain_ranges) const override {
        return encode_split(text, add_special, true, plain_ranges);
    }

    std::string token_to_piece(TokenId id, bool render_special) const override {
        if (!vocab_.valid(id)) return {};
        const std::string_view text = vocab_.text(id);
        if (vocab_.has_attr(id, token_attr::kControl | token_attr::kUnknown)) {
            return render_special ? std::string(text) : std::string();
        }
        if (vocab_.has_attr(id, token_attr::kUserDefined)) return std::string(text);
        if (vocab_.has_attr(id, token_attr::kNormal)) {
            return vocab_.kind() == VocabKind::Bpe ? byte_level::decode(text) : unescape_spaces(text);
        }
        if (vocab_.has_attr(id, token_attr::kByte)) return byte_of(text);
        return {};  // unused and undefined tokens render as nothing, as in llama.cpp
    }

    int32_t n_vocab() const override { return vocab_.size(); }
    TokenId bos() const override { return vocab_.bos; }
    TokenId eos() const override { return vocab_.eos; }
    bool is_eog(TokenId id) const override { return vocab_.end_of_generation.count(id) > 0; }
    bool is_control(TokenId id) const override {
        return vocab_.valid(id) && vocab_.has_attr(id, token_attr::kControl);
    }
    bool add_bos() const override { return vocab_.add_bos; }

private:
    std::vector<TokenId> encode_split(std::string_view text, bool add_special, bool parse_special,
                                      std::span<const ByteRange> plain_ranges) const {
        std::vector<TokenId> out;
        out.reserve(text.size() / 3 + 2);
        if (add_special && vocab_.add_bos && vocab_.bos >= 0) out.push_back(vocab_.bos);
        const std::vector<Fragment> fragments = split_special_tokens(vocab_, text, parse_special, plain_ranges);
        if (vocab_.kind() != VocabKind::Bpe) {
            encode_spm(text, fragments, out);
        } else {
            for (const Fragment& f : fragments) {
                if (f.is_text()) {
                    bpe_encode(vocab_, text.substr(f.begin, f.length), out);
                } else {
                    out.push_back(f.token);
                }
            }
        }
        if (add_special && vocab_.add_eos && vocab_.eos >= 0) out.push_back(vocab_.eos);
        return out;
    }

    // SentencePiece (by scores or by merges) sees every text fragment as a
    // fresh sentence: a "▁" is prepended to the first one and to each one that
    // follows a special token, when the vocabulary asks for it.
    void encode_spm(std::string_view text, const std::vector<Fragment>& fragments, std::vector<TokenId>& out) const {
        bool after_special = true;
        std::string escaped;
        for (const Fragment& f : fragments) {
            if (!f.is_text()) {
                out.push_back(f.token);
                after_special = true;
                continue;
            }
            escaped.clear();
            if (vocab_.add_space_prefix && after_special) escaped.append(kEscapedSpace);
            for (char c : text.substr(f.begin, f.length)) {
                if (c == ' ') {
                    escaped.append(kEscapedSpace);
                } else {
                    escaped.push_back(c);
                }
            }
            if (vocab_.kind() == VocabKind::SpBpe) {
                sp_bpe_encode(vocab_, escaped, out);
            } else {
                spm_encode(vocab_, escaped, out);
            }
            after_special = false;
        }
    }

    static std::string unescape_spaces(std::string_view text) {
        std::string out;
        out.reserve(text.size());
        size_t pos = 0;
        while (pos < text.size()) {
            if (text.substr(pos, kEscapedSpace.size()) == kEscapedSpace) {
                out.push_back(' ');
                pos += kEscapedSpace.size();
            } else {
                out.push_back(text[pos++]);
            }
        }
        return out;
    }

    // Byte tokens are spelled "<0xNN>".
    static std::string byte_of(std::string_view text) {
        if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return std::string(text);
        const auto hex = [](char c) -> int {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            return -1;
        };
        const int hi = hex(text[3]);
        const int lo = hex(text[4]);
        if (hi < 0 || lo < 0) return std::string(text);
        return std::string(1, static_cast<char>(hi * 16 + lo));
    }

    Vocab vocab_;
};

}  // namespace

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::GgufFile& file) {
    auto vocab = load_vocab(file);
    if (!vocab) return vocab.error();
    return std::unique_ptr<Tokenizer>(std::make_unique<VocabTokenizer>(std::move(vocab).value()));
}

}  // namespace clawbot
