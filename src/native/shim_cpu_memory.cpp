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

// Each counted block is the inner allocator's block with this header in front: the count to take back and the inner
// deleter. The DataPtr handed out is "simple" (data == context), which oneDNN's raw_allocate path and others assert, so
// the size must live beside the data, not in a separate context. 64 bytes keep the data at the inner allocator's
// 64-byte alignment.
struct alignas(64) BlockHeader {
    int64_t bytes;
    c10::DeleterFnPtr inner_deleter;
};
static_assert(sizeof(BlockHeader) == 64, "the header must keep 64-byte alignment");

void raise_peak(int64_t now) {
    int64_t peak = g_peak.load(std::memory_order_relaxed);
    while (now > peak && !g_peak.compare_exchange_weak(peak, now, std::memory_order_relaxed)) {
    }
}

void release_counted(void* data) {
    if (data == nullptr) return;
    auto* header = static_cast<BlockHeader*>(data) - 1;
    g_allocated.fetch_sub(header->bytes, std::memory_order_relaxed);
    header->inner_deleter(header);
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
        c10::DataPtr inner = inner_->allocate(bytes + sizeof(BlockHeader));
        TORCH_CHECK(inner.get() != nullptr && inner.get() == inner.get_context(),
                    "counting CPU allocator: the inner CPU allocator hands out non-simple data pointers; cannot count");
        const c10::Device device = inner.device();
        const c10::DeleterFnPtr inner_deleter = inner.get_deleter();
        auto* header = static_cast<BlockHeader*>(inner.release_context());
        header->bytes = static_cast<int64_t>(bytes);
        header->inner_deleter = inner_deleter;
        raise_peak(g_allocated.fetch_add(header->bytes, std::memory_order_relaxed) + header->bytes);
        void* data = header + 1;
        return {data, data, &release_counted, device};
    }

    c10::DeleterFnPtr raw_deleter() const override { return &release_counted; }

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
