#pragma once
// Runs a prompt through ForwardPass with logits at every position, for the
// conformance and batching tests.
#include <memory>
#include <vector>

#include "engine/kv/block_pool.h"
#include "engine/kv/kv_storage.h"
#include "engine/model/forward.h"
#include "engine/model/model.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot::test {

// logits[i] = the n_vocab logits after prompt[0..i].
std::vector<std::vector<float>> logits_at_every_position(const Model& model, ThreadPool& pool,
                                                         const std::vector<TokenId>& prompt, int slice = 0);

double cosine_similarity(const std::vector<float>& a, const std::vector<float>& b);

}  // namespace clawbot::test
