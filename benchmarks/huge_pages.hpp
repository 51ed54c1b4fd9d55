// Training data of the C++ harnesses in 2 MiB pages, as NumPy holds it: NumPy asks the
// kernel for transparent huge pages on every array of 4 MiB or more (madvise), and this
// machine gives them only to memory that asks (/sys/kernel/mm/transparent_hugepage/enabled
// is "madvise"). A std::vector of the same rows sits in 4 KiB pages, and a shuffled read of
// 200,000 x 100 float64 rows then misses the TLB on nearly every row: its floor took 50 ms
// against the 26 ms that pygdx.bench.shuffled_floor measured on NumPy's array in the same
// minute (session 10). A floor or a kernel judged against pygdx must read the same kind of
// pages.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <new>
#include <vector>

namespace pygdx_bench_pages {

struct FreeMemory {
    void operator()(void* p) const { std::free(p); }
};

// `values` copied into memory aligned to 2 MiB and advised into huge pages.
template <class T>
class HugePageArray {
public:
    explicit HugePageArray(const std::vector<T>& values) : size_(values.size()) {
        constexpr std::size_t huge = std::size_t{2} << 20;
        const std::size_t bytes = (size_ * sizeof(T) + huge - 1) / huge * huge;
        memory_.reset(std::aligned_alloc(huge, bytes));
        if (!memory_) {
            throw std::bad_alloc();
        }
        madvise(memory_.get(), bytes, MADV_HUGEPAGE);  // advice: without it the copy still works
        T* out = data();
        for (std::size_t i = 0; i < size_; ++i) {
            out[i] = values[i];
        }
    }
    T* data() { return static_cast<T*>(memory_.get()); }
    const T* data() const { return static_cast<const T*>(memory_.get()); }
    std::size_t size() const { return size_; }
    const T& operator[](std::size_t i) const { return data()[i]; }

private:
    std::size_t size_;
    std::unique_ptr<void, FreeMemory> memory_;
};

// An allocator for std::vector that puts blocks of 4 MiB or more in 2 MiB-aligned memory
// advised into huge pages (as HugePageArray), smaller ones where operator new does: rows
// the harnesses fill in place keep their vector interface.
template <class T>
struct HugePageAllocator {
    using value_type = T;
    HugePageAllocator() = default;
    template <class U>
    HugePageAllocator(const HugePageAllocator<U>&) {}
    static constexpr std::size_t huge = std::size_t{2} << 20;
    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        if (bytes < 2 * huge) {
            return static_cast<T*>(::operator new(bytes));
        }
        const std::size_t rounded = (bytes + huge - 1) / huge * huge;
        void* p = std::aligned_alloc(huge, rounded);
        if (p == nullptr) {
            throw std::bad_alloc();
        }
        madvise(p, rounded, MADV_HUGEPAGE);  // advice: without it the memory still works
        return static_cast<T*>(p);
    }
    void deallocate(T* p, std::size_t n) {
        if (n * sizeof(T) < 2 * huge) {
            ::operator delete(p);
        } else {
            std::free(p);
        }
    }
    template <class U>
    bool operator==(const HugePageAllocator<U>&) const { return true; }
    template <class U>
    bool operator!=(const HugePageAllocator<U>&) const { return false; }
};

// Rows (and targets) of a harness, in huge pages when large.
template <class T>
using HugePageVector = std::vector<T, HugePageAllocator<T>>;

}  // namespace pygdx_bench_pages
