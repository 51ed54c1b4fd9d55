// Σ log1p(e_i) over a run of terms e_i >= 0 with one log per block of terms instead of one
// per term: the log loss's share of a stochastic epoch's loss sum (sparse_sgd_rows.hpp).
// On that chain of steps the per-row log (glibc's, a call with every live register spilled
// around it) took about an eighth of the epoch's time although no step reads the loss.
//
// The block keeps q = Π(1 + e_i) − 1, updated as q ← q + (e + q·e): every operand is
// non-negative, so each of the 3 roundings per term moves q by at most 2^-53 of itself, and
// after k terms q is within about 3k·2^-53 of the exact product minus one, relatively. Since
// log1p is increasing with x·log1p'(x)/log1p(x) <= 1, log1p(q) is then within the same
// relative error of Σ log1p(e_i) (plus log1p's own ulp): at most about 1.7e-13 for a block
// of 512 terms, whatever the e_i's size (tiny terms keep their precision: q never holds
// 1 + q). A block of 512 terms of at most log(2) each keeps 1 + q below 2^512.
#pragma once

#include <cmath>
#include <cstddef>

namespace pygdx {

inline constexpr std::size_t log1p_block_terms = 512;

// q after one more term e (see above).
inline double log1p_block_add(double q, double e) { return q + (e + q * e); }

// The block's Σ log1p(e_i).
inline double log1p_block_sum(double q) { return std::log1p(q); }

}  // namespace pygdx
