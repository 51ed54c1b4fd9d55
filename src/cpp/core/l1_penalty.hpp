// How the l1 part of a penalty (l1, and elasticnet's l1_ratio share) is applied so that
// weights reach exact zeros, which its subgradient sign(w) never gives (a weight then
// jitters around zero by lr·alpha forever).
//
// - Plain SGD with batches smaller than the data: the cumulative penalty of Tsuruoka,
//   Tsujii and Ananiadou (2009), as scikit-learn's SGD applies it (`l1penalty` in
//   _sgd_fast.pyx.tp). u is the total l1 penalty every weight should have received so far
//   (Σ lr·l1 over the steps) and q_j what weight j did receive; after each step, each weight
//   is moved toward zero by what it is owed, u − |q_j|, and clipped at zero. On dense rows
//   every weight is paid at every step (as scikit-learn does on dense data); on sparse rows
//   a weight no batch touches owes its penalty until one does (it is paid before and after
//   the step that touches it), which gives the same weights at O(the batch's non-zeros)
//   per step. At the end of every epoch every weight is paid up, so coef_ holds weights
//   that have received their full penalty.
// - Every other case (full batch, any optimizer but plain SGD): a proximal step. After the
//   optimizer's step on the smooth part of the objective (data loss and l2), each weight is
//   soft-thresholded, w ← sign(w)·max(|w| − l1·η_j, 0), with η_j the rule's own step size
//   for that weight (lr for SGD; lr/(√v̂_j + ε) for the Adam family, clr/(√s_j + ε) for
//   Adagrad, and so on): the proximal step of the preconditioned method, as TensorFlow's
//   ProximalAdagrad takes it. With plain SGD on the full batch this is ISTA.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/optimizers.hpp"
#include "core/schedules.hpp"

namespace pygdx {

// The learning rate of the step the counters just took (begin_step advanced them).
inline double last_step_lr(const Schedule& schedule, const double* counters) {
    const double t = counters[counter_step];
    const double t_exact = t >= 1.0 && t <= max_exact_step ? t : 1.0;
    return schedule_lr(schedule, static_cast<std::int64_t>(t_exact));
}

// The cumulative penalty's account. Owed and paid amounts are kept in units of the weights
// divided by `scale`, the product of the L2 / weight-decay shrink factors of the steps so
// far: a payment made at step t and a payment deferred to a later step then leave the weight
// the same once the shrinks in between are applied, so paying a weight only when a batch
// touches it (sparse rows) equals paying every weight at every step (dense rows). Without
// l2 the scale stays 1 and this is scikit-learn's account exactly.
class CumulativeL1 {
public:
    // Forget what was owed and paid: a new fit (or partial_fit call), as scikit-learn does.
    void reset(std::size_t n_coef) {
        u_ = 0.0;
        scale_ = 1.0;
        q_.assign(n_coef, 0.0);
    }

    bool ready(std::size_t n_coef) const { return q_.size() == n_coef; }

    // Every weight was multiplied by `factor` (the step's shrink). A factor <= 0 (a step so
    // large that it zeroes or flips every weight) leaves nothing meaningful owed: the
    // account restarts.
    void shrink(double factor) {
        if (factor == 1.0) {
            return;
        }
        if (factor <= 0.0) {
            reset(q_.size());
            return;
        }
        scale_ *= factor;
        if (scale_ < 1e-9) {  // fold, as ScaledWeights does
            u_ *= scale_;
            for (double& q : q_) {
                q *= scale_;
            }
            scale_ = 1.0;
        }
    }

    // A step of rate lr: every weight is owed lr·l1 more.
    void owe(double lr, double l1) { u_ += lr * l1 / scale_; }

    // Pays weight j what it is owed (W: ScaledWeights, read and written through its scale).
    template <class W>
    void pay(W& weights, std::size_t j) {
        const double w = weights.at(j);
        double paid;
        if (w > 0.0) {
            paid = std::max(0.0, w - (u_ + q_[j]) * scale_);
        } else if (w < 0.0) {
            paid = std::min(0.0, w + (u_ - q_[j]) * scale_);
        } else {
            return;
        }
        weights.set(j, paid);
        q_[j] += (paid - w) / scale_;
    }

    template <class W>
    void pay_all(W& weights, std::size_t n_coef) {
        for (std::size_t j = 0; j < n_coef; ++j) {
            pay(weights, j);
        }
    }

private:
    double u_ = 0.0;
    double scale_ = 1.0;
    std::vector<double> q_;
};

// The shrink factor of a plain SGD step of rate lr on every coefficient: the l2 part of the
// penalty and coupled weight decay, w ← (1 − lr·(σ·l2 + wd))·w (σ = −1 to maximize).
// At lr·l2 >= 1 it is 0, scikit-learn's max(0, 1 - lr·alpha): the weights restart from zero,
// as the dense rows' finish_with_sgd_step (epoch.hpp) does, instead of overshooting.
inline double sgd_shrink_factor(const Hyper& hyper, double lr, double l2) {
    if (lr * l2 >= 1.0) {
        return 0.0;
    }
    return 1.0 - lr * ((hyper.maximize ? -l2 : l2) + hyper.weight_decay);
}

// The per-weight step sizes η_j of a rule, read from its state after a step.
class ProximalRates {
public:
    ProximalRates(const Hyper& h, const Schedule& schedule, const double* counters) : h_(h) {
        lr_ = last_step_lr(schedule, counters);
        const double t = counters[counter_step];
        clr_ = lr_ / (1.0 + (t - 1.0) * h.lr_decay);
        bias_correction2_sqrt_ = std::sqrt(1.0 - std::pow(h.beta2, t));
    }

    template <class T>
    double at(const ParamBuffers<T>& b, std::size_t j) const {
        auto state = [&](int slot) { return static_cast<double>(b.state[slot][j]); };
        switch (h_.rule) {
        case Rule::sgd:
            return lr_;
        case Rule::adagrad:
            return clr_ / (std::sqrt(state(0)) + h_.eps);
        case Rule::rmsprop: {
            const double v = h_.centered ? state(0) - state(2) * state(2) : state(0);
            return lr_ / (std::sqrt(std::max(v, 0.0)) + h_.eps);
        }
        case Rule::adadelta:
            return lr_ * std::sqrt(state(1) + h_.eps) / std::sqrt(state(0) + h_.eps);
        case Rule::adamax:
            return lr_ / state(1);
        case Rule::adam:
        case Rule::adamw:
        case Rule::nadam:
        case Rule::radam: {
            const double v = h_.amsgrad && b.state[2] != nullptr ? state(2) : state(1);
            return lr_ / (std::sqrt(v) / bias_correction2_sqrt_ + h_.eps);
        }
        }
        return lr_;
    }

    // The soft threshold of weight j (a ScaledWeights or any view with at/set) by l1·η_j.
    template <class T, class W>
    void apply(const ParamBuffers<T>& b, W& weights, std::size_t j, double l1) const {
        const double w = weights.at(j);
        const double shrunk = std::max(std::abs(w) - l1 * at(b, j), 0.0);
        weights.set(j, w >= 0.0 ? shrunk : -shrunk);
    }

private:
    Hyper h_;
    double lr_ = 0.0, clr_ = 0.0, bias_correction2_sqrt_ = 1.0;
};

}  // namespace pygdx
