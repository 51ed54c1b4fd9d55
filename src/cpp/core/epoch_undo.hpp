// The trainer's undo of one epoch (trainer.hpp): the weights, the optimizer's state and the
// step counters as the epoch found them, kept in as little memory as is exact.
//
// A copy of every buffer per epoch is as large as the model and its state together (96 MiB
// for Adam on 4 million float64 columns), which is most of what a sparse mini-batch epoch
// would otherwise add to the process. Two cases need no copy:
// - a buffer that is all +0.0 when the epoch starts (a new model's weights, a new Adam's
//   moments): its undo is filling it with zeros again;
// - the first epoch of a call that continues a model (partial_fit, warm start): the caller
//   keeps the model it started from until the call ends (to give it back if the call
//   fails), and says so with keep_first_from; that epoch's undo copies from there.
// Any other buffer is copied, into storage kept from one epoch to the next.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "core/optimizers.hpp"

namespace pygdx {

template <class T>
class EpochUndo {
public:
    // `buffers`: the weights and then each used state buffer, every one `size` long.
    EpochUndo(std::vector<T*> buffers, std::size_t size)
        : buffers_(std::move(buffers)), size_(size), kept_(buffers_.size(), nullptr),
          from_(buffers_.size(), nullptr), copies_(buffers_.size()) {}

    // One more buffer of `size` to undo with the others (not kept by the caller). Before the
    // first save.
    void add_buffer(T* buffer) {
        buffers_.push_back(buffer);
        kept_.push_back(nullptr);
        from_.push_back(nullptr);
        copies_.emplace_back();
    }

    // The next save's buffers as the caller keeps them, unchanged until this call's training
    // ends (one per buffer, in the constructor's order; nullptr: not kept).
    void keep_first_from(std::vector<const T*> kept) {
        kept.resize(buffers_.size(), nullptr);  // buffers added after the model's: copied
        kept_ = std::move(kept);
    }

    void save(const double* counters) {
        std::copy(counters, counters + n_counters, counters_);
        for (std::size_t b = 0; b < buffers_.size(); ++b) {
            const T* now = buffers_[b];
            if (kept_[b] != nullptr) {
                from_[b] = kept_[b];
            } else if (all_positive_zero(now)) {
                from_[b] = nullptr;
            } else {
                copies_[b].assign(now, now + size_);
                from_[b] = copies_[b].data();
            }
            kept_[b] = nullptr;  // only the call's first epoch starts from the caller's model
        }
    }

    void restore(double* counters) const {
        std::copy(counters_, counters_ + n_counters, counters);
        for (std::size_t b = 0; b < buffers_.size(); ++b) {
            if (from_[b] != nullptr) {
                std::copy(from_[b], from_[b] + size_, buffers_[b]);
            } else {
                std::fill(buffers_[b], buffers_[b] + size_, T(0));
            }
        }
    }

private:
    // +0.0 only: a -0.0 filled back as +0.0 would not be the same bits.
    bool all_positive_zero(const T* p) const {
        for (std::size_t i = 0; i < size_; ++i) {
            if (!(p[i] == T(0)) || std::signbit(p[i])) {
                return false;
            }
        }
        return true;
    }

    std::vector<T*> buffers_;
    std::size_t size_;
    std::vector<const T*> kept_;
    std::vector<const T*> from_;  // where restore copies each buffer from (nullptr: zeros)
    std::vector<std::vector<T>> copies_;
    double counters_[n_counters] = {0.0, 0.0};
};

}  // namespace pygdx
