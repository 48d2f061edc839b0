#include "service/provider/embedding_batch.h"

namespace clawbot::service {

class EmbeddingBatch::InputSink final : public TokenSink {
public:
    InputSink(std::shared_ptr<EmbeddingBatch> batch, size_t index) : batch_(std::move(batch)), index_(index) {}
    void on_token(TokenId, std::string_view) override {}
    void on_embedding(std::span<const float> v) override {
        std::lock_guard lock(batch_->mutex_);
        batch_->vectors_[index_].assign(v.begin(), v.end());
    }
    void on_finish(FinishReason reason, const Usage& usage, std::string_view error) override {
        {
            std::lock_guard lock(batch_->mutex_);
            batch_->prompt_tokens_ += usage.prompt_tokens;
            if (reason != FinishReason::Stop && !batch_->error_) {
                batch_->error_ = StartError{reason == FinishReason::Cancelled ? StartErrorCode::Unavailable : StartErrorCode::Internal,
                                            error.empty() ? std::string("the embedding was not computed") : std::string(error)};
            }
        }
        batch_->finished_one();
    }

private:
    std::shared_ptr<EmbeddingBatch> batch_;
    size_t index_;
};

EmbeddingBatch::EmbeddingBatch(size_t inputs, std::shared_ptr<EmbeddingHandler> handler, DeliverySink::Post post)
    : handler_(std::move(handler)), post_(std::move(post)), vectors_(inputs), remaining_(inputs) {}

std::shared_ptr<TokenSink> EmbeddingBatch::sink(size_t index) {
    return std::make_shared<InputSink>(shared_from_this(), index);
}

void EmbeddingBatch::fail(const StartError& error) {
    {
        std::lock_guard lock(mutex_);
        if (!error_) error_ = error;
    }
    finished_one();
}

void EmbeddingBatch::finished_one() {
    std::shared_ptr<EmbeddingHandler> handler;
    {
        std::lock_guard lock(mutex_);
        if (--remaining_ > 0 || !handler_) return;
        handler = std::move(handler_);
    }
    // The handler's JSON of many vectors is built off the engine thread.
    auto self = shared_from_this();
    post_([self, handler] {
        if (self->error_) return handler->on_error(*self->error_);
        handler->on_embeddings(std::move(self->vectors_), self->prompt_tokens_);
    });
}

}  // namespace clawbot::service
