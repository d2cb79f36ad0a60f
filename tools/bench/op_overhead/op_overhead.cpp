// op_overhead.cpp — the C++ floor for the per-op overhead benchmark (tools/bench/op_overhead.sh).
//
// Times a 1-element float32 add directly against libtorch (ATen), no binding in between:
//   cpp_at_add_ns   at::add(a, b), result a stack at::Tensor destroyed each iteration
//   cpp_add_inplace_ns   a.add_(b)
//   cpp_at_add_held1000_ns  diagnostic: at::add results kept in a vector cleared every 1,000 ops
//                           (the C++ analogue of a DisposeScope: 1,000 live results, freed in bulk)
// Diagnostic rows when the shim's path is given (third argument): the same ops called from C++
// through libtorchshim.so's C ABI, isolating what the shim itself adds (heap handle, status code,
// try/catch, live-handle counter) from what the C# side adds (P/Invoke, managed Tensor object):
//   cpp_via_shim_add_ns          ts_add(ha, hb, 1, &h); ts_tensor_free(h)
//   cpp_via_shim_add_inplace_ns  ts_add_(ha, hb, 1)
// Each variant: warm-up batches, then the median ns/op of BATCHES timed batches of OPS ops.
// Usage: op_overhead [batches] [ops_per_batch] [path/to/libtorchshim.so]   (defaults 15 200000, no shim)
// Output: one "name value" line per measurement (machine-readable), plus "<name>_batches v,v,...".
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <torch/version.h>

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

template <class F>
double batch_ns_per_op(long ops, F&& f) {
    auto t0 = Clock::now();
    for (long i = 0; i < ops; ++i) f();
    auto t1 = Clock::now();
    return std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(ops);
}

template <class F>
void measure(const char* name, int batches, long ops, F&& f) {
    for (int w = 0; w < 2; ++w) batch_ns_per_op(ops, f);  // warm-up: caches, allocator, dispatcher
    std::vector<double> xs;
    for (int k = 0; k < batches; ++k) xs.push_back(batch_ns_per_op(ops, f));
    std::printf("%s_batches ", name);
    for (size_t k = 0; k < xs.size(); ++k) std::printf(k ? ",%.1f" : "%.1f", xs[k]);
    std::printf("\n");
    std::sort(xs.begin(), xs.end());
    size_t n = xs.size();
    double median = n % 2 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
    std::printf("%s %.1f\n", name, median);
    std::fflush(stdout);
}

std::string mapped_libtorch() {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line)) {
        auto p = line.find('/');
        if (p != std::string::npos && line.find("libtorch_cpu") != std::string::npos) return line.substr(p);
    }
    return "unknown";
}

// Mirrors src/native/shim.h (a scalar passed by value; handles are at::Tensor*).
struct ts_scalar {
    double f;
    int64_t i;
    int32_t is_int;
};
using ts_add_fn = int (*)(void*, void*, ts_scalar, void**);
using ts_add_inplace_fn = int (*)(void*, void*, ts_scalar);
using ts_free_fn = void (*)(void*);

template <class F>
F symbol(void* lib, const char* name) {
    void* p = dlsym(lib, name);
    if (!p) {
        std::fprintf(stderr, "op_overhead: %s not found in the shim\n", name);
        std::exit(2);
    }
    return reinterpret_cast<F>(p);
}

}  // namespace

int main(int argc, char** argv) {
    int batches = argc > 1 ? std::atoi(argv[1]) : 15;
    long ops = argc > 2 ? std::atol(argv[2]) : 200000;
    at::set_num_threads(1);

    std::printf("cpp_torch_version %d.%d.%d\n", TORCH_VERSION_MAJOR, TORCH_VERSION_MINOR, TORCH_VERSION_PATCH);
    std::printf("cpp_libtorch %s\n", mapped_libtorch().c_str());
    std::printf("cpp_threads %d\n", at::get_num_threads());

    at::Tensor a = at::ones({1}, at::kFloat);
    at::Tensor b = at::full({1}, 1e-3, at::kFloat);

    measure("cpp_at_add_ns", batches, ops, [&] { at::Tensor c = at::add(a, b); });
    measure("cpp_add_inplace_ns", batches, ops, [&] { a.add_(b); });
    {
        std::vector<at::Tensor> held;
        held.reserve(1000);
        measure("cpp_at_add_held1000_ns", batches, ops, [&] {
            held.push_back(at::add(a, b));
            if (held.size() == 1000) held.clear();
        });
    }

    if (argc > 3) {
        void* lib = dlopen(argv[3], RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            std::fprintf(stderr, "op_overhead: cannot load %s: %s\n", argv[3], dlerror());
            return 2;
        }
        auto ts_add = symbol<ts_add_fn>(lib, "ts_add");
        auto ts_add_ = symbol<ts_add_inplace_fn>(lib, "ts_add_");
        auto ts_tensor_free = symbol<ts_free_fn>(lib, "ts_tensor_free");
        const ts_scalar one{0.0, 1, 1};  // what the C# `a + b` passes (alpha = 1L)
        // A shim handle is a TensorImpl* owning one reference: hand each input one of its own.
        void* ha = at::Tensor(a).unsafeReleaseTensorImpl();
        void* hb = at::Tensor(b).unsafeReleaseTensorImpl();
        measure("cpp_via_shim_add_ns", batches, ops, [&] {
            void* h = nullptr;
            if (ts_add(ha, hb, one, &h) != 0) std::abort();
            ts_tensor_free(h);
        });
        measure("cpp_via_shim_add_inplace_ns", batches, ops, [&] {
            if (ts_add_(ha, hb, one) != 0) std::abort();
        });
        ts_tensor_free(ha);
        ts_tensor_free(hb);
    }

    // Keep the in-place result observable so nothing can be elided.
    std::printf("cpp_check %.3f\n", a.item<float>());
    return 0;
}
