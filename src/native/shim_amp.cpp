// shim_amp.cpp — the unscale half of loss scaling for fp16 training (torch.amp.GradScaler.unscale_).
//
// Micikevicius et al., "Mixed Precision Training" (ICLR 2018): fp16 gradients of small magnitude underflow to zero,
// so the loss is multiplied by a scale S before backward and every gradient by 1/S after it; a step whose gradients
// hold inf or NaN (S too large) is skipped and S shrinks. This call does the "after": grads ← grads · (1/S) in place
// and reports whether any gradient was non-finite. The scale's bookkeeping lives in C# (GradScaler.cs).
#include <vector>

#include "shim.h"

using ts::T;

// Unscales the defined .grad of each of the n parameters in place by inv_scale and sets *found_inf to 1 when any of
// them held a non-finite value (0 otherwise). CUDA gradients go through libtorch's fused
// _amp_foreach_non_finite_check_and_unscale_ (what GradScaler calls: one launch per chunk of tensors); gradients
// elsewhere through isfinite/all and mul_, accumulated on the device so the host reads one flag at the end.
TS_API int ts_amp_unscale_grads(const ts_tensor* params, int n, double inv_scale, int* found_inf) {
    TS_TRY({
        c10::NoGradGuard no_grad;
        std::vector<at::Tensor> cuda, other;
        for (int i = 0; i < n; ++i) {
            at::Tensor g = T(params[i]).grad();
            if (!g.defined()) continue;
            TORCH_CHECK(!g.is_sparse(), "loss scaling: sparse gradients are not supported");
            (g.is_cuda() ? cuda : other).push_back(std::move(g));
        }
        bool found = false;
        if (!cuda.empty()) {
            const auto options = cuda.front().options().dtype(at::kFloat);
            at::Tensor found_t = at::zeros({1}, options);
            at::Tensor inv_t = at::full({1}, inv_scale, options);
            at::_amp_foreach_non_finite_check_and_unscale_(cuda, found_t, inv_t);
            found = found_t.item<float>() != 0;
        }
        if (!other.empty()) {
            at::Tensor all_finite = at::ones({}, other.front().options().dtype(at::kBool));
            for (at::Tensor& g : other) {
                all_finite.logical_and_(at::isfinite(g).all());
                g.mul_(inv_scale);
            }
            found = found || !all_finite.item<bool>();
        }
        *found_inf = found ? 1 : 0;
    })
}
