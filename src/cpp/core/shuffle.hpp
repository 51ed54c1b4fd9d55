// The seeded shuffle of an epoch's rows, the same on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace pygdx {

// Fisher-Yates shuffle of `order` driven by SplitMix64 from `seed`: the same seed gives the
// same order on every platform. (The modulo's bias is below n / 2^64.)
inline void shuffle_rows(std::int64_t* order, std::size_t n, std::uint64_t seed) {
    std::uint64_t state = seed;
    auto next = [&state]() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    };
    for (std::size_t i = n; i > 1; --i) {
        const std::size_t j = static_cast<std::size_t>(next() % static_cast<std::uint64_t>(i));
        std::swap(order[i - 1], order[j]);
    }
}

}  // namespace pygdx
