// shim_cuda.cpp — the CUDA surface. Built in both variants: with TS_WITH_CUDA it talks to the
// caching allocator (needs c10/cuda headers, hence its own translation unit); without, every
// call that needs a GPU answers TS_NO_CUDA with a message saying so.
#include <torch/cuda.h>

#include "shim.h"

#ifdef TS_WITH_CUDA
#include <c10/cuda/CUDACachingAllocator.h>
#endif

static int no_cuda() {
    return ts::fail(TS_NO_CUDA, "no CUDA: this shim was built against a CPU-only libtorch " TORCH_VERSION);
}

TS_API int ts_cuda_is_available(int* out) { TS_TRY(*out = torch::cuda::is_available() ? 1 : 0) }
TS_API int ts_cuda_device_count(int* out) { TS_TRY(*out = static_cast<int>(torch::cuda::device_count())) }

TS_API int ts_cuda_synchronize(int device) {
    TS_TRY({
        if (!torch::cuda::is_available()) return no_cuda();
        torch::cuda::synchronize(device);
    })
}

#ifdef TS_WITH_CUDA
// The caching allocator sizes its per-device tables when CUDA is initialised, lazily, on the first CUDA tensor; asked
// before that it answers "Invalid device argument" (Python's torch.cuda functions run _lazy_init first). One empty
// tensor on the device initialises it in any libtorch version; then it is a no-op.
static void ensure_initialised(int device) {
    const auto count = static_cast<int>(torch::cuda::device_count());
    TORCH_CHECK(device >= 0 && device < count, "no CUDA device ", device, " (", count, " visible)");
    (void)at::empty({0}, at::TensorOptions().device(at::kCUDA, static_cast<c10::DeviceIndex>(device)));
}
#endif

// Caching-allocator statistics in bytes: {allocated, peak allocated, reserved, peak reserved}.
TS_API int ts_cuda_memory_stats(int device, int64_t* out4) {
#ifdef TS_WITH_CUDA
    TS_TRY({
        if (!torch::cuda::is_available()) return no_cuda();
        ensure_initialised(device);
        const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device);
        out4[0] = stats.allocated_bytes[0].current;  // index 0 = StatType::AGGREGATE
        out4[1] = stats.allocated_bytes[0].peak;
        out4[2] = stats.reserved_bytes[0].current;
        out4[3] = stats.reserved_bytes[0].peak;
    })
#else
    (void)device;
    (void)out4;
    return no_cuda();
#endif
}

TS_API int ts_cuda_reset_peak_memory_stats(int device) {
#ifdef TS_WITH_CUDA
    TS_TRY({
        if (!torch::cuda::is_available()) return no_cuda();
        ensure_initialised(device);
        c10::cuda::CUDACachingAllocator::resetPeakStats(device);
    })
#else
    (void)device;
    return no_cuda();
#endif
}

// Releases cached, unused blocks back to the driver. A no-op without CUDA, as in PyTorch.
TS_API int ts_cuda_empty_cache() {
#ifdef TS_WITH_CUDA
    TS_TRY({
        if (torch::cuda::is_available()) c10::cuda::CUDACachingAllocator::emptyCache();
    })
#else
    return TS_OK;
#endif
}

// TF32 for cuBLAS matmuls and cuDNN convolutions (Ampere and newer); harmless on CPU. Writes the previous cuBLAS
// setting (to restore).
TS_API int ts_set_allow_tf32(int on, int* previous) {
    TS_TRY({
        *previous = at::globalContext().allowTF32CuBLAS() ? 1 : 0;
        at::globalContext().setAllowTF32CuBLAS(on != 0);
        at::globalContext().setAllowTF32CuDNN(on != 0);
    })
}

// torch.use_deterministic_algorithms(on): ops without a deterministic implementation then raise. Writes the previous
// setting (to restore).
TS_API int ts_set_deterministic(int on, int* previous) {
    TS_TRY({
        *previous = at::globalContext().deterministicAlgorithms() ? 1 : 0;
        at::globalContext().setDeterministicAlgorithms(on != 0, false);
    })
}
