// One training epoch of full-batch, mini-batch or stochastic gradient descent on a linear
// model (linear.hpp) with any optimizer rule of optimizers.hpp: linear_epoch sends each epoch
// to its batch path (batch_path.hpp), one file per path.
//
// The batch's size (and the problem's) picks how a batch is summed, never the thread
// count, so a fit gives the same bits with any n_jobs: see BatchPath and choose_batch_path.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "core/batch_path.hpp"
#include "core/batch_rows.hpp"
#include "core/column_halves_epoch.hpp"
#include "core/epoch_result.hpp"
#include "core/epoch_scratch.hpp"
#include "core/gathered_batches_epoch.hpp"
#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"
#include "core/row_batches_epoch.hpp"
#include "core/row_steps.hpp"
#include "core/rows_gathered_ahead.hpp"
#include "core/sgd_row_steps.hpp"
#include "core/shuffle.hpp"
#include "core/team_parts_epoch.hpp"

namespace pygdx {

// Epochs of problems whose penalty has an l1 part (l1_epoch.hpp).
template <class T>
EpochResult l1_linear_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t batch_size,
                            const Hyper& hyper, const Schedule& schedule, double* counters,
                            const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads,
                            Interrupt* interrupt);

// One pass over the rows of `data` in their given order, in batches of `batch_size` rows
// (the last batch may be smaller), one optimizer step per batch. The optimizer's state,
// step counters and schedule are the caller's (a pygdx.optim optimizer's), so the update is
// exactly pygdx.optim's. A requested interrupt stops it between two batches (or rows), with
// `interrupted` set; the caller then restores what it saved before the epoch.
template <class T>
EpochResult linear_epoch(const LinearProblem& pb, const LinearData<T>& data, std::size_t requested_batch_size,
                         const Hyper& hyper, const Schedule& schedule, double* counters,
                         const ParamBuffers<T>& params, EpochScratch<T>& work, int n_threads,
                         Interrupt* interrupt = nullptr) {
    const std::size_t P = pb.n_params();
    const std::size_t n_coef = pb.n_coef();
    const std::size_t n = data.n_used;
    // A batch is never larger than the epoch (and batch_size x n_coef cannot overflow).
    const std::size_t batch_size = std::min(requested_batch_size, std::max<std::size_t>(n, 1));
    if (epoch_takes_l1_path(pb)) {
        return l1_linear_epoch(pb, data, batch_size, hyper, schedule, counters, params, work, n_threads, interrupt);
    }
    const T* theta = params.param;
    T* grad = work.grad.data();
    const BatchPath path = choose_batch_path(pb, batch_size, hyper);
    // The penalty is reported at the epoch's starting weights: evaluating it at every step
    // would cost a pass over the parameters per step, as much as the update itself.
    const double epoch_penalty = penalty_value(pb.penalty, theta, n_coef);
    EpochResult result;
    double data_loss_sum = 0.0;
    std::size_t rows_seen = 0;
    switch (path) {
    case BatchPath::stochastic_sgd:
    case BatchPath::stochastic: {
        const auto step_rows = [&](const LinearData<T>& rows, const detail::RowSteps& so_far) {
            if (path == BatchPath::stochastic) {
                return detail::rule_row_steps(pb, rows, hyper, schedule, counters, params, grad, interrupt, so_far);
            }
            detail::RowSteps steps;
            detail::with_flags([&](auto maximize, auto decay) {
                steps = detail::sgd_row_steps<T, decltype(maximize)::value, decltype(decay)::value>(
                    pb, rows, hyper, schedule, counters, params.param, interrupt, so_far);
            }, hyper.maximize, hyper.weight_decay != 0.0);
            return steps;
        };
        detail::RowSteps done;
        const detail::GatherPlan plan = detail::gather_plan<T>(n, pb.n_features, n_threads, detail::gather_chunk_rows,
                                                               detail::stochastic_gather_share);
        detail::steps_on_rows_gathered_ahead(data, pb.n_features, plan, [&](const LinearData<T>& rows) {
            done = step_rows(rows, done);
            return done.finite && !done.interrupted;
        });
        data_loss_sum = done.loss_sum;
        rows_seen = done.steps;
        result.steps = done.steps;
        result.finite = done.finite;
        result.interrupted = done.interrupted;
        break;
    }
    case BatchPath::team_parts:
        result = medium_batch_epoch(pb, data, batch_size, hyper, schedule, counters, params, n_threads, &rows_seen,
                                    interrupt);
        data_loss_sum = result.loss;
        break;
    case BatchPath::column_halves:
        result = detail::column_split_epoch(pb, data, batch_size, hyper, schedule, counters, params, grad,
                                            &rows_seen, interrupt);
        data_loss_sum = result.loss;
        break;
    case BatchPath::small_rows:
    case BatchPath::row_pass:
        result = detail::row_batches_epoch(pb, data, batch_size, hyper, schedule, counters, params, work, n_threads,
                                           path == BatchPath::small_rows, &rows_seen, interrupt);
        data_loss_sum = result.loss;
        break;
    }
    // A step can still overflow the weights (a rate far too large): the caller then restores
    // the weights it saved before the epoch.
    for (std::size_t j = 0; j < P && result.finite; ++j) {
        result.finite = std::isfinite(static_cast<double>(theta[j]));
    }
    result.loss = rows_seen ? data_loss_sum / static_cast<double>(rows_seen) + epoch_penalty : 0.0;
    return result;
}

}  // namespace pygdx

#include "core/l1_epoch.hpp"
