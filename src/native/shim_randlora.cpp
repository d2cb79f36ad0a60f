// shim_randlora.cpp — RandLoRA's branch (Albert et al., ICLR 2025; PEFT tuners/randlora) as one autograd
// function whose backward keeps no r×n×m tensor alive between forward and backward.
//
// For a layer with m = min(d_in, d_out), M = max(d_in, d_out), frozen shared bases A (r, 1, m) and
// B (M, n, r) and trainable λ (r, n), γ (n, m):
//   Ã[k·n + j, i] = λ[k, j] · A[k, 0, i] · γ[j, i]      (r·n, m)   — PEFT's UniqueBaseGrad, flattened
//   B̃[o, j·r + k] = B[o, j, k]                          (M, n·r)
//   m = d_in:  y = (x Ãᵀ) B̃ᵀ        (ΔW = B̃ Ã)
//   m = d_out: y = (x B̃) Ã          (ΔW = Ãᵀ B̃ᵀ)
// PEFT builds Ã with autograd, so the matmul that consumes it saves it: one r·n·m ≈ m² tensor per layer
// stays alive until backward. Here forward builds Ã as a temporary, saves only its inputs (x, A, B, λ,
// γ — nothing new is allocated for backward), and backward rebuilds Ã once:
//   m = d_in:  gz = g B̃, gx = gz Ã, gÃ = gzᵀ x
//   m = d_out: h = x B̃, gh = g Ãᵀ, gx = gh B̃ᵀ, gÃ = hᵀ g
//   gλ[k, j] = Σ_i gÃ[k, j, i] A[k, 0, i] γ[j, i],   gγ[j, i] = Σ_k gÃ[k, j, i] A[k, 0, i] λ[k, j]
// Scaling (α/r or 2/√n) is applied by the caller.
#include <torch/csrc/autograd/custom_function.h>

#include "shim.h"

using ts::T;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace {

at::Tensor scaled_a(const at::Tensor& a, const at::Tensor& lambda, const at::Tensor& gamma) {
    // (r, 1, m) · (r, n, 1) · (1, n, m) → (r, n, m) → (r·n, m)
    return (lambda.unsqueeze(2) * a * gamma.unsqueeze(0)).flatten(0, 1);
}

at::Tensor flat_b(const at::Tensor& b) { return b.flatten(1, 2); }  // (M, n, r) → (M, n·r)

struct RandLoraBranch : public torch::autograd::Function<RandLoraBranch> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& x, const at::Tensor& a, const at::Tensor& b,
                              const at::Tensor& lambda, const at::Tensor& gamma, bool transpose) {
        ctx->save_for_backward({x, a, b, lambda, gamma});
        ctx->saved_data["transpose"] = transpose;
        const auto at_ = scaled_a(a, lambda, gamma);
        const auto bf = flat_b(b);
        return transpose ? x.matmul(bf).matmul(at_) : x.matmul(at_.t()).matmul(bf.t());
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto &x = saved[0], &a = saved[1], &b = saved[2], &lambda = saved[3], &gamma = saved[4];
        const bool transpose = ctx->saved_data["transpose"].toBool();
        const auto g2 = grads[0].reshape({-1, grads[0].size(-1)});
        const auto x2 = x.reshape({-1, x.size(-1)});
        const auto at_ = scaled_a(a, lambda, gamma);
        const auto bf = flat_b(b);
        at::Tensor gx, gat;
        if (transpose) {
            const auto gh = g2.matmul(at_.t());
            if (ctx->needs_input_grad(0)) gx = gh.matmul(bf.t()).reshape(x.sizes());
            if (ctx->needs_input_grad(3) || ctx->needs_input_grad(4)) gat = x2.matmul(bf).t().matmul(g2);
        } else {
            const auto gz = g2.matmul(bf);
            if (ctx->needs_input_grad(0)) gx = gz.matmul(at_).reshape(x.sizes());
            if (ctx->needs_input_grad(3) || ctx->needs_input_grad(4)) gat = gz.t().matmul(x2);
        }
        at::Tensor glambda, ggamma;
        if (gat.defined()) {
            const auto p = gat.view({lambda.size(0), lambda.size(1), -1}) * a;  // (r, n, m)
            if (ctx->needs_input_grad(3)) glambda = (p * gamma.unsqueeze(0)).sum(2);
            if (ctx->needs_input_grad(4)) ggamma = (p * lambda.unsqueeze(2)).sum(0);
        }
        return {gx, at::Tensor(), at::Tensor(), glambda, ggamma, at::Tensor()};
    }
};

void check_shapes(const at::Tensor& x, const at::Tensor& a, const at::Tensor& b, const at::Tensor& lambda,
                  const at::Tensor& gamma, bool transpose) {
    TORCH_CHECK(a.dim() == 3 && a.size(1) == 1, "randlora: A must be (r, 1, m), got ", a.sizes());
    TORCH_CHECK(b.dim() == 3, "randlora: B must be (M, n, r), got ", b.sizes());
    const auto r = a.size(0), m = a.size(2), n = b.size(1), big = b.size(0);
    TORCH_CHECK(b.size(2) == r, "randlora: B's last dimension ", b.size(2), " is not A's rank ", r);
    TORCH_CHECK(lambda.dim() == 2 && lambda.size(0) == r && lambda.size(1) == n,
                "randlora: lambda must be (", r, ", ", n, "), got ", lambda.sizes());
    TORCH_CHECK(gamma.dim() == 2 && gamma.size(0) == n && gamma.size(1) == m,
                "randlora: gamma must be (", n, ", ", m, "), got ", gamma.sizes());
    TORCH_CHECK(x.dim() >= 1 && x.size(-1) == (transpose ? big : m), "randlora: input's last dimension ", x.size(-1),
                " is not d_in = ", transpose ? big : m);
}

// Total element count of the tensors a RandLoraBranch node saved for backward (-1: not such a node).
int64_t saved_numel(const at::Tensor& out) {
    const auto node = std::dynamic_pointer_cast<torch::autograd::CppNode<RandLoraBranch>>(out.grad_fn());
    if (!node) return -1;
    int64_t total = 0;
    for (const auto& t : node->ctx_.get_saved_variables()) total += t.defined() ? t.numel() : 0;
    return total;
}

}  // namespace

namespace ts {
c10::optional<at::ScalarType> autocast_dtype(at::DeviceType d);  // shim_autocast.cpp
}

// The branch without scaling: (x Ãᵀ) B̃ᵀ, or (x B̃) Ã when transpose != 0 (the smaller dimension is d_out).
TS_API int ts_randlora_branch(ts_tensor x, ts_tensor a, ts_tensor b, ts_tensor lambda, ts_tensor gamma, int transpose,
                              ts_tensor* out) {
    TS_TRY({
        at::Tensor xt(T(x)), at_(T(a)), bt(T(b)), lt(T(lambda)), gt(T(gamma));
        check_shapes(xt, at_, bt, lt, gt, transpose != 0);
        // Inside an autocast region the function's matmuls would meet mixed dtypes (autocast does not reach a custom
        // function's forward): cast every input to autocast's dtype first, as torch.amp.custom_fwd(cast_inputs=...)
        // does. The casts sit outside the function, so autograd takes λ's and γ's gradients back to float32.
        if (const auto dt = ts::autocast_dtype(xt.device().type())) {
            for (at::Tensor* t : {&xt, &at_, &bt, &lt, &gt})
                if (t->is_floating_point() && t->scalar_type() != *dt) *t = t->to(*dt);
        }
        *out = ts::wrap(RandLoraBranch::apply(xt, at_, bt, lt, gt, transpose != 0));
    })
}

// For tests: the elements saved for backward by the RandLoraBranch node that produced `out` (-1 if none did).
TS_API int ts_randlora_saved_numel(ts_tensor out, int64_t* numel) { TS_TRY(*numel = saved_numel(T(out))) }
