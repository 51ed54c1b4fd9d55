// What one epoch did, as every epoch function (dense, sparse, l1, averaged, clipped) reports it.
#pragma once

#include <cstddef>

namespace pygdx {

struct EpochResult {
    double loss = 0.0;      // mean data loss over the epoch's rows (each at its batch's weights)
                            // plus the penalty at the epoch's starting weights
    std::size_t steps = 0;  // optimizer steps taken
    bool finite = true;     // false: stopped at a non-finite batch loss (before stepping), or
                            // the weights are not finite after the epoch
    bool interrupted = false;  // stopped between two batches because a stop was requested
};

}  // namespace pygdx
