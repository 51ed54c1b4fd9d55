// The lazy optimizer step of sparse training (sparse_updates="lazy"): only the
// coefficients in the columns a batch touches (and the intercepts) are stepped, with the
// optimizer's own element-wise rule and the step's shared coefficients (the step count,
// bias corrections and learning rate advance every step, as in torch's SparseAdam).
// Untouched coefficients keep their weights and their state: their moments do not decay,
// their momentum does not carry them on, and the penalty does not shrink them until a
// batch touches them again. A step costs O(touched coefficients), not O(n_features).
//
// The touched coefficients are gathered into compact arrays (weights, state, gradient),
// stepped by the same element loop as a dense step (optimizers.hpp), and scattered back,
// so each touched coefficient gets exactly the dense rule's update for its gradient.
#pragma once

#include <algorithm>
#include <cstddef>

#include "core/l1_penalty.hpp"
#include "core/optimizers.hpp"
#include "core/penalty.hpp"
#include "core/scaled_weights.hpp"
#include "core/sparse_batch.hpp"

namespace pygdx {

// One lazy step from the derivatives of the batch `data` (sparse_batch_derivatives):
// gradient sums of the touched coefficients, the l2 penalty's gradient at their weights, the
// intercepts' gradient (times intercept_decay, SparseSettings), then the rule on them alone,
// and the l1 part's proximal step on them (l1_penalty.hpp).
template <class T, class I>
void lazy_sparse_step(const LinearProblem& pb, const CsrData<T, I>& data, const Hyper& hyper,
                      const Schedule& schedule, double* counters, const ParamBuffers<T>& params,
                      SparseScratch<T>& work, double intercept_decay) {
    const std::size_t n_coef = pb.n_coef();
    const std::size_t K = pb.n_outputs;
    work.slots.clear();
    work.touched.clear();
    work.touched_sums.clear();
    for_each_gradient_term(pb, data, work.g.data(), [&](std::size_t j, double term) {
        bool added;
        const std::size_t s = work.slots.find_or_add(j, added);
        if (added) {
            work.touched.push_back(j);
            work.touched_sums.push_back(0.0);
        }
        work.touched_sums[s] += term;
    });
    const std::size_t n_touched = work.touched.size();
    const std::size_t n = n_touched + K;  // the intercepts are always stepped, as in a dense step
    int used[max_state_buffers];
    int n_used = 0;
    for (int s = 0; s < max_state_buffers; ++s) {
        if (params.state[s] != nullptr) {
            used[n_used++] = s;
        }
    }
    const std::size_t width = static_cast<std::size_t>(n_used) + 2;
    if (work.compact.size() < width * n) {
        work.compact.resize(width * n);
    }
    T* p = work.compact.data();
    T* grad = p + (width - 1) * n;
    ParamBuffers<T> compact;
    compact.param = p;
    compact.size = n;
    for (int u = 0; u < n_used; ++u) {
        compact.state[used[u]] = p + static_cast<std::size_t>(u + 1) * n;
    }
    // Index of compact element t in theta: a touched coefficient, then the intercepts.
    auto origin = [&](std::size_t t) { return t < n_touched ? work.touched[t] : n_coef + (t - n_touched); };
    const double rows = static_cast<double>(data.n_used);
    const PenaltyWeights pw = penalty_weights(pb.penalty);
    for (std::size_t t = 0; t < n; ++t) {
        const std::size_t j = origin(t);
        const T w = params.param[j];
        p[t] = w;
        for (int u = 0; u < n_used; ++u) {
            compact.state[used[u]][t] = params.state[used[u]][j];
        }
        if (t < n_touched) {
            const double wd = static_cast<double>(w);
            grad[t] = static_cast<T>(work.touched_sums[t] / rows + pw.l2 * wd);
        } else {
            grad[t] = static_cast<T>(
                pb.fit_intercept ? intercept_decay * work.intercept_sums[t - n_touched] / rows : 0.0);
        }
    }
    const StepCoefficients c = begin_step(hyper, schedule, counters);
    detail::update_range(hyper, c, compact, grad, 0, n);
    if (pw.l1 != 0.0) {
        const ProximalRates rates(hyper, schedule, counters);
        ScaledWeights<T> weights(p, n_touched);
        for (std::size_t t = 0; t < n_touched; ++t) {
            rates.apply(compact, weights, t, pw.l1);
        }
    }
    for (std::size_t t = 0; t < n; ++t) {
        const std::size_t j = origin(t);
        params.param[j] = p[t];
        for (int u = 0; u < n_used; ++u) {
            params.state[used[u]][j] = compact.state[used[u]][t];
        }
    }
}

}  // namespace pygdx
