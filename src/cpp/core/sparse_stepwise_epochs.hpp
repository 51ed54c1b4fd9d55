// The epochs of stepwise_epochs.hpp (averaged SGD, gradient clipping) on sparse (CSR) rows:
// the same steps as csr_epoch's (sparse_epoch.hpp), the same averages and clipping as the
// dense epochs, so a sparse fit equals the dense fit of the same data up to rounding.
//
// Costs per step:
// - averaged plain SGD (no momentum, no l1 part): O(batch entries), as without averaging;
//   the average of the coefficients is kept lazily (lazy_average.hpp), the intercepts' in full;
// - averaged, any other rule or an l1 part: csr_epoch's step on the batch, then one pass that
//   folds every weight into the average: O(n_features) per step;
// - clipped: the clip needs the norm of the whole gradient, whose penalty part (alpha·w)
//   is dense, so every step builds the gradient over every coefficient and steps all of them
//   (the dense semantics, whatever sparse_updates says): O(n_features) per step.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/averaging.hpp"
#include "core/clipping.hpp"
#include "core/csr.hpp"
#include "core/interrupt.hpp"
#include "core/lazy_average.hpp"
#include "core/sparse_epoch.hpp"

namespace pygdx {

namespace detail {

// For each batch of `batch_size` rows of `data`: a stop when the arrays changed under the
// pass (csr.hpp) or an interrupt was requested, then `step(batch, rows)`, which returns the
// batch's data loss sum (the epoch stops at a non-finite one, before any step that could
// spread it, as csr_epoch does) or NaN. Then the weights' finiteness and the loss.
template <class T, class I, class Step>
EpochResult sparse_batch_epoch(const LinearProblem& pb, const CsrData<T, I>& data, std::size_t batch_size,
                               const T* theta, Interrupt* interrupt, Step step) {
    const std::size_t n = data.n_used;
    const double epoch_penalty = penalty_value(pb.penalty, theta, pb.n_coef());
    EpochResult result;
    double data_loss_sum = 0.0;
    std::size_t rows_seen = 0;
    for (std::size_t first = 0; first < n; first += batch_size) {
        const std::size_t rows = std::min(batch_size, n - first);
        if (data.has_changed() ||
            (interrupt != nullptr && interrupt->requested(rows * pb.n_outputs * interrupt_work_per_row))) {
            result.interrupted = true;
            break;
        }
        const double loss = step(data.part(first, rows), rows);
        if (!std::isfinite(loss)) {
            result.finite = false;
            break;
        }
        data_loss_sum += loss;
        rows_seen += rows;
        ++result.steps;
    }
    return finish_sparse_epoch(pb, data, theta, result, data_loss_sum, rows_seen, epoch_penalty);
}

// Plain SGD's step of csr_epoch (scaled_sgd_step without an l1 part) with the average of the
// coefficients kept lazily beside it: the shrink of the scale, the move of the batch's
// columns (each move reported to `average`), the intercepts' step (their gradient times
// intercept_decay).
template <class T, class I>
void averaged_scaled_sgd_step(const LinearProblem& pb, const CsrData<T, I>& batch, const Hyper& hyper,
                              const Schedule& schedule, double* counters, ScaledWeights<T>& weights, T* theta,
                              SparseScratch<T>& work, LazyAverage<T>& average, double intercept_decay) {
    const double lr = begin_step(hyper, schedule, counters).lr;
    const double sigma = hyper.maximize ? -1.0 : 1.0;
    const double factor = sgd_shrink_factor(hyper, lr, penalty_weights(pb.penalty).l2);
    if (factor != 1.0) {
        average.before_multiply(weights, factor);
        weights.multiply(factor);
    }
    const double rows = static_cast<double>(batch.n_used);
    const double move = -lr * sigma / rows / weights.scale();
    T* v = weights.vector();
    for_each_gradient_term(pb, batch, work.g.data(), [&](std::size_t j, double term) {
        const T before = v[j];
        v[j] = static_cast<T>(static_cast<double>(before) + move * term);
        average.moved(j, before, v);
    });
    const std::size_t n_coef = pb.n_coef();
    const T wd = static_cast<T>(hyper.weight_decay);
    const T rate = static_cast<T>(lr);
    for (std::size_t k = 0; k < pb.n_outputs; ++k) {
        T& b = theta[n_coef + k];
        const T g = static_cast<T>(pb.fit_intercept ? intercept_decay * work.intercept_sums[k] / rows : 0.0);
        b -= rate * (static_cast<T>(sigma) * g + wd * b);
    }
}

}  // namespace detail

// csr_epoch (sparse_epoch.hpp) with an average of the weights kept in `average` (n_params;
// their mean or exponential moving average from step rule.start on, averaging.hpp), folded
// after every step. Loss, stopping and undoing as averaged_epoch's (stepwise_epochs.hpp);
// `settings` as csr_epoch's.
template <class T, class I>
EpochResult csr_averaged_epoch(const LinearProblem& pb, const CsrData<T, I>& data, std::size_t requested_batch_size,
                               const SparseSettings& settings, const Hyper& hyper, const Schedule& schedule,
                               double* counters, const ParamBuffers<T>& params, SparseScratch<T>& work,
                               int n_threads, T* average, const WeightAverage& rule, Interrupt* interrupt = nullptr) {
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(data.n_used, 1));
    const std::size_t n_coef = pb.n_coef();
    T* theta = params.param;
    const bool lazy = choose_sparse_path(hyper, settings.updates) == SparsePath::scaled_sgd &&
                      penalty_weights(pb.penalty).l1 == 0.0;
    if (lazy) {
        ScaledWeights<T> scaled(theta, n_coef);
        LazyAverage<T> coef_average(average, n_coef, rule);
        const EpochResult result = detail::sparse_batch_epoch(
            pb, data, batch_size, static_cast<const T*>(theta), interrupt,
            [&](const CsrData<T, I>& batch, std::size_t) {
                // The rows ahead will move the average's entries in their columns too: fetched
                // ahead as sparse_batch_derivatives fetches the weights'.
                detail::prefetch_sparse_row(batch, coef_average.stored(), 0);
                const double loss = sparse_batch_derivatives(pb, batch, static_cast<const T*>(theta), scaled.scale(),
                                                             work, n_threads);
                if (std::isfinite(loss)) {
                    detail::averaged_scaled_sgd_step(pb, batch, hyper, schedule, counters, scaled, theta, work,
                                                     coef_average, settings.intercept_decay);
                    coef_average.fold(scaled, counters[counter_step]);
                    add_to_average(average + n_coef, static_cast<const T*>(theta + n_coef), pb.n_outputs,
                                   counters[counter_step], rule);
                }
                return loss;
            });
        coef_average.write_out(scaled.vector());
        scaled.fold();
        EpochResult checked = result;
        for (std::size_t j = 0; j < n_coef && checked.finite; ++j) {  // the scale is in the weights now
            checked.finite = std::isfinite(static_cast<double>(theta[j]));
        }
        return checked;
    }
    return detail::sparse_batch_epoch(
        pb, data, batch_size, static_cast<const T*>(theta), interrupt, [&](const CsrData<T, I>& batch,
                                                                           std::size_t rows) {
            const double penalty_before = penalty_value(pb.penalty, static_cast<const T*>(theta), n_coef);
            const EpochResult step =
                csr_epoch(pb, batch, rows, settings, hyper, schedule, counters, params, work, n_threads, nullptr);
            if (!step.finite || step.steps == 0) {
                return std::nan("");
            }
            add_to_average(average, static_cast<const T*>(theta), pb.n_params(), counters[counter_step], rule);
            return (step.loss - penalty_before) * static_cast<double>(rows);
        });
}

// clipped_epoch (stepwise_epochs.hpp) on sparse rows: each batch's gradient of the objective
// (data part and penalty) over every coefficient and intercept, the intercepts' part times
// intercept_decay (SparseSettings), clipped, then the optimizer's step over all of them; with
// `average` (or null) the average of the weights after each step. The clip sees the gradient
// the step would take, so the damped one.
template <class T, class I>
EpochResult csr_clipped_epoch(const LinearProblem& pb, const CsrData<T, I>& data, std::size_t requested_batch_size,
                              double intercept_decay, const Hyper& hyper, const Schedule& schedule, double* counters,
                              const ParamBuffers<T>& params, SparseScratch<T>& work, int n_threads,
                              const GradientClip& clip, T* average, const WeightAverage& rule,
                              Interrupt* interrupt = nullptr) {
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(data.n_used, 1));
    const std::size_t n_coef = pb.n_coef();
    const std::size_t P = pb.n_params();
    const T* theta = params.param;
    work.grad.resize(P);
    const T* const grads[1] = {work.grad.data()};
    return detail::sparse_batch_epoch(pb, data, batch_size, theta, interrupt, [&](const CsrData<T, I>& batch,
                                                                                  std::size_t rows) {
        const double loss = sparse_batch_derivatives(pb, batch, theta, 1.0, work, n_threads);
        if (!std::isfinite(loss)) {
            return loss;
        }
        work.coef_sums.assign(n_coef, 0.0);
        double* sums = work.coef_sums.data();
        for_each_gradient_term(pb, batch, work.g.data(), [sums](std::size_t j, double term) { sums[j] += term; });
        finish_gradient(pb, theta, static_cast<const double*>(sums), work.intercept_sums.data(),
                        static_cast<double>(rows), work.grad.data());
        detail::damp_intercepts(pb, work.grad.data(), intercept_decay);
        clip_gradient(clip, work.grad.data(), P);
        optimizer_step(hyper, schedule, counters, &params, grads, 1, n_threads);
        if (average != nullptr) {
            add_to_average(average, theta, P, counters[counter_step], rule);
        }
        return loss;
    });
}

}  // namespace pygdx
