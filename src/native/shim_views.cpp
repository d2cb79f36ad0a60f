// shim_views.cpp — shape and stride operations. Most return views that share storage.
#include "shim.h"

using ts::T;

TS_TENSOR_FN(reshape, (ts_tensor a, const int64_t* shape, int ndim, ts_tensor* out), T(a).reshape(ts::dims(shape, ndim)))
TS_TENSOR_FN(view, (ts_tensor a, const int64_t* shape, int ndim, ts_tensor* out), T(a).view(ts::dims(shape, ndim)))
TS_TENSOR_FN(transpose, (ts_tensor a, int64_t d0, int64_t d1, ts_tensor* out), T(a).transpose(d0, d1))
TS_TENSOR_FN(permute, (ts_tensor a, const int64_t* dims, int ndim, ts_tensor* out), T(a).permute(ts::dims(dims, ndim)))
TS_TENSOR_FN(narrow, (ts_tensor a, int64_t dim, int64_t start, int64_t length, ts_tensor* out), T(a).narrow(dim, start, length))
TS_TENSOR_FN(slice, (ts_tensor a, int64_t dim, int64_t start, int64_t end, int64_t step, ts_tensor* out), T(a).slice(dim, start, end, step))
TS_TENSOR_FN(select, (ts_tensor a, int64_t dim, int64_t index, ts_tensor* out), T(a).select(dim, index))
TS_TENSOR_FN(unsqueeze, (ts_tensor a, int64_t dim, ts_tensor* out), T(a).unsqueeze(dim))
TS_TENSOR_FN(squeeze, (ts_tensor a, ts_tensor* out), T(a).squeeze())
TS_TENSOR_FN(squeeze_dim, (ts_tensor a, int64_t dim, ts_tensor* out), T(a).squeeze(dim))
TS_TENSOR_FN(expand, (ts_tensor a, const int64_t* shape, int ndim, ts_tensor* out), T(a).expand(ts::dims(shape, ndim)))
TS_TENSOR_FN(flatten, (ts_tensor a, int64_t start, int64_t end, ts_tensor* out), T(a).flatten(start, end))
TS_TENSOR_FN(contiguous, (ts_tensor a, ts_tensor* out), T(a).contiguous())

TS_API int ts_is_contiguous(ts_tensor a, int* out) { TS_TRY(*out = T(a).is_contiguous() ? 1 : 0) }

// ---- joining and splitting ----
TS_TENSOR_FN(cat, (const ts_tensor* ts, int n, int64_t dim, ts_tensor* out), at::cat(ts::tensor_list(ts, n), dim))
TS_TENSOR_FN(stack, (const ts_tensor* ts, int n, int64_t dim, ts_tensor* out), at::stack(ts::tensor_list(ts, n), dim))

TS_API int ts_split(ts_tensor a, int64_t size, int64_t dim, ts_tensor* buf, int cap, int* count) {
    TS_TRY(return ts::put_list(at::split(T(a), size, dim), buf, cap, count))
}
TS_API int ts_split_sizes(ts_tensor a, const int64_t* sizes, int n, int64_t dim, ts_tensor* buf, int cap, int* count) {
    TS_TRY(return ts::put_list(at::split_with_sizes(T(a), ts::dims(sizes, n), dim), buf, cap, count))
}
TS_API int ts_chunk(ts_tensor a, int64_t chunks, int64_t dim, ts_tensor* buf, int cap, int* count) {
    TS_TRY(return ts::put_list(at::chunk(T(a), chunks, dim), buf, cap, count))
}
