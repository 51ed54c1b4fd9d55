// A batch of an epoch's rows as data of its own, read in place.
#pragma once

#include <cstddef>

#include "core/linear.hpp"

namespace pygdx {

// Rows [start, start + count) of `data` as data of their own.
template <class T>
LinearData<T> row_range(const LinearData<T>& data, std::size_t start, std::size_t count, std::size_t n_features) {
    LinearData<T> part = data;
    part.n_used = count;
    if (data.rows) {
        part.rows = data.rows + start;
        part.n_readable = data.n_readable - start;
    } else {
        part.n_readable = data.n_readable - start;
        part.X = data.X + start * n_features;
        part.y = data.y + start * data.y_width;
        part.sample_weight = data.sample_weight ? data.sample_weight + start : nullptr;
    }
    return part;
}

}  // namespace pygdx
