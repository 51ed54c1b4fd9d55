// The medium-batch team (core/team_parts_epoch.hpp) gives the bits of one thread summing
// every part, also when it dissolves mid-epoch because a member keeps the others waiting
// (TeamPatience): here with no patience at all, so member 0 goes on alone after the first
// meeting.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/epoch.hpp"

using namespace pygdx;

namespace {

int failures = 0;

void check(bool ok, const char* what) {
    if (!ok) {
        std::printf("FAILED: %s\n", what);
        ++failures;
    }
}

struct Fit {
    std::vector<double> theta, state0, state1;
    double counters[n_counters] = {0.0, 1.0};
    EpochResult result;
    std::size_t rows_seen = 0;
};

Fit one_epoch(Rule rule, int members, detail::TeamPatience patience) {
    const std::size_t n = 1000, d = 50, batch = 128;
    std::vector<double> X(n * d), y(n);
    std::uint64_t state = 12345;
    auto uniform = [&state]() {
        state = state * 6364136223846793005ULL + 1442695040888963407ULL;
        return static_cast<double>(state >> 11) / 9007199254740992.0 - 0.5;
    };
    for (double& v : X) v = uniform();
    for (double& v : y) v = uniform();
    std::vector<std::int64_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = static_cast<std::int64_t>(i);
    shuffle_rows(order.data(), n, 7);

    LinearProblem pb;
    pb.n_features = d;
    pb.penalty.kind = PenaltyKind::l2;
    pb.penalty.alpha = 1e-3;
    LinearData<double> data;
    data.X = X.data();
    data.y = y.data();
    data.rows = order.data();
    data.n_used = n;
    data.n_readable = n;
    Hyper hyper;
    hyper.rule = rule;
    Schedule schedule;
    schedule.lr = 1e-2;

    Fit fit;
    fit.theta.assign(pb.n_params(), 0.1);
    fit.state0.assign(pb.n_params(), 0.0);
    fit.state1.assign(pb.n_params(), 0.0);
    ParamBuffers<double> params;
    params.param = fit.theta.data();
    params.size = pb.n_params();
    params.state[0] = fit.state0.data();
    params.state[1] = fit.state1.data();
    check(detail::run_split_batch_epoch(pb, data, batch, hyper, schedule, fit.counters, params, members,
                                        &fit.result, &fit.rows_seen, nullptr, patience),
          "the team started");
    return fit;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

int main() {
    const detail::TeamPatience no_patience{64, 0};
    for (Rule rule : {Rule::sgd, Rule::adam}) {
        const Fit alone = one_epoch(rule, 1, detail::TeamPatience{});
        check(alone.result.steps == 8 && alone.rows_seen == 1000, "one thread steps every batch");
        for (const detail::TeamPatience& patience : {detail::TeamPatience{}, no_patience}) {
            const Fit team = one_epoch(rule, 2, patience);
            check(same_bits(alone.theta, team.theta), "weights: the team's bits are one thread's");
            check(same_bits(alone.state0, team.state0) && same_bits(alone.state1, team.state1),
                  "optimizer state: the team's bits are one thread's");
            check(std::memcmp(alone.counters, team.counters, sizeof alone.counters) == 0, "step counters");
            check(alone.result.loss == team.result.loss && alone.result.steps == team.result.steps &&
                      alone.rows_seen == team.rows_seen,
                  "loss sum, steps and rows seen");
        }
    }
    if (failures != 0) {
        return EXIT_FAILURE;
    }
    std::printf("all team checks passed\n");
    return EXIT_SUCCESS;
}
