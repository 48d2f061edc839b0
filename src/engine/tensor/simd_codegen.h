#pragma once
// Code-generation hints for the SIMD kernels, which rely on two things -O2
// does not promise by itself:
// - loops over a tile's rows and columns (and other short fixed-count loops)
//   are fully unrolled, so accumulator arrays live in registers;
// - the small helpers of a kernel are inlined into its loop, so the vectors
//   they return do not round-trip through the stack.
#define CLAWBOT_UNROLL _Pragma("GCC unroll 16")
#define CLAWBOT_INLINE [[gnu::always_inline]] inline
