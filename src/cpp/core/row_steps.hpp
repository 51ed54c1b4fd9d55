// Stochastic steps (one row per optimizer step) of a single-output linear model with any
// update rule but plain SGD, whose update epoch.hpp fuses with the gradient (sgd_row_steps).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>

#include "core/interrupt.hpp"
#include "core/linear.hpp"
#include "core/optimizers.hpp"

namespace pygdx {
namespace detail {

// What a run of stochastic steps did: the summed weighted loss of the rows stepped on, the
// number of steps, and whether it stopped at a non-finite loss (before stepping). The loops
// take the totals so far and go on from them: an epoch stepped in several calls
// (rows_gathered_ahead.hpp) sums its loss in one running sum, as one call does.
struct RowSteps {
    double loss_sum = 0.0;
    std::size_t steps = 0;
    bool finite = true;
    bool interrupted = false;
};

// Rows between two polls of the interrupt: its bookkeeping is a few loads and stores,
// noticeable in a step on three features; 16 rows is still far below a millisecond.
inline constexpr std::size_t rows_per_interrupt_poll = 16;

// True when the loop should stop before row i (polled every rows_per_interrupt_poll rows).
PYGDX_ALWAYS_INLINE bool row_loop_interrupted(Interrupt* interrupt, std::size_t i, std::size_t d) {
    return i % rows_per_interrupt_poll == 0 && interrupt != nullptr &&
           interrupt->requested(rows_per_interrupt_poll * d);
}

// dot(a, b, n), the same bits, with a shortcut below sixteen terms: there the sixteen sums
// are all +0.0, and dot's final tree over them adds +0.0 four times to the trailing sum,
// which is that sum + 0 (-0.0 becomes +0.0, nothing else changes). Four dependent adds less
// on the chain from one step's weights to the next step's decision value.
template <class T>
PYGDX_ALWAYS_INLINE T row_dot(const T* __restrict a, const T* __restrict b, std::size_t n) {
    if (n >= 16) {
        return dot(a, b, n);
    }
    T tail = T(0);
    for (std::size_t j = 0; j < n; ++j) {
        tail += a[j] * b[j];
    }
    return tail + T(0);
}

#if defined(__GNUC__)
// The elements of one AVX2 vector, and GCC's type for it (each lane's arithmetic is IEEE,
// as a scalar's).
template <class T>
inline constexpr std::size_t one_vector_lanes = 32 / sizeof(T);
template <class T>
struct OneVectorOf;
template <>
struct OneVectorOf<double> {
    typedef double type __attribute__((vector_size(32)));
};
template <>
struct OneVectorOf<float> {
    typedef float type __attribute__((vector_size(32)));
};
template <class T>
using OneVector = typename OneVectorOf<T>::type;
#endif

// How finish_gradient_each adds the penalty to a coefficient's summed gradient, decided as
// it decides (alpha and its l1 part rounded to T): none, l2 only, or l1 and l2.
enum class RowPenalty { none, l2, elastic };

template <class T>
RowPenalty row_penalty_of(const Penalty& penalty) {
    const PenaltyWeights weights = penalty_weights(penalty);
    if (static_cast<T>(weights.alpha) == T(0)) {
        return RowPenalty::none;
    }
    return static_cast<T>(weights.l1) == T(0) ? RowPenalty::l2 : RowPenalty::elastic;
}

// Stochastic steps (one row per step) of a single-output model with rule R (any but plain
// SGD): per row the decision value, the loss derivative g and the gradient, then the rule's
// update, all inlined into one SIMD clone per rule, so that a step makes no call and asks
// neither which rule it is nor (but for the flags that change from step to step) which of
// its options. The gradient is written once, straight from g·x_j and the penalty, with the
// operations of the small-batch path on one row (add_row into a zeroed buffer, then
// finish_gradient_each), so the results are the same bits; the generic path's zeroing, row
// sums and finishing pass were most of a step on a few features. The rule then reads it
// back in one pass of full vectors (d + 1 = 4 doubles are one AVX2 vector: computing each
// element's gradient inside the rule's loop instead made NAdam's and Adadelta's square
// roots and divisions scalar, and their steps slower).
template <class T, Rule R>
PYGDX_SIMD_CLONES RowSteps rule_row_loop(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h,
                                         const Schedule& schedule, double* counters, const ParamBuffers<T>& params,
                                         T* grad, Interrupt* interrupt, RowSteps so_far) {
    const std::size_t d = pb.n_features;
    const T* theta = params.param;
    const RowPenalty penalty = row_penalty_of<T>(pb.penalty);
    const PenaltyWeights weights = penalty_weights(pb.penalty);
    const T a1 = static_cast<T>(weights.l1);
    const T a2 = static_cast<T>(weights.l2);
    const T scale = static_cast<T>(1.0 / 1.0);  // finish_gradient's 1 / rows
    RowSteps done = so_far;
    PowerMemory& memory = thread_power_memory();  // once: a thread_local costs a call per access
    for (std::size_t i = 0; i < data.n_used; ++i) {
        if (row_loop_interrupted(interrupt, i, d)) {
            done.interrupted = true;
            break;
        }
        prefetch_ahead(data, i, d);
        const std::size_t r = data.row(i);
        const T* __restrict x = data.X + r * d;
        const double sw = data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0;
        const double z = static_cast<double>(row_dot(theta, x, d)) + static_cast<double>(theta[d]);
        double derivative = 0.0;
        const double loss = 0.0 + sw * loss_and_derivative(pb.loss, z, static_cast<double>(data.y[r]), &derivative);
        if (!std::isfinite(loss)) {
            done.finite = false;
            break;
        }
        done.loss_sum += loss;
        ++done.steps;
        const double g = sw * derivative;
        const T g_t = static_cast<T>(g);
        const bool adds = g != 0.0;  // add_row adds no row whose derivative is 0
        // finish_gradient_each's branches on the penalty, the same on every row
        const auto coefficient = [&](std::size_t j) PYGDX_LAMBDA_INLINE {
            const T sum = adds ? T(0) + g_t * x[j] : T(0);
            if (penalty == RowPenalty::none) {
                return static_cast<T>(sum * scale);
            }
            if (penalty == RowPenalty::l2) {
                return static_cast<T>(sum * scale + a2 * theta[j]);
            }
            return static_cast<T>(sum * scale + a1 * sign_of(theta[j]) + a2 * theta[j]);
        };
        const T intercept = static_cast<T>(pb.fit_intercept ? (0.0 + g) / 1.0 : 0.0);
#if defined(__GNUC__)
        if (d + 1 == one_vector_lanes<T>) {
            // Built in a register and stored whole: the rule reads the gradient back as one
            // vector, and a load that spans several smaller stores cannot be forwarded from
            // them (it waits until they retire: 11-17% of a step on 16 x 3, perf).
            OneVector<T> lanes;
            for (std::size_t j = 0; j < one_vector_lanes<T>; ++j) {
                lanes[j] = j < d ? coefficient(j) : intercept;
            }
            std::memcpy(grad, &lanes, sizeof lanes);
        } else
#endif
        {
            for (std::size_t j = 0; j < d; ++j) {
                grad[j] = coefficient(j);
            }
            grad[d] = intercept;
        }
        const StepCoefficients c = begin_rule_step<R>(h, schedule, counters, &memory);
        rule_update_range<R, true>(h, c, params, static_cast<const T*>(grad), 0, d + 1);
    }
    return done;
}

// rule_row_loop for h.rule; `grad` is scratch of d + 1 elements.
template <class T>
RowSteps rule_row_steps(const LinearProblem& pb, const LinearData<T>& data, const Hyper& h, const Schedule& schedule,
                        double* counters, const ParamBuffers<T>& params, T* grad, Interrupt* interrupt,
                        RowSteps so_far = RowSteps{}) {
    return with_rule(h.rule, [&](auto rule) {
        return rule_row_loop<T, decltype(rule)::value>(pb, data, h, schedule, counters, params, grad, interrupt, so_far);
    });
}

}  // namespace detail
}  // namespace pygdx
