#pragma once
// Fills a tensor's bytes in a target type from float rows, rows split over
// the thread pool. Shared by `quantize` and `make-model`.
#include <cstdint>
#include <functional>
#include <string>

#include "engine/tensor/dtype.h"
#include "engine/tensor/thread_pool.h"

namespace clawbot::cli {

// Produces row `row` (cols floats) into `out`; called from several threads.
using RowSource = std::function<void(int64_t row, float* out)>;

void convert_rows(ThreadPool& pool, DType target, int64_t rows, int64_t cols, const RowSource& source, uint8_t* dst);

// The type a 2-D weight of `cols` columns is stored in when `wanted` is
// asked for: K-quants need 256-element rows and the 32-element types 32, so
// narrower rows fall back to Q8_0, then F32 (as llama.cpp's quantizer does).
DType storage_type_for(DType wanted, int64_t cols);

// Parses a --type argument; only types we can write are accepted.
bool parse_write_type(const std::string& name, DType& out);

// llama.cpp's general.file_type value for a file mostly of type t.
uint32_t file_type_of(DType t);

}  // namespace clawbot::cli
