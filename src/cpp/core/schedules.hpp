// Learning-rate schedules evaluated at optimizer step t (t counts from 1).
//
// A schedule is plain data so that the C++ training loops can evaluate it at every
// step without calling back into Python. Stateful schedules (reduce-on-plateau) keep
// their state in `scale`, which Python updates between epochs. Schedules built on a
// user's Python function, and composites of schedules, arrive as a table of rates
// that Python computed ahead (kind `table`).
//
// Step t of pygdx is torch's scheduler after t - 1 calls of scheduler.step(): the rate
// the t-th optimizer step uses when scheduler.step() follows every optimizer.step().
// Python validates every record it builds; a record that is still invalid (a division by
// zero ahead) evaluates to NaN instead of trapping.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <vector>

namespace pygdx {

enum class ScheduleKind : int {
    constant = 0,
    step = 1,         // lr * gamma^floor((t-1)/step_size)
    exponential = 2,  // lr * gamma^(t-1)
    inverse_time = 3, // lr / t^power_t  (scikit-learn's "invscaling")
    cosine = 4,       // linear warmup, then cosine from lr to eta_min over T_max steps
    plateau = 5,      // lr * scale, scale lowered by Python on plateaus of the epoch loss
    optimal = 6,      // 1 / (alpha * (t0 + t - 1))  (scikit-learn's "optimal")
    multistep = 7,    // lr * gamma^(number of milestones <= t-1)
    constant_factor = 8,  // torch's ConstantLR: lr * factor while t-1 < total_iters, then lr
    linear = 9,       // lr * (start_factor + (end_factor - start_factor) * min(t-1, total_iters) / total_iters)
    polynomial = 10,  // lr * (1 - min(t-1, total_iters) / total_iters)^power
    warm_restarts = 11,  // cosine from lr to eta_min over T_0 steps, restarting; periods grow by T_mult
    cyclic = 12,      // torch's CyclicLR: triangular waves between lr and max_lr
    one_cycle = 13,   // torch's OneCycleLR: warm up to max_lr, anneal far below the start
    swa = 14,         // torch's SWALR: anneal from lr to swa_lr over anneal_epochs, then swa_lr
    table = 15,       // rates computed ahead by Python: table[t-1]; the last one after the end
};

enum class CycleMode : int { triangular = 0, triangular2 = 1, exp_range = 2 };
enum class Anneal : int { cos = 0, linear = 1 };

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
    std::vector<std::int64_t> milestones;  // multistep, sorted
    double factor = 1.0;                   // constant_factor
    double start_factor = 1.0;             // linear
    double end_factor = 1.0;               // linear
    std::int64_t total_iters = 1;          // constant_factor, linear, polynomial
    double power = 1.0;                    // polynomial
    std::int64_t t_0 = 1;                  // warm_restarts
    std::int64_t t_mult = 1;               // warm_restarts
    double max_lr = 1.0;                   // cyclic, one_cycle
    double step_size_up = 2000.0;          // cyclic
    double step_size_down = 2000.0;        // cyclic
    CycleMode cycle_mode = CycleMode::triangular;
    std::int64_t total_steps = 1;          // one_cycle
    double pct_start = 0.3;                // one_cycle
    double div_factor = 25.0;              // one_cycle
    double final_div_factor = 1e4;         // one_cycle
    bool three_phase = false;              // one_cycle
    Anneal anneal = Anneal::cos;           // one_cycle, swa
    double swa_lr = 1e-3;                  // swa
    std::int64_t anneal_epochs = 10;       // swa
    // Shared and immutable, so that copying a record (an optimizer keeps one) stays cheap.
    std::shared_ptr<const std::vector<double>> table;
    // plateau: its settings (factor above), then its state, changed by plateau_observe
    std::int64_t patience = 10;
    double threshold = 1e-4;
    bool threshold_absolute = false;  // torch's threshold_mode "abs" (else "rel")
    bool maximize = false;            // torch's mode "max": higher observed values are better
    std::int64_t cooldown = 0;
    double min_lr = 0.0;
    double eps = 1e-8;
    double best = std::numeric_limits<double>::infinity();  // -inf when maximizing
    std::int64_t num_bad_epochs = 0;
    std::int64_t cooldown_counter = 0;
};

namespace detail {

constexpr double pi = 3.14159265358979323846;
constexpr double invalid_rate = std::numeric_limits<double>::quiet_NaN();

inline double anneal_between(Anneal how, double start, double end, double pct) {
    if (how == Anneal::cos) {
        return end + (start - end) / 2.0 * (std::cos(pi * pct) + 1.0);
    }
    return (end - start) * pct + start;
}

// torch's CosineAnnealingWarmRestarts: the position inside the current period.
inline double warm_restarts_lr(const Schedule& s, std::int64_t epoch) {
    if (s.t_0 < 1 || s.t_mult < 1) {
        return invalid_rate;
    }
    std::int64_t t_i = s.t_0;
    std::int64_t t_cur = epoch;
    while (t_cur >= t_i) {
        t_cur -= t_i;
        if (t_i > std::numeric_limits<std::int64_t>::max() / s.t_mult) {
            t_i = std::numeric_limits<std::int64_t>::max();  // a period longer than any run
            break;
        }
        t_i *= s.t_mult;
    }
    return s.eta_min + (s.lr - s.eta_min) * (1.0 + std::cos(pi * static_cast<double>(t_cur) / static_cast<double>(t_i))) / 2.0;
}

// torch's CyclicLR with last_epoch = epoch (the rate moves every batch).
inline double cyclic_lr(const Schedule& s, std::int64_t epoch) {
    const double total = s.step_size_up + s.step_size_down;
    if (!(s.step_size_up > 0.0) || !(s.step_size_down > 0.0)) {
        return invalid_rate;
    }
    const double step_ratio = s.step_size_up / total;
    const double e = static_cast<double>(epoch);
    const double cycle = std::floor(1.0 + e / total);
    const double x = 1.0 + e / total - cycle;
    const double scale_factor = x <= step_ratio ? x / step_ratio : (x - 1.0) / (step_ratio - 1.0);
    const double height = (s.max_lr - s.lr) * scale_factor;
    switch (s.cycle_mode) {
    case CycleMode::triangular:
        return s.lr + height;
    case CycleMode::triangular2:
        return s.lr + height * (1.0 / std::pow(2.0, cycle - 1.0));
    case CycleMode::exp_range:
        return s.lr + height * std::pow(s.gamma, e);
    }
    return invalid_rate;
}

// torch's OneCycleLR at last_epoch = epoch; past total_steps, where torch raises, the
// rate stays at its value there.
inline double one_cycle_lr(const Schedule& s, std::int64_t epoch) {
    const double initial = s.max_lr / s.div_factor;
    const double minimum = initial / s.final_div_factor;
    const double total = static_cast<double>(s.total_steps);
    struct Phase {
        double end_step, start_lr, end_lr;
    };
    Phase phases[3];
    int n = 0;
    if (s.three_phase) {
        phases[n++] = {s.pct_start * total - 1.0, initial, s.max_lr};
        phases[n++] = {2.0 * s.pct_start * total - 2.0, s.max_lr, initial};
        phases[n++] = {total - 1.0, initial, minimum};
    } else {
        phases[n++] = {s.pct_start * total - 1.0, initial, s.max_lr};
        phases[n++] = {total - 1.0, s.max_lr, minimum};
    }
    const double step = static_cast<double>(std::min(epoch, s.total_steps));
    double start_step = 0.0;
    for (int i = 0; i < n; ++i) {
        const Phase& p = phases[i];
        if (step <= p.end_step || i == n - 1) {
            const double span = p.end_step - start_step;
            if (!(span > 0.0)) {
                return invalid_rate;
            }
            return anneal_between(s.anneal, p.start_lr, p.end_lr, (step - start_step) / span);
        }
        start_step = p.end_step;
    }
    return invalid_rate;
}

// torch's SWALR: a blend of the optimizer's rate and swa_lr whose weight anneals to 1.
inline double swa_lr(const Schedule& s, std::int64_t epoch) {
    if (s.anneal_epochs < 0) {
        return invalid_rate;
    }
    const std::int64_t step = s.anneal_epochs == 0 ? std::max<std::int64_t>(1, epoch) : epoch;
    const double weight = std::min(1.0, static_cast<double>(step) / static_cast<double>(std::max<std::int64_t>(1, s.anneal_epochs)));
    const double a = s.anneal == Anneal::cos ? (1.0 - std::cos(pi * weight)) / 2.0 : weight;
    return s.swa_lr * a + s.lr * (1.0 - a);
}

}  // namespace detail

inline double schedule_lr(const Schedule& s, std::int64_t t) {
    const double tt = static_cast<double>(t);
    const std::int64_t epoch = t - 1;  // torch's last_epoch
    switch (s.kind) {
    case ScheduleKind::constant:
        return s.lr;
    case ScheduleKind::step:
        if (s.step_size < 1) {
            return detail::invalid_rate;
        }
        return s.lr * std::pow(s.gamma, static_cast<double>(epoch / s.step_size));
    case ScheduleKind::exponential:
        return s.lr * std::pow(s.gamma, tt - 1.0);
    case ScheduleKind::inverse_time:
        return s.lr / std::pow(tt, s.power_t);
    case ScheduleKind::cosine: {
        if (t <= s.warmup) {
            return s.lr * tt / static_cast<double>(s.warmup);
        }
        if (s.t_max < 1) {
            return detail::invalid_rate;
        }
        // Past T_max the rate stays at eta_min instead of rising again (torch's closed
        // form is periodic); a schedule that restarts should say so explicitly.
        const double done = std::min(static_cast<double>(t - 1 - s.warmup),
                                     static_cast<double>(s.t_max));
        return s.eta_min + (s.lr - s.eta_min) * (1.0 + std::cos(detail::pi * done / static_cast<double>(s.t_max))) / 2.0;
    }
    case ScheduleKind::plateau:
        return s.lr * s.scale;
    case ScheduleKind::optimal:
        return 1.0 / (s.alpha * (s.t0 + tt - 1.0));
    case ScheduleKind::multistep: {
        const auto passed = std::upper_bound(s.milestones.begin(), s.milestones.end(), epoch) - s.milestones.begin();
        return s.lr * std::pow(s.gamma, static_cast<double>(passed));
    }
    case ScheduleKind::constant_factor:
        return epoch < s.total_iters ? s.lr * s.factor : s.lr;
    case ScheduleKind::linear: {
        if (s.total_iters < 1) {
            return detail::invalid_rate;
        }
        const double done = static_cast<double>(std::min(epoch, s.total_iters)) / static_cast<double>(s.total_iters);
        return s.lr * (s.start_factor + (s.end_factor - s.start_factor) * done);
    }
    case ScheduleKind::polynomial: {
        if (s.total_iters < 1) {
            return detail::invalid_rate;
        }
        const double done = static_cast<double>(std::min(epoch, s.total_iters)) / static_cast<double>(s.total_iters);
        return s.lr * std::pow(1.0 - done, s.power);
    }
    case ScheduleKind::warm_restarts:
        return detail::warm_restarts_lr(s, epoch);
    case ScheduleKind::cyclic:
        return detail::cyclic_lr(s, epoch);
    case ScheduleKind::one_cycle:
        return detail::one_cycle_lr(s, epoch);
    case ScheduleKind::swa:
        return detail::swa_lr(s, epoch);
    case ScheduleKind::table: {
        if (!s.table || s.table->empty()) {
            return detail::invalid_rate;
        }
        const auto last = static_cast<std::int64_t>(s.table->size()) - 1;
        return (*s.table)[static_cast<std::size_t>(std::min(std::max<std::int64_t>(epoch, 0), last))];
    }
    }
    return s.lr;
}

// The rates of steps first, first + 1, ..., first + count - 1 into out.
inline void schedule_lrs(const Schedule& s, std::int64_t first, std::int64_t count, double* out) {
    for (std::int64_t i = 0; i < count; ++i) {
        out[i] = schedule_lr(s, first + i);
    }
}

// torch's ReduceLROnPlateau.step(value) on a plateau record: counts the values that fail to
// beat the best by `threshold` (relative or absolute), and after more than `patience` of them
// multiplies the rate by `factor` (not below min_lr, and not by less than eps), then ignores
// the next `cooldown` values. Returns true when the rate was just cut. A NaN never improves.
inline bool plateau_observe(Schedule& s, double value) {
    const double sign = s.maximize ? -1.0 : 1.0;
    const double bar = s.threshold_absolute ? sign * s.best - s.threshold
                                            : sign * s.best * (1.0 - sign * s.threshold);
    if (sign * value < bar) {
        s.best = value;
        s.num_bad_epochs = 0;
    } else {
        ++s.num_bad_epochs;
    }
    if (s.cooldown_counter > 0) {
        --s.cooldown_counter;
        s.num_bad_epochs = 0;
    }
    if (s.num_bad_epochs <= s.patience) {
        return false;
    }
    s.num_bad_epochs = 0;
    s.cooldown_counter = s.cooldown;
    const double old_lr = s.lr * s.scale;
    const double new_lr = std::max(old_lr * s.factor, s.min_lr);
    if (old_lr - new_lr > s.eps) {
        s.scale = new_lr / s.lr;
        return true;
    }
    return false;
}

// How many steps the record evaluates exactly: a table's length, every step otherwise.
inline std::int64_t schedule_steps_defined(const Schedule& s) {
    if (s.kind == ScheduleKind::table) {
        return s.table ? static_cast<std::int64_t>(s.table->size()) : 0;
    }
    return std::numeric_limits<std::int64_t>::max();
}

}  // namespace pygdx
