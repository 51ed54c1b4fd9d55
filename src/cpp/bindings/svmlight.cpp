// Bindings for the svmlight / libsvm parser (core/svmlight.hpp): SvmlightParserF32 and
// SvmlightParserF64, one per dtype of the stored values.
//
// feed() takes any bytes-like chunk and parses it with the GIL released; finish() hands
// the parsed vectors to NumPy without copying them (each array owns its vector through a
// capsule). A malformed text raises ValueError with the core's message (line and token).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/svmlight.hpp"

namespace py = pybind11;

namespace {

template <class T>
py::array_t<T> owning_array(std::vector<T>&& values) {
    auto* owned = new std::vector<T>(std::move(values));
    py::capsule free_when_done(owned, [](void* p) { delete static_cast<std::vector<T>*>(p); });
    return py::array_t<T>(static_cast<py::ssize_t>(owned->size()), owned->data(), free_when_done);
}

template <class Value>
void feed(pygdx::SvmlightParser<Value>& parser, const py::buffer& chunk) {
    const py::buffer_info info = chunk.request();
    if (info.ndim != 1 || info.itemsize != 1 || info.strides[0] != 1) {
        throw py::type_error("feed() takes a contiguous chunk of bytes (bytes, bytearray or a memoryview of them)");
    }
    const auto* data = static_cast<const char*>(info.ptr);
    const auto size = static_cast<std::size_t>(info.size);
    py::gil_scoped_release release;  // safe: `info` keeps the chunk's buffer exported until we return
    parser.feed(data, size);
}

template <class Value>
py::dict finish(pygdx::SvmlightParser<Value>& parser) {
    {
        py::gil_scoped_release release;  // safe: the parser's own vectors only
        parser.finish();
    }
    py::dict out;
    out["data"] = owning_array(std::move(parser.values()));
    out["indices"] = parser.wide() ? py::array(owning_array(std::move(parser.wide_columns())))
                                   : py::array(owning_array(std::move(parser.narrow_columns())));
    out["indptr"] = owning_array(std::move(parser.row_starts()));
    out["labels"] = owning_array(std::move(parser.labels()));
    out["qids"] = parser.keeps_qid() ? py::object(owning_array(std::move(parser.qids()))) : py::object(py::none());
    out["n_columns"] = parser.n_columns();
    out["one_based"] = parser.one_based();
    out["lines"] = parser.lines();
    return out;
}

template <class Value>
void register_parser(py::module_& m, const char* name) {
    using Parser = pygdx::SvmlightParser<Value>;
    py::class_<Parser>(m, name)
        .def(py::init([](const std::string& index_base, bool query_id) {
                 return std::make_unique<Parser>(pygdx::index_base_from_name(index_base), query_id);
             }),
             py::arg("index_base") = "auto", py::arg("query_id") = false)
        .def("feed", &feed<Value>, py::arg("chunk"),
             "Parse every line that ends in this chunk of svmlight text; a cut line waits for the next chunk.")
        .def("finish", &finish<Value>,
             "End the text: a dict of data, indices (int32, or int64 once an index needs it), indptr (int64), "
             "labels (float64), qids (int64, or None unless query_id), n_columns, one_based (indices were shifted "
             "down by 1) and lines.");
}

}  // namespace

void register_svmlight(py::module_& m) {
    register_parser<float>(m, "SvmlightParserF32");
    register_parser<double>(m, "SvmlightParserF64");
    m.attr("max_svmlight_index") = pygdx::max_svmlight_index;
}
