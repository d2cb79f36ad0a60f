// shim_random.cpp — seeds, generator objects (with exact state save/restore) and random factories.
// Generators are heap `at::Generator*` handles (a refcounted wrapper), freed by ts_generator_free.
#include <ATen/core/Generator.h>

#include <mutex>

#include "shim.h"

using ts::T;

typedef void* ts_generator;

static at::Generator& G(ts_generator g) { return *static_cast<at::Generator*>(g); }
static c10::optional<at::Generator> gen_opt(ts_generator g) {
    return g ? c10::optional<at::Generator>(G(g)) : c10::nullopt;
}
static at::TensorOptions opts(int dtype, int devtype, int devidx) {
    return at::TensorOptions().dtype(ts::dtype_from_code(dtype)).device(ts::device_from(devtype, devidx));
}

// Seeds the CPU generator and, through libtorch's CUDA hooks, every CUDA generator.
TS_API int ts_manual_seed(uint64_t seed) { TS_TRY(at::manual_seed(seed)) }

// A new, independent generator for a device, seeded with `seed`.
TS_API int ts_generator_new(int devtype, int devidx, uint64_t seed, ts_generator* out) {
    TS_TRY({
        const at::Device device = ts::device_from(devtype, devidx);
        at::Generator g = at::globalContext().defaultGenerator(device).clone();
        {
            std::lock_guard<std::mutex> lock(g.mutex());
            g.set_current_seed(seed);
        }
        *out = new at::Generator(std::move(g));
    })
}

// The process-wide default generator of a device (a new handle on the shared generator).
TS_API int ts_generator_default(int devtype, int devidx, ts_generator* out) {
    TS_TRY(*out = new at::Generator(at::globalContext().defaultGenerator(ts::device_from(devtype, devidx))))
}

TS_API void ts_generator_free(ts_generator g) { delete static_cast<at::Generator*>(g); }

TS_API int ts_generator_set_seed(ts_generator g, uint64_t seed) {
    TS_TRY({
        std::lock_guard<std::mutex> lock(G(g).mutex());
        G(g).set_current_seed(seed);
    })
}

TS_API int ts_generator_initial_seed(ts_generator g, uint64_t* out) { TS_TRY(*out = G(g).current_seed()) }

// The full generator state as a CPU uint8 tensor (what exact resume saves).
TS_API int ts_generator_get_state(ts_generator g, ts_tensor* out) {
    TS_TRY({
        std::lock_guard<std::mutex> lock(G(g).mutex());
        *out = ts::wrap(G(g).get_state());
    })
}

TS_API int ts_generator_set_state(ts_generator g, ts_tensor state) {
    TS_TRY({
        std::lock_guard<std::mutex> lock(G(g).mutex());
        G(g).set_state(T(state));
    })
}

#define TS_RAND_PARAMS const int64_t *shape, int ndim, int dtype, int devtype, int devidx, ts_generator gen
TS_TENSOR_FN(rand, (TS_RAND_PARAMS, ts_tensor* out), at::rand(ts::dims(shape, ndim), gen_opt(gen), opts(dtype, devtype, devidx)))
TS_TENSOR_FN(randn, (TS_RAND_PARAMS, ts_tensor* out), at::randn(ts::dims(shape, ndim), gen_opt(gen), opts(dtype, devtype, devidx)))
TS_TENSOR_FN(randint, (int64_t low, int64_t high, TS_RAND_PARAMS, ts_tensor* out),
             at::randint(low, high, ts::dims(shape, ndim), gen_opt(gen), opts(dtype, devtype, devidx)))
TS_TENSOR_FN(randperm, (int64_t n, int dtype, int devtype, int devidx, ts_generator gen, ts_tensor* out),
             at::randperm(n, gen_opt(gen), opts(dtype, devtype, devidx)))

TS_INPLACE_FN(uniform_, (ts_tensor a, double from, double to, ts_generator gen), T(a).uniform_(from, to, gen_opt(gen)))
TS_INPLACE_FN(normal_, (ts_tensor a, double mean, double std, ts_generator gen), T(a).normal_(mean, std, gen_opt(gen)))
