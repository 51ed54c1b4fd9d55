// The one place an epoch's batch path is chosen (BatchPath): by the batch's and the
// problem's size and the rule, never by the thread count.
#pragma once

#include <cstddef>

#include "core/column_halves_epoch.hpp"
#include "core/linear.hpp"
#include "core/losses.hpp"
#include "core/penalty.hpp"
#include "core/optimizers.hpp"
#include "core/sgd_fused_step.hpp"
#include "core/team_parts_epoch.hpp"

namespace pygdx {

// How an epoch sums its batches. Chosen by the batch's and the problem's size (and the rule,
// for the fused SGD paths) only, never by n_threads: the ways round differently, and a fit
// must give the same bits whatever n_jobs is.
enum class BatchPath {
    stochastic_sgd,  // single rows, plain SGD, single output: sgd_row_steps
    stochastic,      // single rows, any other rule, single output: rule_row_steps
    team_parts,      // medium batches cut into row parts shared by a team: split_batch_epoch
    column_halves,   // small batches of one output with many features: column_split_epoch
    small_rows,      // other small batches, summed in T straight into the gradient
    row_pass,        // large batches: RowPass, threads per batch
};

// The one place an epoch's batch path is chosen. In the order they are tried:
// - Medium batches, which RowPass would not thread (below twice its per-thread minimum)
//   but a team could (at least twice min_elements_per_member), are cut into parts
//   that a team of threads shares for the whole epoch (split_batch_epoch).
// - Small batches of a single-output model with enough features are summed in two
//   passes over column halves (column_split_epoch, see column_split_applies).
// - Other small batches (up to rows_per_block rows) are summed straight into the gradient in
//   T and finished in place; single rows of a single-output model take a stochastic loop,
//   fused with the update for plain SGD (sgd_row_steps), else one call per step to the
//   rule (rule_row_steps). There the per-step passes over the parameters are the cost.
// - Larger ones go through RowPass (double partials, threads per batch).
inline BatchPath choose_batch_path(const LinearProblem& pb, std::size_t batch_size, const Hyper& hyper) {
    const std::size_t n_coef = pb.n_coef();
    const bool medium_or_small = batch_size * n_coef < 2 * min_row_elements_per_thread;
    if (!medium_or_small) {
        return BatchPath::row_pass;
    }
    if (batch_parts(batch_size) >= 2 && batch_size * n_coef >= 2 * min_elements_per_member(pb)) {
        return BatchPath::team_parts;
    }
    if (column_split_applies(pb, batch_size)) {
        return BatchPath::column_halves;
    }
    if (batch_size > detail::rows_per_block) {
        return BatchPath::row_pass;
    }
    if (batch_size == 1 && pb.n_outputs == 1 && !loss_is_multinomial(pb.loss)) {
        return detail::sgd_fuses_with_gradient(hyper) ? BatchPath::stochastic_sgd : BatchPath::stochastic;
    }
    return BatchPath::small_rows;
}

// Epochs of problems with an l1 part take l1_epoch.hpp's path (proximal steps), whatever the
// batch size; every other epoch takes choose_batch_path's.
inline bool epoch_takes_l1_path(const LinearProblem& pb) { return penalty_weights(pb.penalty).l1 != 0.0; }

// The path an epoch of `batch_size` rows takes, by name: what tests check to know that
// their data reach the path they mean to test (thresholds move as kernels change).
inline const char* epoch_path_name(const LinearProblem& pb, std::size_t batch_size, const Hyper& hyper) {
    if (epoch_takes_l1_path(pb)) {
        return "l1";
    }
    switch (choose_batch_path(pb, batch_size, hyper)) {
        case BatchPath::stochastic_sgd:
            return "stochastic_sgd";
        case BatchPath::stochastic:
            return "stochastic";
        case BatchPath::team_parts:
            return "team_parts";
        case BatchPath::column_halves:
            return "column_halves";
        case BatchPath::small_rows:
            return "small_rows";
        case BatchPath::row_pass:
            return "row_pass";
    }
    return "row_pass";
}

}  // namespace pygdx
