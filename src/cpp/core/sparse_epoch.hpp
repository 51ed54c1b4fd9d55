// One training epoch on sparse (CSR) rows: full-batch, mini-batch or stochastic, any loss,
// any optimizer rule, the same objective and the same batches as the dense epoch
// (epoch.hpp), reading only the rows' stored entries.
//
// How a batch steps the weights (SparsePath, chosen in choose_sparse_path):
// - plain SGD (no momentum): the weights are a scale times a vector (scaled_weights.hpp),
//   so the step, which shrinks every weight and moves the batch's columns, costs O(entries
//   of the batch), and an l1 part is paid by the cumulative penalty on those columns
//   (l1_penalty.hpp; a proximal step over all weights for the full batch). This is the
//   dense epoch's update exactly (up to rounding), whatever sparse_updates says.
// - sparse_updates="dense": the dense semantics for every rule: the gradient is built over
//   all coefficients (the penalty's part included) and the optimizer steps all of them, so
//   every weight's moments decay every step, as on dense data. O(n_features) per step.
// - sparse_updates="lazy": only the touched columns are stepped (sparse_lazy.hpp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/csr.hpp"
#include "core/epoch.hpp"
#include "core/interrupt.hpp"
#include "core/l1_epoch.hpp"
#include "core/l1_penalty.hpp"
#include "core/optimizers.hpp"
#include "core/scaled_weights.hpp"
#include "core/sparse_batch.hpp"
#include "core/sparse_lazy.hpp"
#include "core/sparse_rows_gathered_ahead.hpp"
#include "core/sparse_sgd_rows.hpp"

namespace pygdx {

enum class SparseUpdates : int { dense = 0, lazy = 1 };

// What a user may set about steps on sparse rows.
struct SparseSettings {
    SparseUpdates updates = SparseUpdates::lazy;
    // Multiplies the intercepts' gradient in every step: scikit-learn's SGD uses 0.01 on
    // sparse X (SPARSE_INTERCEPT_DECAY), so that the intercept, touched by every row, moves
    // no faster than a rare word's weight; 1 keeps a sparse fit equal to the dense fit.
    double intercept_decay = 1.0;
};

enum class SparsePath {
    scaled_sgd,  // plain SGD on scale x vector weights: exact and O(batch entries)
    dense_step,  // every coefficient stepped: the dense semantics, O(n_features)
    lazy_step,   // only the touched coefficients stepped: O(touched coefficients)
};

inline SparsePath choose_sparse_path(const Hyper& hyper, SparseUpdates updates) {
    if (detail::sgd_fuses_with_gradient(hyper)) {
        return SparsePath::scaled_sgd;
    }
    return updates == SparseUpdates::dense ? SparsePath::dense_step : SparsePath::lazy_step;
}

namespace detail {

// Pays the cumulative l1 penalty owed by the batch's columns (every output's).
template <class T, class I>
void pay_batch_columns(const LinearProblem& pb, const CsrData<T, I>& data, ScaledWeights<T>& weights,
                       CumulativeL1& l1) {
    const std::size_t d = pb.n_features;
    for (std::size_t i = 0; i < data.n_used; ++i) {
        const std::size_t r = data.row(i);
        const CsrSpan s = data.span(r);
        for (std::size_t e = s.begin; e < s.end; ++e) {
            std::size_t j;
            if (!data.column(e, j)) {
                continue;
            }
            for (std::size_t k = 0; k < pb.n_outputs; ++k) {
                l1.pay(weights, k * d + j);
            }
        }
    }
}

// Plain SGD's step on scale x vector weights from the batch's derivatives: every
// coefficient's gradient is D_j / m + l2·w_j (D_j the batch's sum), and with maximize
// (σ = −1) and coupled weight decay wd the rule makes it σ(D_j / m + l2·w_j) + wd·w_j, so
//     w ← (1 − lr·(σ·l2 + wd))·w − lr·σ·D / m,
// a shrink of the scale and a move of the batch's columns. The intercepts step as dense.
// An l1 part follows: `cumulative` pays the batch's columns, else a proximal step (ISTA).
template <class T, class I>
void scaled_sgd_step(const LinearProblem& pb, const CsrData<T, I>& data, const Hyper& hyper,
                     const Schedule& schedule, double* counters, ScaledWeights<T>& weights, T* theta,
                     SparseScratch<T>& work, bool cumulative, double intercept_decay) {
    const double lr = begin_step(hyper, schedule, counters).lr;
    const double l1 = penalty_weights(pb.penalty).l1;
    const double sigma = hyper.maximize ? -1.0 : 1.0;
    const double factor = sgd_shrink_factor(hyper, lr, penalty_weights(pb.penalty).l2);
    if (factor != 1.0) {
        weights.multiply(factor);
    }
    const double rows = static_cast<double>(data.n_used);
    // w_j += move·term through the scale: v_j += (move / scale)·term.
    const double move = -lr * sigma / rows / weights.scale();
    T* v = weights.vector();
    for_each_gradient_term(pb, data, work.g.data(), [&](std::size_t j, double term) {
        v[j] = static_cast<T>(static_cast<double>(v[j]) + move * term);
    });
    const std::size_t n_coef = pb.n_coef();
    const T wd = static_cast<T>(hyper.weight_decay);
    const T rate = static_cast<T>(lr);
    for (std::size_t k = 0; k < pb.n_outputs; ++k) {
        T& b = theta[n_coef + k];
        const T g = static_cast<T>(pb.fit_intercept ? intercept_decay * work.intercept_sums[k] / rows : 0.0);
        b -= rate * (static_cast<T>(sigma) * g + wd * b);
    }
    if (l1 == 0.0) {
        return;
    }
    if (cumulative) {
        work.l1.shrink(factor);
        work.l1.owe(lr, l1);
        pay_batch_columns(pb, data, weights, work.l1);
    } else {
        const ParamBuffers<T> none;
        const ProximalRates rates(hyper, schedule, counters);
        for (std::size_t j = 0; j < n_coef; ++j) {
            rates.apply(none, weights, j, l1);
        }
    }
}

// The intercepts' entries of a gradient over every parameter (n_params) times
// intercept_decay (SparseSettings).
template <class T>
void damp_intercepts(const LinearProblem& pb, T* grad, double intercept_decay) {
    for (std::size_t k = 0; k < pb.n_outputs; ++k) {
        T& g = grad[pb.n_coef() + k];
        g = static_cast<T>(intercept_decay * static_cast<double>(g));
    }
}

// The dense semantics: the batch's gradient over every coefficient (of the smooth part of
// the objective), then the optimizer's step over all of them (as epoch.hpp's RowPass path
// does with its sums), and the l1 part's proximal step on all of them.
template <class T, class I>
void dense_sparse_step(const LinearProblem& pb, const CsrData<T, I>& data, const Hyper& hyper,
                       const Schedule& schedule, double* counters, const ParamBuffers<T>& params,
                       SparseScratch<T>& work, int n_threads, double intercept_decay) {
    const std::size_t n_coef = pb.n_coef();
    work.coef_sums.assign(n_coef, 0.0);
    work.grad.resize(pb.n_params());
    double* sums = work.coef_sums.data();
    for_each_gradient_term(pb, data, work.g.data(), [sums](std::size_t j, double term) { sums[j] += term; });
    LinearProblem smooth = pb;
    smooth.penalty = smooth_part(pb.penalty);
    finish_gradient(smooth, params.param, static_cast<const double*>(sums), work.intercept_sums.data(),
                    static_cast<double>(data.n_used), work.grad.data());
    damp_intercepts(pb, work.grad.data(), intercept_decay);
    const T* const grads[1] = {work.grad.data()};
    optimizer_step(hyper, schedule, counters, &params, grads, 1, n_threads);
    const double l1 = penalty_weights(pb.penalty).l1;
    if (l1 != 0.0) {
        const ProximalRates rates(hyper, schedule, counters);
        ScaledWeights<T> weights(params.param, n_coef);
        for (std::size_t j = 0; j < n_coef; ++j) {
            rates.apply(params, weights, j, l1);
        }
    }
}

// Work units reported to the interrupt clock per row and output: text-like rows hold
// tens of entries.
inline constexpr std::size_t interrupt_work_per_row = 32;

// The end of a sparse epoch (csr_epoch, sparse_stepwise_epochs.hpp): an interrupt if the
// arrays changed under the pass, whether every parameter is finite, and the epoch's loss,
// the mean data loss of the rows stepped on plus the penalty at the epoch's start.
template <class T, class I>
EpochResult finish_sparse_epoch(const LinearProblem& pb, const CsrData<T, I>& data, const T* theta,
                                EpochResult result, double data_loss_sum, std::size_t rows_seen,
                                double epoch_penalty) {
    result.interrupted = result.interrupted || data.has_changed();
    for (std::size_t j = 0; j < pb.n_params() && result.finite; ++j) {
        result.finite = std::isfinite(static_cast<double>(theta[j]));
    }
    result.loss = rows_seen ? data_loss_sum / static_cast<double>(rows_seen) + epoch_penalty : 0.0;
    return result;
}

}  // namespace detail

// One pass over the rows of `data` in their given order, in batches of `batch_size` rows
// (the last may be smaller), one optimizer step per batch: linear_epoch's contract
// (epoch.hpp) on sparse rows, with `settings.updates` choosing how a step treats the
// coefficients the batch does not touch (see the top of this file).
template <class T, class I>
EpochResult csr_epoch(const LinearProblem& pb, const CsrData<T, I>& data, std::size_t requested_batch_size,
                      const SparseSettings& settings, const Hyper& hyper, const Schedule& schedule, double* counters,
                      const ParamBuffers<T>& params, SparseScratch<T>& work, int n_threads,
                      Interrupt* interrupt = nullptr) {
    const std::size_t n = data.n_used;
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(n, 1));
    const std::size_t n_coef = pb.n_coef();
    const SparsePath path = choose_sparse_path(hyper, settings.updates);
    const bool cumulative_l1 = path == SparsePath::scaled_sgd && penalty_weights(pb.penalty).l1 != 0.0 &&
                               uses_cumulative_l1(hyper, batch_size, n);
    if (cumulative_l1 && !work.l1.ready(n_coef)) {
        work.l1.reset(n_coef);
    }
    T* theta = params.param;
    const double epoch_penalty = penalty_value(pb.penalty, static_cast<const T*>(theta), n_coef);
    ScaledWeights<T> scaled(theta, n_coef);
    EpochResult result;
    double data_loss_sum = 0.0;
    std::size_t rows_seen = 0;
    const bool row_steps = path == SparsePath::scaled_sgd && batch_size == 1 && pb.n_outputs == 1 &&
                           !loss_is_multinomial(pb.loss) && penalty_weights(pb.penalty).l1 == 0.0;
    if (row_steps) {
        const SparseRowSteps done = detail::sparse_steps_on_rows_gathered_ahead(
            data, n_threads, [&](const CsrData<T, I>& rows, auto reads, const SparseRowSteps& so_far) {
                return sparse_sgd_row_steps<decltype(reads)::value>(pb, rows, hyper, schedule, counters, scaled, theta,
                                            settings.intercept_decay, detail::interrupt_work_per_row, interrupt,
                                            so_far);
            });
        data_loss_sum = done.loss();
        rows_seen = done.steps;
        result.steps = done.steps;
        result.finite = done.finite;
        result.interrupted = done.interrupted;
    }
    for (std::size_t start = 0; start < n && !row_steps; start += batch_size) {
        const std::size_t rows = std::min(batch_size, n - start);
        // The arrays changed under this pass (csr.hpp): stop, and the epoch is undone.
        if (data.has_changed() || (interrupt != nullptr &&
                                   interrupt->requested(rows * pb.n_outputs * detail::interrupt_work_per_row))) {
            result.interrupted = true;
            break;
        }
        const CsrData<T, I> batch = data.part(start, rows);
        if (cumulative_l1) {
            // The batch's columns owe the l1 penalty of earlier steps: paid before the batch
            // reads them, they stand where a dense epoch (which pays every weight every
            // step) has them.
            detail::pay_batch_columns(pb, batch, scaled, work.l1);
        }
        const double loss = sparse_batch_derivatives(pb, batch, static_cast<const T*>(theta), scaled.scale(), work,
                                                     n_threads);
        // Every row's loss is in the sum, so a NaN or inf in the decision values or weights
        // shows here, before the step could spread it.
        if (!std::isfinite(loss)) {
            result.finite = false;
            break;
        }
        data_loss_sum += loss;
        rows_seen += rows;
        switch (path) {
        case SparsePath::scaled_sgd:
            detail::scaled_sgd_step(pb, batch, hyper, schedule, counters, scaled, theta, work, cumulative_l1,
                                    settings.intercept_decay);
            break;
        case SparsePath::dense_step:
            detail::dense_sparse_step(pb, batch, hyper, schedule, counters, params, work, n_threads,
                                      settings.intercept_decay);
            break;
        case SparsePath::lazy_step:
            lazy_sparse_step(pb, batch, hyper, schedule, counters, params, work, settings.intercept_decay);
            break;
        }
        ++result.steps;
    }
    if (cumulative_l1) {
        work.l1.pay_all(scaled, n_coef);
    }
    scaled.fold();
    return detail::finish_sparse_epoch(pb, data, theta, result, data_loss_sum, rows_seen, epoch_penalty);
}

// The full-batch objective at theta over the rows of `data`, and its gradient in `grad`
// (n_params): linear_loss_grad (linear.hpp) on sparse rows.
template <class T, class I>
double csr_loss_grad(const LinearProblem& pb, const CsrData<T, I>& data, const T* theta, T* grad, int n_threads) {
    SparseScratch<T> work(pb);
    const double loss_sum = sparse_batch_derivatives(pb, data, theta, 1.0, work, n_threads);
    std::vector<double> sums(pb.n_coef(), 0.0);
    double* s = sums.data();
    for_each_gradient_term(pb, data, work.g.data(), [s](std::size_t j, double term) { s[j] += term; });
    const double m = static_cast<double>(data.n_used);
    finish_gradient(pb, theta, static_cast<const double*>(s), work.intercept_sums.data(), m, grad);
    return loss_sum / m + penalty_value(pb.penalty, theta, pb.n_coef());
}

}  // namespace pygdx
