// C++-level tests of the trainer (core/trainer.hpp) and of the held-out scores
// (core/validation.hpp), driven by scripted epochs, so that each stopping rule is checked
// on its own: rollback of a non-finite epoch, divergence, tol / n_iter_no_change,
// interrupts, exceptions, early stopping on held-out scores, and the plateau schedule.
//
// Built and run by tests/test_trainer_cpp.py (any C++17 compiler); prints one line per
// failed check and exits non-zero if any failed.
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/trainer.hpp"
#include "core/validation.hpp"

using namespace pygdx;

namespace {

int failures = 0;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            std::printf("FAILED %s:%d: %s\n", __FILE__, __LINE__, #cond);       \
            ++failures;                                                         \
        }                                                                       \
    } while (0)

// A model of three weights with Adam-like state (two slots) and the step counters; every
// scripted epoch moves all of them, so a restore is visible everywhere.
struct Model {
    std::vector<double> theta{1.0, 2.0, 3.0};
    std::vector<double> m{0.0, 0.0, 0.0};
    std::vector<double> v{0.0, 0.0, 0.0};
    double counters[n_counters] = {0.0, 1.0};
    ParamBuffers<double> buffers() {
        ParamBuffers<double> b;
        b.param = theta.data();
        b.state[0] = m.data();
        b.state[1] = v.data();
        b.size = theta.size();
        return b;
    }
    Trainer<double> trainer(const StoppingRule& rule) { return Trainer<double>(buffers(), 2, counters, rule, 0.0, 0.0, 0); }
};

// Epochs that return the scripted losses in turn and move the weights, state and counters.
struct Script {
    Model* model;
    std::vector<double> losses;
    std::size_t next = 0;
    EpochResult operator()(const std::uint64_t*, Interrupt*) {
        for (std::size_t i = 0; i < model->theta.size(); ++i) {
            model->theta[i] += 1.0;
            model->m[i] += 0.5;
            model->v[i] += 0.25;
        }
        model->counters[counter_step] += 4.0;
        EpochResult r;
        r.loss = losses.at(next++);
        r.finite = std::isfinite(r.loss);
        return r;
    }
};

StoppingRule no_tol() { return StoppingRule{}; }

StoppingRule with_tol(double tol, std::int64_t n_iter_no_change) {
    StoppingRule rule;
    rule.use_tol = true;
    rule.tol = tol;
    rule.n_iter_no_change = n_iter_no_change;
    return rule;
}

void a_non_finite_epoch_is_undone_whole() {
    Model model;
    auto trainer = model.trainer(no_tol());
    Script epochs{&model, {1.0, 0.9, std::numeric_limits<double>::quiet_NaN(), 0.5}};
    CHECK(trainer.run(epochs, nullptr, 4, nullptr, true) == TrainOutcome::non_finite);
    CHECK(trainer.losses().size() == 2);
    // as after the second epoch: weights, both state slots and the step counter
    CHECK(model.theta[0] == 3.0 && model.theta[2] == 5.0);
    CHECK(model.m[1] == 1.0 && model.v[1] == 0.5);
    CHECK(model.counters[counter_step] == 8.0 && model.counters[counter_mu_product] == 1.0);
}

void a_state_that_overflowed_is_undone_though_the_loss_is_finite() {
    Model model;
    auto trainer = model.trainer(no_tol());
    Script epochs{&model, {1.0, 0.9}};
    auto overflowing = [&](const std::uint64_t* seed, Interrupt* stop) {
        EpochResult r = epochs(seed, stop);
        if (epochs.next == 2) {
            model.v[1] = std::numeric_limits<double>::infinity();
        }
        return r;
    };
    CHECK(trainer.run(overflowing, nullptr, 2, nullptr, true) == TrainOutcome::non_finite);
    CHECK(model.v[1] == 0.25 && model.theta[0] == 2.0 && model.counters[counter_step] == 4.0);
}

void a_loss_ten_times_its_lowest_is_divergence() {
    // (issue 13: tenfold the lowest and the first, growing divergence_epochs = 3 epochs in a row)
    Model model;
    auto trainer = model.trainer(no_tol());
    Script epochs{&model, {1.0, 0.5, 4.9, 10.5, 20.0, 0.1}};
    CHECK(trainer.run(epochs, nullptr, 6, nullptr, true) == TrainOutcome::diverged);
    CHECK(trainer.losses().size() == 5);  // 20 > 10 x 1 after three growing epochs

    Model jumping;
    auto once = jumping.trainer(no_tol());
    Script a_jump{&jumping, {1.0, 0.5, 12.0, 0.4}};  // one jump past tenfold, then back
    CHECK(once.run(a_jump, nullptr, 4, nullptr, true) == TrainOutcome::epochs_done);

    Model rising;
    auto slow = rising.trainer(no_tol());
    Script below_first{&rising, {100.0, 1.0, 50.0}};  // 50 > 10 x 1, but below the first loss
    CHECK(slow.run(below_first, nullptr, 3, nullptr, true) == TrainOutcome::epochs_done);
}

void tol_stops_after_n_iter_no_change_epochs_without_improvement() {
    Model model;
    auto trainer = model.trainer(with_tol(0.1, 3));
    // 0.95 does not beat the best (1.0) by tol, 0.8 does; then three that do not
    Script epochs{&model, {1.0, 0.95, 0.8, 0.78, 0.75, 0.72, 9.0}};
    CHECK(trainer.run(epochs, nullptr, 7, nullptr, true) == TrainOutcome::converged);
    CHECK(trainer.losses().size() == 6);
    CHECK(trainer.no_improvement() == 3);

    Model partial;
    StoppingRule rule = with_tol(0.1, 1);
    rule.stop_at_convergence = false;  // partial_fit: counted, never converged
    auto counting = partial.trainer(rule);
    Script flat{&partial, {1.0, 1.0, 1.0}};
    CHECK(counting.run(flat, nullptr, 3, nullptr, true) == TrainOutcome::epochs_done);
    CHECK(counting.no_improvement() == 2);
}

bool stop_now(void* polls) {
    return ++*static_cast<int*>(polls) >= 1;
}

void an_interrupt_undoes_the_unfinished_epoch() {
    Model model;
    auto trainer = model.trainer(no_tol());
    int polls = 0;
    Interrupt interrupt(&stop_now, &polls, std::chrono::microseconds(0));
    Script epochs{&model, {1.0, 0.9, 0.8}};
    // the second epoch notices the stop halfway (as linear_epoch does between batches)
    auto noticing = [&](const std::uint64_t* seed, Interrupt* stop) {
        EpochResult r = epochs(seed, stop);
        r.interrupted = epochs.next == 2 && stop->requested(1 << 20);
        return r;
    };
    CHECK(trainer.run(noticing, nullptr, 3, &interrupt, true) == TrainOutcome::interrupted);
    CHECK(trainer.losses().size() == 1);
    CHECK(model.theta[0] == 2.0 && model.m[0] == 0.5 && model.counters[counter_step] == 4.0);
    // a stop already requested ends the next call before its first epoch
    CHECK(trainer.run(noticing, nullptr, 3, &interrupt, true) == TrainOutcome::interrupted);
    CHECK(trainer.losses().size() == 1 && model.theta[0] == 2.0);
}

void an_exception_undoes_the_epoch_and_propagates() {
    Model model;
    auto trainer = model.trainer(no_tol());
    Script epochs{&model, {1.0}};
    auto throwing = [&](const std::uint64_t* seed, Interrupt* stop) {
        if (epochs.next == 1) {
            model.theta[0] = -7.0;
            throw std::runtime_error("bad chunk");
        }
        return epochs(seed, stop);
    };
    bool thrown = false;
    try {
        trainer.run(throwing, nullptr, 2, nullptr, true);
    } catch (const std::runtime_error&) {
        thrown = true;
    }
    CHECK(thrown);
    CHECK(model.theta[0] == 2.0 && trainer.losses().size() == 1);
}

// Held-out rows whose score is scripted, epoch by epoch.
struct ScriptedScores final : HeldOut<double> {
    std::vector<double> scores;
    std::vector<double> seen_theta0;
    std::size_t next = 0;
    double score(const double* theta) override {
        seen_theta0.push_back(theta[0]);
        return scores.at(next++);
    }
};

void early_stopping_judges_held_out_scores_and_keeps_the_best_epoch() {
    Model model;
    auto trainer = model.trainer(with_tol(0.01, 2));
    ScriptedScores held_out;
    held_out.scores = {0.5, 0.7, 0.705, 0.69, 0.9};
    trainer.watch_validation(&held_out);
    Script epochs{&model, {3.0, 2.0, 1.0, 0.5, 0.1}};  // the losses keep falling: not judged
    CHECK(trainer.run(epochs, nullptr, 5, nullptr, true) == TrainOutcome::converged);
    CHECK(trainer.scores().size() == 4 && trainer.losses().size() == 4);
    CHECK(held_out.seen_theta0 == std::vector<double>({2.0, 3.0, 4.0, 5.0}));  // scored after each epoch
    trainer.restore_best();  // the third epoch scored best (0.705)
    CHECK(model.theta[0] == 4.0 && model.m[0] == 1.5 && model.counters[counter_step] == 12.0);
}

void a_plateau_schedule_follows_the_epoch_losses_as_plateau_observe() {
    Schedule watched;
    watched.kind = ScheduleKind::plateau;
    watched.lr = 0.1;
    watched.factor = 0.5;
    watched.patience = 1;
    Schedule oracle = watched;
    const std::vector<double> losses = {1.0, 0.99995, 0.9, 0.95, 0.93, 0.92, 0.94};
    Model model;
    auto trainer = model.trainer(no_tol());
    trainer.watch_plateau(&watched);
    Script epochs{&model, losses};
    std::vector<double> rates, expected;
    auto recording = [&](const std::uint64_t* seed, Interrupt* stop) {
        rates.push_back(schedule_lr(watched, 1));  // the rate this epoch steps with
        return epochs(seed, stop);
    };
    CHECK(trainer.run(recording, nullptr, losses.size(), nullptr, true) == TrainOutcome::epochs_done);
    for (double loss : losses) {
        expected.push_back(schedule_lr(oracle, 1));
        plateau_observe(oracle, loss);
    }
    CHECK(rates == expected);
    CHECK(watched.scale == oracle.scale && watched.best == oracle.best);
    CHECK(watched.num_bad_epochs == oracle.num_bad_epochs && watched.scale == 0.25);
}

void scores_are_r2_and_weighted_accuracy() {
    // R²: y = 1, 2, 3, 4; predictions 1, 2, 3, 5: SS_res = 1, SS_tot = 5
    const std::vector<double> y = {1.0, 2.0, 3.0, 4.0};
    const std::vector<double> z = {1.0, 2.0, 3.0, 5.0};
    LinearData<double> data;
    data.y = y.data();
    data.n_used = 4;
    CHECK(score_decisions(ValidationCriterion::r2, data, z.data(), 1) == 1.0 - 1.0 / 5.0);
    // rows 3 and 0 only, through an index: y = 4, 1; predictions 5, 1
    const std::vector<std::int64_t> rows = {3, 0};
    const std::vector<double> z_rows = {5.0, 1.0};
    LinearData<double> picked = data;
    picked.rows = rows.data();
    picked.n_used = 2;
    CHECK(score_decisions(ValidationCriterion::r2, picked, z_rows.data(), 1) == 1.0 - 1.0 / 4.5);
    // constant targets: 1 when predicted exactly, else 0 (as scikit-learn)
    const std::vector<double> flat = {2.0, 2.0};
    LinearData<double> constant;
    constant.y = flat.data();
    constant.n_used = 2;
    CHECK(score_decisions(ValidationCriterion::r2, constant, flat.data(), 1) == 1.0);
    CHECK(score_decisions(ValidationCriterion::r2, constant, z.data(), 1) == 0.0);

    // binary accuracy from signs, weighted: rows 0 and 2 right (weights 1 and 3 of 1+2+3+4)
    const std::vector<float> signs = {1.0f, -1.0f, -1.0f, 1.0f};
    const std::vector<float> decisions = {0.5f, 0.2f, -3.0f, 0.0f};
    const std::vector<float> weights = {1.0f, 2.0f, 3.0f, 4.0f};
    LinearData<float> binary;
    binary.y = signs.data();
    binary.n_used = 4;
    CHECK(score_decisions(ValidationCriterion::accuracy, binary, decisions.data(), 1) == 0.5);
    binary.sample_weight = weights.data();
    CHECK(score_decisions(ValidationCriterion::accuracy, binary, decisions.data(), 1) == 4.0 / 10.0);
    // three classes: argmax, the first of equal scores
    const std::vector<double> classes = {0.0, 2.0, 1.0};
    const std::vector<double> scores3 = {1.0, 1.0, 0.0, /**/ 0.0, 1.0, 2.0, /**/ 5.0, 4.0, 3.0};
    LinearData<double> multi;
    multi.y = classes.data();
    multi.n_used = 3;
    CHECK(score_decisions(ValidationCriterion::accuracy, multi, scores3.data(), 3) == 2.0 / 3.0);
}

}  // namespace

int main() {
    a_non_finite_epoch_is_undone_whole();
    a_state_that_overflowed_is_undone_though_the_loss_is_finite();
    a_loss_ten_times_its_lowest_is_divergence();
    tol_stops_after_n_iter_no_change_epochs_without_improvement();
    an_interrupt_undoes_the_unfinished_epoch();
    an_exception_undoes_the_epoch_and_propagates();
    early_stopping_judges_held_out_scores_and_keeps_the_best_epoch();
    a_plateau_schedule_follows_the_epoch_losses_as_plateau_observe();
    scores_are_r2_and_weighted_accuracy();
    if (failures == 0) {
        std::printf("all trainer checks passed\n");
    }
    return failures == 0 ? 0 : 1;
}
