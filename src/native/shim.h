// shim.h — conventions shared by every translation unit of the shim.
//
// The C ABI: every export returns an int status (TS_OK, TS_ERROR, TS_OOM, TS_NO_CUDA,
// TS_BUFFER_TOO_SMALL); results travel through out-pointers; the message of a failure is kept in a
// thread-local string that the caller reads with ts_last_error() only after a non-zero status.
// No C++ exception ever crosses the boundary. A tensor handle is a `c10::TensorImpl*` that owns one
// reference (what at::Tensor::unsafeReleaseTensorImpl hands out): no heap wrapper to allocate and
// free per op. Every tensor-returning call mints exactly one (counted in ts_live_tensors),
// ts_tensor_free drops it, and in-place ops mint none.
#pragma once
#include <ATen/ATen.h>
#include <c10/core/GradMode.h>
#include <atomic>
#include <cstdint>
#include <string>

#include "compat.h"

#define TS_API extern "C" __attribute__((visibility("default")))

enum ts_status : int {
    TS_OK = 0,
    TS_ERROR = 1,
    TS_OOM = 2,
    TS_NO_CUDA = 3,
    TS_BUFFER_TOO_SMALL = 4,
};

typedef void* ts_tensor;

// A scalar passed by value: a double, or an int64 when is_int != 0 (so int tensors stay int).
struct ts_scalar {
    double f;
    int64_t i;
    int32_t is_int;
};

namespace ts {

extern std::atomic<int64_t> live_tensors;

void set_error(const char* message);
int fail(int status, const char* message);
// A c10::Error's status: TS_OOM for allocation failures that libtorch reports as plain errors
// (the CPU allocator's "can't allocate memory"), TS_ERROR otherwise.
int fail_c10(const c10::Error& e);

using ImplPtr = c10::intrusive_ptr<c10::TensorImpl, c10::UndefinedTensorImpl>;

// Turns a result into a handle: the handle takes over the result's reference.
inline ts_tensor wrap(at::Tensor&& t) {
    live_tensors.fetch_add(1, std::memory_order_relaxed);
    return t.unsafeReleaseTensorImpl();
}

// Drops the reference a handle owns.
inline void release(ts_tensor h) {
    ImplPtr owned = ImplPtr::reclaim(static_cast<c10::TensorImpl*>(h));  // destroyed here: one reference fewer
}

// A borrowed view of a handle as an at::Tensor, valid for the full expression it appears in:
// it adopts the handle's reference without touching the count and gives it back on destruction.
// T() returns it const, so passing it where libtorch takes an at::Tensor by value copies (a
// reference of its own) instead of moving the handle's reference away.
class Borrowed : public at::Tensor {
public:
    explicit Borrowed(ts_tensor h) : at::Tensor(ImplPtr::reclaim(static_cast<c10::TensorImpl*>(h))) {}
    ~Borrowed() { (void)unsafeReleaseTensorImpl(); }
    Borrowed(const Borrowed&) = delete;
    Borrowed& operator=(const Borrowed&) = delete;
};

inline const Borrowed T(ts_tensor h) { return Borrowed(h); }

// An optional tensor argument: a null handle means "none".
inline at::Tensor opt(ts_tensor h) { return h ? at::Tensor(T(h)) : at::Tensor(); }

inline at::Scalar S(ts_scalar s) { return s.is_int ? at::Scalar(s.i) : at::Scalar(s.f); }

at::ScalarType dtype_from_code(int code);
int dtype_to_code(at::ScalarType t);
at::Device device_from(int type, int index);
at::IntArrayRef dims(const int64_t* p, int n);
std::vector<at::Tensor> tensor_list(const ts_tensor* hs, int n);

// Hands a vector of results to a caller-provided buffer; TS_BUFFER_TOO_SMALL (with *count set to
// the size needed and nothing minted) when it does not fit, so the caller can retry.
int put_list(std::vector<at::Tensor>&& results, ts_tensor* buf, int cap, int* count);

}  // namespace ts

// TS_TRY( body ) — runs body, maps every exception to a status. c10::Error's message is taken
// without the C++ backtrace; out-of-memory gets its own status so callers can free and retry.
#define TS_TRY(...)                                                                      \
    try {                                                                                \
        __VA_ARGS__;                                                                     \
        return TS_OK;                                                                    \
    } catch (const c10::OutOfMemoryError& e) {                                           \
        return ts::fail(TS_OOM, e.what_without_backtrace());                             \
    } catch (const c10::Error& e) {                                                      \
        return ts::fail_c10(e);                                                          \
    } catch (const std::bad_alloc&) {                                                    \
        return ts::fail(TS_OOM, "out of memory (std::bad_alloc)");                       \
    } catch (const std::exception& e) {                                                  \
        return ts::fail(TS_ERROR, e.what());                                             \
    } catch (...) {                                                                      \
        return ts::fail(TS_ERROR, "unknown C++ exception");                              \
    }

// Adding a tensor-returning op is one line: TS_TENSOR_FN(name, (args..., ts_tensor* out), expr).
#define TS_TENSOR_FN(name, params, expr) \
    TS_API int ts_##name params { TS_TRY(*out = ts::wrap(expr)) }

// An in-place op: the handle keeps pointing at the same tensor, nothing is minted.
#define TS_INPLACE_FN(name, params, stmt) \
    TS_API int ts_##name params { TS_TRY(stmt) }
