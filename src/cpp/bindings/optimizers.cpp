// Bindings for the optimizer rules: a Hyper record, and a kernel object that binds one
// optimizer's parameters and state buffers once (checked at construction, not at every
// step) and then updates them in place from gradients.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "bindings/arrays.hpp"
#include "core/optimizers.hpp"

namespace py = pybind11;
using pygdx_bindings::readable_numbers;
using pygdx_bindings::writable_data;

namespace {

// Below this many elements in total the step runs with the GIL held: releasing and
// re-taking it would cost more than the update.
constexpr std::size_t min_elements_to_release_gil = 1 << 14;

// One parameter group: its rule's options, its step counters, and its parameters
// [first, first + count) in the kernel's order.
struct Group {
    pygdx::Hyper hyper;
    double* counters = nullptr;
    std::size_t first = 0;
    std::size_t count = 0;
};

// Everything a step writes, checked once: parameter and state buffers, the counters, and
// the arrays that own them.
template <class T>
struct Binding {
    std::vector<Group> groups;
    std::vector<py::array> owned;  // keeps every bound buffer alive while we hold its pointer
    std::vector<pygdx::ParamBuffers<T>> buffers;
    pygdx_bindings::ByteRanges written;
    std::size_t total_size = 0;
};

// hypers, group_sizes and counters: one entry per group; params and states: one per
// parameter, the groups' parameters one after the other.
template <class T>
Binding<T> bind_buffers(const std::vector<pygdx::Hyper>& hypers, const std::vector<std::size_t>& group_sizes,
                const py::list& counters, const py::list& params, const py::list& states) {
    if (group_sizes.size() != hypers.size() || counters.size() != hypers.size()) {
        throw py::value_error("need one hyperparameter record, size and counters array per group");
    }
    if (states.size() != params.size()) {
        throw py::value_error("need one list of state buffers per parameter");
    }
    Binding<T> out;
    std::size_t k = 0;
    for (std::size_t g = 0; g < hypers.size(); ++g) {
        const pygdx::Hyper& h = hypers[g];
        Group group{h, nullptr, k, group_sizes[g]};
        const std::string group_name = "group " + std::to_string(g);
        group.counters = writable_data<double>(counters[g], group_name + " counters");
        const py::array c = py::reinterpret_borrow<py::array>(counters[g]);
        if (c.size() != pygdx::n_counters) {
            throw py::value_error(group_name + " counters must be a float64 array of size 2");
        }
        out.owned.push_back(c);
        out.written.add(group.counters, pygdx::n_counters * sizeof(double));
        if (group.count > params.size() - k) {
            throw py::value_error("the group sizes add up to more than the " + std::to_string(params.size()) +
                                  " parameters");
        }
        const int n_state = pygdx::state_buffer_count(h);
        for (const std::size_t end = k + group.count; k < end; ++k) {
            const std::string name = "parameter " + std::to_string(k);
            pygdx::ParamBuffers<T> b;
            b.param = writable_data<T>(params[k], name);
            const py::array p = py::reinterpret_borrow<py::array>(params[k]);
            b.size = static_cast<std::size_t>(p.size());
            out.owned.push_back(p);
            if (!py::isinstance<py::list>(states[k])) {
                throw py::type_error(name + ": its state buffers must be given as a list");
            }
            const py::list st = py::reinterpret_borrow<py::list>(states[k]);
            if (static_cast<int>(st.size()) != n_state) {
                throw py::value_error(name + ": expected " + std::to_string(n_state) + " state buffers");
            }
            for (int j = 0; j < n_state; ++j) {
                if (!pygdx::state_buffer_used(h, j)) {
                    continue;
                }
                const py::handle slot = st[static_cast<std::size_t>(j)];
                b.state[j] = writable_data<T>(slot, name + " state " + std::to_string(j));
                const py::array s_arr = py::reinterpret_borrow<py::array>(slot);
                if (static_cast<std::size_t>(s_arr.size()) != b.size) {
                    throw py::value_error(name + " state " + std::to_string(j) + " has the wrong size");
                }
                out.owned.push_back(s_arr);
                out.written.add(b.state[j], b.size * sizeof(T));
            }
            out.buffers.push_back(b);
            out.written.add(b.param, b.size * sizeof(T));
            out.total_size += b.size;
        }
        out.groups.push_back(group);
    }
    if (k != params.size()) {
        throw py::value_error("the group sizes add up to " + std::to_string(k) + ", not to the " +
                              std::to_string(params.size()) + " parameters");
    }
    out.written.finish();
    return out;
}

// Steps from two threads at once run one after the other: without the lock they would
// interleave their updates of the same buffers and counters. Whoever waits for the lock
// first lets go of the GIL, so the holder can always finish (it may need the GIL).
template <class T>
class OptimizerKernel {
public:
    int n_threads;

    OptimizerKernel(const std::vector<pygdx::Hyper>& hypers, const std::vector<pygdx::Schedule>& schedules,
                    const std::vector<std::size_t>& group_sizes, const py::list& counters, const py::list& params,
                    const py::list& states, int threads)
        : n_threads(threads), bound_(bind_buffers<T>(hypers, group_sizes, counters, params, states)),
          schedules_(schedules) {
        if (schedules_.size() != hypers.size()) {
            throw py::value_error("need one schedule per group");
        }
        for (const auto& p : params) {
            const py::array arr = py::reinterpret_borrow<py::array>(p);
            shapes_.emplace_back(arr.shape(), arr.shape() + arr.ndim());
        }
    }

    // The learning-rate schedule of a group, set between steps.
    void set_schedule(std::size_t group, const pygdx::Schedule& s) {
        if (group >= schedules_.size()) {
            throw py::index_error("no group " + std::to_string(group));
        }
        lock();
        schedules_[group] = s;
        steps_.unlock();
    }

    // Binds new hyperparameters, schedules, state buffers and counters (load_state_dict, a
    // changed group option). Call it between lock() and unlock(): a step that was waiting
    // then uses the new ones. The groups and the parameters' shapes stay those bound at
    // construction.
    void rebind(const std::vector<pygdx::Hyper>& hypers, const std::vector<pygdx::Schedule>& schedules,
                const py::list& counters, const py::list& params, const py::list& states) {
        if (params.size() != shapes_.size() || hypers.size() != bound_.groups.size() ||
            schedules.size() != hypers.size()) {
            throw py::value_error("rebind needs the groups and parameters bound before");
        }
        for (std::size_t k = 0; k < shapes_.size(); ++k) {
            if (!has_shape(params[k], k)) {
                throw py::value_error("rebind: parameter " + std::to_string(k) + " changed shape");
            }
        }
        std::vector<std::size_t> sizes;
        for (const Group& g : bound_.groups) {
            sizes.push_back(g.count);
        }
        Binding<T> fresh = bind_buffers<T>(hypers, sizes, counters, params, states);
        std::swap(bound_, fresh);
        schedules_ = schedules;
    }  // the old binding's arrays are released here, with the GIL held

    // For Python code that reads or writes the bound buffers (state_dict, load_state_dict):
    // no step runs between lock() and unlock(), which must come from the same thread.
    void lock() {
        if (!steps_.try_lock()) {
            py::gil_scoped_release release;
            steps_.lock();
        }
    }

    void unlock() { steps_.unlock(); }

    // grads: a sequence with one array-like per parameter; with one parameter, also the
    // gradient itself (an array, a number, or a nested list of length other than 1). Each
    // is read as a C-contiguous T array, converted (copied) once if it is not one already.
    // Every gradient is converted and checked before the first parameter changes.
    //
    // With one parameter, a one-element list is the gradient itself when its shape is the
    // parameter's ([[...]] for a (1, n) parameter), and the list of one gradient otherwise:
    // the two readings never both fit, so g.tolist() works for every shape.
    void step(py::handle grads) {
        const std::size_t n = shapes_.size();
        const bool single = n == 1 && (py::isinstance<py::array>(grads) || !py::isinstance<py::sequence>(grads) ||
                                       py::len(grads) != 1 || has_shape(grads, 0));
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
    // A gradient that overlaps memory the step writes (a parameter, its own included, or a
    // state buffer) is copied first: the loops read it after those writes, and their
    // __restrict pointers promise no overlap.
    const T* gradient_data(py::handle obj, std::size_t k, py::object& holder) const {
        const bool usable = py::isinstance<py::array_t<T, py::array::c_style>>(obj) &&
                            pygdx_bindings::is_aligned(py::reinterpret_borrow<py::array>(obj));
        const std::string what = "gradient " + std::to_string(k);
        py::array arr = usable ? py::reinterpret_borrow<py::array>(obj) : py::array(readable_numbers<T>(obj, what));
        if (!arr) {
            throw py::type_error(what + " (a " + pygdx_bindings::type_name(obj) + ") cannot be read as a " +
                                 pygdx_bindings::dtype_name<T>() + " array");
        }
        if (bound_.written.overlaps(arr.data(), static_cast<std::size_t>(arr.nbytes()))) {
            arr = py::array_t<T>(std::vector<py::ssize_t>(arr.shape(), arr.shape() + arr.ndim()),
                                 static_cast<const T*>(arr.data()));
        }
        const auto& shape = shapes_[k];
        const bool same = static_cast<std::size_t>(arr.ndim()) == shape.size() &&
                          std::equal(shape.begin(), shape.end(), arr.shape());
        if (!same) {
            py::tuple want(shape.size());
            for (std::size_t i = 0; i < shape.size(); ++i) want[i] = shape[i];
            const bool list_for_one = shapes_.size() == 1 && !py::isinstance<py::array>(obj);
            throw py::value_error("gradient " + std::to_string(k) + " has shape " +
                                  std::string(py::str(arr.attr("shape"))) + " but parameter " + std::to_string(k) +
                                  " has shape " + std::string(py::str(want)) +
                                  (list_for_one ? " (this optimizer has one parameter: pass its gradient alone)" : ""));
        }
        holder = arr;
        return static_cast<const T*>(arr.data());
    }

    // Whether `obj` converts to an array of parameter k's shape.
    bool has_shape(py::handle obj, std::size_t k) const {
        const py::array arr = py::array::ensure(obj);
        const auto& shape = shapes_[k];
        return arr && static_cast<std::size_t>(arr.ndim()) == shape.size() &&
               std::equal(shape.begin(), shape.end(), arr.shape());
    }

    void run(const T* const* grads) {
        const int threads = n_threads;  // read while the GIL is held
        // Small steps keep the GIL (releasing it would cost more than the update) unless
        // they have to wait for the lock.
        if (bound_.total_size < min_elements_to_release_gil && steps_.try_lock()) {
            const std::lock_guard<std::mutex> held(steps_, std::adopt_lock);
            step_groups(grads, threads);
            return;
        }
        // Safe: the core touches only the buffers held by the caller and in bound_, and no
        // Python object, until the release ends; bound_ and schedules_ change only under
        // the lock.
        py::gil_scoped_release release;
        const std::lock_guard<std::mutex> held(steps_);
        step_groups(grads, threads);
    }

    void step_groups(const T* const* grads, int threads) {
        for (std::size_t g = 0; g < bound_.groups.size(); ++g) {
            const Group& group = bound_.groups[g];
            pygdx::optimizer_step(group.hyper, schedules_[g], group.counters, bound_.buffers.data() + group.first,
                                  grads + group.first, group.count, threads);
        }
    }

    std::vector<std::vector<py::ssize_t>> shapes_;  // fixed for the kernel's life
    Binding<T> bound_;
    std::vector<pygdx::Schedule> schedules_;
    std::mutex steps_;
};

template <class T>
void register_kernel(py::module_& m, const char* name) {
    py::class_<OptimizerKernel<T>>(m, name)
        .def(py::init<const std::vector<pygdx::Hyper>&, const std::vector<pygdx::Schedule>&,
                      const std::vector<std::size_t>&, const py::list&, const py::list&, const py::list&, int>(),
             py::arg("hypers"), py::arg("schedules"), py::arg("group_sizes"), py::arg("counters"), py::arg("params"),
             py::arg("states"), py::arg("n_threads") = 0)
        .def_readwrite("n_threads", &OptimizerKernel<T>::n_threads)
        .def("set_schedule", &OptimizerKernel<T>::set_schedule, py::arg("group"), py::arg("schedule"))
        .def("step", &OptimizerKernel<T>::step, py::arg("grads"))
        .def("rebind", &OptimizerKernel<T>::rebind, py::arg("hypers"), py::arg("schedules"), py::arg("counters"),
             py::arg("params"), py::arg("states"))
        .def("lock", &OptimizerKernel<T>::lock)
        .def("unlock", &OptimizerKernel<T>::unlock);
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
