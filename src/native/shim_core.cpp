// shim_core.cpp — errors, handle lifetime, build information and process-wide settings
// (threads, denormals, BLAS) of the libtorch shim.
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <dlfcn.h>
#include <link.h>
#include <malloc.h>
#include <torch/cuda.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <sstream>

#include "shim.h"

namespace ts {

std::atomic<int64_t> live_tensors{0};
static thread_local std::string last_error;

void set_error(const char* message) { last_error = message ? message : ""; }

int fail(int status, const char* message) {
    set_error(message);
    return status;
}

int fail_c10(const c10::Error& e) {
    const char* message = e.what_without_backtrace();
    // The CPU allocator raises plain c10::Errors: "[enforce fail at alloc_cpu.cpp] ...
    // DefaultCPUAllocator: can't allocate memory" (1.13) or "... not enough memory" (other versions).
    const bool oom = std::strstr(message, "can't allocate memory") || std::strstr(message, "not enough memory") ||
                     std::strstr(message, "out of memory");
    return fail(oom ? TS_OOM : TS_ERROR, message);
}

at::ScalarType dtype_from_code(int code) {
    // Codes are the project's own (DType in C#), mapped explicitly rather than cast.
    switch (code) {
        case 0: return at::kFloat;
        case 1: return at::kDouble;
        case 2: return at::kBFloat16;
        case 3: return at::kHalf;
        case 4: return at::kLong;
        case 5: return at::kInt;
        case 6: return at::kBool;
        case 7: return at::kByte;
        default: TORCH_CHECK(false, "unknown dtype code ", code);
    }
}

int dtype_to_code(at::ScalarType t) {
    switch (t) {
        case at::kFloat: return 0;
        case at::kDouble: return 1;
        case at::kBFloat16: return 2;
        case at::kHalf: return 3;
        case at::kLong: return 4;
        case at::kInt: return 5;
        case at::kBool: return 6;
        case at::kByte: return 7;
        default: return -1;  // a dtype the binding does not expose (e.g. int16, complex)
    }
}

at::Device device_from(int type, int index) {
    switch (type) {
        case 0: return at::Device(at::kCPU);
        case 1: return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
        default: TORCH_CHECK(false, "unknown device type code ", type);
    }
}

at::IntArrayRef dims(const int64_t* p, int n) { return at::IntArrayRef(p, static_cast<size_t>(n)); }

std::vector<at::Tensor> tensor_list(const ts_tensor* hs, int n) {
    std::vector<at::Tensor> v;
    v.reserve(static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) v.push_back(at::Tensor(T(hs[i])));
    return v;
}

int put_list(std::vector<at::Tensor>&& results, ts_tensor* buf, int cap, int* count) {
    *count = static_cast<int>(results.size());
    if (*count > cap) return fail(TS_BUFFER_TOO_SMALL, "result buffer too small");
    for (size_t i = 0; i < results.size(); ++i) buf[i] = wrap(std::move(results[i]));
    return TS_OK;
}

}  // namespace ts

TS_API const char* ts_last_error() { return ts::last_error.c_str(); }

// Cannot fail: releasing a handle only drops a reference count.
TS_API void ts_tensor_free(ts_tensor h) {
    if (h) {
        ts::release(h);
        ts::live_tensors.fetch_sub(1, std::memory_order_relaxed);
    }
}

TS_API int64_t ts_live_tensors() { return ts::live_tensors.load(std::memory_order_relaxed); }

// The BLAS library actually mapped into the process (Debian selects libblas.so.3 through
// update-alternatives: OpenBLAS is fast, the reference BLAS is 10x slower).
static int find_blas(struct dl_phdr_info* info, size_t, void* data) {
    auto* out = static_cast<std::string*>(data);
    const char* name = info->dlpi_name;
    if (name && (std::strstr(name, "blas") || std::strstr(name, "mkl_rt"))) {
        // Report the real file: libblas.so.3 is a symlink chosen by update-alternatives.
        char resolved[PATH_MAX];
        const char* shown = realpath(name, resolved) ? resolved : name;
        if (!out->empty()) *out += ";";
        *out += shown;
    }
    return 0;
}

static void append_json_string(std::ostringstream& o, const std::string& s) {
    o << '"';
    for (char c : s) {
        if (c == '"' || c == '\\') o << '\\';
        o << c;
    }
    o << '"';
}

// Build information as a JSON object, written into buf (capacity cap, NUL-terminated).
// *needed receives the full length so callers can retry with a larger buffer.
TS_API int ts_build_info(char* buf, int cap, int* needed) {
    TS_TRY({
        std::string blas;
        dl_iterate_phdr(find_blas, &blas);
        std::ostringstream o;
        o << "{\"torch_version\":";
        append_json_string(o, TORCH_VERSION);
        o << ",\"torch_version_code\":" << TS_TORCH_VER;
#ifdef TS_WITH_CUDA
        o << ",\"cuda_compiled\":true";
#else
        o << ",\"cuda_compiled\":false";
#endif
        o << ",\"cuda_available\":" << (torch::cuda::is_available() ? "true" : "false");
        o << ",\"cuda_device_count\":" << static_cast<int>(torch::cuda::device_count());  // c10::DeviceIndex is int8_t in 2.x: a char to a stream
        o << ",\"cxx11_abi\":" << _GLIBCXX_USE_CXX11_ABI;
        o << ",\"blas\":";
        append_json_string(o, blas);
        o << ",\"intra_op_threads\":" << at::get_num_threads();
        o << "}";
        std::string s = o.str();
        *needed = static_cast<int>(s.size()) + 1;
        if (*needed > cap) return ts::fail(TS_BUFFER_TOO_SMALL, "build info buffer too small");
        std::memcpy(buf, s.c_str(), s.size() + 1);
    })
}

// OpenBLAS keeps its own thread pool; keep it in step with libtorch's intra-op threads.
static void set_openblas_threads(int n) {
    using fn_t = void (*)(int);
    if (auto fn = reinterpret_cast<fn_t>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}

TS_API int ts_set_num_threads(int n) {
    TS_TRY({
        TORCH_CHECK(n > 0, "thread count must be positive, got ", n);
        at::set_num_threads(n);
        set_openblas_threads(n);
    })
}

TS_API int ts_get_num_threads(int* out) { TS_TRY(*out = at::get_num_threads()) }

TS_API int ts_set_flush_denormal(int on, int* supported) {
    TS_TRY(*supported = at::globalContext().setFlushDenormal(on != 0) ? 1 : 0)
}

TS_API int ts_set_grad_enabled(int enabled, int* previous) {
    TS_TRY({
        *previous = c10::GradMode::is_enabled() ? 1 : 0;
        c10::GradMode::set_enabled(enabled != 0);
    })
}

TS_API int ts_is_grad_enabled(int* out) { TS_TRY(*out = c10::GradMode::is_enabled() ? 1 : 0) }

// How many references the tensor's TensorImpl has (handles, copies held by autograd): tests use
// it to check that borrowing a handle for an op never leaks or steals a reference.
TS_API int ts_use_count(ts_tensor a, int64_t* out) { TS_TRY(*out = static_cast<int64_t>(ts::T(a).use_count())) }

// glibc malloc returns the top of the heap to the kernel whenever enough is free (its trim
// threshold adapts upwards only slowly), so a training step that frees its activations hands the
// pages back and the next step faults them in again: ~400 minor faults per MLP step at batch 32
// (tools/bench/mlp_step). Fixing both thresholds keeps freed memory in the process, as PyTorch's
// interpreter heap does by accident. *applied = 0 when mallopt refused a value.
TS_API int ts_tune_malloc(int64_t mmap_threshold, int64_t trim_threshold, int* applied) {
    TS_TRY({
        const int a = mallopt(M_MMAP_THRESHOLD, static_cast<int>(mmap_threshold));
        const int b = mallopt(M_TRIM_THRESHOLD, static_cast<int>(trim_threshold));
        *applied = (a == 1 && b == 1) ? 1 : 0;
    })
}
