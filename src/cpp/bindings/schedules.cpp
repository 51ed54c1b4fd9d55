// Bindings for learning-rate schedules: the Schedule record and its evaluation.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

#include "core/schedules.hpp"

namespace py = pybind11;

namespace {

py::array_t<double> table_copy(const pygdx::Schedule& s) {
    if (!s.table) {
        return py::array_t<double>(0);
    }
    py::array_t<double> out(static_cast<py::ssize_t>(s.table->size()));
    std::copy(s.table->begin(), s.table->end(), out.mutable_data());
    return out;
}

void set_table(pygdx::Schedule& s, const py::array_t<double, py::array::c_style | py::array::forcecast>& values) {
    if (!values) {
        throw py::type_error("Schedule.table must be a 1-D array of floats");
    }
    if (values.ndim() != 1) {
        throw std::invalid_argument("Schedule.table must be 1-D");
    }
    s.table = std::make_shared<const std::vector<double>>(values.data(), values.data() + values.size());
}

}  // namespace

void register_schedules(py::module_& m) {
    py::enum_<pygdx::ScheduleKind>(m, "ScheduleKind")
        .value("constant", pygdx::ScheduleKind::constant)
        .value("step", pygdx::ScheduleKind::step)
        .value("exponential", pygdx::ScheduleKind::exponential)
        .value("inverse_time", pygdx::ScheduleKind::inverse_time)
        .value("cosine", pygdx::ScheduleKind::cosine)
        .value("plateau", pygdx::ScheduleKind::plateau)
        .value("optimal", pygdx::ScheduleKind::optimal)
        .value("multistep", pygdx::ScheduleKind::multistep)
        .value("constant_factor", pygdx::ScheduleKind::constant_factor)
        .value("linear", pygdx::ScheduleKind::linear)
        .value("polynomial", pygdx::ScheduleKind::polynomial)
        .value("warm_restarts", pygdx::ScheduleKind::warm_restarts)
        .value("cyclic", pygdx::ScheduleKind::cyclic)
        .value("one_cycle", pygdx::ScheduleKind::one_cycle)
        .value("swa", pygdx::ScheduleKind::swa)
        .value("table", pygdx::ScheduleKind::table);

    py::enum_<pygdx::CycleMode>(m, "CycleMode")
        .value("triangular", pygdx::CycleMode::triangular)
        .value("triangular2", pygdx::CycleMode::triangular2)
        .value("exp_range", pygdx::CycleMode::exp_range);

    py::enum_<pygdx::Anneal>(m, "Anneal")
        .value("cos", pygdx::Anneal::cos)
        .value("linear", pygdx::Anneal::linear);

    py::class_<pygdx::Schedule>(m, "Schedule")
        .def(py::init<>())
        .def_readwrite("kind", &pygdx::Schedule::kind)
        .def_readwrite("lr", &pygdx::Schedule::lr)
        .def_readwrite("gamma", &pygdx::Schedule::gamma)
        .def_readwrite("step_size", &pygdx::Schedule::step_size)
        .def_readwrite("power_t", &pygdx::Schedule::power_t)
        .def_readwrite("t_max", &pygdx::Schedule::t_max)
        .def_readwrite("eta_min", &pygdx::Schedule::eta_min)
        .def_readwrite("warmup", &pygdx::Schedule::warmup)
        .def_readwrite("alpha", &pygdx::Schedule::alpha)
        .def_readwrite("t0", &pygdx::Schedule::t0)
        .def_readwrite("scale", &pygdx::Schedule::scale)
        .def_readwrite("milestones", &pygdx::Schedule::milestones)
        .def_readwrite("factor", &pygdx::Schedule::factor)
        .def_readwrite("start_factor", &pygdx::Schedule::start_factor)
        .def_readwrite("end_factor", &pygdx::Schedule::end_factor)
        .def_readwrite("total_iters", &pygdx::Schedule::total_iters)
        .def_readwrite("power", &pygdx::Schedule::power)
        .def_readwrite("t_0", &pygdx::Schedule::t_0)
        .def_readwrite("t_mult", &pygdx::Schedule::t_mult)
        .def_readwrite("max_lr", &pygdx::Schedule::max_lr)
        .def_readwrite("step_size_up", &pygdx::Schedule::step_size_up)
        .def_readwrite("step_size_down", &pygdx::Schedule::step_size_down)
        .def_readwrite("cycle_mode", &pygdx::Schedule::cycle_mode)
        .def_readwrite("total_steps", &pygdx::Schedule::total_steps)
        .def_readwrite("pct_start", &pygdx::Schedule::pct_start)
        .def_readwrite("div_factor", &pygdx::Schedule::div_factor)
        .def_readwrite("final_div_factor", &pygdx::Schedule::final_div_factor)
        .def_readwrite("three_phase", &pygdx::Schedule::three_phase)
        .def_readwrite("anneal", &pygdx::Schedule::anneal)
        .def_readwrite("swa_lr", &pygdx::Schedule::swa_lr)
        .def_readwrite("anneal_epochs", &pygdx::Schedule::anneal_epochs)
        .def_property("table", &table_copy, &set_table,
                      "Rates of steps 1, 2, ... (kind table); read back as a copy.")
        .def_readwrite("patience", &pygdx::Schedule::patience)
        .def_readwrite("threshold", &pygdx::Schedule::threshold)
        .def_readwrite("threshold_absolute", &pygdx::Schedule::threshold_absolute)
        .def_readwrite("maximize", &pygdx::Schedule::maximize)
        .def_readwrite("cooldown", &pygdx::Schedule::cooldown)
        .def_readwrite("min_lr", &pygdx::Schedule::min_lr)
        .def_readwrite("eps", &pygdx::Schedule::eps)
        .def_readwrite("best", &pygdx::Schedule::best)
        .def_readwrite("num_bad_epochs", &pygdx::Schedule::num_bad_epochs)
        .def_readwrite("cooldown_counter", &pygdx::Schedule::cooldown_counter);

    m.def("schedule_lr", &pygdx::schedule_lr, py::arg("schedule"), py::arg("t"),
          "Learning rate of `schedule` at optimizer step t (t >= 1).");
    m.def(
        "schedule_lrs",
        [](const pygdx::Schedule& s, std::int64_t first, std::int64_t count) {
            if (count < 0) {
                throw std::invalid_argument("schedule_lrs: count must be >= 0");
            }
            py::array_t<double> out(static_cast<py::ssize_t>(count));
            double* data = out.mutable_data();
            {
                py::gil_scoped_release release;  // only the record and the new array are touched
                pygdx::schedule_lrs(s, first, count, data);
            }
            return out;
        },
        py::arg("schedule"), py::arg("first"), py::arg("count"),
        "Learning rates of steps first .. first + count - 1, as a float64 array.");
    m.def("plateau_observe", &pygdx::plateau_observe, py::arg("schedule"), py::arg("value"),
          "Feed one observed value to a plateau record (changed in place); True when the rate was cut.");
    m.def("schedule_steps_defined", &pygdx::schedule_steps_defined, py::arg("schedule"),
          "How many steps `schedule` evaluates exactly (a table's length; 2**63 - 1 otherwise).");
}
