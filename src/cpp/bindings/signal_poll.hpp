// Ctrl-C inside a loop that runs with the GIL released: the poll a core Interrupt calls,
// which takes the GIL and runs Python's signal handlers. A KeyboardInterrupt they raise is
// kept here and raised by the caller once the loop has stopped (and undone what it must).
#pragma once

#include <pybind11/pybind11.h>

#include <memory>

namespace pygdx_bindings {

namespace py = pybind11;

struct SignalPoll {
    std::unique_ptr<py::error_already_set> error;

    static bool poll(void* context) {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) {
            static_cast<SignalPoll*>(context)->error = std::make_unique<py::error_already_set>();
            return true;
        }
        return false;
    }
};

}  // namespace pygdx_bindings
