// Epochs whose rows are gathered ahead into a ring (core/rows_gathered_ahead.hpp) give the bits
// of the same epoch read in place on one thread: mini-batches stepped from the ring
// (core/gathered_batches_epoch.hpp) and the team's one-member epoch, batch-1 SGD and Adam
// steps; with the helper gathering alone and with both threads gathering; on rings of two
// slots (the threads wait on each other at every chunk) and larger, chunks of 1 to 96 rows, a
// last chunk of fewer rows, sample weights, a stop request and a NaN row mid-epoch; each also
// with the helper stalled (as when a neighbour holds its core), so that the stepping thread
// reads chunks in place (chunk_claims.hpp). Small data: the plan is forced, not chosen by the
// data's size.
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

struct Case {
    std::size_t n = 700, d = 70, batch = 32;
    Rule rule = Rule::adam;
    bool weighted = true;
    int stop_at_poll = 0;  // 0: never
    std::size_t nan_row = 700;  // in the shuffled order; n: none
};

struct Outcome {
    explicit Outcome(std::size_t n_params) : model(n_params, 0.05) {}
    Model<double> model;
    EpochResult result;
    std::size_t rows_seen = 0;
};

// One epoch of `c` with its rows read as `plan` says (plan.gathers false: in place).
Outcome run(const Case& c, const detail::GatherPlan& plan) {
    std::vector<double> X = hashed_rows<double>(c.n, c.d), y(c.n), sw(c.n);
    for (std::size_t i = 0; i < c.n; ++i) {
        y[i] = X[i * c.d] - 0.5 * X[i * c.d + 1];
        sw[i] = 0.5 + static_cast<double>(i % 3) * 0.25;
    }
    std::vector<std::int64_t> order(c.n);
    for (std::size_t i = 0; i < c.n; ++i) order[i] = static_cast<std::int64_t>(i);
    shuffle_rows(order.data(), c.n, 3);
    if (c.nan_row < c.n) {
        X[static_cast<std::size_t>(order[c.nan_row]) * c.d + 2] = std::nan("");
    }
    LinearData<double> data = rows_in_order(X, y, order);
    if (c.weighted) data.sample_weight = sw.data();
    const LinearProblem pb = l2_problem(c.d, 1e-3);
    Hyper hyper;
    hyper.rule = c.rule;
    Schedule schedule;
    schedule.lr = 1e-2;
    Poller poller;
    poller.stop_at = c.stop_at_poll;
    Interrupt interrupt(poll_count, &poller, std::chrono::microseconds(0));
    Interrupt* stop = c.stop_at_poll > 0 ? &interrupt : nullptr;
    Outcome out(pb.n_params());
    if (c.batch > 1) {
        out.result = detail::gathered_batches_epoch(pb, data, c.batch, hyper, schedule, out.model.counters,
                                                    out.model.params, &out.rows_seen, stop, plan);
    } else {
        std::vector<double> grad(pb.n_params());
        detail::RowSteps done;
        detail::steps_on_rows_gathered_ahead(data, c.d, plan, [&](const LinearData<double>& rows) {
            done = c.rule == Rule::sgd
                       ? detail::sgd_row_steps<double, false, false>(pb, rows, hyper, schedule, out.model.counters,
                                                                     out.model.params.param, stop, done)
                       : detail::rule_row_steps(pb, rows, hyper, schedule, out.model.counters, out.model.params,
                                                grad.data(), stop, done);
            return done.finite && !done.interrupted;
        });
        out.result.loss = done.loss_sum;
        out.result.steps = done.steps;
        out.result.finite = done.finite;
        out.result.interrupted = done.interrupted;
        out.rows_seen = done.steps;
    }
    return out;
}

bool same(const std::vector<double>& a, const std::vector<double>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

void check_same(const Outcome& in_place, const Outcome& gathered, const char* what) {
    const bool ok = same(in_place.model.theta, gathered.model.theta) &&
                    same(in_place.model.states[0], gathered.model.states[0]) &&
                    same(in_place.model.states[1], gathered.model.states[1]) &&
                    std::memcmp(in_place.model.counters, gathered.model.counters, sizeof in_place.model.counters) == 0 &&
                    in_place.result.loss == gathered.result.loss && in_place.result.steps == gathered.result.steps &&
                    in_place.rows_seen == gathered.rows_seen && in_place.result.finite == gathered.result.finite &&
                    in_place.result.interrupted == gathered.result.interrupted;
    check(ok, what);
}

// The helper's stalls (chunk_claims.hpp's test hook) each gathered plan is also run with:
// none; stalled at its first chunk past the third until the stepping thread has read one chunk
// in place (it is late once, then catches up); stalled until the epoch ends (every chunk past
// the stall is gathered by the stepping thread or, with no room or no help, claimed in place).
struct Stall {
    std::size_t from, until;
};
constexpr Stall stalls[] = {{detail::HelperStalls::never, 1}, {3, 1}, {1, 1000000}};

// Chunks read in place because the helper was late, and claimed in place, over every check.
std::size_t late_chunks = 0, chunks_claimed_in_place = 0;

// The case read in place, against every gathered plan: both shares, rings of 2 and 5 slots,
// each with the helper's stalls above.
void check_case(const Case& c, std::size_t chunk_rows, const char* what) {
    const Outcome in_place = run(c, detail::GatherPlan{});
    for (detail::GatherShare share : {detail::GatherShare::helper_only, detail::GatherShare::both}) {
        for (std::size_t slots : {std::size_t{2}, std::size_t{5}}) {
            for (const Stall& stall : stalls) {
                detail::GatherPlan plan;
                plan.gathers = true;
                plan.chunk_rows = chunk_rows;
                plan.slots = slots;
                plan.share = share;
                auto& hook = detail::helper_stalls();
                hook.stall_until.store(stall.until);
                hook.stall_from.store(stall.from);
                check_same(in_place, run(c, plan), what);
                hook.stall_from.store(detail::HelperStalls::never);
                late_chunks += hook.late.exchange(0);
                chunks_claimed_in_place += hook.claimed_in_place.exchange(0);
            }
        }
    }
}

}  // namespace

int main() {
    for (Rule rule : {Rule::sgd, Rule::adam}) {
        Case c;
        c.rule = rule;
        // Mini-batches: chunks of one batch, of three (700 rows: a last chunk of 28 rows),
        // one batch of 3 rows of 4 features (row parts, not column halves).
        check_case(c, 32, "batch 32, chunks of one batch");
        check_case(c, 96, "batch 32, chunks of three batches");
        Case rows = c;
        rows.d = 4;
        rows.batch = 48;
        check_case(rows, 48, "batch 48 of 4 features (row parts)");
        Case unweighted = c;
        unweighted.weighted = false;
        check_case(unweighted, 64, "batch 32 without sample weights");
        Case stopped = c;
        stopped.stop_at_poll = 3;
        check(run(stopped, detail::GatherPlan{}).result.interrupted, "the stop request lands mid-epoch");
        check_case(stopped, 32, "batch 32 stopped mid-epoch");
        Case poisoned = c;
        poisoned.nan_row = 13 * 32 + 5;
        const Outcome poisoned_in_place = run(poisoned, detail::GatherPlan{});
        check(!poisoned_in_place.result.finite && poisoned_in_place.result.steps == 13,
              "a NaN row stops the epoch before its batch's step");
        check_case(poisoned, 64, "batch 32 with a NaN row");
        // Batch 1.
        Case single = c;
        single.batch = 1;
        check_case(single, 32, "batch 1, chunks of 32 rows");
        check_case(single, 1, "batch 1, chunks of 1 row");
        single.nan_row = 333;
        check(run(single, detail::GatherPlan{}).result.steps == 333, "a NaN row stops batch 1 at its step");
        check_case(single, 32, "batch 1 with a NaN row");
    }
    // The stalls took both in-place paths (each case's bits were checked above).
    check(late_chunks > 0, "a stalled helper's chunk was read in place");
    check(chunks_claimed_in_place > 0, "chunks were claimed in place past a stalled helper");
    std::printf("late chunks %zu, chunks claimed in place %zu\n", late_chunks, chunks_claimed_in_place);
    if (failures != 0) {
        return EXIT_FAILURE;
    }
    std::printf("all gather ring checks passed\n");
    return EXIT_SUCCESS;
}
