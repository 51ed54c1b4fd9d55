// The stochastic path of the adaptive rules (rule_row_steps, core/row_steps.hpp: each row's
// gradient written in one pass from its loss derivative) against the general
// small-batch path on one row per step (row_batches_epoch: add_row into a zeroed buffer,
// finish_gradient, optimizer_step), bit for bit: weights, optimizer state, step counters,
// loss sum and steps. Every rule and its options, float32 and float64, with and without sample
// weights, a constant and a decaying schedule, no penalty, l2, elasticnet and an alpha that
// rounds to 0 in float32, three losses (hinge has rows of derivative 0), with and without an
// intercept, and feature counts on both sides of the dot product's sixteen sums and of one
// AVX2 vector's lanes; and a non-finite loss at several places of an epoch.
//
// Built and run by tests/test_core_cpp.py; prints one line per failed check.
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "core/epoch.hpp"

using namespace pygdx;

namespace {

int failures = 0;
int cases = 0;

struct RuleCase {
    const char* name;
    Hyper hyper;
    double lr;
};

Hyper with_rule_of(Rule rule) {
    Hyper h;
    h.rule = rule;
    return h;
}

std::vector<RuleCase> rule_cases() {
    std::vector<RuleCase> out;
    auto add = [&out](const char* name, Hyper h, double lr) { out.push_back({name, h, lr}); };
    Hyper h = with_rule_of(Rule::sgd);
    h.momentum = 0.9;
    add("sgd momentum", h, 0.01);
    h.nesterov = true;
    h.weight_decay = 0.01;
    add("sgd nesterov, coupled decay", h, 0.01);
    h = with_rule_of(Rule::sgd);
    h.momentum = 0.5;
    h.dampening = 0.3;
    h.maximize = true;
    add("sgd momentum, dampening, maximize", h, 0.01);
    h = with_rule_of(Rule::adagrad);
    h.eps = 1e-10;
    add("adagrad", h, 0.05);
    h.lr_decay = 0.01;
    h.weight_decay = 0.02;
    add("adagrad lr_decay, decay", h, 0.05);
    h = with_rule_of(Rule::rmsprop);
    add("rmsprop", h, 0.01);
    h.centered = true;
    h.momentum = 0.8;
    h.weight_decay = 0.01;
    add("rmsprop centered, momentum, decay", h, 0.005);
    h = with_rule_of(Rule::adadelta);
    h.eps = 1e-6;
    add("adadelta", h, 1.0);
    h.weight_decay = 0.05;
    add("adadelta decay", h, 1.0);
    h = with_rule_of(Rule::adam);
    add("adam", h, 0.01);
    // betas whose powers reach 2^-56 within the test, so the bias corrections turn to 1.0
    // (the element loops' Corrected flags switch) mid-epoch
    h.beta1 = 0.5;
    h.beta2 = 0.6;
    h.amsgrad = true;
    h.weight_decay = 0.01;
    add("adam amsgrad, short betas, decay", h, 0.01);
    h = with_rule_of(Rule::adamw);
    h.weight_decay = 0.01;
    add("adamw", h, 0.01);
    h = with_rule_of(Rule::adam);
    h.decoupled_weight_decay = true;
    h.weight_decay = 0.1;
    h.maximize = true;
    add("adam decoupled, maximize", h, 0.01);
    h = with_rule_of(Rule::adamax);
    add("adamax", h, 0.01);
    h.beta1 = 0.5;
    h.weight_decay = 0.02;
    add("adamax short beta1, decay", h, 0.01);
    h = with_rule_of(Rule::nadam);
    add("nadam", h, 0.01);
    h.beta2 = 0.6;
    h.decoupled_weight_decay = true;
    h.weight_decay = 0.05;
    add("nadam short beta2, decoupled", h, 0.01);
    h = with_rule_of(Rule::radam);
    add("radam", h, 0.01);
    // rho_t passes 5 (rectified) after a few steps and settles at rho_inf within the test
    h.beta1 = 0.5;
    h.beta2 = 0.8;
    h.weight_decay = 0.01;
    add("radam short betas, decay", h, 0.01);
    return out;
}

template <class T>
struct Model {
    std::vector<T> theta;
    std::vector<std::vector<T>> states;
    double counters[n_counters] = {0.0, 1.0};

    Model(const Hyper& h, std::size_t size, const std::vector<T>& start) : theta(start) {
        for (int s = 0; s < max_state_buffers; ++s) {
            states.emplace_back(state_buffer_used(h, s) ? size : 0, T(0));
        }
    }
    ParamBuffers<T> buffers() {
        ParamBuffers<T> b;
        b.param = theta.data();
        b.size = theta.size();
        for (int s = 0; s < max_state_buffers; ++s) {
            std::vector<T>& state = states[static_cast<std::size_t>(s)];
            b.state[s] = state.empty() ? nullptr : state.data();
        }
        return b;
    }
};

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

bool same_bits(double a, double b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// A small reproducible generator (no <random>: the same numbers everywhere).
struct Numbers {
    std::uint64_t state;
    double next() {  // in [-1, 1)
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 4503599627370496.0 - 1.0;
    }
};

template <class T>
bool same_model(const Model<T>& a, const Model<T>& b) {
    bool same = same_bits(a.theta, b.theta) && same_bits(a.counters[0], b.counters[0]) &&
                same_bits(a.counters[1], b.counters[1]);
    for (std::size_t k = 0; k < a.states.size(); ++k) {
        same = same && same_bits(a.states[k], b.states[k]);
    }
    return same;
}

// One epoch of both paths on the rows of X in `order`: `fast` by rule_row_steps, `general` by
// the small-batch path at batch 1.
template <class T>
struct BothPaths {
    detail::RowSteps fast;
    EpochResult general;
    std::size_t rows_seen = 0;

    BothPaths(const RuleCase& rc, const LinearProblem& pb, const Schedule& schedule, const std::vector<T>& X,
              const std::vector<T>& y, const T* sample_weight, const std::vector<std::int64_t>& order,
              Model<T>* fast_model, Model<T>* general_model) {
        LinearData<T> data;
        data.X = X.data();
        data.y = y.data();
        data.sample_weight = sample_weight;
        data.rows = order.data();
        data.n_used = order.size();
        data.n_readable = order.size();
        std::vector<T> grad(pb.n_features + 1);
        EpochScratch<T> work(pb, 1);
        fast = detail::rule_row_steps(pb, data, rc.hyper, schedule, fast_model->counters, fast_model->buffers(),
                                      grad.data(), nullptr);
        general = detail::row_batches_epoch(pb, data, 1, rc.hyper, schedule, general_model->counters,
                                            general_model->buffers(), work, 1, true, &rows_seen, nullptr);
    }
};

struct Setting {
    LossKind loss;
    PenaltyKind penalty;
    double alpha;
    std::size_t d;
    bool weighted;
    bool decaying;
    bool fit_intercept;
};

template <class T>
void compare(const RuleCase& rc, const Setting& s, const char* dtype) {
    const std::size_t n = 24, d = s.d, epochs = 4;
    Numbers numbers{d * 1000 + static_cast<std::uint64_t>(s.loss) * 10 + (s.weighted ? 1 : 0)};
    std::vector<T> X(n * d), y(n), sw(n), start(d + 1);
    for (T& v : X) {
        v = static_cast<T>(numbers.next());
    }
    for (T& v : y) {
        const double u = numbers.next();
        v = static_cast<T>(s.loss == LossKind::hinge ? (u < 0.0 ? -1.0 : 1.0) : 2.0 * u);
    }
    for (T& v : sw) {
        v = static_cast<T>(1.25 + numbers.next());
    }
    for (T& v : start) {
        v = static_cast<T>(0.1 * numbers.next());
    }
    if (!s.fit_intercept) {
        start[d] = T(0);
    }
    LinearProblem pb;
    pb.loss.kind = s.loss;
    pb.loss.epsilon = 0.3;
    pb.penalty.kind = s.penalty;
    pb.penalty.alpha = s.alpha;
    pb.penalty.l1_ratio = 0.3;
    pb.n_features = d;
    pb.fit_intercept = s.fit_intercept;
    Schedule schedule;
    schedule.lr = rc.lr;
    if (s.decaying) {
        schedule.kind = ScheduleKind::inverse_time;
        schedule.power_t = 0.5;
    }
    Model<T> fast(rc.hyper, d + 1, start), general(rc.hyper, d + 1, start);
    std::vector<std::int64_t> order(n);
    bool same = true;
    for (std::size_t e = 0; e < epochs && same; ++e) {
        for (std::size_t i = 0; i < n; ++i) {
            order[i] = static_cast<std::int64_t>(i);
        }
        shuffle_rows(order.data(), n, 11 + e);
        const BothPaths<T> run(rc, pb, schedule, X, y, s.weighted ? sw.data() : nullptr, order, &fast, &general);
        const detail::RowSteps& a = run.fast;
        const EpochResult& b = run.general;
        same = a.finite && b.finite && a.steps == n && b.steps == n && run.rows_seen == n &&
               same_bits(a.loss_sum, b.loss) && same_model(fast, general);
        if (!same) {
            std::printf("FAILED %s %s, loss %d, penalty %d (alpha %g), d %zu, weighted %d, decaying %d, "
                        "intercept %d: epoch %zu differs (loss %.17g vs %.17g, theta[0] %.17g vs %.17g)\n",
                        rc.name, dtype, static_cast<int>(s.loss), static_cast<int>(s.penalty), s.alpha, d,
                        s.weighted, s.decaying, s.fit_intercept, e, a.loss_sum, b.loss,
                        static_cast<double>(fast.theta[0]), static_cast<double>(general.theta[0]));
            ++failures;
        }
    }
    ++cases;
}

// A row whose loss is not finite stops both paths before its step: the weights, state and
// step counters are those of the steps taken, at each place in a block of sixteen rows (the
// interrupt's polling period), on 3 and 9 features.
template <class T>
void compare_stop(const RuleCase& rc, std::size_t d, std::size_t bad_row, const char* dtype) {
    const std::size_t n = 40;
    Numbers numbers{d * 31 + bad_row};
    std::vector<T> X(n * d), y(n), start(d + 1, T(0));
    for (T& v : X) {
        v = static_cast<T>(numbers.next());
    }
    for (T& v : y) {
        v = static_cast<T>(numbers.next());
    }
    y[bad_row] = std::numeric_limits<T>::infinity();
    LinearProblem pb;
    pb.n_features = d;
    Schedule schedule;
    schedule.lr = rc.lr;
    Model<T> fast(rc.hyper, d + 1, start), general(rc.hyper, d + 1, start);
    std::vector<std::int64_t> order(n);
    for (std::size_t i = 0; i < n; ++i) {
        order[i] = static_cast<std::int64_t>(i);
    }
    const BothPaths<T> run(rc, pb, schedule, X, y, nullptr, order, &fast, &general);
    const detail::RowSteps& a = run.fast;
    const EpochResult& b = run.general;
    const bool same = !a.finite && !b.finite && a.steps == bad_row && b.steps == bad_row && same_model(fast, general);
    if (!same) {
        std::printf("FAILED %s %s, d %zu, a non-finite loss at row %zu: stopped after %zu / %zu steps, counters "
                    "%.17g %.17g vs %.17g %.17g\n",
                    rc.name, dtype, d, bad_row, a.steps, b.steps, fast.counters[0], fast.counters[1],
                    general.counters[0], general.counters[1]);
        ++failures;
    }
    ++cases;
}

// row_dot's shortcut below sixteen terms against dot itself, for every length to 40 (the
// shortcut, the sums, and both with trailing terms), in T.
template <class T>
void compare_dots(const char* dtype) {
    Numbers numbers{7};
    std::vector<T> a(40), b(40);
    for (int round = 0; round < 50; ++round) {
        for (std::size_t j = 0; j < a.size(); ++j) {
            a[j] = static_cast<T>(numbers.next());
            b[j] = static_cast<T>(round % 10 == 0 ? 0.0 : numbers.next());  // some all-zero products
        }
        for (std::size_t n = 0; n <= a.size(); ++n) {
            const T fast = detail::row_dot(a.data(), b.data(), n), general = detail::dot(a.data(), b.data(), n);
            if (std::memcmp(&fast, &general, sizeof(T)) != 0) {
                std::printf("FAILED row_dot %s, %zu terms: %.17g != %.17g\n", dtype, n, static_cast<double>(fast),
                            static_cast<double>(general));
                ++failures;
            }
        }
    }
}

}  // namespace

int main() {
    compare_dots<double>("float64");
    compare_dots<float>("float32");
    const Setting settings[] = {
        {LossKind::squared_error, PenaltyKind::none, 0.0, 3, false, false, true},
        {LossKind::squared_error, PenaltyKind::l2, 1e-2, 3, true, false, true},
        {LossKind::squared_error, PenaltyKind::elasticnet, 1e-2, 3, false, true, true},
        {LossKind::huber, PenaltyKind::l2, 1e-50, 5, true, true, true},  // alpha is 0 in float32
        {LossKind::hinge, PenaltyKind::l2, 1e-3, 21, true, false, false},
        {LossKind::squared_error, PenaltyKind::none, 0.0, 16, false, true, false},
        {LossKind::huber, PenaltyKind::elasticnet, 1e-3, 37, true, false, true},
        // models of one AVX2 vector (d + 1 <= 4 doubles or 8 floats) and just past it
        {LossKind::squared_error, PenaltyKind::l2, 1e-2, 1, true, true, true},
        {LossKind::hinge, PenaltyKind::elasticnet, 1e-2, 2, false, false, false},
        {LossKind::huber, PenaltyKind::l2, 1e-3, 3, false, true, false},
        {LossKind::squared_error, PenaltyKind::none, 0.0, 4, true, false, true},
        {LossKind::huber, PenaltyKind::l2, 1e-3, 6, false, true, true},
        {LossKind::squared_error, PenaltyKind::elasticnet, 1e-3, 7, true, false, true},
        {LossKind::hinge, PenaltyKind::l2, 1e-2, 7, false, true, false},
        {LossKind::squared_error, PenaltyKind::l2, 1e-2, 8, false, true, false},
    };
    for (const RuleCase& rc : rule_cases()) {
        for (const Setting& s : settings) {
            compare<double>(rc, s, "float64");
            compare<float>(rc, s, "float32");
        }
        for (std::size_t bad_row : {0, 1, 15, 16, 21, 39}) {
            for (std::size_t d : {3, 9}) {
                compare_stop<double>(rc, d, bad_row, "float64");
                compare_stop<float>(rc, d, bad_row, "float32");
            }
        }
    }
    if (failures != 0) {
        std::printf("%d of %d cases failed\n", failures, cases);
        return 1;
    }
    std::printf("all row step checks passed (%d cases)\n", cases);
    return 0;
}
