// The hyperparameters of the update rules and the scalars of one step (step count,
// scheduled rate, bias corrections, NAdam's momentum products, RAdam's rectification),
// computed once per step in double precision and shared by every element of every
// parameter (optimizers.hpp has the element loops).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "core/schedules.hpp"

namespace pygdx {

enum class Rule : int {
    sgd = 0,
    adagrad = 1,
    rmsprop = 2,
    adadelta = 3,
    adam = 4,
    adamw = 5,
    adamax = 6,
    nadam = 7,
    radam = 8,
};

// The union of every rule's hyperparameters; each rule reads only its own.
struct Hyper {
    Rule rule = Rule::sgd;
    double weight_decay = 0.0;
    bool maximize = false;
    // decoupled (AdamW-style) weight decay; always on for adamw
    bool decoupled_weight_decay = false;
    // SGD, RMSprop
    double momentum = 0.0;
    double dampening = 0.0;
    bool nesterov = false;
    // Adagrad
    double lr_decay = 0.0;
    // RMSprop: alpha; Adadelta: rho
    double alpha = 0.99;
    bool centered = false;
    double rho = 0.9;
    // Adam family
    double beta1 = 0.9;
    double beta2 = 0.999;
    bool amsgrad = false;
    double momentum_decay = 4e-3;
    double eps = 1e-8;
};

// Indices into the caller's counters array.
enum Counter : int { counter_step = 0, counter_mu_product = 1, n_counters = 2 };

// Scalars of one step, computed once and shared by every element and every parameter.
struct StepCoefficients {
    double lr = 0.0;
    double step = 0.0;
    double clr = 0.0;           // Adagrad's decayed rate
    double bias_correction1 = 1.0;
    double bias_correction2_sqrt = 1.0;
    double bias_correction2 = 1.0;
    double nadam_grad_coef = 0.0;  // lr(1-mu_t)/(1-prod)
    double nadam_avg_coef = 0.0;   // lr mu_{t+1}/(1-prod*mu_{t+1})
    bool radam_rectified = false;
    double radam_rect = 0.0;
    bool first_step = false;
};

// Calls fn with h.rule as a std::integral_constant<Rule, R>: code that runs many steps
// chooses its rule once, outside its loop.
template <class Fn>
decltype(auto) with_rule(Rule rule, Fn&& fn) {
    switch (rule) {
    case Rule::sgd:
        return fn(std::integral_constant<Rule, Rule::sgd>{});
    case Rule::adagrad:
        return fn(std::integral_constant<Rule, Rule::adagrad>{});
    case Rule::rmsprop:
        return fn(std::integral_constant<Rule, Rule::rmsprop>{});
    case Rule::adadelta:
        return fn(std::integral_constant<Rule, Rule::adadelta>{});
    case Rule::adam:
        return fn(std::integral_constant<Rule, Rule::adam>{});
    case Rule::adamw:
        return fn(std::integral_constant<Rule, Rule::adamw>{});
    case Rule::adamax:
        return fn(std::integral_constant<Rule, Rule::adamax>{});
    case Rule::nadam:
        return fn(std::integral_constant<Rule, Rule::nadam>{});
    case Rule::radam:
        return fn(std::integral_constant<Rule, Rule::radam>{});
    }
    throw std::invalid_argument("unknown optimizer rule");
}

constexpr bool uses_bias_correction(Rule rule) {
    return rule == Rule::adam || rule == Rule::adamw || rule == Rule::adamax || rule == Rule::nadam ||
           rule == Rule::radam;
}

// The largest step count a double holds exactly: 2**53.
inline constexpr double max_exact_step = 9007199254740992.0;

namespace detail {

// What begin_step remembers from step to step (per thread, see thread_power_memory), so that
// it computes no power whose value it knows: the same bits as computing every power.
class PowerMemory {
public:
    // 1 - beta^t, a bias correction. Once beta^t < 2^-54, 1 - beta^t rounds to exactly 1.0;
    // so from the step where the exact beta^t is at most 2^-56 on (the margin covers pow's
    // and log2's rounding), the power is skipped: the same bits without pow, which is most of
    // a small step's cost and slowest where beta^t underflows. (Adam's defaults get there
    // after about 370 and 38,800 steps.) The step where that starts is kept for the last two
    // betas.
    double one_minus_power(double beta, double t) {
        if (t >= exact_from(beta)) {
            return 1.0;
        }
        return 1.0 - std::pow(beta, t);
    }

    // 1 - 0.5 * 0.96^exponent, NAdam's momentum factor over beta1. pow(0.96, (t+1) psi) of one
    // step is pow(0.96, t psi) of the next (the same exponent, bit for bit), so it is
    // remembered; and from the exponent where 0.96^exponent is at most 2^-56 on, 0.5 times
    // it is below half an ulp of 1, so the result is exactly 1.0 without pow.
    double one_minus_half_decay(double exponent) {
        if (exponent >= decay_exact_from_) {
            return 1.0;
        }
        if (exponent != last_exponent_) {  // NaN never compares equal: the first call computes
            last_decay_ = std::pow(0.96, exponent);
            last_exponent_ = exponent;
        }
        return 1.0 - 0.5 * last_decay_;
    }

    // The step from which RAdam's rho_t = rho_inf - 2 t beta2^t / (1 - beta2^t) is exactly
    // rho_inf (and 1 - beta2^t exactly 1): 2 t beta2^t, falling past t = 1 / ln(1 / beta2), is
    // then below an eighth of rho_inf's ulp (a quarter of the margin rounding needs). Found
    // with pow itself, once per beta2; +inf when there is none.
    double radam_settled_from(double beta2) {
        if (beta2 != radam_beta2_) {
            radam_beta2_ = beta2;
            radam_from_ = find_radam_settled(beta2);
        }
        return radam_from_;
    }

private:
    double exact_from(double beta) {
        if (!(beta > 0.0 && beta < 1.0)) {
            return std::numeric_limits<double>::infinity();
        }
        int slot = betas_[0] == beta ? 0 : (betas_[1] == beta ? 1 : -1);
        if (slot < 0) {
            slot = oldest_;
            oldest_ ^= 1;
            betas_[slot] = beta;
            from_[slot] = std::ceil(-56.0 / std::log2(beta)) + 1.0;
        }
        return from_[slot];
    }

    double find_radam_settled(double beta2) {
        const double never = std::numeric_limits<double>::infinity();
        if (!(beta2 > 0.0 && beta2 < 1.0)) {
            return never;
        }
        const double rho_inf = 2.0 / (1.0 - beta2) - 1.0;
        const double small = (rho_inf - std::nextafter(rho_inf, 0.0)) / 8.0;
        double t = std::max(exact_from(beta2), std::ceil(-1.0 / std::log(beta2)) + 1.0);
        while (2.0 * t * std::pow(beta2, t) > small) {
            t = std::ceil(t * 1.25) + 1.0;
            if (t > max_exact_step) {
                return never;
            }
        }
        return t;
    }

    double betas_[2] = {-1.0, -1.0};
    double from_[2] = {0.0, 0.0};
    int oldest_ = 0;
    double decay_exact_from_ = std::ceil(-56.0 / std::log2(0.96)) + 1.0;
    double last_exponent_ = std::numeric_limits<double>::quiet_NaN();
    double last_decay_ = 0.0;
    double radam_beta2_ = std::numeric_limits<double>::quiet_NaN();
    double radam_from_ = std::numeric_limits<double>::infinity();
};

// This thread's memory, for callers that step once per call (an optimizer's step from
// Python, a full-batch epoch). Loops of many steps fetch it once (a thread_local is a call
// per access in a shared library).
inline PowerMemory& thread_power_memory() {
    thread_local PowerMemory memory;
    return memory;
}

}  // namespace detail

// Advances the counters and returns the step's coefficients for rule R (h.rule). `memory`:
// the powers remembered (nullptr: this thread's, fetched only by the rules with powers).
// Loops of many steps call it with their rule fixed (with_rule), so no step asks which
// rule it is.
template <Rule R>
inline StepCoefficients begin_rule_step(const Hyper& h, const Schedule& schedule, double* counters,
                                        detail::PowerMemory* memory = nullptr) {
    StepCoefficients c;
    counters[counter_step] += 1.0;
    const double t = counters[counter_step];
    c.step = t;
    c.first_step = t == 1.0;
    // Callers keep the count an integer <= 2**53 (where doubles stop counting exactly); the
    // clamp keeps the conversion defined whatever the counters hold (NaN included).
    const double t_exact = t >= 0.0 && t <= max_exact_step ? t : max_exact_step;
    // A constant rate (the default) needs no call: schedule_lr is a call per step that the
    // stochastic loops paid on every row, with the register spills around it.
    c.lr = schedule.kind == ScheduleKind::constant ? schedule.lr
                                                   : schedule_lr(schedule, static_cast<std::int64_t>(t_exact));
    if constexpr (R == Rule::adagrad) {
        c.clr = c.lr / (1.0 + (t - 1.0) * h.lr_decay);
    }
    // The powers are most of the cost of a step on a small parameter: only the Adam
    // family (bias corrections) pays for them.
    if constexpr (!uses_bias_correction(R)) {
        return c;
    }
    detail::PowerMemory& powers = memory != nullptr ? *memory : detail::thread_power_memory();
    // RAdam's rectification needs beta2^t itself (until rho_t settles): computed once for
    // both uses.
    const bool radam_settled = R == Rule::radam && t >= powers.radam_settled_from(h.beta2);
    const double beta2_power = R == Rule::radam && !radam_settled ? std::pow(h.beta2, t) : 0.0;
    c.bias_correction1 = powers.one_minus_power(h.beta1, t);
    c.bias_correction2 = R == Rule::radam ? 1.0 - beta2_power : powers.one_minus_power(h.beta2, t);
    c.bias_correction2_sqrt = std::sqrt(c.bias_correction2);
    if constexpr (R == Rule::nadam) {
        // this step's mu is the last step's mu_next, remembered
        const double mu = h.beta1 * powers.one_minus_half_decay(t * h.momentum_decay);
        const double mu_next = h.beta1 * powers.one_minus_half_decay((t + 1.0) * h.momentum_decay);
        if (c.first_step) {
            counters[counter_mu_product] = 1.0;
        }
        const double mu_product = counters[counter_mu_product] * mu;
        counters[counter_mu_product] = mu_product;
        c.nadam_grad_coef = c.lr * (1.0 - mu) / (1.0 - mu_product);
        c.nadam_avg_coef = c.lr * mu_next / (1.0 - mu_product * mu_next);
    }
    if constexpr (R == Rule::radam) {
        const double rho_inf = 2.0 / (1.0 - h.beta2) - 1.0;
        const double rho_t = radam_settled ? rho_inf : rho_inf - 2.0 * t * beta2_power / c.bias_correction2;
        c.radam_rectified = rho_t > 5.0;
        if (c.radam_rectified) {
            c.radam_rect = std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                     ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
        }
    }
    return c;
}

// begin_rule_step for h.rule.
inline StepCoefficients begin_step(const Hyper& h, const Schedule& schedule, double* counters,
                                   detail::PowerMemory* memory = nullptr) {
    return with_rule(h.rule,
                     [&](auto rule) { return begin_rule_step<decltype(rule)::value>(h, schedule, counters, memory); });
}

}  // namespace pygdx
