// What a C++ test or benchmark hands one linear epoch, from rows and weights held in vectors:
// the rows as LinearData, an l2-penalised problem, and a model (weights, every optimizer
// state slot, the step counters of a new optimizer) as ParamBuffers. Shared by
// tests/cpp/test_team_parts.cpp, test_gather_ring.cpp and benchmarks/bench_rows.cpp, bench_team.cpp, which include
// it by its path from their own folder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/linear.hpp"
#include "core/optimizers.hpp"

namespace pygdx_epoch_inputs {

// n x d values in [-0.5, 0.5) from a multiplicative hash of their index (row-major): the
// same rows for the same size in every harness, with no random-number state.
template <class T>
std::vector<T> hashed_rows(std::size_t n, std::size_t d) {
    std::vector<T> X(n * d);
    for (std::size_t i = 0; i < n * d; ++i) {
        X[i] = static_cast<T>(static_cast<double>((i * 2654435761u) % 1000) / 1000.0 - 0.5);
    }
    return X;
}

// The rows `order` of X (row-major, d features) with targets y, read in that order (any
// allocator: the benchmarks hold rows in huge pages).
template <class T, class Alloc>
pygdx::LinearData<T> rows_in_order(const std::vector<T, Alloc>& X, const std::vector<T, Alloc>& y,
                                   const std::vector<std::int64_t>& order) {
    pygdx::LinearData<T> data;
    data.X = X.data();
    data.y = y.data();
    data.rows = order.data();
    data.n_used = order.size();
    data.n_readable = order.size();
    return data;
}

// A single-output squared-error problem of d features (the default loss), with an l2 penalty.
inline pygdx::LinearProblem l2_problem(std::size_t d, double alpha) {
    pygdx::LinearProblem pb;
    pb.n_features = d;
    pb.penalty.kind = pygdx::PenaltyKind::l2;
    pb.penalty.alpha = alpha;
    return pb;
}

// Weights of one value, every optimizer state slot at zero, and a new optimizer's counters.
// Moved, never copied: `params` points into the vectors (a move keeps their buffers).
template <class T>
struct Model {
    Model(std::size_t n_params, T start)
        : theta(n_params, start), states(pygdx::max_state_buffers, std::vector<T>(n_params, T(0))) {
        params.param = theta.data();
        params.size = n_params;
        for (std::size_t s = 0; s < states.size(); ++s) {
            params.state[s] = states[s].data();
        }
    }
    Model(Model&&) = default;
    Model(const Model&) = delete;
    Model& operator=(const Model&) = delete;

    std::vector<T> theta;
    std::vector<std::vector<T>> states;
    pygdx::ParamBuffers<T> params;
    double counters[pygdx::n_counters] = {0.0, 1.0};
};

}  // namespace pygdx_epoch_inputs
