// Bindings for the averaged and clipped epochs on sparse (CSR) rows
// (core/sparse_stepwise_epochs.hpp): stepwise.cpp's two epochs with X given as a CSR matrix's
// three arrays, read in place (their value type picks the dtype, as in sparse.cpp's csr_epoch).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "bindings/arrays.hpp"
#include "bindings/csr_inputs.hpp"
#include "bindings/linear_inputs.hpp"
#include "bindings/signal_poll.hpp"
#include "bindings/stepwise_rules.hpp"
#include "core/sparse_stepwise_epochs.hpp"

namespace py = pybind11;

namespace {

// The CSR matrix's value and index types, the checks of sparse.cpp's csr_epoch and those of
// `average` (n_params, theta's dtype, its own array), then csr_clipped_epoch when `clip` is
// given, else csr_averaged_epoch, with the GIL released and Ctrl-C polled.
py::tuple sparse_stepwise_epoch(const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr,
                                std::size_t n_rows, py::handle y, py::handle sw, py::array order,
                                py::object batch_size, bool lazy, const pygdx::Hyper& hyper,
                                const pygdx::Schedule& schedule, py::array counters, py::array theta,
                                py::list states, const pygdx::GradientClip* clip, py::object average, double start,
                                int n_threads, py::object shuffle_seed, py::object ema_decay,
                                double intercept_decay) {
    pygdx_bindings::require_targets(y);
    const pygdx::SparseSettings settings = pygdx_bindings::sparse_settings(lazy, intercept_decay);
    const pygdx::WeightAverage rule = pygdx_bindings::weight_average(start, ema_decay);
    pygdx_bindings::check_order(order);
    auto run = [&](auto t, auto i) -> py::tuple {
        using T = decltype(t);
        using I = decltype(i);
        if (pygdx_bindings::is_float32(theta) != (sizeof(T) == 4)) {
            throw py::type_error("theta's dtype must match the sparse matrix's data dtype");
        }
        auto in = pygdx_bindings::check_csr_inputs<T, I>(pb, values, indices, indptr, n_rows, y, sw, order);
        const pygdx::ParamBuffers<T> params = pygdx_bindings::optimizer_buffers<T>(pb, hyper, theta, states);
        T* avg = average.is_none() ? nullptr : pygdx_bindings::checked_theta<T>(pb, average.cast<py::array>());
        if (avg != nullptr && avg == params.param) {
            throw py::value_error("average must be an array of its own, not theta");
        }
        if (avg == nullptr && clip == nullptr) {
            throw py::value_error("average is required (an array of n_params)");
        }
        double* ctr = pygdx_bindings::checked_counters(counters);
        const std::size_t n_used = in->data.n_used;
        const std::size_t bs = pygdx_bindings::rows_per_batch(batch_size, n_used);
        auto* idx = static_cast<std::int64_t*>(order.mutable_data());
        const bool shuffle = !shuffle_seed.is_none();
        const std::uint64_t seed = shuffle ? shuffle_seed.cast<std::uint64_t>() : 0;
        pygdx::SparseScratch<T> work(pb);
        pygdx_bindings::SignalPoll signals;
        pygdx::Interrupt interrupt(&pygdx_bindings::SignalPoll::poll, &signals);
        pygdx::EpochResult r;
        {
            // Safe: only buffers held above (in, theta, states, average, counters, order) are
            // touched; no Python object is used but by the poll, which takes the GIL first.
            py::gil_scoped_release release;
            if (shuffle) {
                pygdx::shuffle_rows(idx, n_used, seed);
            }
            r = clip != nullptr
                    ? pygdx::csr_clipped_epoch(pb, in->data, bs, settings.intercept_decay, hyper, schedule, ctr,
                                               params, work, n_threads, *clip, avg, rule, &interrupt)
                    : pygdx::csr_averaged_epoch(pb, in->data, bs, settings, hyper, schedule, ctr, params, work,
                                                n_threads, avg, rule, &interrupt);
        }
        if (signals.error) {
            throw *signals.error;
        }
        pygdx_bindings::refuse_if_changed(*in);
        return py::make_tuple(r.loss, r.steps, r.finite);
    };
    const bool f32 = pygdx_bindings::csr_values_are_float32(values);
    const bool i32 = pygdx_bindings::csr_index_is_int32(indices, indptr);
    if (f32) {
        return i32 ? run(float{}, std::int32_t{}) : run(float{}, std::int64_t{});
    }
    return i32 ? run(double{}, std::int32_t{}) : run(double{}, std::int64_t{});
}

}  // namespace

void register_sparse_stepwise(py::module_& m) {
    m.def(
        "csr_averaged_epoch",
        [](const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr, std::size_t n_rows,
           py::handle y, py::handle sw, py::array order, py::object batch_size, bool lazy, const pygdx::Hyper& hyper,
           const pygdx::Schedule& schedule, py::array counters, py::array theta, py::list states, py::array average,
           double start, int n_threads, py::object shuffle_seed, py::object ema_decay, double intercept_decay) {
            return sparse_stepwise_epoch(pb, values, indices, indptr, n_rows, y, sw, order, batch_size, lazy, hyper,
                                         schedule, counters, theta, states, nullptr, average, start, n_threads,
                                         shuffle_seed, ema_decay, intercept_decay);
        },
        py::arg("problem"), py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_rows"), py::arg("y"),
        py::arg("sample_weight"), py::arg("order"), py::arg("batch_size"), py::arg("lazy"), py::arg("hyper"),
        py::arg("schedule"), py::arg("counters"), py::arg("theta"), py::arg("states"), py::arg("average"),
        py::arg("start"), py::arg("n_threads") = 0, py::arg("shuffle_seed") = py::none(),
        py::arg("ema_decay") = py::none(), py::arg("intercept_decay") = 1.0,
        "csr_epoch that also folds the weights after every step t >= start into `average` (n_params, theta's "
        "dtype, written in place): their mean, or with ema_decay their exponential moving average. "
        "intercept_decay in (0, 1] multiplies the intercepts' gradient. Returns (mean objective over the epoch, "
        "steps, finite).");
    m.def(
        "csr_clipped_epoch",
        [](const pygdx::LinearProblem& pb, py::array values, py::array indices, py::array indptr, std::size_t n_rows,
           py::handle y, py::handle sw, py::array order, py::object batch_size, const pygdx::Hyper& hyper,
           const pygdx::Schedule& schedule, py::array counters, py::array theta, py::list states, double max_norm,
           double max_value, py::object average, double start, int n_threads, py::object shuffle_seed,
           py::object ema_decay, double intercept_decay) {
            const pygdx::GradientClip clip = pygdx_bindings::gradient_clip(max_norm, max_value);
            return sparse_stepwise_epoch(pb, values, indices, indptr, n_rows, y, sw, order, batch_size, false, hyper,
                                         schedule, counters, theta, states, &clip, average, start, n_threads,
                                         shuffle_seed, ema_decay, intercept_decay);
        },
        py::arg("problem"), py::arg("data"), py::arg("indices"), py::arg("indptr"), py::arg("n_rows"), py::arg("y"),
        py::arg("sample_weight"), py::arg("order"), py::arg("batch_size"), py::arg("hyper"), py::arg("schedule"),
        py::arg("counters"), py::arg("theta"), py::arg("states"), py::arg("max_norm"), py::arg("max_value"),
        py::arg("average") = py::none(), py::arg("start") = 0.0, py::arg("n_threads") = 0,
        py::arg("shuffle_seed") = py::none(), py::arg("ema_decay") = py::none(), py::arg("intercept_decay") = 1.0,
        "csr_epoch with every batch gradient (over every coefficient and intercept; the intercepts' part times "
        "intercept_decay in (0, 1]) clipped as clipped_epoch clips it before a step of all of them; with "
        "`average`, the mean (or with ema_decay the moving average) of the weights after every step t >= start "
        "is kept too. Returns (mean objective over the epoch, steps, finite).");
}
