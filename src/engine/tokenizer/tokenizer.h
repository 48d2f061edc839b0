#pragma once
// Text <-> token ids for the vocabularies stored in GGUF metadata
// (tokenizer.ggml.*): SentencePiece-style (model "llama") and byte-level BPE
// (model "gpt2") with the pre-tokenizer named by tokenizer.ggml.pre.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/common/byte_range.h"
#include "common/result.h"
#include "engine/gguf/gguf_file.h"

namespace clawbot {

using TokenId = int32_t;

class Tokenizer {
public:
    // Reads the vocabulary from a model or vocabulary-only GGUF. Refuses an
    // unknown tokenizer model or pre-tokenizer by name.
    static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::GgufFile& file);
    virtual ~Tokenizer() = default;

    // add_special: add BOS/EOS as the vocabulary's add_bos/add_eos flags say.
    // parse_special: text of special/control tokens (e.g. "<|im_start|>")
    // becomes those tokens; otherwise it is tokenized as plain text.
    virtual std::vector<TokenId> encode(std::string_view text, bool add_special,
                                        bool parse_special) const = 0;
    // As encode(text, add_special, true), except that no control token is
    // taken from text overlapping `plain_ranges` (byte ranges of `text`):
    // for a prompt whose template markup holds control tokens and whose
    // message contents must not. The text is still split and merged in one
    // pass, so where nothing is left out the tokens are the same.
    virtual std::vector<TokenId> encode(std::string_view text, bool add_special,
                                        std::span<const ByteRange> plain_ranges) const = 0;

    // The bytes a token stands for (byte tokens become their byte, SPM "▁"
    // becomes a space, byte-level BPE symbols become their bytes). Special
    // tokens render as their text only when `render_special` is set.
    virtual std::string token_to_piece(TokenId id, bool render_special = false) const = 0;

    virtual int32_t n_vocab() const = 0;
    virtual TokenId bos() const = 0;   // -1 if none
    virtual TokenId eos() const = 0;   // -1 if none
    virtual bool is_eog(TokenId id) const = 0;  // EOS, EOT, <|im_end|>, ... (end of generation)
    virtual bool is_control(TokenId id) const = 0;
    virtual bool add_bos() const = 0;
};

// Turns a stream of tokens into text without ever emitting part of a UTF-8
// character: bytes of an incomplete sequence are held until it completes.
class IncrementalDetokenizer {
public:
    // render_special: control tokens come out as their text (see
    // Tokenizer::token_to_piece), for replies whose markers a caller parses.
    explicit IncrementalDetokenizer(const Tokenizer& tokenizer, bool render_special = false)
        : tokenizer_(tokenizer), render_special_(render_special) {}
    // Text completed by this token (may be empty).
    std::string push(TokenId id);
    // Whatever is still held (invalid sequences become U+FFFD).
    std::string flush();

private:
    const Tokenizer& tokenizer_;
    bool render_special_;
    std::string pending_;
};

}  // namespace clawbot
