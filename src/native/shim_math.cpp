// shim_math.cpp — elementwise arithmetic, activations, comparisons and their in-place forms.
#include "shim.h"

using ts::S;
using ts::T;

// ---- binary, tensor ∘ tensor (broadcasting, type promotion as in PyTorch) ----
TS_TENSOR_FN(add, (ts_tensor a, ts_tensor b, ts_scalar alpha, ts_tensor* out), at::add(T(a), T(b), S(alpha)))
TS_TENSOR_FN(sub, (ts_tensor a, ts_tensor b, ts_scalar alpha, ts_tensor* out), at::sub(T(a), T(b), S(alpha)))
TS_TENSOR_FN(mul, (ts_tensor a, ts_tensor b, ts_tensor* out), at::mul(T(a), T(b)))
TS_TENSOR_FN(div, (ts_tensor a, ts_tensor b, ts_tensor* out), at::div(T(a), T(b)))
TS_TENSOR_FN(pow, (ts_tensor a, ts_tensor b, ts_tensor* out), at::pow(T(a), T(b)))
TS_TENSOR_FN(maximum, (ts_tensor a, ts_tensor b, ts_tensor* out), at::maximum(T(a), T(b)))
TS_TENSOR_FN(minimum, (ts_tensor a, ts_tensor b, ts_tensor* out), at::minimum(T(a), T(b)))

// ---- binary, tensor ∘ scalar and scalar ∘ tensor ----
TS_TENSOR_FN(add_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::add(T(a), S(s)))
TS_TENSOR_FN(mul_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::mul(T(a), S(s)))
TS_TENSOR_FN(div_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::div(T(a), S(s)))
TS_TENSOR_FN(pow_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::pow(T(a), S(s)))
TS_TENSOR_FN(rsub_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::rsub(T(a), S(s)))  // s - a
TS_TENSOR_FN(rpow_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::pow(S(s), T(a)))   // s ** a
// s / a exactly as PyTorch's Tensor.__rtruediv__ computes it: a.reciprocal() * s (so integer and
// bool tensors promote to float before the scalar is applied, and the scalar never gets cast).
TS_TENSOR_FN(rdiv_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::mul(at::reciprocal(T(a)), S(s)))

// ---- unary ----
TS_TENSOR_FN(neg, (ts_tensor a, ts_tensor* out), at::neg(T(a)))
TS_TENSOR_FN(exp, (ts_tensor a, ts_tensor* out), at::exp(T(a)))
TS_TENSOR_FN(log, (ts_tensor a, ts_tensor* out), at::log(T(a)))
TS_TENSOR_FN(sqrt, (ts_tensor a, ts_tensor* out), at::sqrt(T(a)))
TS_TENSOR_FN(rsqrt, (ts_tensor a, ts_tensor* out), at::rsqrt(T(a)))
TS_TENSOR_FN(abs, (ts_tensor a, ts_tensor* out), at::abs(T(a)))
TS_TENSOR_FN(sign, (ts_tensor a, ts_tensor* out), at::sign(T(a)))
TS_TENSOR_FN(square, (ts_tensor a, ts_tensor* out), at::square(T(a)))
TS_TENSOR_FN(reciprocal, (ts_tensor a, ts_tensor* out), at::reciprocal(T(a)))
TS_TENSOR_FN(sin, (ts_tensor a, ts_tensor* out), at::sin(T(a)))
TS_TENSOR_FN(cos, (ts_tensor a, ts_tensor* out), at::cos(T(a)))
TS_TENSOR_FN(tanh, (ts_tensor a, ts_tensor* out), at::tanh(T(a)))
TS_TENSOR_FN(sigmoid, (ts_tensor a, ts_tensor* out), at::sigmoid(T(a)))
TS_TENSOR_FN(relu, (ts_tensor a, ts_tensor* out), at::relu(T(a)))
TS_TENSOR_FN(gelu, (ts_tensor a, int tanh_approx, ts_tensor* out), at::gelu(T(a), tanh_approx ? "tanh" : "none"))
TS_TENSOR_FN(silu, (ts_tensor a, ts_tensor* out), at::silu(T(a)))
TS_TENSOR_FN(floor, (ts_tensor a, ts_tensor* out), at::floor(T(a)))
TS_TENSOR_FN(ceil, (ts_tensor a, ts_tensor* out), at::ceil(T(a)))
TS_TENSOR_FN(round, (ts_tensor a, ts_tensor* out), at::round(T(a)))
TS_TENSOR_FN(isnan, (ts_tensor a, ts_tensor* out), at::isnan(T(a)))
TS_TENSOR_FN(isfinite, (ts_tensor a, ts_tensor* out), at::isfinite(T(a)))
TS_TENSOR_FN(logical_not, (ts_tensor a, ts_tensor* out), at::logical_not(T(a)))
// Bounds are scalars (integral bounds keep an integer tensor integral); has_* = 0 leaves a side open.
static c10::optional<at::Scalar> bound(int has, ts_scalar v) {
    return has ? c10::optional<at::Scalar>(S(v)) : c10::nullopt;
}
TS_TENSOR_FN(clamp, (ts_tensor a, int has_min, ts_scalar min, int has_max, ts_scalar max, ts_tensor* out),
             at::clamp(T(a), bound(has_min, min), bound(has_max, max)))
TS_TENSOR_FN(softmax, (ts_tensor a, int64_t dim, ts_tensor* out), at::softmax(T(a), dim))
TS_TENSOR_FN(log_softmax, (ts_tensor a, int64_t dim, ts_tensor* out), at::log_softmax(T(a), dim))

// ---- comparisons and logic (results are bool tensors) ----
TS_TENSOR_FN(eq, (ts_tensor a, ts_tensor b, ts_tensor* out), at::eq(T(a), T(b)))
TS_TENSOR_FN(ne, (ts_tensor a, ts_tensor b, ts_tensor* out), at::ne(T(a), T(b)))
TS_TENSOR_FN(lt, (ts_tensor a, ts_tensor b, ts_tensor* out), at::lt(T(a), T(b)))
TS_TENSOR_FN(le, (ts_tensor a, ts_tensor b, ts_tensor* out), at::le(T(a), T(b)))
TS_TENSOR_FN(gt, (ts_tensor a, ts_tensor b, ts_tensor* out), at::gt(T(a), T(b)))
TS_TENSOR_FN(ge, (ts_tensor a, ts_tensor b, ts_tensor* out), at::ge(T(a), T(b)))
TS_TENSOR_FN(eq_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::eq(T(a), S(s)))
TS_TENSOR_FN(ne_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::ne(T(a), S(s)))
TS_TENSOR_FN(lt_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::lt(T(a), S(s)))
TS_TENSOR_FN(le_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::le(T(a), S(s)))
TS_TENSOR_FN(gt_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::gt(T(a), S(s)))
TS_TENSOR_FN(ge_scalar, (ts_tensor a, ts_scalar s, ts_tensor* out), at::ge(T(a), S(s)))
TS_TENSOR_FN(logical_and, (ts_tensor a, ts_tensor b, ts_tensor* out), at::logical_and(T(a), T(b)))
TS_TENSOR_FN(logical_or, (ts_tensor a, ts_tensor b, ts_tensor* out), at::logical_or(T(a), T(b)))
TS_TENSOR_FN(logical_xor, (ts_tensor a, ts_tensor b, ts_tensor* out), at::logical_xor(T(a), T(b)))
TS_API int ts_allclose(ts_tensor a, ts_tensor b, double rtol, double atol, int* out) {
    TS_TRY(*out = at::allclose(T(a), T(b), rtol, atol) ? 1 : 0)
}
TS_API int ts_equal(ts_tensor a, ts_tensor b, int* out) { TS_TRY(*out = at::equal(T(a), T(b)) ? 1 : 0) }

// ---- in place (no handle minted) ----
TS_INPLACE_FN(add_, (ts_tensor a, ts_tensor b, ts_scalar alpha), T(a).add_(T(b), S(alpha)))
TS_INPLACE_FN(sub_, (ts_tensor a, ts_tensor b, ts_scalar alpha), T(a).sub_(T(b), S(alpha)))
TS_INPLACE_FN(mul_, (ts_tensor a, ts_tensor b), T(a).mul_(T(b)))
TS_INPLACE_FN(div_, (ts_tensor a, ts_tensor b), T(a).div_(T(b)))
TS_INPLACE_FN(add_scalar_, (ts_tensor a, ts_scalar s), T(a).add_(S(s)))
TS_INPLACE_FN(mul_scalar_, (ts_tensor a, ts_scalar s), T(a).mul_(S(s)))
TS_INPLACE_FN(div_scalar_, (ts_tensor a, ts_scalar s), T(a).div_(S(s)))
TS_INPLACE_FN(clamp_, (ts_tensor a, int has_min, ts_scalar min, int has_max, ts_scalar max),
              T(a).clamp_(bound(has_min, min), bound(has_max, max)))
TS_INPLACE_FN(fill_, (ts_tensor a, ts_scalar s), T(a).fill_(S(s)))
TS_INPLACE_FN(zero_, (ts_tensor a), T(a).zero_())
TS_INPLACE_FN(copy_, (ts_tensor a, ts_tensor src), T(a).copy_(T(src)))
