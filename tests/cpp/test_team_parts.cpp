// The medium-batch team (core/team_parts_epoch.hpp) gives the bits of one thread summing
// every part, also when it dissolves mid-epoch because a member keeps the others waiting
// (TeamPatience): with no patience at all (member 0 goes on alone after the first meeting),
// and with every meeting counted slow (it goes on alone a few batches in), there together
// with a stop request or a non-finite batch later in the epoch. Parts of single-output
// problems with 64 features or more are summed in column halves, rows otherwise: both are
// checked, and one step against a plain double-precision gradient.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/epoch.hpp"
#include "epoch_inputs.hpp"
#include "test_checks.hpp"

using namespace pygdx;
using namespace pygdx_epoch_inputs;
using namespace pygdx_test_checks;

namespace {

struct Fit {
    explicit Fit(std::size_t n_params) : model(n_params, 0.1) {}
    Model<double> model;
    EpochResult result;
    std::size_t rows_seen = 0;
    int polls = 0;
};

// What one epoch is run on: n rows of d features in batches of `batch`; a stop requested at
// the `stop_at_poll`-th poll (0: never); row `nan_row` of X (in the shuffled order) made NaN
// (n: none).
struct Setup {
    std::size_t n = 1000, d = 50, batch = 128;
    int stop_at_poll = 0;
    std::size_t nan_row = 1000;
};

// n rows of d uniform features in [-0.5, 0.5), and targets, the same for the same n and d.
void make_rows(std::size_t n, std::size_t d, std::vector<double>* X, std::vector<double>* y) {
    X->assign(n * d, 0.0);
    y->assign(n, 0.0);
    std::uint64_t state = 12345;
    auto uniform = [&state]() {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
    };
    for (double& v : *X) v = uniform();
    for (double& v : *y) v = uniform();
}

Fit one_epoch(Rule rule, int members, detail::TeamPatience patience, const Setup& setup = {}) {
    const std::size_t n = setup.n, d = setup.d, batch = setup.batch;
    std::vector<double> X, y;
    make_rows(n, d, &X, &y);
    std::vector<std::int64_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::int64_t>(i);
    shuffle_rows(order.data(), n, 7);
    if (setup.nan_row < n) {
        X[static_cast<std::size_t>(order[setup.nan_row]) * d + d / 2] = std::nan("");
    }

    const LinearProblem pb = l2_problem(d, 1e-3);
    const LinearData<double> data = rows_in_order(X, y, order);
    Hyper hyper;
    hyper.rule = rule;
    Schedule schedule;
    schedule.lr = 1e-2;

    Fit fit(pb.n_params());
    // Polled at most once per clock read (every 4096 row-elements) and per period (none here).
    Poller poller;
    poller.stop_at = setup.stop_at_poll;
    Interrupt interrupt(poll_count, &poller, std::chrono::microseconds(0));
    check(detail::run_split_batch_epoch(pb, data, batch, hyper, schedule, fit.model.counters, fit.model.params, members,
                                        &fit.result, &fit.rows_seen, setup.stop_at_poll > 0 ? &interrupt : nullptr,
                                        patience),
          "the team started");
    fit.polls = poller.calls;
    return fit;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void check_same_fit(const Fit& alone, const Fit& team) {
    check(same_bits(alone.model.theta, team.model.theta), "weights: the team's bits are one thread's");
    check(same_bits(alone.model.states[0], team.model.states[0]) && same_bits(alone.model.states[1], team.model.states[1]),
          "optimizer state: the team's bits are one thread's");
    check(std::memcmp(alone.model.counters, team.model.counters, sizeof alone.model.counters) == 0, "step counters");
    check(alone.result.loss == team.result.loss && alone.result.steps == team.result.steps &&
              alone.rows_seen == team.rows_seen && alone.result.finite == team.result.finite &&
              alone.result.interrupted == team.result.interrupted,
          "loss sum, steps, rows seen, finiteness and interruption");
}

// One plain SGD step on a single batch of every row, against the gradient summed in
// double row by row: the parts' sums (column halves at 64+ features) are the gradient.
void check_one_step_gradient(std::size_t d) {
    Setup setup;
    setup.n = 96;
    setup.d = d;
    setup.batch = 96;
    const Fit team = one_epoch(Rule::sgd, 2, detail::TeamPatience{}, setup);
    // The same data and start as one_epoch, summed plainly (squared error, l2 alpha 1e-3).
    std::vector<double> X, y;
    make_rows(setup.n, d, &X, &y);
    std::vector<double> expected(d + 1, 0.1), grad(d + 1, 0.0);
    for (std::size_t i = 0; i < setup.n; ++i) {
        double z = 0.1;
        for (std::size_t j = 0; j < d; ++j) z += 0.1 * X[i * d + j];
        double derivative;
        loss_and_derivative(LinearProblem{}.loss, z, y[i], &derivative);
        for (std::size_t j = 0; j < d; ++j) grad[j] += derivative * X[i * d + j];
        grad[d] += derivative;
    }
    double worst = 0.0;
    for (std::size_t j = 0; j <= d; ++j) {
        const double g = grad[j] / static_cast<double>(setup.n) + (j < d ? 1e-3 * 0.1 : 0.0);
        expected[j] -= 1e-2 * g;
        worst = std::max(worst, std::abs(expected[j] - team.model.theta[j]));
    }
    check(team.result.steps == 1 && worst < 1e-13, "one SGD step: the parts' sums are the batch's gradient");
}

}  // namespace

int main() {
    const detail::TeamPatience no_patience{64, 0};
    // Every meeting counts as slow, so the team goes on alone after a few batches (between
    // the third and the sixth: each member counts).
    const detail::TeamPatience impatient{1000, 6, RoundBarrier::Clock::duration::zero()};
    LinearProblem hundred;
    hundred.n_features = 100;
    check(choose_batch_path(hundred, 32, Hyper{}) == BatchPath::team_parts,
          "batch 32 of 100 features takes the team path");
    for (std::size_t d : {std::size_t{50}, std::size_t{100}}) {
        check_one_step_gradient(d);
        for (Rule rule : {Rule::sgd, Rule::adam}) {
            Setup setup;
            setup.d = d;
            setup.batch = 32;  // 32 batches: a handover a few batches in leaves many after it
            const Fit alone = one_epoch(rule, 1, detail::TeamPatience{}, setup);
            check(alone.result.steps == 32 && alone.rows_seen == 1000, "one thread steps every batch");
            for (const detail::TeamPatience& patience : {detail::TeamPatience{}, no_patience, impatient}) {
                check_same_fit(alone, one_epoch(rule, 2, patience, setup));
            }
            // A stop requested at the 10th poll (polls come every 4096 row-elements: batch 20
            // or so), after the impatient team's handover.
            Setup stopped = setup;
            stopped.stop_at_poll = 10;
            const Fit alone_stopped = one_epoch(rule, 1, detail::TeamPatience{}, stopped);
            check(alone_stopped.result.interrupted && alone_stopped.result.steps > 8 &&
                      alone_stopped.result.steps < 31,
                  "the stop lands after the handover and before the epoch's end");
            check_same_fit(alone_stopped, one_epoch(rule, 2, impatient, stopped));
            check_same_fit(alone_stopped, one_epoch(rule, 2, detail::TeamPatience{}, stopped));
            // A NaN in batch 25's rows, after the handover.
            Setup poisoned = setup;
            poisoned.nan_row = 25 * 32 + 5;
            const Fit alone_poisoned = one_epoch(rule, 1, detail::TeamPatience{}, poisoned);
            check(!alone_poisoned.result.finite && alone_poisoned.result.steps == 25,
                  "the epoch stops at the batch with a NaN, before its step");
            check_same_fit(alone_poisoned, one_epoch(rule, 2, impatient, poisoned));
            check_same_fit(alone_poisoned, one_epoch(rule, 2, detail::TeamPatience{}, poisoned));
        }
    }
    if (failures != 0) {
        return EXIT_FAILURE;
    }
    std::printf("all team checks passed\n");
    return EXIT_SUCCESS;
}
