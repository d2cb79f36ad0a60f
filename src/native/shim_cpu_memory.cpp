// shim_cpu_memory.cpp — tensor memory on the CPU, counted the way CUDA's caching allocator counts it: bytes held by
// live tensors now and at their peak (torch.cuda.memory_allocated / max_memory_allocated). libtorch has no such
// counter on the CPU, so ts_cpu_memory_tracking_start puts a counting allocator in front of the CPU allocator
// (c10::SetCPUAllocator): every CPU storage allocated from then on is counted, and uncounted when freed.
//
// Why: peak memory is compared with PyTorch side by side (tools/bench/memory). The same counter serves a Python
// process that loads this library with ctypes after `import torch` (same libc10), so both sides are measured alike.
// Storages allocated before tracking starts are not counted, now or when they are freed. Tracking cannot be stopped:
// storages already counted must find the counter when they go.
#include <atomic>
#include <cstring>

#include <c10/core/CPUAllocator.h>

#include "shim.h"

namespace {

std::atomic<int64_t> g_allocated{0};
std::atomic<int64_t> g_peak{0};
std::atomic<bool> g_tracking{false};

// What a counted storage's DataPtr carries as its context: the inner allocator's DataPtr (which frees the bytes when
// destroyed) and the count to take back.
struct CountedBlock {
    c10::DataPtr inner;
    int64_t bytes;
};

void raise_peak(int64_t now) {
    int64_t peak = g_peak.load(std::memory_order_relaxed);
    while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
}

void release_counted(void* context) {
    auto* block = static_cast<CountedBlock*>(context);
    g_allocated.fetch_sub(block->bytes, std::memory_order_relaxed);
    delete block;  // destroys the inner DataPtr: the inner allocator frees the bytes
}

// allocate() is const before 2.3 and not after; copy_data() is pure virtual from 2.3 (a plain member before).
#if TS_TORCH_VER >= 203
#define TS_ALLOCATE_QUALIFIER
#else
#define TS_ALLOCATE_QUALIFIER const
#endif

class CountingCpuAllocator final : public c10::Allocator {
public:
    explicit CountingCpuAllocator(c10::Allocator* inner) : inner_(inner) {}

    c10::DataPtr allocate(size_t bytes) TS_ALLOCATE_QUALIFIER override {
        c10::DataPtr inner = inner_->allocate(bytes);
        void* data = inner.get();
        const c10::Device device = inner.device();
        auto* block = new CountedBlock{std::move(inner), static_cast<int64_t>(bytes)};
        raise_peak(g_allocated.fetch_add(block->bytes, std::memory_order_relaxed) + block->bytes);
        return {data, block, &release_counted, device};
    }

    // No raw allocate/free pair: the count needs the size at free time, which only the context carries.
    c10::DeleterFnPtr raw_deleter() const override { return nullptr; }

    void copy_data(void* dest, const void* src, std::size_t count) const { std::memcpy(dest, src, count); }

private:
    c10::Allocator* inner_;
};

}  // namespace

// Starts counting CPU tensor storages (idempotent). Priority 100 outranks the default allocator's registration (0).
TS_API int ts_cpu_memory_tracking_start() {
    TS_TRY({
        bool expected = false;
        if (g_tracking.compare_exchange_strong(expected, true)) {
            static CountingCpuAllocator counting(c10::GetCPUAllocator());
            c10::SetCPUAllocator(&counting, /*priority=*/100);
        }
    })
}

// {tracking (0/1), allocated bytes, peak allocated bytes} since tracking started (or the last reset of the peak).
TS_API int ts_cpu_memory_stats(int64_t* out3) {
    out3[0] = g_tracking.load() ? 1 : 0;
    out3[1] = g_allocated.load(std::memory_order_relaxed);
    out3[2] = g_peak.load(std::memory_order_relaxed);
    return TS_OK;
}

// Makes the peak the current allocation, as torch.cuda.reset_peak_memory_stats does.
TS_API int ts_cpu_memory_reset_peak() {
    g_peak.store(g_allocated.load(std::memory_order_relaxed), std::memory_order_relaxed);
    return TS_OK;
}
