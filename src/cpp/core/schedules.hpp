// Learning-rate schedules evaluated at optimizer step t (t counts from 1).
//
// A schedule is plain data so that the C++ training loops can evaluate it at every
// step without calling back into Python. Stateful schedules (reduce-on-plateau) keep
// their state in `scale`, which Python updates between epochs.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace pygdx {

enum class ScheduleKind : int {
    constant = 0,
    step = 1,         // lr * gamma^floor((t-1)/step_size)
    exponential = 2,  // lr * gamma^(t-1)
    inverse_time = 3, // lr / t^power_t  (scikit-learn's "invscaling")
    cosine = 4,       // linear warmup, then cosine from lr to eta_min over T_max steps
    plateau = 5,      // lr * scale, scale lowered by Python on plateaus of the epoch loss
    optimal = 6,      // 1 / (alpha * (t0 + t - 1))  (scikit-learn's "optimal")
};

struct Schedule {
    ScheduleKind kind = ScheduleKind::constant;
    double lr = 1e-3;
    double gamma = 0.1;
    std::int64_t step_size = 1;
    double power_t = 0.25;
    std::int64_t t_max = 1;
    double eta_min = 0.0;
    std::int64_t warmup = 0;
    double alpha = 1e-4;
    double t0 = 1.0;
    double scale = 1.0;
};

inline double schedule_lr(const Schedule& s, std::int64_t t) {
    const double tt = static_cast<double>(t);
    switch (s.kind) {
    case ScheduleKind::constant:
        return s.lr;
    case ScheduleKind::step:
        return s.lr * std::pow(s.gamma, static_cast<double>((t - 1) / s.step_size));
    case ScheduleKind::exponential:
        return s.lr * std::pow(s.gamma, tt - 1.0);
    case ScheduleKind::inverse_time:
        return s.lr / std::pow(tt, s.power_t);
    case ScheduleKind::cosine: {
        if (t <= s.warmup) {
            return s.lr * tt / static_cast<double>(s.warmup);
        }
        // Past T_max the rate stays at eta_min instead of rising again (torch's closed
        // form is periodic); a schedule that restarts should say so explicitly.
        const double done = std::min(static_cast<double>(t - 1 - s.warmup),
                                     static_cast<double>(s.t_max));
        const double pi = 3.14159265358979323846;
        return s.eta_min + (s.lr - s.eta_min) * (1.0 + std::cos(pi * done / static_cast<double>(s.t_max))) / 2.0;
    }
    case ScheduleKind::plateau:
        return s.lr * s.scale;
    case ScheduleKind::optimal:
        return 1.0 / (s.alpha * (s.t0 + tt - 1.0));
    }
    return s.lr;
}

}  // namespace pygdx
