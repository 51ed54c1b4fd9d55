// Bindings for the optimizer rules: a Hyper record, and a kernel object that binds one
// optimizer's parameters and state buffers once (checked at construction, not at every
// step) and then updates them in place from gradients.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "core/optimizers.hpp"

namespace py = pybind11;
using pygdx_bindings::readable;
using pygdx_bindings::writable_data;

namespace {

// Below this many elements in total the step runs with the GIL held: releasing and
// re-taking it would cost more than the update.
constexpr std::size_t min_elements_to_release_gil = 1 << 14;

template <class T>
class OptimizerKernel {
public:
    pygdx::Hyper hyper;
    pygdx::Schedule schedule;
    int n_threads;

    OptimizerKernel(const pygdx::Hyper& h, const pygdx::Schedule& s, const py::list& params,
                    const py::list& states, const py::array& counters, int threads)
        : hyper(h), schedule(s), n_threads(threads) {
        if (states.size() != params.size()) {
            throw py::value_error("need one list of state buffers per parameter");
        }
        if (!py::isinstance<py::array_t<double>>(counters) || counters.size() != pygdx::n_counters) {
            throw py::value_error("counters must be a float64 array of size 2");
        }
        counters_ = writable_data<double>(counters, "counters");
        owned_.push_back(counters);
        const int n_state = pygdx::state_buffer_count(h);
        for (std::size_t k = 0; k < params.size(); ++k) {
            const std::string name = "parameter " + std::to_string(k);
            py::array p = py::reinterpret_borrow<py::array>(params[k]);
            pygdx::ParamBuffers<T> b;
            b.param = writable_data<T>(p, name);
            b.size = static_cast<std::size_t>(p.size());
            owned_.push_back(p);
            const py::list st = py::reinterpret_borrow<py::list>(states[k]);
            if (static_cast<int>(st.size()) != n_state) {
                throw py::value_error(name + ": expected " + std::to_string(n_state) + " state buffers");
            }
            for (int j = 0; j < n_state; ++j) {
                py::array s_arr = py::reinterpret_borrow<py::array>(st[static_cast<std::size_t>(j)]);
                if (!pygdx::state_buffer_used(h, j)) {
                    continue;
                }
                b.state[j] = writable_data<T>(s_arr, name + " state " + std::to_string(j));
                if (static_cast<std::size_t>(s_arr.size()) != b.size) {
                    throw py::value_error(name + " state " + std::to_string(j) + " has the wrong size");
                }
                owned_.push_back(s_arr);
            }
            shapes_.emplace_back(p.shape(), p.shape() + p.ndim());
            buffers_.push_back(b);
            total_size_ += b.size;
        }
    }

    // grads: a sequence with one array-like per parameter; with one parameter, also the
    // gradient itself (an array, a number, or a nested list of length other than 1). Each
    // is read as a C-contiguous T array, converted (copied) once if it is not one already.
    // Every gradient is converted and checked before the first parameter changes.
    void step(py::handle grads) {
        const std::size_t n = buffers_.size();
        const bool single = n == 1 && (py::isinstance<py::array>(grads) || !py::isinstance<py::sequence>(grads) ||
                                       py::len(grads) != 1);
        if (single) {
            py::object held;
            const T* g = gradient_data(grads, 0, held);
            run(&g);
            return;
        }
        if (!py::isinstance<py::sequence>(grads) || py::len(grads) != n) {
            throw py::value_error("step() needs one gradient per parameter (" + std::to_string(n) +
                                  "), in the order the parameters were given");
        }
        // A few parameters are the common case: their gradients fit on the stack, so a
        // small step allocates nothing.
        constexpr std::size_t n_inline = 8;
        py::object held_inline[n_inline];
        const T* ptrs_inline[n_inline];
        std::vector<py::object> held_heap;
        std::vector<const T*> ptrs_heap;
        py::object* held = held_inline;
        const T** ptrs = ptrs_inline;
        if (n > n_inline) {
            held_heap.resize(n);
            ptrs_heap.resize(n);
            held = held_heap.data();
            ptrs = ptrs_heap.data();
        }
        const py::sequence seq = py::reinterpret_borrow<py::sequence>(grads);
        for (std::size_t k = 0; k < n; ++k) {
            ptrs[k] = gradient_data(seq[k], k, held[k]);
        }
        run(ptrs);
    }

private:
    // The data of gradient k, read as a C-contiguous T array of parameter k's shape: the
    // caller's array when it already is one (checked without a conversion call), else a
    // converted copy. `holder` keeps that array alive until the step is done.
    const T* gradient_data(py::handle obj, std::size_t k, py::object& holder) const {
        const bool usable = py::isinstance<py::array_t<T, py::array::c_style>>(obj);
        const py::array arr = usable ? py::reinterpret_borrow<py::array>(obj) : py::array(readable<T>(obj));
        if (!arr) {
            throw py::type_error("gradient " + std::to_string(k) + " (a " +
                                 std::string(py::str(py::type::handle_of(obj).attr("__name__"))) +
                                 ") cannot be read as a " + pygdx_bindings::dtype_name<T>() + " array");
        }
        const auto& shape = shapes_[k];
        const bool same = static_cast<std::size_t>(arr.ndim()) == shape.size() &&
                          std::equal(shape.begin(), shape.end(), arr.shape());
        if (!same) {
            py::tuple want(shape.size());
            for (std::size_t i = 0; i < shape.size(); ++i) want[i] = shape[i];
            const bool list_for_one = buffers_.size() == 1 && !py::isinstance<py::array>(obj);
            throw py::value_error("gradient " + std::to_string(k) + " has shape " +
                                  std::string(py::str(arr.attr("shape"))) + " but parameter " + std::to_string(k) +
                                  " has shape " + std::string(py::str(want)) +
                                  (list_for_one ? " (this optimizer has one parameter: pass its gradient alone)" : ""));
        }
        holder = arr;
        return static_cast<const T*>(arr.data());
    }

    void run(const T* const* grads) {
        const std::size_t n = buffers_.size();
        if (total_size_ >= min_elements_to_release_gil) {
            // Safe: the core touches only the buffers held by the caller and in owned_, and
            // no Python object, until the release ends.
            py::gil_scoped_release release;
            pygdx::optimizer_step(hyper, schedule, counters_, buffers_.data(), grads, n, n_threads);
        } else {
            pygdx::optimizer_step(hyper, schedule, counters_, buffers_.data(), grads, n, n_threads);
        }
    }

    std::vector<py::array> owned_;  // keeps every bound buffer alive while we hold its pointer
    std::vector<std::vector<py::ssize_t>> shapes_;
    std::vector<pygdx::ParamBuffers<T>> buffers_;
    double* counters_ = nullptr;
    std::size_t total_size_ = 0;
};

template <class T>
void register_kernel(py::module_& m, const char* name) {
    py::class_<OptimizerKernel<T>>(m, name)
        .def(py::init<const pygdx::Hyper&, const pygdx::Schedule&, const py::list&, const py::list&,
                      const py::array&, int>(),
             py::arg("hyper"), py::arg("schedule"), py::arg("params"), py::arg("states"), py::arg("counters"),
             py::arg("n_threads") = 0)
        .def_readwrite("hyper", &OptimizerKernel<T>::hyper)
        .def_readwrite("schedule", &OptimizerKernel<T>::schedule)
        .def_readwrite("n_threads", &OptimizerKernel<T>::n_threads)
        .def("step", &OptimizerKernel<T>::step, py::arg("grads"));
}

}  // namespace

void register_optimizers(py::module_& m) {
    py::enum_<pygdx::Rule>(m, "Rule")
        .value("sgd", pygdx::Rule::sgd)
        .value("adagrad", pygdx::Rule::adagrad)
        .value("rmsprop", pygdx::Rule::rmsprop)
        .value("adadelta", pygdx::Rule::adadelta)
        .value("adam", pygdx::Rule::adam)
        .value("adamw", pygdx::Rule::adamw)
        .value("adamax", pygdx::Rule::adamax)
        .value("nadam", pygdx::Rule::nadam)
        .value("radam", pygdx::Rule::radam);

    py::class_<pygdx::Hyper>(m, "Hyper")
        .def(py::init<>())
        .def_readwrite("rule", &pygdx::Hyper::rule)
        .def_readwrite("weight_decay", &pygdx::Hyper::weight_decay)
        .def_readwrite("maximize", &pygdx::Hyper::maximize)
        .def_readwrite("decoupled_weight_decay", &pygdx::Hyper::decoupled_weight_decay)
        .def_readwrite("momentum", &pygdx::Hyper::momentum)
        .def_readwrite("dampening", &pygdx::Hyper::dampening)
        .def_readwrite("nesterov", &pygdx::Hyper::nesterov)
        .def_readwrite("lr_decay", &pygdx::Hyper::lr_decay)
        .def_readwrite("alpha", &pygdx::Hyper::alpha)
        .def_readwrite("centered", &pygdx::Hyper::centered)
        .def_readwrite("rho", &pygdx::Hyper::rho)
        .def_readwrite("beta1", &pygdx::Hyper::beta1)
        .def_readwrite("beta2", &pygdx::Hyper::beta2)
        .def_readwrite("amsgrad", &pygdx::Hyper::amsgrad)
        .def_readwrite("momentum_decay", &pygdx::Hyper::momentum_decay)
        .def_readwrite("eps", &pygdx::Hyper::eps);

    m.def("state_buffer_count", &pygdx::state_buffer_count, py::arg("hyper"),
          "How many state slots the rule has (unused slots may hold empty arrays).");
    m.def("state_buffer_used", &pygdx::state_buffer_used, py::arg("hyper"), py::arg("slot"),
          "Whether the rule reads state slot `slot` with these options.");

    register_kernel<float>(m, "OptimizerKernelF32");
    register_kernel<double>(m, "OptimizerKernelF64");
}
