// shim_index.cpp — gathering, scattering and masking.
#include <ATen/TensorIndexing.h>

#include "shim.h"

using ts::S;
using ts::T;

TS_TENSOR_FN(index_select, (ts_tensor a, int64_t dim, ts_tensor index, ts_tensor* out), at::index_select(T(a), dim, T(index)))
TS_TENSOR_FN(gather, (ts_tensor a, int64_t dim, ts_tensor index, ts_tensor* out), at::gather(T(a), dim, T(index)))
TS_TENSOR_FN(scatter, (ts_tensor a, int64_t dim, ts_tensor index, ts_tensor src, ts_tensor* out), at::scatter(T(a), dim, T(index), T(src)))
TS_TENSOR_FN(scatter_scalar, (ts_tensor a, int64_t dim, ts_tensor index, ts_scalar value, ts_tensor* out),
             at::scatter(T(a), dim, T(index), S(value)))
TS_TENSOR_FN(scatter_add, (ts_tensor a, int64_t dim, ts_tensor index, ts_tensor src, ts_tensor* out), at::scatter_add(T(a), dim, T(index), T(src)))
TS_TENSOR_FN(masked_fill, (ts_tensor a, ts_tensor mask, ts_scalar value, ts_tensor* out), at::masked_fill(T(a), T(mask), S(value)))
TS_TENSOR_FN(where, (ts_tensor cond, ts_tensor a, ts_tensor b, ts_tensor* out), at::where(T(cond), T(a), T(b)))
TS_TENSOR_FN(masked_select, (ts_tensor a, ts_tensor mask, ts_tensor* out), at::masked_select(T(a), T(mask)))
// a[mask] with a boolean mask over the leading dims (e.g. selecting rows); a[index] with an int64 index.
TS_TENSOR_FN(index_tensor, (ts_tensor a, ts_tensor index, ts_tensor* out), T(a).index({at::indexing::TensorIndex(T(index))}))
// index_put_ is a non-const member in libtorch's indexing API, so it runs on a (cheap) owned copy.
TS_INPLACE_FN(index_put_, (ts_tensor a, ts_tensor index, ts_tensor values),
              at::Tensor(T(a)).index_put_({at::indexing::TensorIndex(T(index))}, T(values)))
TS_INPLACE_FN(masked_fill_, (ts_tensor a, ts_tensor mask, ts_scalar value), T(a).masked_fill_(T(mask), S(value)))
TS_TENSOR_FN(one_hot, (ts_tensor a, int64_t num_classes, ts_tensor* out), at::one_hot(T(a), num_classes))
