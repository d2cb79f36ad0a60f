// shim_optim.cpp — optimizer steps and gradient clipping, one native call each.
//
// Each function is a transcription of PyTorch's multi-tensor ("foreach=True") implementation, so a
// C# training loop makes one P/Invoke per step instead of ~10 per parameter, and produces the same
// numbers as PyTorch (same ops, same order, same scalar arithmetic in double):
//   ts_adamw_step      torch/optim/adamw.py  _multi_tensor_adamw (amsgrad=False, maximize=False)
//   ts_sgd_step        torch/optim/sgd.py    _multi_tensor_sgd   (maximize=False)
//   ts_clip_grad_norm  torch/nn/utils/clip_grad.py clip_grad_norm_
// Parameters whose .grad is undefined are skipped, as PyTorch skips them: their state and step
// count do not move. Optimizer state is owned by the caller; a null state handle means "not created
// yet", and the step creates it (as PyTorch does lazily) and hands back a newly minted handle.
// New handles are written out only after every op succeeded, so a failure mints nothing.
#include <cmath>
#include <stdexcept>
#include <vector>

#include "shim.h"

using ts::T;

// PyTorch 2.x updates Adam's first moment with _foreach_lerp_ (absent in 1.13, which uses
// mul_ + add_); lerp rounds differently in the last bit, so follow the PyTorch we are linked with.
// Likewise 2.x takes the square root of bias_correction2 as `bc ** 0.5` (C pow), 1.13 as math.sqrt.
#define TS_ADAM_LERP_MOMENT (TS_TORCH_VER >= 201)

namespace {

// The parameters of a group that have a gradient, with their positions in the caller's arrays.
struct WithGrad {
    std::vector<at::Tensor> params, grads;
    std::vector<int> index;
};

WithGrad gather(const ts_tensor* params, int n) {
    WithGrad w;
    for (int i = 0; i < n; ++i) {
        at::Tensor p(T(params[i]));
        const at::Tensor& g = p.grad();
        if (!g.defined()) continue;
        if (g.is_sparse()) throw std::invalid_argument("sparse gradients are not supported by the optimizers");
        w.grads.push_back(g);
        w.params.push_back(std::move(p));
        w.index.push_back(i);
    }
    return w;
}

// A state tensor of parameter i: the caller's, or a fresh one to hand back once the step succeeded.
struct State {
    std::vector<at::Tensor> tensors;
    std::vector<std::pair<int, at::Tensor>> fresh;  // (caller index, new tensor)
};

void mint(State& s, ts_tensor* out) {
    for (auto& [i, t] : s.fresh) out[i] = ts::wrap(std::move(t));
}

}  // namespace

// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), per parameter
// with gradient g and step t (1-based, per parameter):
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)
// exp_avg / exp_avg_sq: in/out arrays of n handles (null = create as zeros); steps: per-parameter
// step counts, incremented for the parameters that had a gradient.
TS_API int ts_adamw_step(const ts_tensor* params, ts_tensor* exp_avg, ts_tensor* exp_avg_sq, int64_t* steps, int n,
                         double lr, double beta1, double beta2, double eps, double weight_decay) {
    TS_TRY({
        at::NoGradGuard no_grad;
        WithGrad w = gather(params, n);
        if (w.params.empty()) return TS_OK;
        State m, v;
        std::vector<at::Scalar> step_size, bc2_sqrt;
        for (size_t k = 0; k < w.params.size(); ++k) {
            const int i = w.index[k];
            if ((exp_avg[i] == nullptr) != (exp_avg_sq[i] == nullptr))
                throw std::invalid_argument("exp_avg and exp_avg_sq must both exist or both be absent");
            if (exp_avg[i] == nullptr) {
                m.fresh.emplace_back(i, at::zeros_like(w.params[k], at::MemoryFormat::Preserve));
                v.fresh.emplace_back(i, at::zeros_like(w.params[k], at::MemoryFormat::Preserve));
                m.tensors.push_back(m.fresh.back().second);
                v.tensors.push_back(v.fresh.back().second);
            } else {
                m.tensors.emplace_back(T(exp_avg[i]));
                v.tensors.emplace_back(T(exp_avg_sq[i]));
            }
            // PyTorch computes these in Python floats (double) from the float step count.
            const double t = static_cast<double>(steps[i] + 1);
            const double bc1 = 1 - std::pow(beta1, t);
            const double bc2 = 1 - std::pow(beta2, t);
            step_size.emplace_back((lr / bc1) * -1);
#if TS_ADAM_LERP_MOMENT
            bc2_sqrt.emplace_back(std::pow(bc2, 0.5));
#else
            bc2_sqrt.emplace_back(std::sqrt(bc2));
#endif
        }
        // Decoupled weight decay; PyTorch multiplies by 1.0 when wd == 0, which is an exact no-op.
        if (weight_decay != 0) at::_foreach_mul_(w.params, at::Scalar(1 - lr * weight_decay));
#if TS_ADAM_LERP_MOMENT
        at::_foreach_lerp_(m.tensors, w.grads, at::Scalar(1 - beta1));
#else
        at::_foreach_mul_(m.tensors, at::Scalar(beta1));
        at::_foreach_add_(m.tensors, w.grads, at::Scalar(1 - beta1));
#endif
        at::_foreach_mul_(v.tensors, at::Scalar(beta2));
        at::_foreach_addcmul_(v.tensors, w.grads, w.grads, at::Scalar(1 - beta2));
        std::vector<at::Tensor> denom = at::_foreach_sqrt(v.tensors);
        at::_foreach_div_(denom, bc2_sqrt);
        at::_foreach_add_(denom, at::Scalar(eps));
        at::_foreach_addcdiv_(w.params, m.tensors, denom, step_size);
        mint(m, exp_avg);
        mint(v, exp_avg_sq);
        for (int i : w.index) ++steps[i];
    })
}

// SGD with momentum as torch.optim.SGD defines it (Nesterov form per the PyTorch docs, after
// Sutskever et al. 2013), per parameter with gradient g:
//   g ← g + wd·p;  b ← g on the first step, else b ← μ·b + (1−τ)·g
//   g ← g + μ·b if nesterov, else g ← b;  p ← p − lr·g
// momentum_buffers: in/out array of n handles (null = first step: the buffer becomes a copy of g);
// may be null itself when momentum == 0. Unlike PyTorch 1.13 (whose Nesterov branch adds into
// p.grad in place when wd == 0) the gradients are never modified.
TS_API int ts_sgd_step(const ts_tensor* params, ts_tensor* momentum_buffers, int n, double lr, double momentum,
                       double dampening, double weight_decay, int nesterov) {
    TS_TRY({
        at::NoGradGuard no_grad;
        WithGrad w = gather(params, n);
        if (w.params.empty()) return TS_OK;
        std::vector<at::Tensor> grads =
            weight_decay != 0 ? at::_foreach_add(w.grads, w.params, at::Scalar(weight_decay)) : w.grads;
        State b;
        if (momentum != 0) {
            if (momentum_buffers == nullptr) throw std::invalid_argument("momentum != 0 needs a momentum buffer array");
            bool all = true;
            for (int i : w.index) all = all && momentum_buffers[i] != nullptr;
            if (all) {
                for (int i : w.index) b.tensors.emplace_back(T(momentum_buffers[i]));
                at::_foreach_mul_(b.tensors, at::Scalar(momentum));
                at::_foreach_add_(b.tensors, grads, at::Scalar(1 - dampening));
            } else {
                for (size_t k = 0; k < w.index.size(); ++k) {
                    const int i = w.index[k];
                    if (momentum_buffers[i] == nullptr) {
                        b.fresh.emplace_back(i, grads[k].clone().detach());
                        b.tensors.push_back(b.fresh.back().second);
                    } else {
                        at::Tensor buf(T(momentum_buffers[i]));
                        buf.mul_(momentum).add_(grads[k], 1 - dampening);
                        b.tensors.push_back(std::move(buf));
                    }
                }
            }
            if (nesterov) grads = at::_foreach_add(grads, b.tensors, at::Scalar(momentum));
            else grads = b.tensors;
        }
        at::_foreach_add_(w.params, grads, at::Scalar(-lr));
        if (momentum_buffers != nullptr) mint(b, momentum_buffers);
    })
}

namespace {

// torch.nn.utils.clip_grad_norm_: the norm of the vector of all gradients (norm_type may be inf),
// then every gradient scaled in place by min(1, max_norm / (total + 1e-6)). The coefficient stays a
// tensor, computed as PyTorch does (float / tensor is reciprocal(tensor) * float), so there is no
// branch on its value and no device synchronisation. Returns the norm before clipping, on the
// first gradient's device (an undefined tensor when no parameter has a gradient).
at::Tensor clip_grad_norm(const ts_tensor* params, int n, double max_norm, double norm_type) {
    at::NoGradGuard no_grad;
    WithGrad w = gather(params, n);
    if (w.grads.empty()) return at::Tensor();
    const at::Device device = w.grads[0].device();
    std::vector<at::Tensor> norms = at::_foreach_norm(w.grads, at::Scalar(norm_type));
    for (auto& t : norms) t = t.to(device);
    at::Tensor total = at::linalg_vector_norm(at::stack(norms), at::Scalar(norm_type));
    at::Tensor coef = at::clamp_max(at::reciprocal(total + 1e-6) * max_norm, 1.0);
    for (auto& g : w.grads) g.detach().mul_(coef.to(g.device()));
    return total;
}

}  // namespace

// Clips and writes the total norm to *total_norm_out as a double (0 when there are no gradients);
// reading it back synchronises with the device.
TS_API int ts_clip_grad_norm(const ts_tensor* params, int n, double max_norm, double norm_type, double* total_norm_out) {
    TS_TRY({
        at::Tensor total = clip_grad_norm(params, n, max_norm, norm_type);
        *total_norm_out = total.defined() ? total.item<double>() : 0.0;
    })
}

// Clips and hands back the total norm as a new 0-dim tensor (as PyTorch returns it: no sync; a
// float32 zero on the CPU when there are no gradients, as torch.tensor(0.)).
TS_API int ts_clip_grad_norm_t(const ts_tensor* params, int n, double max_norm, double norm_type, ts_tensor* out) {
    TS_TRY({
        at::Tensor total = clip_grad_norm(params, n, max_norm, norm_type);
        *out = ts::wrap(total.defined() ? std::move(total) : at::zeros({}, at::kFloat));
    })
}
