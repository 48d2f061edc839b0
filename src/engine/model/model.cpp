#include "engine/model/model.h"

namespace clawbot {

Result<std::unique_ptr<Model>> Model::load(const std::string& path, const LoadOptions& options) {
    auto file = gguf::GgufFile::open(path);
    if (!file) return file.error();
    std::unique_ptr<Model> model(new Model());
    model->file_ = std::move(*file);
    auto config = read_model_config(*model->file_);
    if (!config) return make_error(path + ": " + config.error().message);
    model->config_ = std::move(*config);
    auto weights = bind_weights(*model->file_, model->config_);
    if (!weights) return make_error(path + ": " + weights.error().message);
    model->weights_ = std::move(*weights);
    if (options.kernel_isa != kernels::Isa::Avx512) use_kernels_up_to(model->weights_, options.kernel_isa);
    auto tokenizer = Tokenizer::from_gguf(*model->file_);
    if (!tokenizer) return make_error(path + ": " + tokenizer.error().message);
    model->tokenizer_ = std::move(*tokenizer);
    if (model->tokenizer_->n_vocab() != model->config_.n_vocab) {
        return make_error(path + ": tokenizer has " + std::to_string(model->tokenizer_->n_vocab()) +
                          " tokens but the embedding has " + std::to_string(model->config_.n_vocab));
    }
    if (options.repack) model->packing_ = pack_weights(model->weights_, *model->file_);
    return model;
}

}  // namespace clawbot
