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
#include <stdexcept>
#include <type_traits>

#include "core/parallel.hpp"
#include "core/row_kernels.hpp"
#include "core/schedules.hpp"
#include "core/step_coefficients.hpp"

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


namespace detail {

// Calls fn with one std::true_type / std::false_type per runtime flag, so that each rule's
// options become template arguments of its element loop. Loops without branches are
// what the compiler vectorises; one loop per combination of a rule's options is the
// price, paid in code size only.
// Always inlined (with its lambdas), so that a SIMD clone that calls it keeps the element
// loop it picks at the clone's width (rule_row_steps inlines whole rules).
template <class Fn>
PYGDX_ALWAYS_INLINE void with_flags(Fn&& fn) {
    fn();
}

template <class Fn, class... Flags>
PYGDX_ALWAYS_INLINE void with_flags(Fn&& fn, bool first, Flags... rest) {
    if (first) {
        with_flags([&](auto... flags) PYGDX_LAMBDA_INLINE { fn(std::true_type{}, flags...); }, rest...);
    } else {
        with_flags([&](auto... flags) PYGDX_LAMBDA_INLINE { fn(std::false_type{}, flags...); }, rest...);
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
PYGDX_ALWAYS_INLINE void sgd_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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

template <class T, bool Maximize, bool Decay, bool UseMomentum, bool Nesterov, bool FirstStep>
PYGDX_SIMD_CLONES void sgd_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                const T* __restrict g_in, std::size_t begin, std::size_t end) {
    sgd_elements<T, Maximize, Decay, UseMomentum, Nesterov, FirstStep>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void sgd_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
               std::size_t begin, std::size_t end) {
    const bool momentum = h.momentum != 0.0;
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                sgd_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                sgd_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
               h.maximize, h.weight_decay != 0.0, momentum, momentum && h.nesterov, momentum && c.first_step);
}

template <class T, bool Maximize, bool Decay>
PYGDX_ALWAYS_INLINE void adagrad_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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

template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES void adagrad_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                    const T* __restrict g_in, std::size_t begin, std::size_t end) {
    adagrad_elements<T, Maximize, Decay>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void adagrad_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                   std::size_t begin, std::size_t end) {
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                adagrad_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                adagrad_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
               h.maximize, h.weight_decay != 0.0);
}

template <class T, bool Maximize, bool Decay, bool Centered, bool UseMomentum>
PYGDX_ALWAYS_INLINE void rmsprop_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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

template <class T, bool Maximize, bool Decay, bool Centered, bool UseMomentum>
PYGDX_SIMD_CLONES void rmsprop_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                    const T* __restrict g_in, std::size_t begin, std::size_t end) {
    rmsprop_elements<T, Maximize, Decay, Centered, UseMomentum>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void rmsprop_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                   std::size_t begin, std::size_t end) {
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                rmsprop_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                rmsprop_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
               h.maximize, h.weight_decay != 0.0, h.centered, h.momentum > 0.0);
}

template <class T, bool Maximize, bool Decay>
PYGDX_ALWAYS_INLINE void adadelta_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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

template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES void adadelta_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                     const T* __restrict g_in, std::size_t begin, std::size_t end) {
    adadelta_elements<T, Maximize, Decay>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void adadelta_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                    std::size_t begin, std::size_t end) {
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                adadelta_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                adadelta_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
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
// Corrected2 is false once the second bias correction is exactly 1 (one_minus_power): x / 1
// is x, bit for bit, so the division per element is skipped with the same results.
template <class T, bool Maximize, bool Coupled, bool DecoupledDecay, bool Amsgrad, bool Corrected2>
PYGDX_ALWAYS_INLINE void adam_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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
        const T root = Corrected2 ? std::sqrt(v) / bc2_sqrt : std::sqrt(v);
        p[i] = e.p - step_size * (e.m / (root + k.eps));
    }
}

template <class T, bool Maximize, bool Coupled, bool DecoupledDecay, bool Amsgrad, bool Corrected2>
PYGDX_SIMD_CLONES void adam_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                 const T* __restrict g_in, std::size_t begin, std::size_t end) {
    adam_elements<T, Maximize, Coupled, DecoupledDecay, Amsgrad, Corrected2>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void adam_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                std::size_t begin, std::size_t end) {
    const bool decoupled = h.rule == Rule::adamw || h.decoupled_weight_decay;
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                adam_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                adam_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
               h.maximize, !decoupled && h.weight_decay != 0.0, decoupled, h.amsgrad, c.bias_correction2_sqrt != 1.0);
}

template <class T, bool Maximize, bool Decay>
PYGDX_ALWAYS_INLINE void adamax_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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

template <class T, bool Maximize, bool Decay>
PYGDX_SIMD_CLONES void adamax_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                   const T* __restrict g_in, std::size_t begin, std::size_t end) {
    adamax_elements<T, Maximize, Decay>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void adamax_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                  std::size_t begin, std::size_t end) {
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                adamax_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                adamax_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
               h.maximize, h.weight_decay != 0.0);
}

// Corrected2: as adam_loop's.
template <class T, bool Maximize, bool Coupled, bool Decoupled, bool Corrected2>
PYGDX_ALWAYS_INLINE void nadam_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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
        const T d = std::sqrt(Corrected2 ? e.v / bc2 : e.v) + k.eps;
        p[i] = e.p - grad_coef * (e.g / d) - avg_coef * (e.m / d);
    }
}

template <class T, bool Maximize, bool Coupled, bool Decoupled, bool Corrected2>
PYGDX_SIMD_CLONES void nadam_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                  const T* __restrict g_in, std::size_t begin, std::size_t end) {
    nadam_elements<T, Maximize, Coupled, Decoupled, Corrected2>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void nadam_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                 std::size_t begin, std::size_t end) {
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                nadam_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                nadam_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
               h.maximize, !h.decoupled_weight_decay && h.weight_decay != 0.0, h.decoupled_weight_decay,
               c.bias_correction2 != 1.0);
}

// Corrected1: as adam_loop's Corrected2, for the first bias correction.
template <class T, bool Maximize, bool Coupled, bool Decoupled, bool Rectified, bool Corrected1>
PYGDX_ALWAYS_INLINE void radam_elements(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
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
        const T m_hat = Corrected1 ? e.m / bc1 : e.m;
        if constexpr (Rectified) {
            p[i] = e.p - m_hat * rect_scale / (std::sqrt(e.v) + k.eps);
        } else {
            p[i] = e.p - m_hat * lr;
        }
    }
}

template <class T, bool Maximize, bool Coupled, bool Decoupled, bool Rectified, bool Corrected1>
PYGDX_SIMD_CLONES void radam_loop(const Hyper& h, const StepCoefficients& c, ParamBuffers<T> b,
                                  const T* __restrict g_in, std::size_t begin, std::size_t end) {
    radam_elements<T, Maximize, Coupled, Decoupled, Rectified, Corrected1>(h, c, b, g_in, begin, end);
}

template <bool Inline = false, class T>
PYGDX_ALWAYS_INLINE void radam_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g_in,
                 std::size_t begin, std::size_t end) {
    with_flags(
        [&](auto... flags) PYGDX_LAMBDA_INLINE {
            if constexpr (Inline) {
                radam_elements<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            } else {
                radam_loop<T, decltype(flags)::value...>(h, c, b, g_in, begin, end);
            }
        },
       
               h.maximize, !h.decoupled_weight_decay && h.weight_decay != 0.0, h.decoupled_weight_decay,
        c.radam_rectified, c.bias_correction1 != 1.0);
}

// Rule R's update of elements [begin, end); Inline: the element loop inlined into the
// caller (a SIMD clone that steps many times, rule_row_steps), else the loop's own clone.
template <Rule R, bool Inline, class T>
PYGDX_ALWAYS_INLINE void rule_update_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b,
                                           const T* g, std::size_t begin, std::size_t end) {
    if constexpr (R == Rule::sgd) {
        sgd_range<Inline>(h, c, b, g, begin, end);
    } else if constexpr (R == Rule::adagrad) {
        adagrad_range<Inline>(h, c, b, g, begin, end);
    } else if constexpr (R == Rule::rmsprop) {
        rmsprop_range<Inline>(h, c, b, g, begin, end);
    } else if constexpr (R == Rule::adadelta) {
        adadelta_range<Inline>(h, c, b, g, begin, end);
    } else if constexpr (R == Rule::adam || R == Rule::adamw) {
        adam_range<Inline>(h, c, b, g, begin, end);
    } else if constexpr (R == Rule::adamax) {
        adamax_range<Inline>(h, c, b, g, begin, end);
    } else if constexpr (R == Rule::nadam) {
        nadam_range<Inline>(h, c, b, g, begin, end);
    } else {
        static_assert(R == Rule::radam, "a rule without an update");
        radam_range<Inline>(h, c, b, g, begin, end);
    }
}

template <class T>
void update_range(const Hyper& h, const StepCoefficients& c, const ParamBuffers<T>& b, const T* g,
                  std::size_t begin, std::size_t end) {
    with_rule(h.rule, [&](auto rule) { rule_update_range<decltype(rule)::value, false>(h, c, b, g, begin, end); });
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
