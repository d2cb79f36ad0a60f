// shim_fused_adamw.cpp — the single-pass AdamW kernel behind ts_adamw_step_fused (shim_optim.cpp).
//
// Per element, in the element type (float for float32, as PyTorch's fused kernels compute in
// opmath float; double for float64), with the scalars of shim_optim.cpp's adamw_prepare:
//   p ← p·(1 − lr·wd)
//   m ← fma(g, 1−β1, β1·m)                 (_foreach_mul_ then _foreach_add_ with alpha)
//   v ← fma((1−β2)·g, g, β2·v)             (_foreach_mul_ then _foreach_addcmul_)
//   p ← p + (step_size·m) / (√v / √bc2 + eps)          step_size = −lr/bc1
// which is the _foreach_ path's order of operations and rounding: libtorch's vectorised CPU kernels
// (AVX2/AVX-512, which libtorch picks on any CPU that has them) compute add-with-alpha and addcmul
// with a fused multiply-add, so with these two fma the step is bit-identical to ts_adamw_step (and
// to PyTorch 1.13's AdamW(foreach=True)) there; where libtorch runs its baseline kernels (no AVX2)
// the two differ in the last bit now and then. With libtorch 2.x, whose foreach path takes the first
// moment with lerp, too. One read of p, g, m, v and one write of p, m, v instead of ~10 passes.
//
// This file is compiled with -O3 (so GCC vectorises the loop), -fno-math-errno (so sqrt vectorises;
// v ≥ 0, errno is never set anyway) and -ffp-contract=off (no FMA but the two written out: the same
// results whatever the compiler); see CMakeLists.txt. No -march: the loop is cloned (below).
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>

#include "shim.h"

namespace {

// Elements per parallel chunk: below this the whole tensor is one task on the calling thread.
constexpr int64_t kGrain = 32768;

template <typename scalar_t>
inline __attribute__((always_inline)) void adamw_kernel(scalar_t* __restrict__ p, const scalar_t* __restrict__ g,
                                                        scalar_t* __restrict__ m, scalar_t* __restrict__ v, int64_t n,
                                                        scalar_t decay, scalar_t beta1, scalar_t one_minus_beta1,
                                                        scalar_t beta2, scalar_t one_minus_beta2, scalar_t eps,
                                                        scalar_t step_size, scalar_t bc2_sqrt) {
    for (int64_t i = 0; i < n; ++i) {
        const scalar_t gi = g[i];
        const scalar_t mi = std::fma(gi, one_minus_beta1, m[i] * beta1);
        const scalar_t vi = std::fma(one_minus_beta2 * gi, gi, v[i] * beta2);
        const scalar_t denom = std::sqrt(vi) / bc2_sqrt + eps;
        m[i] = mi;
        v[i] = vi;
        p[i] = p[i] * decay + step_size * mi / denom;
    }
}

// The loop is cloned for x86-64-v3 (AVX2 + FMA: 256-bit vectors and fma in one instruction), which
// the loader picks on CPUs that have it, and for the x86-64 baseline (SSE2; there fma is a libm call
// and the loop is not vectorised: slower, same result). Every operation is an IEEE one rounded once
// (mul, add, div, sqrt, fma), so all clones give the same bits; the wide clone only doubles the
// width of the sqrt and the divisions that bound the loop (0.21 → 0.12 ms for 269k floats).
#if defined(__x86_64__) && defined(__GNUC__)
#define TS_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define TS_CLONES
#endif

TS_CLONES void adamw_kernel_f32(float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                                float* __restrict__ v, int64_t n, float decay, float beta1, float one_minus_beta1,
                                float beta2, float one_minus_beta2, float eps, float step_size, float bc2_sqrt) {
    adamw_kernel<float>(p, g, m, v, n, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step_size, bc2_sqrt);
}

TS_CLONES void adamw_kernel_f64(double* __restrict__ p, const double* __restrict__ g, double* __restrict__ m,
                                double* __restrict__ v, int64_t n, double decay, double beta1, double one_minus_beta1,
                                double beta2, double one_minus_beta2, double eps, double step_size, double bc2_sqrt) {
    adamw_kernel<double>(p, g, m, v, n, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step_size,
                         bc2_sqrt);
}

inline void adamw_dispatch(float* p, const float* g, float* m, float* v, int64_t n, float decay, float beta1,
                           float one_minus_beta1, float beta2, float one_minus_beta2, float eps, float step_size,
                           float bc2_sqrt) {
    adamw_kernel_f32(p, g, m, v, n, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step_size, bc2_sqrt);
}

inline void adamw_dispatch(double* p, const double* g, double* m, double* v, int64_t n, double decay, double beta1,
                           double one_minus_beta1, double beta2, double one_minus_beta2, double eps, double step_size,
                           double bc2_sqrt) {
    adamw_kernel_f64(p, g, m, v, n, decay, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, step_size, bc2_sqrt);
}

template <typename scalar_t>
void adamw_run(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v, double decay,
               double beta1, double beta2, double eps, double step_size, double bc2_sqrt) {
    scalar_t* pp = p.data_ptr<scalar_t>();
    const scalar_t* gp = g.data_ptr<scalar_t>();
    scalar_t* mp = m.data_ptr<scalar_t>();
    scalar_t* vp = v.data_ptr<scalar_t>();
    // The scalars in the element type, as libtorch casts a Scalar for a float32 kernel.
    const auto s = [](double x) { return static_cast<scalar_t>(x); };
    at::parallel_for(0, p.numel(), kGrain, [&](int64_t begin, int64_t end) {
        adamw_dispatch(pp + begin, gp + begin, mp + begin, vp + begin, end - begin, s(decay), s(beta1), s(1 - beta1),
                       s(beta2), s(1 - beta2), s(eps), s(step_size), s(bc2_sqrt));
    });
}

}  // namespace

namespace ts {

// Whether the kernel can take this parameter: float32 or float64 throughout, strided CPU tensors
// with the same sizes and strides and dense without overlap (so element i of each is at offset i
// from its data pointer, in whatever order the strides give, e.g. a transposed leaf whose gradient
// and moments preserved its layout), and four distinct storages (the kernel's pointers are restrict).
bool adamw_fused_supported(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v) {
    const at::ScalarType st = p.scalar_type();
    if (st != at::kFloat && st != at::kDouble) return false;
    const at::Tensor* all[] = {&p, &g, &m, &v};
    for (const at::Tensor* t : all) {
        if (t->layout() != at::kStrided || !t->is_cpu() || t->scalar_type() != st || !t->sizes().equals(p.sizes()) ||
            !t->strides().equals(p.strides()))
            return false;
    }
    if (!p.is_non_overlapping_and_dense()) return false;
    for (int i = 0; i < 4; ++i)
        for (int j = i + 1; j < 4; ++j)
            if (all[i]->is_alias_of(*all[j])) return false;
    return true;
}

// One parameter's step; the caller checked adamw_fused_supported. Nothing is allocated. The version
// counters of p, m and v advance as an in-place op would advance them, so autograd still notices a
// parameter changed under a graph that saved it.
void adamw_fused_cpu(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v, double decay,
                     double beta1, double beta2, double eps, double step_size, double bc2_sqrt) {
    if (p.scalar_type() == at::kFloat)
        adamw_run<float>(p, g, m, v, decay, beta1, beta2, eps, step_size, bc2_sqrt);
    else
        adamw_run<double>(p, g, m, v, decay, beta1, beta2, eps, step_size, bc2_sqrt);
    for (const at::Tensor* t : {&p, &m, &v}) t->unsafeGetTensorImpl()->bump_version();
}

}  // namespace ts
