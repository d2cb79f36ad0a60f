// shim_linalg.cpp — products and decompositions.
#include "shim.h"

using ts::T;

TS_TENSOR_FN(matmul, (ts_tensor a, ts_tensor b, ts_tensor* out), at::matmul(T(a), T(b)))
TS_TENSOR_FN(mm, (ts_tensor a, ts_tensor b, ts_tensor* out), at::mm(T(a), T(b)))
TS_TENSOR_FN(bmm, (ts_tensor a, ts_tensor b, ts_tensor* out), at::bmm(T(a), T(b)))
// y = x·Wᵀ + b (b optional), PyTorch's F.linear.
TS_TENSOR_FN(linear, (ts_tensor x, ts_tensor w, ts_tensor b, ts_tensor* out), at::linear(T(x), T(w), ts::opt(b)))
TS_TENSOR_FN(outer, (ts_tensor a, ts_tensor b, ts_tensor* out), at::outer(T(a), T(b)))
TS_TENSOR_FN(einsum, (const char* equation, const ts_tensor* ts, int n, ts_tensor* out), at::einsum(equation, ts::tensor_list(ts, n)))
TS_TENSOR_FN(linalg_solve, (ts_tensor a, ts_tensor b, ts_tensor* out), at::linalg_solve(T(a), T(b)))
TS_TENSOR_FN(linalg_inv, (ts_tensor a, ts_tensor* out), at::linalg_inv(T(a)))

// A = U·diag(S)·Vh.
TS_API int ts_linalg_svd(ts_tensor a, int full_matrices, ts_tensor* u, ts_tensor* s, ts_tensor* vh) {
    TS_TRY({
        auto r = at::linalg_svd(T(a), full_matrices != 0);
        *u = ts::wrap(std::move(std::get<0>(r)));
        *s = ts::wrap(std::move(std::get<1>(r)));
        *vh = ts::wrap(std::move(std::get<2>(r)));
    })
}

// A = Q·R; complete != 0 gives a square Q.
TS_API int ts_linalg_qr(ts_tensor a, int complete, ts_tensor* q, ts_tensor* r) {
    TS_TRY({
        auto res = at::linalg_qr(T(a), complete ? "complete" : "reduced");
        *q = ts::wrap(std::move(std::get<0>(res)));
        *r = ts::wrap(std::move(std::get<1>(res)));
    })
}

// Symmetric eigendecomposition A = V·diag(L)·Vᵀ, eigenvalues ascending.
TS_API int ts_linalg_eigh(ts_tensor a, ts_tensor* eigenvalues, ts_tensor* eigenvectors) {
    TS_TRY({
        auto r = at::linalg_eigh(T(a), "L");
        *eigenvalues = ts::wrap(std::move(std::get<0>(r)));
        *eigenvectors = ts::wrap(std::move(std::get<1>(r)));
    })
}
