// shim_fwht.cpp — the fast Walsh–Hadamard transform behind Tensor.Fwht (ts_fwht, ts_fwht_).
//
// Along the last dimension, of length n = 2^k, every row x is replaced by H_n x, where H_n is the
// UNNORMALISED Sylvester–Hadamard matrix (H_1 = [1], H_2n = [[H_n, H_n], [H_n, −H_n]]; entries ±1,
// H_n Hᵀ_n = n·I), the H of Li et al. 2018's Fastfood projection (uber-research/intrinsic-dimension,
// `tf_fastfood_transform`). The transform is the k butterfly stages (a, b) ← (a + b, a − b) at
// strides 1, 2, 4, …, n/2 done in place: O(n log n) additions and no extra memory.
//
// Built with -O3 (CMakeLists.txt) so GCC vectorises the butterfly loops; cloned for AVX2 (below). Stages
// go two at a time (radix-4 butterflies: half the loads and stores), one radix-2 stage when k is odd.
//
// Cache blocking: the stages with stride < kBlock run block by block (each block of kBlock
// elements stays in L1 for all its stages), the remaining log2(n/kBlock) stages then sweep the whole
// row two at a time, so a 2^18 float row is swept 4 times (the blocks, then 3 radix-4 passes), not 18.
//
// Autograd: H is symmetric, so the vector–Jacobian product of y = H x is Hᵀ g = H g: the backward is
// the same transform of the incoming gradient (FwhtFunction, a torch::autograd::Function). ts_fwht
// returns a new tensor (differentiable); ts_fwht_ transforms a tensor in place (no autograd record:
// for no-grad use, e.g. the benchmark).
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>
#include <cstdint>

#include "shim.h"

using ts::T;

namespace {

// Elements per cache block (16 KiB of float): the stages inside a block run while it sits in L1.
constexpr int64_t kBlock = 4096;

// Two stages at once (strides h and 2h) on count quads (a[j], b[j], c[j], d[j]) = x[j], x[j + h],
// x[j + 2h], x[j + 3h]: the radix-4 butterfly, half the loads and stores of two radix-2 passes.
template <typename scalar_t>
inline __attribute__((always_inline)) void quads(scalar_t* __restrict__ a, scalar_t* __restrict__ b,
                                                 scalar_t* __restrict__ c, scalar_t* __restrict__ d, int64_t count) {
    for (int64_t j = 0; j < count; ++j) {
        const scalar_t s0 = a[j] + b[j], s1 = a[j] - b[j];
        const scalar_t s2 = c[j] + d[j], s3 = c[j] - d[j];
        a[j] = s0 + s2;
        b[j] = s1 + s3;
        c[j] = s0 - s2;
        d[j] = s1 - s3;
    }
}

// count butterflies (a[j], b[j]) ← (a[j] + b[j], a[j] − b[j]): one radix-2 stage slice.
template <typename scalar_t>
inline __attribute__((always_inline)) void butterflies(scalar_t* __restrict__ a, scalar_t* __restrict__ b, int64_t count) {
    for (int64_t j = 0; j < count; ++j) {
        const scalar_t u = a[j];
        const scalar_t v = b[j];
        a[j] = u + v;
        b[j] = u - v;
    }
}

// The stages with stride h = h_begin, … < h_end over x[0 .. len): two per pass (radix 4) while two
// remain, then one radix-2 stage when their number is odd. The j loops are contiguous and vectorise
// once h reaches the vector width; the first two stages (h = 1, 2), whose loops would run one or two
// iterations, are one straight-line radix-4 pass over groups of four instead (6× faster for n = 4096).
template <typename scalar_t>
inline __attribute__((always_inline)) void stages(scalar_t* __restrict__ x, int64_t len, int64_t h_begin, int64_t h_end) {
    int64_t h = h_begin;
    if (h == 1 && h_end >= 4) {
        for (int64_t i = 0; i < len; i += 4) {
            const scalar_t s0 = x[i] + x[i + 1], s1 = x[i] - x[i + 1];
            const scalar_t s2 = x[i + 2] + x[i + 3], s3 = x[i + 2] - x[i + 3];
            x[i] = s0 + s2;
            x[i + 1] = s1 + s3;
            x[i + 2] = s0 - s2;
            x[i + 3] = s1 - s3;
        }
        h = 4;
    }
    for (; 4 * h <= h_end; h *= 4) {
        for (int64_t i = 0; i < len; i += 4 * h) quads(x + i, x + i + h, x + i + 2 * h, x + i + 3 * h, h);
    }
    if (h < h_end) {
        for (int64_t i = 0; i < len; i += 2 * h) butterflies(x + i, x + i + h, h);
    }
}

// The loops are cloned for x86-64-v3 (AVX2: 8 floats per vector), which the loader picks on CPUs
// that have it, and for the baseline; additions and subtractions round the same either way, so every
// clone gives the same bits. (A lambda body is a function of its own and would not be cloned, so the
// parallel_for bodies below only call these.)
#if defined(__x86_64__) && defined(__GNUC__)
#define TS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TS_CLONES
#endif

TS_CLONES void stages_f32(float* x, int64_t len, int64_t h_begin, int64_t h_end) { stages(x, len, h_begin, h_end); }
TS_CLONES void stages_f64(double* x, int64_t len, int64_t h_begin, int64_t h_end) { stages(x, len, h_begin, h_end); }
TS_CLONES void butterflies_f32(float* a, int64_t h, int64_t count) { butterflies(a, a + h, count); }
TS_CLONES void butterflies_f64(double* a, int64_t h, int64_t count) { butterflies(a, a + h, count); }
TS_CLONES void quads_f32(float* a, int64_t h, int64_t count) { quads(a, a + h, a + 2 * h, a + 3 * h, count); }
TS_CLONES void quads_f64(double* a, int64_t h, int64_t count) { quads(a, a + h, a + 2 * h, a + 3 * h, count); }

inline void stages_any(float* x, int64_t len, int64_t h_begin, int64_t h_end) { stages_f32(x, len, h_begin, h_end); }
inline void stages_any(double* x, int64_t len, int64_t h_begin, int64_t h_end) { stages_f64(x, len, h_begin, h_end); }
inline void butterflies_any(float* a, int64_t h, int64_t count) { butterflies_f32(a, h, count); }
inline void butterflies_any(double* a, int64_t h, int64_t count) { butterflies_f64(a, h, count); }
inline void quads_any(float* a, int64_t h, int64_t count) { quads_f32(a, h, count); }
inline void quads_any(double* a, int64_t h, int64_t count) { quads_f64(a, h, count); }

// One row of length n (a power of two) in place.
template <typename scalar_t>
void fwht_row(scalar_t* x, int64_t n) {
    const int64_t block = n < kBlock ? n : kBlock;
    // Stages with stride < block: independent blocks, in parallel for long rows.
    at::parallel_for(0, n / block, n >= 8 * kBlock ? 1 : n / block, [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) stages_any(x + b * block, block, 1, block);
    });
    // Stages with stride ≥ block, two per pass while two remain: quad q is (i, i + h, i + 2h, i + 3h) with
    // i = (q / h)·4h + q mod h; ranges of quads go to threads, which so never share an element.
    int64_t h = block;
    for (; 4 * h <= n; h *= 4) {
        at::parallel_for(0, n / 4, kBlock, [&](int64_t q0, int64_t q1) {
            for (int64_t q = q0; q < q1;) {
                const int64_t j0 = q % h;
                const int64_t count = std::min(h - j0, q1 - q);
                quads_any(x + (q / h) * 4 * h + j0, h, count);
                q += count;
            }
        });
    }
    if (h < n) {  // an odd number of wide stages: the last one, h = n/2, alone
        at::parallel_for(0, n / 2, kBlock, [&](int64_t p0, int64_t p1) { butterflies_any(x + p0, h, p1 - p0); });
    }
}

// In place over every row of a contiguous CPU tensor.
void fwht_inplace(at::Tensor& x) {
    TORCH_CHECK(x.dim() >= 1, "fwht: the input must have at least one dimension");
    const int64_t n = x.size(-1);
    TORCH_CHECK(n >= 1 && (n & (n - 1)) == 0, "fwht: the last dimension must be a power of two, got ", n,
                " (zero-pad it to the next power of two)");
    TORCH_CHECK(x.device().is_cpu(), "fwht: only CPU tensors are supported, got ", x.device());
    TORCH_CHECK(x.is_contiguous(), "fwht: the tensor must be contiguous");
    if (x.numel() == 0) return;
    const int64_t rows = x.numel() / n;
    AT_DISPATCH_FLOATING_TYPES(x.scalar_type(), "fwht", [&] {
        scalar_t* data = x.data_ptr<scalar_t>();
        if (rows == 1) {
            fwht_row(data, n);
        } else {
            at::parallel_for(0, rows, std::max<int64_t>(1, kBlock / n), [&](int64_t r0, int64_t r1) {
                for (int64_t r = r0; r < r1; ++r) stages_any(data + r * n, n, 1, n);
            });
        }
    });
}

// A new tensor H x (contiguous copy, then in place).
at::Tensor fwht_copy(const at::Tensor& x) {
    at::Tensor y = x.contiguous().clone();
    fwht_inplace(y);
    return y;
}

// y = H x with the backward gx = H gy (H symmetric).
struct FwhtFunction : public torch::autograd::Function<FwhtFunction> {
    static at::Tensor forward(torch::autograd::AutogradContext* ctx, const at::Tensor& x) {
        at::AutoDispatchBelowADInplaceOrView guard;
        return fwht_copy(x);
    }

    static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                   torch::autograd::variable_list grads) {
        return {FwhtFunction::apply(grads[0])};
    }
};

}  // namespace

// apply() must see a plain at::Tensor (not the Borrowed wrapper) to record the input as a variable.
TS_TENSOR_FN(fwht, (ts_tensor a, ts_tensor* out), FwhtFunction::apply(at::Tensor(T(a))))

TS_INPLACE_FN(fwht_, (ts_tensor a), {
    at::Tensor x = T(a);
    TORCH_CHECK(!(at::GradMode::is_enabled() && x.requires_grad()),
                "fwht_: in-place transform of a tensor that requires grad; use fwht (out of place) instead");
    fwht_inplace(x);
})
