// Early stopping's held-out rows, scored in the core so that a fit with early stopping
// still runs many epochs per call into C++ (trainer.hpp).
//
// The criterion is the estimators' own (scikit-learn's): R² for a regressor, accuracy for a
// classifier, both weighted by the rows' weights, on the decision values of the current
// weights. `score_decisions` takes the decision values, so every data layout shares it: a
// source computes its rows' decisions its own way (DenseHeldOut below for rows of a dense
// array, CsrHeldOut of sparse_held_out.hpp for sparse rows) and hands them over. Scores are
// in double; the sums run over the held-out rows in their given order on one thread and the decision
// values do not depend on the thread count, so a score has the same bits with any n_jobs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/linear.hpp"

namespace pygdx {

enum class ValidationCriterion : int {
    r2 = 0,        // scikit-learn's r2_score (one output): 1 - SS_res / SS_tot, weighted
    accuracy = 1,  // the share (by weight) of rows whose predicted class is their class
};

// The criterion on decision values z (rows x K, row-major, in the order of data's rows) of
// the rows of `data` (LinearData or CsrData: its rows, y and sample_weight), whose y is a
// regression target, a class sign ±1 (K = 1) or a class index (K > 1). Higher is better.
template <class T, class Rows>
double score_decisions(ValidationCriterion criterion, const Rows& data, const T* z, std::size_t K) {
    const std::size_t n = data.n_used;
    auto weight = [&data](std::size_t r) { return data.sample_weight ? static_cast<double>(data.sample_weight[r]) : 1.0; };
    if (criterion == ValidationCriterion::accuracy) {
        double correct = 0.0, total = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            const std::size_t r = data.row(i);
            const T* zi = z + i * K;
            bool right;
            if (K == 1) {
                right = (zi[0] > T(0)) == (data.y[r] > T(0));
            } else {
                // argmax as NumPy takes it: the first largest, a NaN counting as largest
                std::size_t best = 0;
                for (std::size_t k = 1; k < K && zi[best] == zi[best]; ++k) {
                    if (zi[k] > zi[best] || zi[k] != zi[k]) {
                        best = k;
                    }
                }
                right = best == static_cast<std::size_t>(data.y[r]);
            }
            const double w = weight(r);
            correct += right ? w : 0.0;
            total += w;
        }
        return total > 0.0 ? correct / total : 0.0;  // held-out rows that all weigh 0 score nothing
    }
    double sum_w = 0.0, sum_wy = 0.0, ss_res = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t r = data.row(i);
        const double w = weight(r);
        const double y = static_cast<double>(data.y[r]);
        const double residual = y - static_cast<double>(z[i * K]);
        sum_w += w;
        sum_wy += w * y;
        ss_res += w * (residual * residual);
    }
    const double mean = sum_w > 0.0 ? sum_wy / sum_w : 0.0;
    double ss_tot = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const std::size_t r = data.row(i);
        const double centred = static_cast<double>(data.y[r]) - mean;
        ss_tot += weight(r) * (centred * centred);
    }
    if (ss_tot == 0.0) {
        return ss_res == 0.0 ? 1.0 : 0.0;
    }
    return 1.0 - ss_res / ss_tot;
}

// What a trainer needs from held-out rows: their score at given weights.
template <class T>
class HeldOut {
public:
    virtual ~HeldOut() = default;
    virtual double score(const T* theta) = 0;
};

// Held-out rows of a dense array (a LinearData view with the rows to score); the decision
// values are computed as linear_decision computes a prediction.
template <class T>
class DenseHeldOut final : public HeldOut<T> {
public:
    DenseHeldOut(const LinearProblem& pb, const LinearData<T>& data, ValidationCriterion criterion, int n_threads)
        : pb_(pb), data_(data), criterion_(criterion), n_threads_(n_threads), z_(data.n_used * pb.n_outputs) {}

    double score(const T* theta) override {
        linear_decision(pb_, data_, theta, z_.data(), n_threads_);
        return score_decisions(criterion_, data_, z_.data(), pb_.n_outputs);
    }

private:
    LinearProblem pb_;
    LinearData<T> data_;
    ValidationCriterion criterion_;
    int n_threads_;
    std::vector<T> z_;
};

}  // namespace pygdx
