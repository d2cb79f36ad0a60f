// shim_reduce.cpp — reductions over all elements or over a list of dims (with keepdim).
#include "shim.h"

using ts::T;

#define TS_DIMS const int64_t *dims, int ndims, int keepdim
#define TS_D at::IntArrayRef(all_if_empty(T(a), dims, ndims)), keepdim != 0

// An empty dim list means "every dim" — spelled out, because libtorch versions disagree on what
// an empty list means for some reductions.
static std::vector<int64_t> all_if_empty(const at::Tensor& t, const int64_t* dims, int ndims) {
    if (ndims > 0) return std::vector<int64_t>(dims, dims + ndims);
    std::vector<int64_t> all(static_cast<size_t>(t.dim()));
    for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int64_t>(i);
    return all;
}

TS_TENSOR_FN(sum_all, (ts_tensor a, ts_tensor* out), at::sum(T(a)))
TS_TENSOR_FN(sum, (ts_tensor a, TS_DIMS, ts_tensor* out), at::sum(T(a), TS_D))
TS_TENSOR_FN(mean_all, (ts_tensor a, ts_tensor* out), at::mean(T(a)))
TS_TENSOR_FN(mean, (ts_tensor a, TS_DIMS, ts_tensor* out), at::mean(T(a), TS_D))
TS_TENSOR_FN(max_all, (ts_tensor a, ts_tensor* out), at::max(T(a)))
TS_TENSOR_FN(min_all, (ts_tensor a, ts_tensor* out), at::min(T(a)))
TS_TENSOR_FN(prod_all, (ts_tensor a, ts_tensor* out), at::prod(T(a)))
TS_TENSOR_FN(logsumexp, (ts_tensor a, TS_DIMS, ts_tensor* out), at::logsumexp(T(a), TS_D))
// p-norm over dims (p = 2 is the Frobenius/Euclidean norm); an empty dim list means all elements.
TS_TENSOR_FN(norm, (ts_tensor a, double p, TS_DIMS, ts_tensor* out), at::norm(T(a), at::Scalar(p), TS_D))
// Variance/std with Bessel's correction when unbiased != 0; empty dims mean all elements.
TS_TENSOR_FN(var, (ts_tensor a, TS_DIMS, int unbiased, ts_tensor* out), at::var(T(a), at::IntArrayRef(all_if_empty(T(a), dims, ndims)), unbiased != 0, keepdim != 0))
TS_TENSOR_FN(std, (ts_tensor a, TS_DIMS, int unbiased, ts_tensor* out), at::std(T(a), at::IntArrayRef(all_if_empty(T(a), dims, ndims)), unbiased != 0, keepdim != 0))
TS_TENSOR_FN(any, (ts_tensor a, ts_tensor* out), at::any(T(a)))
TS_TENSOR_FN(all, (ts_tensor a, ts_tensor* out), at::all(T(a)))
TS_TENSOR_FN(argmax, (ts_tensor a, int64_t dim, int keepdim, ts_tensor* out), at::argmax(T(a), dim, keepdim != 0))
TS_TENSOR_FN(argmin, (ts_tensor a, int64_t dim, int keepdim, ts_tensor* out), at::argmin(T(a), dim, keepdim != 0))
TS_TENSOR_FN(argmax_all, (ts_tensor a, ts_tensor* out), at::argmax(T(a)))
TS_TENSOR_FN(cumsum, (ts_tensor a, int64_t dim, ts_tensor* out), at::cumsum(T(a), dim))

// max/min along a dim: values and indices.
TS_API int ts_max_dim(ts_tensor a, int64_t dim, int keepdim, ts_tensor* values, ts_tensor* indices) {
    TS_TRY({
        auto r = at::max(T(a), dim, keepdim != 0);
        *values = ts::wrap(std::move(std::get<0>(r)));
        *indices = ts::wrap(std::move(std::get<1>(r)));
    })
}
TS_API int ts_min_dim(ts_tensor a, int64_t dim, int keepdim, ts_tensor* values, ts_tensor* indices) {
    TS_TRY({
        auto r = at::min(T(a), dim, keepdim != 0);
        *values = ts::wrap(std::move(std::get<0>(r)));
        *indices = ts::wrap(std::move(std::get<1>(r)));
    })
}
