// Each touched coefficient's slot among one batch's touched coefficients, for the lazy
// sparse step (sparse_lazy.hpp): an open-addressing hash table sized to the batch (at most
// half full), so that what a lazy step keeps between batches grows with the batch, not with
// n_features. (A slot per coefficient was 32 MiB at 4 million columns, and its reads at
// random over all of it missed the cache; this table stays in L2 for batches of hundreds of
// text rows.)
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace pygdx {

class ColumnSlots {
public:
    // Forgets the previous batch's coefficients (only the entries it filled are cleared).
    void clear() {
        for (std::size_t at : filled_) {
            keys_[at] = empty;
        }
        filled_.clear();
    }

    // The slot of coefficient j; a coefficient not seen since clear() gets slot `next`
    // (the number of coefficients seen so far), and `added` says so.
    std::size_t find_or_add(std::size_t j, bool& added) {
        if (2 * (filled_.size() + 1) > keys_.size()) {
            grow();
        }
        std::size_t at = position(j);
        while (keys_[at] != empty) {
            if (keys_[at] == j) {
                added = false;
                return slots_[at];
            }
            at = (at + 1) & mask_;
        }
        keys_[at] = j;
        slots_[at] = filled_.size();
        filled_.push_back(at);
        added = true;
        return slots_[at];
    }

private:
    static constexpr std::size_t empty = std::numeric_limits<std::size_t>::max();

    // Fibonacci hashing: the top bits of j times 2^64 / golden ratio spread neighbouring
    // columns (a row's sorted indices) over the table.
    std::size_t position(std::size_t j) const {
        return static_cast<std::size_t>((static_cast<std::uint64_t>(j) * 0x9E3779B97F4A7C15ull) >> shift_);
    }

    // Doubles the table and puts the coefficients seen so far back, with their slots.
    void grow() {
        std::vector<std::size_t> keys, slots;
        keys.reserve(filled_.size());
        slots.reserve(filled_.size());
        for (std::size_t at : filled_) {
            keys.push_back(keys_[at]);
            slots.push_back(slots_[at]);
        }
        const std::size_t size = keys_.empty() ? 1024 : 2 * keys_.size();
        keys_.assign(size, empty);
        slots_.assign(size, 0);
        mask_ = size - 1;
        shift_ = 64;
        for (std::size_t s = size; s > 1; s >>= 1) {
            --shift_;
        }
        filled_.clear();
        for (std::size_t i = 0; i < keys.size(); ++i) {
            std::size_t at = position(keys[i]);
            while (keys_[at] != empty) {
                at = (at + 1) & mask_;
            }
            keys_[at] = keys[i];
            slots_[at] = slots[i];
            filled_.push_back(at);
        }
    }

    std::vector<std::size_t> keys_;   // a coefficient, or `empty`
    std::vector<std::size_t> slots_;  // its slot
    std::vector<std::size_t> filled_;  // positions filled since clear(), in slot order
    std::size_t mask_ = 0;
    unsigned shift_ = 64;
};

}  // namespace pygdx
