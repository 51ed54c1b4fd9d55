// Decision values of sparse (CSR) rows: prediction's pass over them (csr.hpp).
#pragma once

#include <cstddef>

#include "core/csr.hpp"
#include "core/linear.hpp"
#include "core/parallel.hpp"

namespace pygdx {

// Rows below which decision values are computed on the calling thread (text-like rows hold
// tens of entries: a few thousand rows are what starting a thread costs).
inline constexpr std::size_t min_rows_per_thread = 4096;

// Decision values z (n_used x K, row-major) of the rows of `data` with the weights theta.
// Rows whose arrays changed during the pass (data.has_changed() after it) are not valid.
template <class T, class I>
void csr_decision(const LinearProblem& pb, const CsrData<T, I>& data, const T* theta, T* out, int n_threads) {
    const std::size_t d = pb.n_features;
    const std::size_t K = pb.n_outputs;
    const T* intercept = theta + pb.n_coef();
    const int chunks = threads_for(data.n_used * K, n_threads, min_rows_per_thread);
    parallel_chunks(data.n_used, chunks, [&](int, std::size_t begin, std::size_t end) {
        for (std::size_t i = begin; i < end; ++i) {
            const CsrSpan s = data.span(data.row(i));
            for (std::size_t k = 0; k < K; ++k) {
                out[i * K + k] =
                    static_cast<T>(detail::sparse_dot(theta + k * d, data, s) + static_cast<double>(intercept[k]));
            }
        }
    });
}

}  // namespace pygdx
