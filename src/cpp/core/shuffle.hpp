// The seeded shuffle of an epoch's rows, the same on every platform.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace pygdx {

namespace detail {

// SplitMix64: the shuffle's random numbers, the same on every platform.
struct SplitMix64 {
    std::uint64_t state;
    std::uint64_t next() {
        std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
};

// How many swaps ahead shuffle_rows draws its indices and prefetches their targets. An
// order of 2,000,000 rows (16 MB) is mostly outside the caches and each swap's random
// target a miss: drawn 32 swaps ahead, the shuffle took 8 ms instead of 17-20 ms (Zen 4
// guest, session 11). Up to about 250,000 rows the order sits in L2/L3 and the modulo's
// division is the cost, which prefetching neither helps nor hurts.
inline constexpr std::size_t shuffle_draws_ahead = 32;

}  // namespace detail

// Fisher-Yates shuffle of `order` driven by SplitMix64 from `seed`: the same seed gives the
// same order on every platform. (The modulo's bias is below n / 2^64.) Swap i - 1 <-> j for
// i = n .. 2, j uniform in [0, i); the j's are drawn shuffle_draws_ahead swaps early (the
// same numbers in the same order) so that their targets can be prefetched.
inline void shuffle_rows(std::int64_t* order, std::size_t n, std::uint64_t seed) {
    constexpr std::size_t K = detail::shuffle_draws_ahead;
    detail::SplitMix64 rng{seed};
    std::size_t drawn[K];  // drawn[i % K]: the j of swap i
    std::size_t next_i = n;  // the next swap whose j is drawn
    auto draw = [&]() {
        const std::size_t j = static_cast<std::size_t>(rng.next() % static_cast<std::uint64_t>(next_i));
        drawn[next_i % K] = j;
        __builtin_prefetch(order + j, 1);
        --next_i;
    };
    while (next_i > 1 && next_i + K > n) {
        draw();
    }
    for (std::size_t i = n; i > 1; --i) {
        const std::size_t j = drawn[i % K];
        if (next_i > 1) {
            draw();
        }
        std::swap(order[i - 1], order[j]);
    }
}

}  // namespace pygdx
