// Bindings for early stopping's held-out rows (core/validation.hpp): the criterion enum, the
// base class the trainer accepts, and the held-out rows of a dense array.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <memory>

#include "bindings/held_out.hpp"
#include "bindings/linear_inputs.hpp"

namespace py = pybind11;
using pygdx_bindings::check_held_out_request;
using pygdx_bindings::check_inputs;
using pygdx_bindings::HeldOutRows;
using pygdx_bindings::Inputs;
using pygdx_bindings::is_float32;

namespace {

template <class T>
struct TypedHeldOut {
    TypedHeldOut(const pygdx::LinearProblem& pb, Inputs<T>&& in, pygdx::ValidationCriterion criterion, int n_threads)
        : inputs(std::move(in)), scorer(pb, inputs.data, criterion, n_threads) {}
    Inputs<T> inputs;  // keeps X, y, weights and rows alive
    pygdx::DenseHeldOut<T> scorer;
};

class DenseHeldOutRows final : public HeldOutRows {
public:
    DenseHeldOutRows(const pygdx::LinearProblem& pb, py::array X, py::handle y, py::handle sw, py::handle rows,
                     pygdx::ValidationCriterion criterion, int n_threads)
        : n_params_(pb.n_params()) {
        check_held_out_request(pb, y, rows, criterion);
        if (is_float32(X)) {
            f32_ = std::make_unique<TypedHeldOut<float>>(pb, check_inputs<float>(pb, X, y, sw, rows), criterion,
                                                         n_threads);
        } else {
            f64_ = std::make_unique<TypedHeldOut<double>>(pb, check_inputs<double>(pb, X, y, sw, rows), criterion,
                                                          n_threads);
        }
    }

    pygdx::HeldOut<float>* f32() override { return f32_ ? &f32_->scorer : nullptr; }
    pygdx::HeldOut<double>* f64() override { return f64_ ? &f64_->scorer : nullptr; }
    std::size_t n_params() const override { return n_params_; }

private:
    std::size_t n_params_;
    std::unique_ptr<TypedHeldOut<float>> f32_;
    std::unique_ptr<TypedHeldOut<double>> f64_;
};

template <class T>
double score_with(HeldOutRows& rows, pygdx::HeldOut<T>* scorer, const py::array& theta) {
    if (scorer == nullptr || static_cast<std::size_t>(theta.size()) != rows.n_params()) {
        throw py::value_error("theta must have the held-out rows' dtype and the problem's parameter count");
    }
    const py::array_t<T, py::array::c_style | py::array::forcecast> w(theta);
    py::gil_scoped_release release;  // safe: reads the rows' and w's buffers only
    return scorer->score(w.data());
}

}  // namespace

void register_validation(py::module_& m) {
    py::enum_<pygdx::ValidationCriterion>(m, "ValidationCriterion")
        .value("r2", pygdx::ValidationCriterion::r2)
        .value("accuracy", pygdx::ValidationCriterion::accuracy);
    py::class_<HeldOutRows>(m, "HeldOutRows")
        .def(
            "score",
            [](HeldOutRows& rows, const py::array& theta) {
                return is_float32(theta) ? score_with<float>(rows, rows.f32(), theta)
                                         : score_with<double>(rows, rows.f64(), theta);
            },
            py::arg("theta"), "The criterion on these rows at weights theta (higher is better).");
    py::class_<DenseHeldOutRows, HeldOutRows>(m, "DenseHeldOut")
        .def(py::init<const pygdx::LinearProblem&, py::array, py::handle, py::handle, py::handle,
                      pygdx::ValidationCriterion, int>(),
             py::arg("problem"), py::arg("X"), py::arg("y"), py::arg("sample_weight"), py::arg("rows"),
             py::arg("criterion"), py::arg("n_threads") = 1,
             "Early stopping's held-out rows of X (int64 `rows`, scored in this order), checked once, for "
             "LinearTrainer.watch_validation: R² (regressor targets) or accuracy (classes as ±1 or indices).");
}
