// Bindings for sparse (CSR) rows: the in-memory sparse data source of a LinearTrainer and its
// held-out rows for early stopping, decision values, the full-batch objective and gradient,
// and one training epoch (chunked and Dask training). A CSR matrix arrives as its three arrays
// (data, indices, indptr), read in place; the value type picks the dtype, as X's does for dense rows.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>

#include "bindings/arrays.hpp"
#include "bindings/csr_inputs.hpp"
#include "bindings/held_out.hpp"
#include "bindings/linear_inputs.hpp"
#include "core/ahead_thread.hpp"
#include "core/chunk_claims.hpp"
#include "core/csr.hpp"
#include "core/sparse_decision.hpp"
#include "core/sparse_epoch.hpp"
#include "core/sparse_held_out.hpp"

namespace py = pybind11;
using pygdx_bindings::check_csr_inputs;
using pygdx_bindings::check_held_out_request;
using pygdx_bindings::check_order;
using pygdx_bindings::require_targets;
using pygdx_bindings::checked_counters;
using pygdx_bindings::CsrInputs;
using pygdx_bindings::CsrSource;
using pygdx_bindings::csr_index_is_int32;
using pygdx_bindings::csr_values_are_float32;
using pygdx_bindings::HeldOutRows;
using pygdx_bindings::optimizer_buffers;
using pygdx_bindings::refuse_if_changed;
using pygdx_bindings::rows_per_batch;
using pygdx_bindings::readable_theta;
using pygdx_bindings::sparse_settings;
using pygdx_bindings::TypedCsrSource;

namespace {

// Calls fn(T{}, I{}) with the value and index types of the CSR arrays.
template <class Fn>
auto with_csr_types(const py::array& values, const py::array& indices, const py::array& indptr, Fn&& fn) {
    const bool f32 = csr_values_are_float32(values);
    const bool i32 = csr_index_is_int32(indices, indptr);
    if (f32) {
        return i32 ? fn(float{}, std::int32_t{}) : fn(float{}, std::int64_t{});
    }
    return i32 ? fn(double{}, std::int32_t{}) : fn(double{}, std::int64_t{});
}

template <class T>
void check_theta_dtype(const py::array& theta) {
    if (pygdx_bindings::is_float32(theta) != (sizeof(T) == 4)) {
        throw py::type_error("theta's dtype must match the sparse matrix's data dtype");
    }
}

CsrSource make_csr_source(const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr,
                          std::size_t n_rows, py::handle y, py::handle sw, py::array order, py::object batch_size,
                          int n_threads, bool lazy, double intercept_decay) {
    require_targets(y);
    check_order(order);
    CsrSource src;
    src.problem = pb;
    src.order = order;
    src.n_threads = n_threads;
    src.settings = sparse_settings(lazy, intercept_decay);
    with_csr_types(values, indices, indptr, [&](auto t, auto i) {
        using T = decltype(t);
        using I = decltype(i);
        auto in = check_csr_inputs<T, I>(pb, values, indices, indptr, n_rows, y, sw, order);
        const std::size_t bs = rows_per_batch(batch_size, in->data.n_used);
        auto typed = std::make_unique<TypedCsrSource<T, I>>(pb, std::move(in), bs);
        if constexpr (sizeof(T) == 4 && sizeof(I) == 4) {
            src.f32_i32 = std::move(typed);
        } else if constexpr (sizeof(T) == 4) {
            src.f32_i64 = std::move(typed);
        } else if constexpr (sizeof(I) == 4) {
            src.f64_i32 = std::move(typed);
        } else {
            src.f64_i64 = std::move(typed);
        }
    });
    return src;
}

py::array decision(const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr,
                   std::size_t n_rows, py::array theta, py::handle rows, int n_threads) {
    return with_csr_types(values, indices, indptr, [&](auto t, auto i) -> py::array {
        using T = decltype(t);
        using I = decltype(i);
        check_theta_dtype<T>(theta);
        auto in = check_csr_inputs<T, I>(pb, values, indices, indptr, n_rows, py::none(), py::none(), rows);
        const py::array theta_read = readable_theta<T>(pb, theta);
        const T* th = static_cast<const T*>(theta_read.data());
        py::array_t<T> out({static_cast<py::ssize_t>(in->data.n_used), static_cast<py::ssize_t>(pb.n_outputs)});
        T* o = out.mutable_data();
        {
            py::gil_scoped_release release;  // safe: only the buffers held by in, theta and out are touched
            pygdx::csr_decision(pb, in->data, th, o, n_threads);
        }
        refuse_if_changed(*in);
        return out;
    });
}

py::tuple loss_grad(const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr,
                    std::size_t n_rows, py::handle y, py::handle sw, py::array theta, int n_threads) {
    require_targets(y);
    return with_csr_types(values, indices, indptr, [&](auto t, auto i) -> py::tuple {
        using T = decltype(t);
        using I = decltype(i);
        check_theta_dtype<T>(theta);
        auto in = check_csr_inputs<T, I>(pb, values, indices, indptr, n_rows, y, sw, py::none());
        const py::array theta_read = readable_theta<T>(pb, theta);
        const T* th = static_cast<const T*>(theta_read.data());
        py::array_t<T> grad(static_cast<py::ssize_t>(pb.n_params()));
        T* g = grad.mutable_data();
        double value;
        {
            py::gil_scoped_release release;  // safe: only the buffers held by in, theta and grad are touched
            value = pygdx::csr_loss_grad(pb, in->data, th, g, n_threads);
        }
        refuse_if_changed(*in);
        return py::make_tuple(value, grad);
    });
}

py::tuple epoch(const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr,
                std::size_t n_rows, py::handle y, py::handle sw, py::array order, py::object batch_size, bool lazy,
                const pygdx::Hyper& hyper, const pygdx::Schedule& schedule, py::array counters, py::array theta,
                py::list states, int n_threads, py::object shuffle_seed, double intercept_decay) {
    require_targets(y);
    check_order(order);
    const pygdx::SparseSettings settings = sparse_settings(lazy, intercept_decay);
    return with_csr_types(values, indices, indptr, [&](auto t, auto i) -> py::tuple {
        using T = decltype(t);
        using I = decltype(i);
        check_theta_dtype<T>(theta);
        auto in = check_csr_inputs<T, I>(pb, values, indices, indptr, n_rows, y, sw, order);
        auto* idx = static_cast<std::int64_t*>(order.mutable_data());
        const pygdx::ParamBuffers<T> params = optimizer_buffers<T>(pb, hyper, theta, states);
        double* ctr = checked_counters(counters);
        const std::size_t bs = rows_per_batch(batch_size, in->data.n_used);
        const bool shuffle = !shuffle_seed.is_none();
        const std::uint64_t seed = shuffle ? shuffle_seed.cast<std::uint64_t>() : 0;
        pygdx::SparseScratch<T> work(pb);
        pygdx::EpochResult r;
        {
            // Safe: only buffers held above (in, theta, state, counters, order) are touched.
            py::gil_scoped_release release;
            if (shuffle) {
                pygdx::shuffle_rows(idx, in->data.n_used, seed);
            }
            r = pygdx::csr_epoch(pb, in->data, bs, settings, hyper, schedule, ctr, params, work, n_threads);
        }
        refuse_if_changed(*in);
        return py::make_tuple(r.loss, r.steps, r.finite);
    });
}

// The core's scorer of held-out sparse rows, owning the checked inputs it reads.
template <class T, class I>
class OwnedCsrHeldOut final : public pygdx::HeldOut<T> {
public:
    OwnedCsrHeldOut(const pygdx::LinearProblem& pb, std::unique_ptr<CsrInputs<T, I>> in,
                    pygdx::ValidationCriterion criterion, int n_threads)
        : inputs_(std::move(in)), scorer_(pb, inputs_->data, criterion, n_threads) {}
    double score(const T* theta) override { return scorer_.score(theta); }

private:
    std::unique_ptr<CsrInputs<T, I>> inputs_;
    pygdx::CsrHeldOut<T, I> scorer_;
};

// Early stopping's held-out rows of a CSR matrix, for LinearTrainer.watch_validation.
class CsrHeldOutRows final : public HeldOutRows {
public:
    CsrHeldOutRows(const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr,
                   std::size_t n_rows, py::handle y, py::handle sw, py::handle rows,
                   pygdx::ValidationCriterion criterion, int n_threads)
        : n_params_(pb.n_params()) {
        check_held_out_request(pb, y, rows, criterion);
        with_csr_types(values, indices, indptr, [&](auto t, auto i) {
            using T = decltype(t);
            using I = decltype(i);
            auto scorer = std::make_unique<OwnedCsrHeldOut<T, I>>(
                pb, check_csr_inputs<T, I>(pb, values, indices, indptr, n_rows, y, sw, rows), criterion, n_threads);
            if constexpr (sizeof(T) == 4) {
                f32_ = std::move(scorer);
            } else {
                f64_ = std::move(scorer);
            }
        });
    }

    pygdx::HeldOut<float>* f32() override { return f32_.get(); }
    pygdx::HeldOut<double>* f64() override { return f64_.get(); }
    std::size_t n_params() const override { return n_params_; }

private:
    std::size_t n_params_;
    std::unique_ptr<pygdx::HeldOut<float>> f32_;
    std::unique_ptr<pygdx::HeldOut<double>> f64_;
};

}  // namespace

void register_sparse(py::module_& m) {
    py::class_<CsrSource>(m, "CsrSource")
        .def(py::init(&make_csr_source), py::arg("problem"), py::arg("data"), py::arg("indices"),
             py::arg("indptr"), py::arg("n_rows"), py::arg("y"), py::arg("sample_weight"), py::arg("order"),
             py::arg("batch_size"), py::arg("n_threads") = 1, py::arg("lazy") = true, py::arg("intercept_decay") = 1.0,
             "In-memory sparse rows for a LinearTrainer: a CSR matrix's data (its dtype picks the model's), indices "
             "and indptr (int32 or int64), targets, weights, and the epoch's rows `order` (int64, shuffled in "
             "place), checked once; lazy: steps touch only the batch's columns (sparse_updates='lazy'); "
             "intercept_decay in (0, 1] multiplies the intercepts' gradient.");
    py::class_<CsrHeldOutRows, HeldOutRows>(m, "CsrHeldOut")
        .def(py::init<const pygdx::LinearProblem&, py::array, py::array, py::array, std::size_t, py::handle,
                      py::handle, py::handle, pygdx::ValidationCriterion, int>(),
             py::arg("problem"), py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_rows"),
             py::arg("y"), py::arg("sample_weight"), py::arg("rows"), py::arg("criterion"), py::arg("n_threads") = 1,
             "Early stopping's held-out rows of a CSR matrix (int64 `rows`, scored in this order), checked once, "
             "for LinearTrainer.watch_validation: R² (regressor targets) or accuracy (classes as ±1 or indices).");
    m.def("csr_decision", &decision, py::arg("problem"), py::arg("data"), py::arg("indices"), py::arg("indptr"),
          py::arg("n_rows"), py::arg("theta"), py::arg("rows") = py::none(), py::arg("n_threads") = 0,
          "Decision values (n_rows, K) of the rows of a CSR matrix (or of its rows listed in `rows`).");
    m.def("csr_loss_grad", &loss_grad, py::arg("problem"), py::arg("data"), py::arg("indices"), py::arg("indptr"),
          py::arg("n_rows"), py::arg("y"), py::arg("sample_weight"), py::arg("theta"), py::arg("n_threads") = 0,
          "Full-batch objective and gradient at theta over the rows of a CSR matrix; returns (loss, grad).");
    m.def("csr_epoch", &epoch, py::arg("problem"), py::arg("data"), py::arg("indices"), py::arg("indptr"),
          py::arg("n_rows"), py::arg("y"), py::arg("sample_weight"), py::arg("order"), py::arg("batch_size"),
          py::arg("lazy"), py::arg("hyper"), py::arg("schedule"), py::arg("counters"), py::arg("theta"),
          py::arg("states"), py::arg("n_threads") = 0, py::arg("shuffle_seed") = py::none(),
          py::arg("intercept_decay") = 1.0,
          "One epoch over the rows of a CSR matrix listed in `order` (int64, shuffled in place first when a seed "
          "is given), the intercepts' gradient times intercept_decay: returns (mean objective over the epoch, "
          "optimizer steps, finite).");
    m.def(
        "sparse_gathers_rows_ahead",
        [](std::size_t n_rows, std::size_t stored_bytes, bool shuffled, int n_threads) {
            return pygdx::detail::sparse_gathers_rows_ahead(n_rows, stored_bytes, shuffled, n_threads);
        },
        py::arg("n_rows"), py::arg("stored_bytes"), py::arg("shuffled"), py::arg("n_threads"),
        "Whether a stochastic plain-SGD epoch over n_rows CSR rows of a matrix storing stored_bytes of values and "
        "indices, shuffled or in storage order, gathers its rows ahead with a second thread (n_threads <= 0: "
        "every usable core).");
    m.def(
        "refuse_helper_thread_starts",
        [](bool refused) {
            auto& starts = pygdx::detail::helper_thread_starts();
            starts.refused.store(refused);
            return starts.refusals.exchange(0);
        },
        py::arg("refused"),
        "A test hook: while refused, every epoch that would gather its rows ahead with a helper thread (dense or "
        "CSR rows) finds that thread's start failing, as when the system has no thread to give, and runs on the "
        "calling thread alone. Returns how many starts were refused since the previous call.");
    m.def(
        "stall_gathering_helper",
        [](const py::object& stall_from, std::size_t stall_until) {
            auto& stalls = pygdx::detail::helper_stalls();
            stalls.stall_until.store(stall_until);
            stalls.stall_from.store(stall_from.is_none() ? pygdx::detail::HelperStalls::never
                                                             : stall_from.cast<std::size_t>());
            return py::make_tuple(stalls.late.exchange(0), stalls.claimed_in_place.exchange(0),
                                  stalls.went_alone.exchange(0));
        },
        py::arg("stall_from"), py::arg("stall_until") = 1,
        "A test hook: while stall_from is not None, the helper thread of every epoch whose rows are gathered ahead "
        "(dense or CSR rows), once it has claimed its first chunk at or past stall_from, stalls until the stepping "
        "thread has read stall_until chunks in place (or the epoch ends), as when a neighbour holds its core. "
        "Returns (chunks read in place because the helper was late, chunks claimed in place, epochs whose stepping "
        "thread sent its helper away) since the previous call.");
}
