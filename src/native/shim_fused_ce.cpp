// shim_fused_ce.cpp — fused linear + cross-entropy for a language model's head: the mean over the non-ignored rows of
//   ℓ_i = logsumexp(z_i) − z_i[y_i],   z = h Wᵀ   (h [M, d], W [V, d], y [M]),
// computed chunk by chunk, so the logits [M, V] never exist whole, and with the gradients taken in the forward pass:
//   ∂ℓ/∂z_i = softmax(z_i) − e_{y_i},   ∂L/∂h = (1/n) G W,   ∂L/∂W = (1/n) Gᵀ h   (n = rows not ignored)
// Backward only multiplies the saved ∂L/∂h (and ∂L/∂W when W trains) by the incoming gradient. What stays alive from
// forward to backward is therefore one [M, d] tensor (two with a trainable W), where the unfused loss keeps
// log_softmax's [M, V] float32 output and backward allocates two more of that size. With V ≫ d (GPT-2: 50257 vs 768)
// that is the largest tensor of a language-model step. Liger-Kernel's FusedLinearCrossEntropy (Hsu et al. 2024,
// arXiv 2410.10989) does the same in Triton; torchtune's chunked loss chunks only the float32 upcast.
//
// Precision: as the unfused path under autocast — z in the compute dtype (autocast's, or h's outside autocast), each
// chunk's z then to float32 for logsumexp and softmax (autocast runs log_softmax in float32), the gradient matmuls in
// the compute dtype with float32 results. The 1/n is applied to the float32 results, after the matmuls, so the
// low-precision gradient G (entries in [−1, 1]) is not scaled toward underflow first.
#include <torch/csrc/autograd/custom_function.h>

#include "shim.h"

using ts::T;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

namespace ts {
c10::optional<at::ScalarType> autocast_dtype(at::DeviceType d);  // shim_autocast.cpp
}

namespace {

struct FusedLinearCrossEntropy : public torch::autograd::Function<FusedLinearCrossEntropy> {
    static at::Tensor forward(AutogradContext* ctx, const at::Tensor& h, const at::Tensor& w, const at::Tensor& target,
                              int64_t ignore_index, int64_t chunk, at::ScalarType compute) {
        const bool need_h = h.requires_grad(), need_w = w.requires_grad();
        const auto rows = h.size(0);
        const auto hc = h.to(compute);
        const auto wc = w.to(compute);
        // float32 for half-precision compute (as autocast's log_softmax), float64 kept for float64 inputs.
        const auto acc = compute == at::kDouble ? at::kDouble : at::kFloat;
        const auto f32 = h.options().dtype(acc);
        at::Tensor loss_sum = at::zeros({}, f32);
        at::Tensor grad_h = need_h ? at::empty({rows, h.size(1)}, f32) : at::Tensor();
        at::Tensor grad_w = need_w ? at::zeros(w.sizes(), f32) : at::Tensor();
        const auto keep_all = target.ne(ignore_index);
        const auto count = keep_all.sum().to(acc);  // n; 0 gives NaN, as mean cross-entropy does
        for (int64_t start = 0; start < rows; start += chunk) {
            const auto n = std::min(chunk, rows - start);
            const auto h_i = hc.narrow(0, start, n);
            const auto y = target.narrow(0, start, n);
            const auto keep = keep_all.narrow(0, start, n);
            const auto y_safe = y.masked_fill(keep.logical_not(), 0).unsqueeze(1);  // ignored rows pick class 0, masked below
            auto z = at::matmul(h_i, wc.t()).to(acc);                                  // [n, V]
            const auto lse = at::logsumexp(z, {1}, /*keepdim=*/true);                 // [n, 1]
            const auto picked = z.gather(1, y_safe);                                   // [n, 1]
            loss_sum.add_(((lse - picked).squeeze(1) * keep).sum());
            if (!need_h && !need_w) continue;
            // G = (softmax(z) − e_y) ⊙ keep, in place of z.
            z.sub_(lse).exp_();
            z.scatter_add_(1, y_safe, at::full({n, 1}, -1.0, f32));
            z.mul_(keep.unsqueeze(1));
            const auto g = z.to(compute);
            if (need_h) grad_h.narrow(0, start, n).copy_(at::matmul(g, wc));
            if (need_w) grad_w.add_(at::matmul(g.t(), h_i));
        }
        if (need_h) grad_h.div_(count);
        if (need_w) grad_w.div_(count);
        ctx->save_for_backward({grad_h, grad_w});
        return loss_sum / count;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads) {
        const auto saved = ctx->get_saved_variables();
        const auto& g = grads[0];  // the scalar loss's incoming gradient (1/accumulation, a loss scale, ...)
        at::Tensor gh, gw;
        if (ctx->needs_input_grad(0) && saved[0].defined()) gh = saved[0] * g;
        if (ctx->needs_input_grad(1) && saved[1].defined()) gw = saved[1] * g;
        return {gh, gw, at::Tensor(), at::Tensor(), at::Tensor(), at::Tensor()};
    }
};

}  // namespace

// Mean cross-entropy of the logits h Wᵀ against target, rows with target == ignore_index left out, computed
// chunk_rows rows at a time (see above). h [M, d] and W [V, d] floating point, target [M] int64.
TS_API int ts_fused_linear_cross_entropy(ts_tensor h, ts_tensor w, ts_tensor target, int64_t ignore_index,
                                         int64_t chunk_rows, ts_tensor* out) {
    TS_TRY({
        const at::Tensor &ht = T(h), &wt = T(w), &yt = T(target);
        TORCH_CHECK(ht.dim() == 2 && wt.dim() == 2 && ht.size(1) == wt.size(1),
                    "fused_linear_cross_entropy: hidden [M, d] and weight [V, d] expected, got ", ht.sizes(), " and ", wt.sizes());
        TORCH_CHECK(yt.dim() == 1 && yt.size(0) == ht.size(0) && yt.scalar_type() == at::kLong,
                    "fused_linear_cross_entropy: target must be int64 [", ht.size(0), "], got ", yt.scalar_type(), " ", yt.sizes());
        TORCH_CHECK(chunk_rows >= 1, "fused_linear_cross_entropy: chunk_rows must be >= 1, got ", chunk_rows);
        TORCH_CHECK(ht.is_floating_point() && wt.is_floating_point(), "fused_linear_cross_entropy: hidden and weight must be floating point");
        const auto compute = ts::autocast_dtype(ht.device().type()).value_or(ht.scalar_type());
        *out = ts::wrap(FusedLinearCrossEntropy::apply(ht, wt, yt, ignore_index, chunk_rows, compute));
    })
}
