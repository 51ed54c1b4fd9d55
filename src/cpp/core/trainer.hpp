// The fit loop of the linear models: epochs, stopping rules, divergence rollback and
// interrupts, run in the core so that a fit crosses from Python into C++ once per many
// epochs rather than once per epoch.
//
// A Trainer is built once per fit around the optimizer's own buffers (weights, state,
// step counters, all owned by Python) and a stopping rule. `run` drives any epoch function
// (the in-memory data source's, or one that reads chunks) for up to a given number of
// epochs and comes back early only when the fit is over or Python must act:
// - an epoch whose loss, weights or optimizer state is not finite, or that was interrupted,
//   is undone whole (weights, state and step counters as they were before it);
// - a loss that climbs tenfold above its lowest value and the first, growing epoch after
//   epoch, is divergence;
// - `tol` / `n_iter_no_change` on the epoch loss, or on early stopping's validation score:
//   computed here on held-out rows (validation.hpp, watch_validation) or by Python through
//   `judge`; both keep the best epoch's weights and state;
// - a reduce-on-plateau schedule (watch_plateau) observes every recorded epoch's loss here,
//   with the rule of ReduceLROnPlateau.observe (plateau_observe).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "core/epoch.hpp"
#include "core/epoch_undo.hpp"
#include "core/interrupt.hpp"
#include "core/optimizers.hpp"
#include "core/schedules.hpp"
#include "core/validation.hpp"

namespace pygdx {

struct StoppingRule {
    bool use_tol = false;          // tol given (scikit-learn's tol=None disables it)
    double tol = 0.0;
    std::int64_t n_iter_no_change = 5;
    bool stop_at_convergence = true;  // false for partial_fit: one epoch, never "converged"
    double divergence_factor = 10.0;  // an epoch loss this many times the lowest and the
                                      // first is divergence ...
    std::int64_t divergence_epochs = 3;  // ... when it also grew in this many epochs in a row:
                                         // a noisy epoch after a warm start near the optimum,
                                         // or a bounded-step rule (Adam) at a huge alpha, jumps
                                         // once and comes back; a too-large rate keeps growing
    // Judge divergence on the data loss: the epoch loss less `penalty` (over n_coef
    // coefficients) at the epoch's starting weights, where epochs report it. Plain SGD on a
    // loss of bounded derivative at a huge alpha needs it: its clamped decay restarts the
    // weights from zero at every step, and the objective swings with one step's penalty
    // (1.5 to 400 and back) while the data loss stays where zero weights put it.
    bool divergence_on_data_loss = false;
    Penalty penalty;
    std::size_t n_coef = 0;
};

enum class TrainOutcome : int {
    epochs_done = 0,  // ran every epoch asked for
    converged = 1,    // tol / n_iter_no_change met
    non_finite = 2,   // an epoch's loss, weights or state was not finite: it was undone
    diverged = 3,     // the loss grew past divergence_factor x its lowest value
    interrupted = 4,  // a stop was requested: the unfinished epoch was undone
};

// The first, the lowest and the last loss a Trainer's divergence rule has judged.
struct DivergenceRecord {
    double first, lowest, last;
};

// One epoch's result from an epoch function: see EpochResult.
template <class T>
class Trainer {
public:
    // `params` and `counters` are the optimizer's buffers (stepped in place); `first_loss`
    // and `lowest_loss` are those the divergence rule judged in earlier calls (partial_fit's
    // curve goes on: divergence_record()), of the kind it judges now.
    Trainer(const ParamBuffers<T>& params, int n_state, double* counters, const StoppingRule& rule,
            double first_loss, double lowest_loss, std::size_t epochs_before)
        : params_(params), n_state_(n_state), counters_(counters), rule_(rule), first_(first_loss),
          lowest_(lowest_loss), epochs_before_(epochs_before), undo_(undo_buffers(), params.size) {}

    // The first epoch's undo copies from `start`, the model this call started from, which the
    // caller keeps unchanged until the call ends (epoch_undo.hpp): no copy of its own.
    void keep_first_epoch_from(const ParamBuffers<T>& start) {
        std::vector<const T*> kept{start.param};
        for (int j : used_state_) {
            kept.push_back(start.state[j]);
        }
        undo_.keep_first_from(std::move(kept));
    }

    // A buffer of the model's size that the epochs keep in step with the weights (averaged
    // SGD's running average): undone with them and kept with the best epoch, so that a
    // failed, interrupted or rejected epoch never leaves the pair out of step. Before run()
    // and judge(): a best epoch kept without the buffer has no copy of it to restore.
    void undo_also(T* buffer) {
        if (started_) {
            throw std::invalid_argument("undo_also must come before the trainer runs or judges an epoch");
        }
        undo_.add_buffer(buffer);
        extra_.push_back(buffer);
    }

    // Runs up to n_epochs epochs of `epoch(seed or nullptr, interrupt) -> EpochResult`, with
    // seeds[e] the shuffling seed of epoch e (nullptr: no shuffling). The tol rule watches
    // the held-out rows' score when watch_validation gave some, else the epoch loss with
    // judge_by_loss; otherwise the caller calls judge() after each epoch (and asks for one
    // epoch at a time). An exception from the epoch undoes it too.
    template <class Epoch>
    TrainOutcome run(Epoch&& epoch, const std::uint64_t* seeds, std::size_t n_epochs, Interrupt* interrupt,
                     bool judge_by_loss) {
        started_ = true;
        for (std::size_t e = 0; e < n_epochs; ++e) {
            if (interrupt != nullptr && interrupt->requested(0)) {
                return TrainOutcome::interrupted;
            }
            undo_.save(counters_);
            const double penalty_before =
                rule_.divergence_on_data_loss ? penalty_value(rule_.penalty, params_.param, rule_.n_coef) : 0.0;
            EpochResult r;
            try {
                r = epoch(seeds != nullptr ? seeds + e : nullptr, interrupt);
            } catch (...) {
                undo_.restore(counters_);
                throw;
            }
            if (r.interrupted) {
                undo_.restore(counters_);
                return TrainOutcome::interrupted;
            }
            // Adaptive rules can overflow their state (g² in float32) while the weights stay
            // finite; the affected weights would then silently stop moving.
            if (!r.finite || !state_finite()) {
                undo_.restore(counters_);
                return TrainOutcome::non_finite;
            }
            losses_.push_back(r.loss);
            if (diverging(r.loss - penalty_before)) {
                return TrainOutcome::diverged;
            }
            if (plateau_ != nullptr) {
                plateau_observe(*plateau_, r.loss);
            }
            if (held_out_ != nullptr) {
                const double score = held_out_->score(params_.param);
                scores_.push_back(score);
                if (judge(-score, true)) {
                    return TrainOutcome::converged;
                }
            } else if (judge_by_loss && judge(r.loss, false)) {
                return TrainOutcome::converged;
            }
        }
        return TrainOutcome::epochs_done;
    }

    // The tol rule on one epoch's criterion (lower is better); keep_best saves the weights,
    // state and counters when it is the best so far. True when training has converged.
    bool judge(double criterion, bool keep_best) {
        started_ = true;
        if (rule_.use_tol && criterion > best_ - rule_.tol) {
            ++no_improvement_;
        } else {
            no_improvement_ = 0;
        }
        if (criterion < best_) {
            best_ = criterion;
            if (keep_best) {
                best_saved_.resize(params_.size * (1 + used_state_.size() + extra_.size()));
                save(best_saved_.data(), best_counters_);
                has_best_ = true;
            }
        }
        return rule_.stop_at_convergence && rule_.use_tol && no_improvement_ >= rule_.n_iter_no_change;
    }

    // Back to the best epoch judge() kept, if any.
    void restore_best() {
        if (has_best_) {
            restore(best_saved_.data(), best_counters_);
        }
    }

    // Early stopping on these rows: after each epoch their score (higher is better) is
    // recorded and judged, keeping the best epoch. Not owned; nullptr stops watching.
    void watch_validation(HeldOut<T>* held_out) { held_out_ = held_out; }
    // A plateau schedule (the one the epochs read) to step with each recorded epoch's loss.
    // Not owned; nullptr stops watching.
    void watch_plateau(Schedule* plateau) { plateau_ = plateau; }

    const std::vector<double>& losses() const { return losses_; }
    const std::vector<double>& scores() const { return scores_; }
    std::int64_t no_improvement() const { return no_improvement_; }
    // The first, the lowest and the last loss the divergence rule has judged (the data loss
    // with divergence_on_data_loss): the next partial_fit call's trainer starts from the
    // first two, and a divergence is reported with the last two.
    DivergenceRecord divergence_record() const { return {first_, lowest_, previous_}; }
    std::size_t n_params() const { return params_.size; }

private:
    // The weights and the used state buffers, for undo_ (built before it, in member order).
    std::vector<T*> undo_buffers() {
        for (int j = 0; j < n_state_; ++j) {
            if (params_.state[j] != nullptr) {
                used_state_.push_back(j);
            }
        }
        std::vector<T*> buffers{params_.param};
        for (int j : used_state_) {
            buffers.push_back(params_.state[j]);
        }
        return buffers;
    }

    bool diverging(double loss) {
        const std::size_t count = epochs_before_ + losses_.size();
        if (count == 1) {
            first_ = loss;
            lowest_ = loss;
            previous_ = loss;
            return false;
        }
        lowest_ = std::min(lowest_, loss);
        growing_ = loss > previous_ ? growing_ + 1 : 0;  // never at this call's first epoch (NaN)
        previous_ = loss;
        // (with divergence_epochs <= 1, one epoch past the factor suffices: partial_fit runs one
        // epoch per call and sees no streak). A loss of exactly 0 (the perceptron's at zero
        // weights, a separable problem's) gives no scale: any later loss would be "tenfold"
        // it. So the loss must be tenfold the first epoch's too, and that one above 0.
        return first_ > 0.0 && loss > rule_.divergence_factor * first_ && loss > rule_.divergence_factor * lowest_ &&
               (rule_.divergence_epochs <= 1 || growing_ >= rule_.divergence_epochs);
    }

    bool state_finite() const {
        for (int j : used_state_) {
            const T* s = params_.state[j];
            for (std::size_t i = 0; i < params_.size; ++i) {
                if (!std::isfinite(static_cast<double>(s[i]))) {
                    return false;
                }
            }
        }
        return true;
    }

    void save(T* to, double* counters_to) const {
        const std::size_t P = params_.size;
        std::copy(params_.param, params_.param + P, to);
        for (std::size_t k = 0; k < used_state_.size(); ++k) {
            const T* s = params_.state[used_state_[k]];
            std::copy(s, s + P, to + (k + 1) * P);
        }
        for (std::size_t k = 0; k < extra_.size(); ++k) {
            std::copy(extra_[k], extra_[k] + P, to + (1 + used_state_.size() + k) * P);
        }
        std::copy(counters_, counters_ + n_counters, counters_to);
    }

    void restore(const T* from, const double* counters_from) {
        const std::size_t P = params_.size;
        std::copy(from, from + P, params_.param);
        for (std::size_t k = 0; k < used_state_.size(); ++k) {
            std::copy(from + (k + 1) * P, from + (k + 2) * P, params_.state[used_state_[k]]);
        }
        for (std::size_t k = 0; k < extra_.size(); ++k) {
            const T* saved = from + (1 + used_state_.size() + k) * P;
            std::copy(saved, saved + P, extra_[k]);
        }
        std::copy(counters_from, counters_from + n_counters, counters_);
    }

    ParamBuffers<T> params_;
    int n_state_;
    double* counters_;
    StoppingRule rule_;
    std::vector<int> used_state_;
    std::vector<T*> extra_;  // undo_also's buffers
    double first_, lowest_;
    std::size_t epochs_before_;
    std::vector<double> losses_;
    HeldOut<T>* held_out_ = nullptr;
    std::vector<double> scores_;
    Schedule* plateau_ = nullptr;
    double best_ = std::numeric_limits<double>::infinity();
    std::int64_t no_improvement_ = 0;
    std::int64_t growing_ = 0;  // epochs in a row whose loss grew
    double previous_ = std::numeric_limits<double>::quiet_NaN();  // the last loss diverging() saw
    std::vector<T> best_saved_;
    double best_counters_[n_counters] = {0.0, 0.0};
    bool has_best_ = false;
    bool started_ = false;  // run() or judge() was called: undo_also is too late
    EpochUndo<T> undo_;  // last: its buffers come from params_ and used_state_, set up before it
};

}  // namespace pygdx
