// Bindings for learning-rate schedules: the Schedule record and its evaluation.
#include <pybind11/pybind11.h>

#include <cstdint>

#include "core/schedules.hpp"

namespace py = pybind11;

void register_schedules(py::module_& m) {
    py::enum_<pygdx::ScheduleKind>(m, "ScheduleKind")
        .value("constant", pygdx::ScheduleKind::constant)
        .value("step", pygdx::ScheduleKind::step)
        .value("exponential", pygdx::ScheduleKind::exponential)
        .value("inverse_time", pygdx::ScheduleKind::inverse_time)
        .value("cosine", pygdx::ScheduleKind::cosine)
        .value("plateau", pygdx::ScheduleKind::plateau)
        .value("optimal", pygdx::ScheduleKind::optimal);

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
        .def_readwrite("scale", &pygdx::Schedule::scale);

    m.def("schedule_lr", &pygdx::schedule_lr, py::arg("schedule"), py::arg("t"),
          "Learning rate of `schedule` at optimizer step t (t >= 1).");
}
