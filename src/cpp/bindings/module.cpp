// The extension module: it only wires together the per-area registrations.
#include <pybind11/pybind11.h>

namespace py = pybind11;

void register_schedules(py::module_& m);
void register_optimizers(py::module_& m);
void register_linear(py::module_& m);
void register_floors(py::module_& m);
void register_validation(py::module_& m);
void register_trainer(py::module_& m);
void register_stepwise(py::module_& m);
void register_sparse(py::module_& m);
void register_sparse_stepwise(py::module_& m);
void register_l1(py::module_& m);
void register_svmlight(py::module_& m);

PYBIND11_MODULE(_core, m) {
    m.doc() = "pygdx compiled core (private: use the pygdx package)";
#ifdef PYGDX_VERSION
    m.attr("__version__") = PYGDX_VERSION;
#endif
    register_schedules(m);
    register_optimizers(m);
    register_linear(m);
    register_floors(m);
    register_validation(m);
    register_sparse(m);
    register_l1(m);
    register_trainer(m);
    register_stepwise(m);
    register_sparse_stepwise(m);
    register_svmlight(m);
}
