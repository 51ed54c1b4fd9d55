// The call of an in-memory epoch from Python, shared by the epoch bindings (linear.cpp's
// linear_epoch, stepwise.cpp's averaged and clipped epochs): the inputs checked against the
// problem, an optional seeded shuffle of the rows, then the epoch with the GIL released and
// Ctrl-C polled (these epochs run inside the trainer's Python-epoch path, which holds no
// interrupt of its own: without one a huge batch would finish before KeyboardInterrupt).
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>

#include "bindings/linear_inputs.hpp"
#include "bindings/signal_poll.hpp"
#include "core/epoch.hpp"
#include "core/interrupt.hpp"

namespace pygdx_bindings {

namespace py = pybind11;

// Checks y (required), `order` (the caller's own int64 rows: it is shuffled in place), X,
// sample_weight, theta, the optimizer's states and counters, then runs
// `epoch(data, batch size, params, counters, work, interrupt)` after shuffling `order` when
// a seed is given. Returns (mean objective over the epoch, optimizer steps, finite); raises
// KeyboardInterrupt when Ctrl-C stopped the epoch partway (its steps are not undone: the
// trainer that called it undoes the whole epoch).
template <class T, class Epoch>
py::tuple run_epoch(const pygdx::LinearProblem& pb, py::handle X, py::handle y, py::handle sw, py::array order,
                    py::object batch_size, const pygdx::Hyper& hyper, py::array counters, py::array theta,
                    py::list states, int n_threads, py::object shuffle_seed, Epoch epoch) {
    require_targets(y);
    check_order(order);
    Inputs<T> in = check_inputs<T>(pb, X, y, sw, order);
    auto* idx = static_cast<std::int64_t*>(order.mutable_data());
    const pygdx::ParamBuffers<T> params = optimizer_buffers<T>(pb, hyper, theta, states);
    double* ctr = checked_counters(counters);
    const std::size_t n_used = in.data.n_used;
    const std::size_t bs = rows_per_batch(batch_size, n_used);
    const bool shuffle = !shuffle_seed.is_none();
    const std::uint64_t seed = shuffle ? shuffle_seed.cast<std::uint64_t>() : 0;
    pygdx::EpochScratch<T> work(pb, n_threads);
    SignalPoll signals;
    pygdx::Interrupt interrupt(&SignalPoll::poll, &signals);
    pygdx::EpochResult r;
    {
        // Safe: only buffers held above (in, theta, states, counters, order) and those the
        // caller's `epoch` holds are touched until the release ends; no Python object is
        // used but by the poll, which takes the GIL first.
        py::gil_scoped_release release;
        if (shuffle) {
            pygdx::shuffle_rows(idx, n_used, seed);
        }
        r = epoch(in.data, bs, params, ctr, work, &interrupt);
    }
    if (signals.error) {
        throw *signals.error;
    }
    return py::make_tuple(r.loss, r.steps, r.finite);
}

}  // namespace pygdx_bindings
