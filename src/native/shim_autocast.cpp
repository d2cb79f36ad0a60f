// shim_autocast.cpp — automatic mixed precision regions (torch.autocast): inside one, the ops autocast lists (matmul,
// linear, conv, ...) run in the region's lower precision (bf16 on the CPU; bf16 or fp16 on CUDA) while parameters
// stay fp32, and precision-sensitive ops (softmax, losses, norms) run in fp32. Entering saves the device's previous
// (enabled, dtype), sets the new ones and increments the nesting count; leaving restores them and, when the outermost
// region ends, clears autocast's cache of cast weights — exactly what Python's torch.autocast.__enter__/__exit__ do.
// libtorch 2.4 renamed the per-device calls into one device-typed API (the old names warn); compat.h picks.
#include <ATen/autocast_mode.h>

#include "compat.h"
#include "shim.h"

namespace {

at::DeviceType device_of(int device_type) {
    TORCH_CHECK(device_type == 0 || device_type == 1, "autocast: unknown device type ", device_type, " (0 cpu, 1 cuda)");
    return device_type == 0 ? at::kCPU : at::kCUDA;
}

bool is_enabled(at::DeviceType d) {
#if TS_HAS_DEVICE_TYPED_AUTOCAST
    return at::autocast::is_autocast_enabled(d);
#else
    return d == at::kCPU ? at::autocast::is_cpu_enabled() : at::autocast::is_enabled();
#endif
}

void set_enabled(at::DeviceType d, bool on) {
#if TS_HAS_DEVICE_TYPED_AUTOCAST
    at::autocast::set_autocast_enabled(d, on);
#else
    if (d == at::kCPU) at::autocast::set_cpu_enabled(on);
    else at::autocast::set_enabled(on);
#endif
}

at::ScalarType get_dtype(at::DeviceType d) {
#if TS_HAS_DEVICE_TYPED_AUTOCAST
    return at::autocast::get_autocast_dtype(d);
#else
    return d == at::kCPU ? at::autocast::get_autocast_cpu_dtype() : at::autocast::get_autocast_gpu_dtype();
#endif
}

void set_dtype(at::DeviceType d, at::ScalarType t) {
#if TS_HAS_DEVICE_TYPED_AUTOCAST
    at::autocast::set_autocast_dtype(d, t);
#else
    if (d == at::kCPU) at::autocast::set_autocast_cpu_dtype(t);
    else at::autocast::set_autocast_gpu_dtype(t);
#endif
}

}  // namespace

namespace ts {
// The dtype autocast computes in on device type d, or nullopt outside an autocast region: for custom autograd
// functions, whose forward autocast does not reach (torch.amp.custom_fwd casts their inputs instead).
c10::optional<at::ScalarType> autocast_dtype(at::DeviceType d) {
    if (d != at::kCPU && d != at::kCUDA) return c10::nullopt;
    return is_enabled(d) ? c10::optional<at::ScalarType>(get_dtype(d)) : c10::nullopt;
}
}  // namespace ts

// Enters an autocast region on device_type (0 cpu, 1 cuda) computing in dtype (a DType code); writes the state to
// restore on exit. CPU autocast takes bf16 only (libtorch refuses fp16 there), CUDA bf16 or fp16.
TS_API int ts_autocast_enter(int device_type, int dtype, int* prev_enabled, int* prev_dtype) {
    TS_TRY({
        const auto d = device_of(device_type);
        const auto t = ts::dtype_from_code(dtype);
        TORCH_CHECK(t == at::kBFloat16 || (t == at::kHalf && d == at::kCUDA),
                    "autocast on ", d, " computes in bfloat16", d == at::kCUDA ? " or float16" : " only", ", not ", t);
        *prev_enabled = is_enabled(d) ? 1 : 0;
        *prev_dtype = ts::dtype_to_code(get_dtype(d));
        set_dtype(d, t);
        set_enabled(d, true);
        at::autocast::increment_nesting();
    })
}

// Leaves the region entered last on device_type, restoring the state ts_autocast_enter saved.
TS_API int ts_autocast_exit(int device_type, int prev_enabled, int prev_dtype) {
    TS_TRY({
        const auto d = device_of(device_type);
        if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        set_enabled(d, prev_enabled != 0);
        set_dtype(d, ts::dtype_from_code(prev_dtype));
    })
}

// Whether autocast is on for device_type on this thread.
TS_API int ts_autocast_is_enabled(int device_type, int* out) { TS_TRY(*out = is_enabled(device_of(device_type)) ? 1 : 0) }
