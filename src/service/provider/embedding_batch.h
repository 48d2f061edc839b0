#pragma once
// The engine's sinks for one /v1/embeddings call: one per input, sharing a
// batch that hands every vector to the handler once the last input is done
// (or the first error), on the delivery executor, never the engine thread.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "engine/scheduler/request.h"
#include "service/provider/delivery_sink.h"
#include "service/provider/provider.h"

namespace clawbot::service {

class EmbeddingBatch : public std::enable_shared_from_this<EmbeddingBatch> {
public:
    EmbeddingBatch(size_t inputs, std::shared_ptr<EmbeddingHandler> handler, DeliverySink::Post post);

    // The sink for input `index`.
    std::shared_ptr<TokenSink> sink(size_t index);
    // An input that never reached the engine (refused at submit).
    void fail(const StartError& error);

private:
    class InputSink;
    void finished_one();

    std::shared_ptr<EmbeddingHandler> handler_;
    const DeliverySink::Post post_;
    std::mutex mutex_;
    std::vector<std::vector<float>> vectors_;
    int prompt_tokens_ = 0;
    std::optional<StartError> error_;
    size_t remaining_;
};

}  // namespace clawbot::service
