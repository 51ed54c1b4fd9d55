// Bindings for the trainer (core/trainer.hpp) and the in-memory data source.
//
// A LinearTrainer is built once per fit around a pygdx.optim optimizer's buffers; run()
// trains for many epochs per call with the GIL released, reading the epochs from a
// DenseSource (X, y, sample_weight and the epoch's rows, checked once) or from a Python
// function (chunked and Dask data, custom losses). Ctrl-C is noticed within milliseconds:
// the trainer polls a function that takes the GIL and runs Python's signal handlers.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bindings/arrays.hpp"
#include "bindings/csr_inputs.hpp"
#include "bindings/held_out.hpp"
#include "bindings/linear_inputs.hpp"
#include "bindings/signal_poll.hpp"
#include "core/epoch.hpp"
#include "core/sparse_epoch.hpp"
#include "core/trainer.hpp"

namespace py = pybind11;
using pygdx_bindings::check_inputs;
using pygdx_bindings::check_order;
using pygdx_bindings::require_targets;
using pygdx_bindings::checked_counters;
using pygdx_bindings::CsrSource;
using pygdx_bindings::HeldOutRows;
using pygdx_bindings::Inputs;
using pygdx_bindings::SignalPoll;
using pygdx_bindings::is_float32;
using pygdx_bindings::optimizer_buffers;
using pygdx_bindings::rows_per_batch;

namespace {

// The rows of an in-memory problem, checked once per fit; the arrays are kept alive here.
template <class T>
struct TypedSource {
    TypedSource(const pygdx::LinearProblem& pb, Inputs<T>&& in, std::size_t rows_per_batch, int n_threads)
        : inputs(std::move(in)), work(pb, n_threads), batch_size(rows_per_batch) {}
    Inputs<T> inputs;
    pygdx::EpochScratch<T> work;
    std::size_t batch_size;
};

struct DenseSource {
    pygdx::LinearProblem problem;
    py::object order;  // None: every row in order, never shuffled (a full-batch fit's)
    int n_threads = 1;
    std::unique_ptr<TypedSource<float>> f32;
    std::unique_ptr<TypedSource<double>> f64;

    template <class T>
    TypedSource<T>* typed() {
        if constexpr (sizeof(T) == 4) {
            return f32.get();
        } else {
            return f64.get();
        }
    }
};

// An index of every row of checked inputs, 0 .. n-1, made here and read through by the
// epochs (which shuffle it in place): the source's own order. Nobody else holds it, so it
// needs no range check; an order from Python gets one, 0.1-0.25 ms at 200,000 rows, paid
// by every partial_fit call with its np.arange (session 13).
template <class T>
py::object own_order(Inputs<T>& in) {
    const std::size_t n = in.data.n_used;
    pygdx_bindings::Rows order(static_cast<py::ssize_t>(n));
    std::int64_t* rows = order.mutable_data();
    for (std::size_t i = 0; i < n; ++i) {
        rows[i] = static_cast<std::int64_t>(i);
    }
    in.rows = order;
    in.data.rows = rows;
    return std::move(order);
}

DenseSource make_source(const pygdx::LinearProblem& pb, py::array X, py::handle y, py::handle sw, py::object order,
                        py::object batch_size, int n_threads, bool own_rows) {
    require_targets(y);
    if (!order.is_none()) {
        if (own_rows) {
            throw py::value_error("a DenseSource takes an order or makes its own (own_order=True), not both");
        }
        check_order(py::reinterpret_borrow<py::array>(order));  // its first check: an int64 array
    }
    DenseSource src;
    src.problem = pb;
    src.order = order;
    src.n_threads = n_threads;
    if (is_float32(X)) {
        Inputs<float> in = check_inputs<float>(pb, X, y, sw, order);
        if (own_rows) {
            src.order = own_order(in);
        }
        const std::size_t bs = rows_per_batch(batch_size, in.data.n_used);
        src.f32 = std::make_unique<TypedSource<float>>(pb, std::move(in), bs, n_threads);
    } else {
        Inputs<double> in = check_inputs<double>(pb, X, y, sw, order);
        if (own_rows) {
            src.order = own_order(in);
        }
        const std::size_t bs = rows_per_batch(batch_size, in.data.n_used);
        src.f64 = std::make_unique<TypedSource<double>>(pb, std::move(in), bs, n_threads);
    }
    return src;
}

template <class T>
struct TypedTrainer {
    TypedTrainer(const pygdx::ParamBuffers<T>& buffers, int n_state, double* step_counters,
                 const pygdx::StoppingRule& rule, double first, double lowest, std::size_t before)
        : trainer(buffers, n_state, step_counters, rule, first, lowest, before), params(buffers),
          counters(step_counters) {}
    pygdx::Trainer<T> trainer;
    pygdx::ParamBuffers<T> params;
    double* counters;
};

// The buffers of a model kept by the caller, checked against the trainer's own (`like`):
// for the weights and for every state buffer the trainer uses, exactly T (native byte order:
// a float16, longdouble or byte-swapped array of the same kind would be read as T, wrongly or
// past its end), C-contiguous, aligned and of the same size.
template <class T>
bool fits_model(py::handle a, std::size_t size) {
    if (!py::isinstance<py::array_t<T, py::array::c_style>>(a)) {
        return false;
    }
    const auto arr = py::reinterpret_borrow<py::array>(a);
    return (arr.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_) != 0 && static_cast<std::size_t>(arr.size()) == size;
}

template <class T>
pygdx::ParamBuffers<T> kept_model(const pygdx::ParamBuffers<T>& like, const py::array& theta, const py::list& states) {
    auto fits = [&](py::handle a) { return fits_model<T>(a, like.size); };
    pygdx::ParamBuffers<T> kept;
    kept.size = like.size;
    if (!fits(theta)) {
        throw py::value_error("the kept model's theta does not match the trainer's");
    }
    kept.param = static_cast<T*>(const_cast<void*>(theta.data()));
    for (int j = 0; j < pygdx::max_state_buffers; ++j) {
        if (like.state[j] == nullptr) {
            continue;
        }
        const auto index = static_cast<std::size_t>(j);
        if (index >= states.size() || !fits(states[index])) {
            throw py::value_error("the kept model's state " + std::to_string(j) + " does not match the trainer's");
        }
        kept.state[j] = static_cast<T*>(const_cast<void*>(py::reinterpret_borrow<py::array>(states[index]).data()));
    }
    return kept;
}

class LinearTrainer {
public:
    LinearTrainer(const pygdx::LinearProblem& pb, const pygdx::Hyper& hyper, const pygdx::Schedule& rate,
                  py::array counters, py::array theta, py::list states, const pygdx::StoppingRule& rule,
                  double first_loss, double lowest_loss, std::size_t epochs_before)
        : schedule(rate), problem_(pb), hyper_(hyper), keep_alive_(py::make_tuple(counters, theta, states)) {
        double* ctr = checked_counters(counters);
        const int n_state = pygdx::state_buffer_count(hyper);
        if (is_float32(theta)) {
            f32_ = std::make_unique<TypedTrainer<float>>(optimizer_buffers<float>(pb, hyper, theta, states), n_state,
                                                         ctr, rule, first_loss, lowest_loss, epochs_before);
        } else {
            f64_ = std::make_unique<TypedTrainer<double>>(optimizer_buffers<double>(pb, hyper, theta, states),
                                                          n_state, ctr, rule, first_loss, lowest_loss,
                                                          epochs_before);
        }
        // A reduce-on-plateau rate follows the epoch loss, stepped by the trainer after each
        // recorded epoch (the record stays at this address; Python reads its state back).
        if (schedule.kind == pygdx::ScheduleKind::plateau) {
            f32_ ? f32_->trainer.watch_plateau(&schedule) : f64_->trainer.watch_plateau(&schedule);
        }
    }

    // The model this call started from (weights and state buffers as LinearTrainer takes
    // them), which the caller keeps unchanged until the call ends: the first epoch's undo
    // copies from it instead of copying the model (core/epoch_undo.hpp).
    void keep_first_epoch_from(py::array theta, py::list states) {
        if (f32_) {
            f32_->trainer.keep_first_epoch_from(kept_model<float>(f32_->params, theta, states));
        } else {
            f64_->trainer.keep_first_epoch_from(kept_model<double>(f64_->params, theta, states));
        }
        keep_alive_start_ = py::make_tuple(theta, states);
    }

    // A buffer the epochs keep in step with the weights (the running average), undone with
    // them and kept with the best epoch (Trainer::undo_also).
    void undo_also(py::array buffer) {
        const std::size_t size = f32_ ? f32_->params.size : f64_->params.size;
        const bool fits = (f32_ ? fits_model<float>(buffer, size) : fits_model<double>(buffer, size)) &&
                          buffer.writeable();
        if (!fits) {
            throw py::value_error("undo_also needs a writable, C-contiguous array of the weights' dtype and size");
        }
        f32_ ? f32_->trainer.undo_also(static_cast<float*>(buffer.mutable_data()))
             : f64_->trainer.undo_also(static_cast<double*>(buffer.mutable_data()));
        keep_alive_also_.append(buffer);
    }

    // Early stopping on held-out rows scored in the core after each epoch (None: stop).
    void watch_validation(py::object held_out) {
        if (held_out.is_none()) {
            f32_ ? f32_->trainer.watch_validation(nullptr) : f64_->trainer.watch_validation(nullptr);
            held_out_ = py::none();
            return;
        }
        HeldOutRows& rows = held_out.cast<HeldOutRows&>();
        const bool fits = rows.n_params() == (f32_ ? f32_->params.size : f64_->params.size) &&
                          (f32_ ? rows.f32() != nullptr : rows.f64() != nullptr);
        if (!fits) {
            throw py::value_error("the held-out rows' dtype or problem does not match the trainer's weights");
        }
        f32_ ? f32_->trainer.watch_validation(rows.f32()) : f64_->trainer.watch_validation(rows.f64());
        held_out_ = held_out;  // kept alive while the trainer points into it
    }

    // Up to n_epochs epochs over the in-memory source; returns (outcome, epochs recorded).
    py::tuple run_dense(DenseSource& source, py::object seeds, std::size_t n_epochs, bool judge_by_loss) {
        return f32_ ? run_dense_typed<float>(*f32_, source, seeds, n_epochs, judge_by_loss)
                    : run_dense_typed<double>(*f64_, source, seeds, n_epochs, judge_by_loss);
    }

    // Up to n_epochs epochs over the in-memory sparse source.
    py::tuple run_csr(CsrSource& source, py::object seeds, std::size_t n_epochs, bool judge_by_loss) {
        return f32_ ? run_csr_typed<float>(*f32_, source, seeds, n_epochs, judge_by_loss)
                    : run_csr_typed<double>(*f64_, source, seeds, n_epochs, judge_by_loss);
    }

    // Up to n_epochs epochs of `epoch(seed or None) -> (loss, finite)`, a Python function
    // that steps this trainer's optimizer buffers itself (chunked data, custom losses).
    py::tuple run_python(const py::function& epoch, py::object seeds, std::size_t n_epochs, bool judge_by_loss) {
        return f32_ ? run_python_typed<float>(*f32_, epoch, seeds, n_epochs, judge_by_loss)
                    : run_python_typed<double>(*f64_, epoch, seeds, n_epochs, judge_by_loss);
    }

    bool judge(double criterion, bool keep_best) {
        return f32_ ? f32_->trainer.judge(criterion, keep_best) : f64_->trainer.judge(criterion, keep_best);
    }
    void restore_best() { f32_ ? f32_->trainer.restore_best() : f64_->trainer.restore_best(); }
    // The epoch losses recorded from epoch `start` on (0: the first of this trainer).
    py::list losses(std::size_t start) const {
        return from(f32_ ? f32_->trainer.losses() : f64_->trainer.losses(), start);
    }
    // The held-out scores recorded from epoch `start` on (watch_validation).
    py::list scores(std::size_t start) const {
        return from(f32_ ? f32_->trainer.scores() : f64_->trainer.scores(), start);
    }
    std::int64_t no_improvement() const {
        return f32_ ? f32_->trainer.no_improvement() : f64_->trainer.no_improvement();
    }
    py::tuple divergence_record() const {
        const auto record = f32_ ? f32_->trainer.divergence_record() : f64_->trainer.divergence_record();
        return py::make_tuple(record.first, record.lowest, record.last);
    }

    pygdx::Schedule schedule;  // read by the epochs; a plateau record is stepped by the trainer

private:
    // Filled in place: appending one cast float at a time was 25-30 ns per epoch of a 16 x 3 fit.
    static py::list from(const std::vector<double>& values, std::size_t start) {
        const std::size_t count = values.size() > start ? values.size() - start : 0;
        py::list out(count);
        for (std::size_t e = 0; e < count; ++e) {
            PyObject* value = PyFloat_FromDouble(values[start + e]);
            if (value == nullptr) {
                throw py::error_already_set();
            }
            PyList_SET_ITEM(out.ptr(), static_cast<Py_ssize_t>(e), value);
        }
        return out;
    }

    static const std::uint64_t* seed_data(py::object& seeds, py::array_t<std::int64_t>& held, std::size_t n) {
        if (seeds.is_none()) {
            return nullptr;
        }
        held = py::array_t<std::int64_t, py::array::c_style | py::array::forcecast>::ensure(seeds);
        if (!held || held.ndim() != 1 || static_cast<std::size_t>(held.shape(0)) < n) {
            throw py::value_error("seeds must be None or an int64 array with one seed per epoch");
        }
        return reinterpret_cast<const std::uint64_t*>(held.data());
    }

    static py::tuple outcome(pygdx::TrainOutcome o, std::size_t before, std::size_t after) {
        return py::make_tuple(static_cast<int>(o), after - before);
    }

    template <class T>
    py::tuple run_dense_typed(TypedTrainer<T>& t, DenseSource& source, py::object seeds, std::size_t n_epochs,
                              bool judge_by_loss) {
        TypedSource<T>* src = source.typed<T>();
        if (src == nullptr || source.problem.n_params() != t.params.size) {
            throw py::value_error("the data source's dtype or problem does not match the trainer's weights");
        }
        const pygdx::LinearData<T>& data = src->inputs.data;
        if (source.order.is_none() && !seeds.is_none()) {
            throw py::value_error("a DenseSource without an order reads its rows in order: its epochs take no seeds");
        }
        return run_core_typed(t, source.order, data.n_used, seeds, n_epochs, judge_by_loss,
                              [&](pygdx::Interrupt* stop) {
                                  return pygdx::linear_epoch(source.problem, data, src->batch_size, hyper_, schedule,
                                                             t.counters, t.params, src->work, source.n_threads, stop);
                              });
    }

    template <class T>
    py::tuple run_csr_typed(TypedTrainer<T>& t, CsrSource& source, py::object seeds, std::size_t n_epochs,
                            bool judge_by_loss) {
        py::tuple result;
        const bool matched = source.problem.n_params() == t.params.size && source.visit<T>([&](auto& src) {
            const auto& data = src.inputs->data;
            result = run_core_typed(t, source.order, data.n_used, seeds, n_epochs, judge_by_loss,
                                    [&](pygdx::Interrupt* stop) {
                                        return pygdx::csr_epoch(source.problem, data, src.batch_size, source.settings,
                                                                hyper_, schedule, t.counters, t.params, src.work,
                                                                source.n_threads, stop);
                                    });
            pygdx_bindings::refuse_if_changed(*src.inputs);  // the epoch it cut short was undone
        });
        if (!matched) {
            throw py::value_error("the data source's dtype or problem does not match the trainer's weights");
        }
        return result;
    }

    // Epochs of a source the core reads (`epoch(interrupt)` runs one over `order`, which is
    // shuffled first by each epoch's seed), with the GIL released.
    template <class T, class Epoch>
    py::tuple run_core_typed(TypedTrainer<T>& t, const py::object& order_array, std::size_t n_used, py::object seeds,
                             std::size_t n_epochs, bool judge_by_loss, Epoch&& epoch) {
        py::array_t<std::int64_t> held;
        const std::uint64_t* seed_ptr = seed_data(seeds, held, n_epochs);
        // Null for rows read in order, which the callers give no seeds.
        auto* order = order_array.is_none()
                          ? nullptr
                          : static_cast<std::int64_t*>(py::reinterpret_borrow<py::array>(order_array).mutable_data());
        SignalPoll signals;
        pygdx::Interrupt interrupt(&SignalPoll::poll, &signals);
        const std::size_t before = t.trainer.losses().size();
        pygdx::TrainOutcome o;
        {
            // Safe: only the buffers held by the source (X, y, weights, order), by this
            // trainer (weights, optimizer state, counters) and plain C++ data are touched
            // until the release ends; the poll takes the GIL before it runs Python.
            py::gil_scoped_release release;
            o = t.trainer.run(
                [&](const std::uint64_t* seed, pygdx::Interrupt* stop) {
                    if (seed != nullptr) {
                        pygdx::shuffle_rows(order, n_used, *seed);
                    }
                    return epoch(stop);
                },
                seed_ptr, n_epochs, &interrupt, judge_by_loss);
        }
        if (signals.error) {
            throw *signals.error;
        }
        return outcome(o, before, t.trainer.losses().size());
    }

    template <class T>
    py::tuple run_python_typed(TypedTrainer<T>& t, const py::function& epoch, py::object seeds, std::size_t n_epochs,
                               bool judge_by_loss) {
        py::array_t<std::int64_t> held;
        const std::uint64_t* seed_ptr = seed_data(seeds, held, n_epochs);
        const std::size_t before = t.trainer.losses().size();
        // The GIL stays held: each epoch runs Python, whose own Ctrl-C handling raises
        // KeyboardInterrupt through the trainer, which undoes the unfinished epoch.
        const pygdx::TrainOutcome o = t.trainer.run(
            [&](const std::uint64_t* seed, pygdx::Interrupt*) {
                py::object arg = seed != nullptr ? py::object(py::int_(static_cast<std::int64_t>(*seed)))
                                                 : py::object(py::none());
                py::tuple r = epoch(arg);
                pygdx::EpochResult result;
                result.loss = r[0].cast<double>();
                result.finite = r[1].cast<bool>() && std::isfinite(result.loss);
                return result;
            },
            seed_ptr, n_epochs, nullptr, judge_by_loss);
        return outcome(o, before, t.trainer.losses().size());
    }

    pygdx::LinearProblem problem_;
    pygdx::Hyper hyper_;
    py::tuple keep_alive_;
    py::object keep_alive_start_;  // keep_first_epoch_from's arrays
    py::list keep_alive_also_;     // undo_also's arrays
    py::object held_out_ = py::none();
    std::unique_ptr<TypedTrainer<float>> f32_;
    std::unique_ptr<TypedTrainer<double>> f64_;
};

}  // namespace

void register_trainer(py::module_& m) {
    py::class_<pygdx::StoppingRule>(m, "StoppingRule")
        .def(py::init([](py::object tol, std::int64_t n_iter_no_change, bool stop_at_convergence,
                         double divergence_factor, std::int64_t divergence_epochs, py::object data_loss_of) {
                 pygdx::StoppingRule r;
                 r.use_tol = !tol.is_none();
                 r.tol = r.use_tol ? tol.cast<double>() : 0.0;
                 r.n_iter_no_change = n_iter_no_change;
                 r.stop_at_convergence = stop_at_convergence;
                 r.divergence_factor = divergence_factor;
                 r.divergence_epochs = divergence_epochs;
                 if (!data_loss_of.is_none()) {
                     const auto& pb = data_loss_of.cast<const pygdx::LinearProblem&>();
                     r.divergence_on_data_loss = true;
                     r.penalty = pb.penalty;
                     r.n_coef = pb.n_coef();
                 }
                 return r;
             }),
             py::arg("tol"), py::arg("n_iter_no_change") = 5, py::arg("stop_at_convergence") = true,
             py::arg("divergence_factor") = 10.0, py::arg("divergence_epochs") = 3,
             py::arg("divergence_on_data_loss_of") = py::none());
    py::enum_<pygdx::TrainOutcome>(m, "TrainOutcome")
        .value("epochs_done", pygdx::TrainOutcome::epochs_done)
        .value("converged", pygdx::TrainOutcome::converged)
        .value("non_finite", pygdx::TrainOutcome::non_finite)
        .value("diverged", pygdx::TrainOutcome::diverged)
        .value("interrupted", pygdx::TrainOutcome::interrupted);
    py::class_<DenseSource>(m, "DenseSource")
        .def(py::init(&make_source), py::arg("problem"), py::arg("X"), py::arg("y"), py::arg("sample_weight"),
             py::arg("order"), py::arg("batch_size"), py::arg("n_threads") = 1, py::arg("own_order") = false,
             "In-memory rows for a LinearTrainer: X (its dtype picks the model's), targets, weights, and the "
             "epoch's rows `order` (int64, shuffled in place; None: every row in order, for epochs without "
             "seeds), checked once. own_order=True (with order None): the source makes its own order of every "
             "row, 0..n-1, which the epochs' seeds shuffle in place (the `order` property).")
        .def_property_readonly(
            "order", [](const DenseSource& s) { return s.order.is_none() ? s.order : s.order.attr("copy")(); },
            "A copy of the epochs' row order as it is now: the one given, the source's own (own_order=True), or "
            "None (rows in order).");
    py::class_<LinearTrainer>(m, "LinearTrainer")
        .def(py::init<const pygdx::LinearProblem&, const pygdx::Hyper&, const pygdx::Schedule&, py::array, py::array,
                      py::list, const pygdx::StoppingRule&, double, double, std::size_t>(),
             py::arg("problem"), py::arg("hyper"), py::arg("schedule"), py::arg("counters"), py::arg("theta"),
             py::arg("states"), py::arg("rule"), py::arg("first_loss") = 0.0, py::arg("lowest_loss") = 0.0,
             py::arg("epochs_before") = 0)
        .def(
            "run",
            [](LinearTrainer& t, py::object source, py::object seeds, std::size_t n_epochs, bool judge_by_loss) {
                if (py::isinstance<DenseSource>(source)) {
                    return t.run_dense(source.cast<DenseSource&>(), seeds, n_epochs, judge_by_loss);
                }
                if (py::isinstance<CsrSource>(source)) {
                    return t.run_csr(source.cast<CsrSource&>(), seeds, n_epochs, judge_by_loss);
                }
                if (!py::isinstance<py::function>(source)) {
                    throw py::type_error("source must be a DenseSource, a CsrSource or a function epoch(seed) -> (loss, finite)");
                }
                return t.run_python(source.cast<py::function>(), seeds, n_epochs, judge_by_loss);
            },
            py::arg("source"), py::arg("seeds"), py::arg("n_epochs"), py::arg("judge_by_loss") = true,
            "Train up to n_epochs epochs, shuffled by seeds[e] (None: in order), from a DenseSource or CsrSource "
            "(GIL released) "
            "or a Python function epoch(seed or None) -> (loss, finite) that steps the trainer's optimizer "
            "buffers itself; returns (TrainOutcome value, epochs recorded).")
        .def("judge", &LinearTrainer::judge, py::arg("criterion"), py::arg("keep_best") = false,
             "The tol rule on a criterion computed in Python (lower is better); True when converged.")
        .def("keep_first_epoch_from", &LinearTrainer::keep_first_epoch_from, py::arg("theta"), py::arg("states"),
             "The model this call started from (theta and state buffers shaped as the trainer's), kept by the "
             "caller unchanged until the call ends: the first epoch is undone from it, without a copy.")
        .def("undo_also", &LinearTrainer::undo_also, py::arg("buffer"),
             "A buffer of the weights' dtype and size that the epochs keep in step with them (a running "
             "average): undone with them when an epoch fails or is interrupted, kept with the best epoch.")
        .def("watch_validation", &LinearTrainer::watch_validation, py::arg("held_out"),
             "Early stopping on held-out rows (a HeldOutRows, or None): scored after each epoch in the core, "
             "judged by the tol rule (higher is better), the best epoch kept for restore_best.")
        .def("restore_best", &LinearTrainer::restore_best)
        .def("scores", &LinearTrainer::scores, py::arg("start") = 0,
             "The held-out scores recorded by this trainer from epoch `start` on.")
        .def("losses", &LinearTrainer::losses, py::arg("start") = 0,
             "The epoch losses recorded by this trainer from epoch `start` on.")
        .def_property_readonly("no_improvement", &LinearTrainer::no_improvement)
        .def_property_readonly("divergence_record", &LinearTrainer::divergence_record,
                               "(first, lowest, last) loss the divergence rule judged: the data loss with "
                               "divergence_on_data_loss_of, else the epoch loss.")
        .def_readwrite("schedule", &LinearTrainer::schedule);
}
