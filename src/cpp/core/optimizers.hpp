// Optimizer update rules with torch.optim's formulas, defaults and order of operations.
//
// Every rule updates a parameter buffer in place from a gradient buffer, using state
// buffers (moments, accumulators) owned by the caller. Nothing is allocated and nothing
// is remembered here: the step count and NAdam's running product of momentum factors live
// in a two-element `counters` array that the caller owns too, so a Python optimizer can
// pickle, save and restore everything.
//
// Per step, the scalar coefficients (bias corrections, rectification, decayed learning
// rate) are computed once in double precision; the per-element loop then runs in the
// parameter's own type T, like torch's single-tensor implementations.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "core/parallel.hpp"
#include "core/schedules.hpp"

// The element loops are also compiled for AVX-512 and AVX2, and the version for the
// running CPU is picked when the module loads (GCC function multiversioning, x86-64
// Linux), so a portable wheel still uses the wide registers. Every version performs the
// same IEEE operations in the same order (no FMA contraction: see CMakeLists.txt), so the
// results do not depend on the CPU.
// The CMake option PYGDX_NO_SIMD_CLONES (implied by PYGDX_SANITIZE) turns them off:
// sanitizer runtimes cannot run the clones' load-time dispatch.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(PYGDX_NO_SIMD_CLONES)
#define PYGDX_SIMD_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PYGDX_SIMD_CLONES
#endif

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

// The state buffers of each rule, in the order the update functions read them. A slot
// the options leave unused (SGD's buffer without momentum, RMSprop's momentum buffer and
// gradient average, Adam's running maximum without amsgrad) may be empty.
inline constexpr int max_state_buffers = 3;

inline int state_buffer_count(const Hyper& h) {
    switch (h.rule) {
    case Rule::sgd:
        return 1;  // momentum_buffer
    case Rule::adagrad:
        return 1;  // sum
    case Rule::rmsprop:
        return 3;  // square_avg, momentum_buffer, grad_avg
    case Rule::adadelta:
        return 2;  // square_avg, acc_delta
    case Rule::adam:
    case Rule::adamw:
        return 3;  // exp_avg, exp_avg_sq, max_exp_avg_sq
    case Rule::adamax:
        return 2;  // exp_avg, exp_inf
    case Rule::nadam:
    case Rule::radam:
        return 2;  // exp_avg, exp_avg_sq
    }
    return 0;
}

inline bool state_buffer_used(const Hyper& h, int slot) {
    switch (h.rule) {
    case Rule::sgd:
        return h.momentum != 0.0;
    case Rule::rmsprop:
        return slot == 0 || (slot == 1 && h.momentum > 0.0) || (slot == 2 && h.centered);
    case Rule::adam:
    case Rule::adamw:
        return slot < 2 || h.amsgrad;
    default:
        return slot < state_buffer_count(h);
    }
}

template <class T>
struct ParamBuffers {
    T* param = nullptr;
    T* state[max_state_buffers] = {nullptr, nullptr, nullptr};
    std::size_t size = 0;
};

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

inline bool uses_bias_correction(Rule rule) {
    return rule == Rule::adam || rule == Rule::adamw || rule == Rule::adamax || rule == Rule::nadam ||
           rule == Rule::radam;
}

// The largest step count a double holds exactly: 2**53.
inline constexpr double max_exact_step = 9007199254740992.0;

namespace detail {

// 1 - beta^t, a bias correction. Once beta^t < 2^-54, 1 - beta^t rounds to exactly 1.0; so
// from the step where the exact beta^t is at most 2^-56 on (the margin covers pow's and
// log2's rounding), the power is skipped: the same bits without pow, which is most of a
// small step's cost and slowest where beta^t underflows. (Adam's defaults get there after
// about 370 and 38,800 steps.) The step where that starts is remembered per thread for
// the last two betas.
inline double one_minus_power(double beta, double t) {
    if (beta > 0.0 && beta < 1.0) {
        thread_local double betas[2] = {-1.0, -1.0};
        thread_local double from[2] = {0.0, 0.0};
        thread_local int oldest = 0;
        int slot = betas[0] == beta ? 0 : (betas[1] == beta ? 1 : -1);
        if (slot < 0) {
            slot = oldest;
            oldest ^= 1;
            betas[slot] = beta;
            from[slot] = std::ceil(-56.0 / std::log2(beta)) + 1.0;
        }
        if (t >= from[slot]) {
            return 1.0;
        }
    }
    return 1.0 - std::pow(beta, t);
}

// pow(base, exponent), remembering the last result per thread: NAdam's mu_{t+1} of one step
// is mu_t of the next (the same exponent, bit for bit), so it is computed once.
inline double remembered_pow(double base, double exponent) {
    // NaN never compares equal, so the first call computes
    thread_local double last_base = std::numeric_limits<double>::quiet_NaN();
    thread_local double last_exponent = std::numeric_limits<double>::quiet_NaN();
    thread_local double last = 0.0;
    if (exponent != last_exponent || base != last_base) {
        last = std::pow(base, exponent);
        last_base = base;
        last_exponent = exponent;
    }
    return last;
}

}  // namespace detail

// Advances the counters and returns the step's coefficients.
inline StepCoefficients begin_step(const Hyper& h, const Schedule& schedule, double* counters) {
    StepCoefficients c;
    counters[counter_step] += 1.0;
    const double t = counters[counter_step];
    c.step = t;
    c.first_step = t == 1.0;
    // Callers keep the count an integer <= 2**53 (where doubles stop counting exactly); the
    // clamp keeps the conversion defined whatever the counters hold (NaN included).
    const double t_exact = t >= 0.0 && t <= max_exact_step ? t : max_exact_step;
    c.lr = schedule_lr(schedule, static_cast<std::int64_t>(t_exact));
    c.clr = c.lr / (1.0 + (t - 1.0) * h.lr_decay);
    // The powers are most of the cost of a step on a small parameter: only the Adam
    // family (bias corrections) pays for them.
    // RAdam's rectification needs beta2^t itself: computed once for both uses.
    const double beta2_power = h.rule == Rule::radam ? std::pow(h.beta2, t) : 0.0;
    if (uses_bias_correction(h.rule)) {
        c.bias_correction1 = detail::one_minus_power(h.beta1, t);
        c.bias_correction2 = h.rule == Rule::radam ? 1.0 - beta2_power : detail::one_minus_power(h.beta2, t);
        c.bias_correction2_sqrt = std::sqrt(c.bias_correction2);
    }
    if (h.rule == Rule::nadam) {
        // this step's mu is the last step's mu_next, remembered
        const double mu = h.beta1 * (1.0 - 0.5 * detail::remembered_pow(0.96, t * h.momentum_decay));
        const double mu_next = h.beta1 * (1.0 - 0.5 * detail::remembered_pow(0.96, (t + 1.0) * h.momentum_decay));
        if (c.first_step) {
            counters[counter_mu_product] = 1.0;
        }
        const double mu_product = counters[counter_mu_product] * mu;
        counters[counter_mu_product] = mu_product;
        c.nadam_grad_coef = c.lr * (1.0 - mu) / (1.0 - mu_product);
        c.nadam_avg_coef = c.lr * mu_next / (1.0 - mu_product * mu_next);
    }
    if (h.rule == Rule::radam) {
        const double rho_inf = 2.0 / (1.0 - h.beta2) - 1.0;
        const double rho_t = rho_inf - 2.0 * t * beta2_power / c.bias_correction2;
        c.radam_rectified = rho_t > 5.0;
        if (c.radam_rectified) {
            c.radam_rect = std::sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf /
                                     ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t));
        }
    }
    return c;
}

namespace detail {

// Calls fn with one std::true_type / std::false_type per runtime flag, so that each rule's
// options become template arguments of its element loop. Loops without branches are
// what the compiler vectorises; one loop per combination of a rule's options is the
// price, paid in code size only.
template <class Fn>
inline void with_flags(Fn&& fn) {
    fn();
}

template <class Fn, class... Flags>
inline void with_flags(Fn&& fn, bool first, Flags... rest) {
    if (first) {
        with_flags([&](auto... flags) { fn(std::true_type{}, flags...); }, rest...);
    } else {
        with_flags([&](auto... flags) { fn(std::false_type{}, flags...); }, rest...);
    }
}

// The gradient as every rule first sees it: sign for maximize, then coupled L2 decay.
template <bool Maximize, bool CoupledDecay, class T>
inline T effective_grad(T g, T p, T weight_decay) {
    if constexpr (Maximize) {
        g = -g;
    }
    if constexpr (CoupledDecay) {
        g = g + weight_decay * p;
    }
    return g;
}

template <class T, bool Maximize, bool Decay, bool UseMomentum, bool Nesterov, bool FirstStep>
PYGDX_SIMD_CLONES void sgd_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict buf = b.state[0];
    const T wd = static_cast<T>(h.weight_decay);
    const T lr = static_cast<T>(c.lr);
    const T mu = static_cast<T>(h.momentum);
    const T keep = static_cast<T>(1.0 - h.dampening);
    for (std::size_t i = begin; i < end; ++i) {
        const T g = effective_grad<Maximize, Decay>(g_in[i], p[i], wd);
        if constexpr (!UseMomentum) {
            p[i] -= lr * g;
        } else {
            const T m = FirstStep ? g : mu * buf[i] + keep * g;
            buf[i] = m;
            p[i] -= lr * (Nesterov ? g + mu * m : m);
        }
    }
}

template <class T>
void sgd_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
               std::size_t begin, std::size_t end) {
    const bool momentum = h.momentum != 0.0;
    with_flags([&](auto... flags) { sgd_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, h.weight_decay != 0.0, momentum, momentum && h.nesterov, momentum && c.first_step);
}

template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES void adagrad_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                    const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict sum = b.state[0];
    const T wd = static_cast<T>(h.weight_decay);
    const T clr = static_cast<T>(c.clr);
    const T eps = static_cast<T>(h.eps);
    for (std::size_t i = begin; i < end; ++i) {
        const T g = effective_grad<Maximize, Decay>(g_in[i], p[i], wd);
        const T s = sum[i] + g * g;
        sum[i] = s;
        p[i] -= clr * (g / (std::sqrt(s) + eps));
    }
}

template <class T>
void adagrad_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                   std::size_t begin, std::size_t end) {
    with_flags([&](auto... flags) { adagrad_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, h.weight_decay != 0.0);
}

template <class T, bool Maximize, bool Decay, bool Centered, bool UseMomentum>
PYGDX_SIMD_CLONES void rmsprop_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                    const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict square_avg = b.state[0];
    T* __restrict buf = b.state[1];
    T* __restrict grad_avg = b.state[2];
    const T wd = static_cast<T>(h.weight_decay);
    const T lr = static_cast<T>(c.lr);
    const T a = static_cast<T>(h.alpha);
    const T one_minus_a = static_cast<T>(1.0 - h.alpha);
    const T mu = static_cast<T>(h.momentum);
    const T eps = static_cast<T>(h.eps);
    for (std::size_t i = begin; i < end; ++i) {
        const T g = effective_grad<Maximize, Decay>(g_in[i], p[i], wd);
        const T v = a * square_avg[i] + one_minus_a * g * g;
        square_avg[i] = v;
        T d;
        if constexpr (Centered) {
            const T ga = a * grad_avg[i] + one_minus_a * g;
            grad_avg[i] = ga;
            d = std::sqrt(v - ga * ga) + eps;
        } else {
            d = std::sqrt(v) + eps;
        }
        if constexpr (UseMomentum) {
            const T m = mu * buf[i] + g / d;
            buf[i] = m;
            p[i] -= lr * m;
        } else {
            p[i] -= lr * (g / d);
        }
    }
}

template <class T>
void rmsprop_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                   std::size_t begin, std::size_t end) {
    with_flags([&](auto... flags) { rmsprop_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, h.weight_decay != 0.0, h.centered, h.momentum > 0.0);
}

template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES void adadelta_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                     const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict square_avg = b.state[0];
    T* __restrict acc_delta = b.state[1];
    const T wd = static_cast<T>(h.weight_decay);
    const T lr = static_cast<T>(c.lr);
    const T rho = static_cast<T>(h.rho);
    const T one_minus_rho = static_cast<T>(1.0 - h.rho);
    const T eps = static_cast<T>(h.eps);
    for (std::size_t i = begin; i < end; ++i) {
        const T g = effective_grad<Maximize, Decay>(g_in[i], p[i], wd);
        const T v = rho * square_avg[i] + one_minus_rho * g * g;
        square_avg[i] = v;
        const T delta = std::sqrt(acc_delta[i] + eps) / std::sqrt(v + eps) * g;
        acc_delta[i] = rho * acc_delta[i] + one_minus_rho * delta * delta;
        p[i] -= lr * delta;
    }
}

template <class T>
void adadelta_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                    std::size_t begin, std::size_t end) {
    with_flags([&](auto... flags) { adadelta_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, h.weight_decay != 0.0);
}

// Scalars every Adam-style rule (Adam, AdamW, NAdam, RAdam) uses, in the parameters' type.
template <class T>
struct AdamScalars {
    T wd, shrink, b1, one_minus_b1, b2, one_minus_b2, eps;
    AdamScalars(const Hyper& h, const StepCoefficients& c)
        : wd(static_cast<T>(h.weight_decay)),
          shrink(static_cast<T>(1.0 - c.lr * h.weight_decay)),
          b1(static_cast<T>(h.beta1)),
          one_minus_b1(static_cast<T>(1.0 - h.beta1)),
          b2(static_cast<T>(h.beta2)),
          one_minus_b2(static_cast<T>(1.0 - h.beta2)),
          eps(static_cast<T>(h.eps)) {}
};

template <class T>
struct AdamElement {
    T p, g, m, v;  // p after decoupled decay, the effective gradient, the new moments
};

// The start every Adam-style rule shares on one element: decoupled decay shrinks p,
// the effective gradient, and both moving averages, stored back into the state.
template <bool Maximize, bool Coupled, bool Decoupled, class T>
inline AdamElement<T> adam_moments(const AdamScalars<T>& k, T p, T g_raw, T& exp_avg, T& exp_avg_sq) {
    if constexpr (Decoupled) {
        p *= k.shrink;
    }
    const T g = effective_grad<Maximize, Coupled>(g_raw, p, k.wd);
    const T m = k.b1 * exp_avg + k.one_minus_b1 * g;
    const T v = k.b2 * exp_avg_sq + k.one_minus_b2 * g * g;
    exp_avg = m;
    exp_avg_sq = v;
    return {p, g, m, v};
}

// Adam and AdamW; AdamW (or decoupled_weight_decay) shrinks p before the Adam step.
template <class T, bool Maximize, bool Coupled, bool DecoupledDecay, bool Amsgrad>
PYGDX_SIMD_CLONES void adam_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                 const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict exp_avg = b.state[0];
    T* __restrict exp_avg_sq = b.state[1];
    T* __restrict max_exp_avg_sq = b.state[2];
    const AdamScalars<T> k(h, c);
    const T step_size = static_cast<T>(c.lr / c.bias_correction1);
    const T bc2_sqrt = static_cast<T>(c.bias_correction2_sqrt);
    for (std::size_t i = begin; i < end; ++i) {
        const auto e = adam_moments<Maximize, Coupled, DecoupledDecay>(k, p[i], g_in[i], exp_avg[i], exp_avg_sq[i]);
        T v = e.v;
        if constexpr (Amsgrad) {
            v = std::max(max_exp_avg_sq[i], v);
            max_exp_avg_sq[i] = v;
        }
        p[i] = e.p - step_size * (e.m / (std::sqrt(v) / bc2_sqrt + k.eps));
    }
}

template <class T>
void adam_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                std::size_t begin, std::size_t end) {
    const bool decoupled = h.rule == Rule::adamw || h.decoupled_weight_decay;
    with_flags([&](auto... flags) { adam_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, !decoupled && h.weight_decay != 0.0, decoupled, h.amsgrad);
}

template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES void adamax_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                   const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict exp_avg = b.state[0];
    T* __restrict exp_inf = b.state[1];
    const T wd = static_cast<T>(h.weight_decay);
    const T b1 = static_cast<T>(h.beta1);
    const T one_minus_b1 = static_cast<T>(1.0 - h.beta1);
    const T b2 = static_cast<T>(h.beta2);
    const T eps = static_cast<T>(h.eps);
    const T clr = static_cast<T>(c.lr / c.bias_correction1);
    for (std::size_t i = begin; i < end; ++i) {
        const T g = effective_grad<Maximize, Decay>(g_in[i], p[i], wd);
        const T m = b1 * exp_avg[i] + one_minus_b1 * g;
        const T u = std::max(b2 * exp_inf[i], std::abs(g) + eps);
        exp_avg[i] = m;
        exp_inf[i] = u;
        p[i] -= clr * (m / u);
    }
}

template <class T>
void adamax_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                  std::size_t begin, std::size_t end) {
    with_flags([&](auto... flags) { adamax_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, h.weight_decay != 0.0);
}

template <class T, bool Maximize, bool Coupled, bool Decoupled>
PYGDX_SIMD_CLONES void nadam_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                  const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict exp_avg = b.state[0];
    T* __restrict exp_avg_sq = b.state[1];
    const AdamScalars<T> k(h, c);
    const T bc2 = static_cast<T>(c.bias_correction2);
    const T grad_coef = static_cast<T>(c.nadam_grad_coef);
    const T avg_coef = static_cast<T>(c.nadam_avg_coef);
    for (std::size_t i = begin; i < end; ++i) {
        const auto e = adam_moments<Maximize, Coupled, Decoupled>(k, p[i], g_in[i], exp_avg[i], exp_avg_sq[i]);
        const T d = std::sqrt(e.v / bc2) + k.eps;
        p[i] = e.p - grad_coef * (e.g / d) - avg_coef * (e.m / d);
    }
}

template <class T>
void nadam_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                 std::size_t begin, std::size_t end) {
    with_flags([&](auto... flags) { nadam_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, !h.decoupled_weight_decay && h.weight_decay != 0.0, h.decoupled_weight_decay);
}

template <class T, bool Maximize, bool Coupled, bool Decoupled, bool Rectified>
PYGDX_SIMD_CLONES void radam_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                  const T* __restrict g_in, std::size_t begin, std::size_t end) {
    T* __restrict p = b.param;
    T* __restrict exp_avg = b.state[0];
    T* __restrict exp_avg_sq = b.state[1];
    const AdamScalars<T> k(h, c);
    const T bc1 = static_cast<T>(c.bias_correction1);
    const T lr = static_cast<T>(c.lr);
    const T rect_scale = static_cast<T>(c.lr * c.radam_rect * c.bias_correction2_sqrt);
    for (std::size_t i = begin; i < end; ++i) {
        const auto e = adam_moments<Maximize, Coupled, Decoupled>(k, p[i], g_in[i], exp_avg[i], exp_avg_sq[i]);
        const T m_hat = e.m / bc1;
        if constexpr (Rectified) {
            p[i] = e.p - m_hat * rect_scale / (std::sqrt(e.v) + k.eps);
        } else {
            p[i] = e.p - m_hat * lr;
        }
    }
}

template <class T>
void radam_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                 std::size_t begin, std::size_t end) {
    with_flags([&](auto... flags) { radam_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end); },
               h.maximize, !h.decoupled_weight_decay && h.weight_decay != 0.0, h.decoupled_weight_decay,
        c.radam_rectified);
}

template <class T>
void update_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g,
                  std::size_t begin, std::size_t end) {
    switch (h.rule) {
    case Rule::sgd:
        return sgd_range(h, c, b, g, begin, end);
    case Rule::adagrad:
        return adagrad_range(h, c, b, g, begin, end);
    case Rule::rmsprop:
        return rmsprop_range(h, c, b, g, begin, end);
    case Rule::adadelta:
        return adadelta_range(h, c, b, g, begin, end);
    case Rule::adam:
    case Rule::adamw:
        return adam_range(h, c, b, g, begin, end);
    case Rule::adamax:
        return adamax_range(h, c, b, g, begin, end);
    case Rule::nadam:
        return nadam_range(h, c, b, g, begin, end);
    case Rule::radam:
        return radam_range(h, c, b, g, begin, end);
    }
    throw std::invalid_argument("unknown optimizer rule");
}

}  // namespace detail

// Below this many elements a parameter is updated on the calling thread: starting a
// thread costs more than the update itself.
inline constexpr std::size_t min_elements_per_thread = std::size_t{1} << 18;

// One optimizer step over several parameters (one shared step count), each updated
// from its gradient. `n_threads` <= 0 uses every hardware thread for large parameters.
template <class T>
void optimizer_step(const Hyper& h, const Schedule& schedule, double* counters, const ParamBuffers<T>* params,
                    const T* const* grads, std::size_t n_params, int n_threads) {
    const StepCoefficients c = begin_step(h, schedule, counters);
    for (std::size_t k = 0; k < n_params; ++k) {
        const ParamBuffers<T>& b = params[k];
        const T* g = grads[k];
        const int chunks = threads_for(b.size, n_threads, min_elements_per_thread);
        parallel_chunks(b.size, chunks, [&](int, std::size_t begin, std::size_t end) {
            detail::update_range(h, c, b, g, begin, end);
        });
    }
}

}  // namespace pygdx
