#pragma once
// A loaded model: the mapped GGUF file, its hyper-parameters, views of its
// weights and its tokenizer. Immutable after load, shared by all requests.
#include <memory>
#include <string>

#include "common/result.h"
#include "engine/gguf/gguf_file.h"
#include "engine/model/model_config.h"
#include "engine/model/weights.h"
#include "engine/tensor/kernels.h"
#include "engine/tokenizer/tokenizer.h"

namespace clawbot {

struct LoadOptions {
    // Copy the matrices into the packed kernels' layout (faster prefill,
    // batches and decode). Off keeps resident memory at the file's size on
    // hosts that cannot afford the copy being made, at some speed.
    bool repack = true;
    // Run the unpacked matrices with kernels no faster than this ISA.
    // Isa::Scalar (with repack off) adds in the reference implementation's
    // float order for the types whose scalar kernels follow it, which is what
    // the conformance tests compare digit for digit; a debugging aid, far
    // too slow to serve with.
    kernels::Isa kernel_isa = kernels::Isa::Avx512;
};

class Model {
public:
    static Result<std::unique_ptr<Model>> load(const std::string& path, const LoadOptions& options = {});

    const ModelConfig& config() const { return config_; }
    const ModelWeights& weights() const { return weights_; }
    const Tokenizer& tokenizer() const { return *tokenizer_; }
    const gguf::GgufFile& file() const { return *file_; }
    const PackingReport& packing() const { return packing_; }

private:
    Model() = default;
    std::unique_ptr<gguf::GgufFile> file_;
    ModelConfig config_;
    ModelWeights weights_;
    std::unique_ptr<Tokenizer> tokenizer_;
    PackingReport packing_;
};

}  // namespace clawbot
