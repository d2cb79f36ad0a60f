// shim_optim.cpp — optimizer steps and gradient clipping, one native call each.
//
// Each function is a transcription of PyTorch's multi-tensor ("foreach=True") implementation, so a
// C# training loop makes one P/Invoke per step instead of ~10 per parameter, and produces the same
// numbers as PyTorch (same ops, same order, same scalar arithmetic in double):
//   ts_adamw_step      torch/optim/adamw.py  _multi_tensor_adamw (amsgrad=False, maximize=False)
//   ts_adamw_step_fused  the same step in one pass per parameter (kernel in shim_fused_adamw.cpp)
//   ts_sgd_step        torch/optim/sgd.py    _multi_tensor_sgd   (maximize=False)
//   ts_clip_grad_norm  torch/nn/utils/clip_grad.py clip_grad_norm_
// Parameters whose .grad is undefined are skipped, as PyTorch skips them: their state and step
// count do not move. Optimizer state is owned by the caller; a null state handle means "not created
// yet", and the step creates it (as PyTorch does lazily) and hands back a newly minted handle.
// New handles are written out only after every op succeeded, so a failure mints nothing.
#include <algorithm>
#include <cmath>
#include <iterator>
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

// One AdamW step's inputs for the parameters of a group that have a gradient: their moments (the
// caller's, or fresh zeros to hand back once the step succeeded) and the per-parameter scalars,
// computed in double as PyTorch does in Python floats from the float step count.
struct AdamWGroup {
    WithGrad w;
    State m, v;
    std::vector<double> step_size;  // −lr / (1 − β1^t)
    std::vector<double> bc2_sqrt;   // √(1 − β2^t)
};

AdamWGroup adamw_prepare(const ts_tensor* params, ts_tensor* exp_avg, ts_tensor* exp_avg_sq, const int64_t* steps,
                         int n, double lr, double beta1, double beta2) {
    AdamWGroup a;
    a.w = gather(params, n);
    for (size_t k = 0; k < a.w.params.size(); ++k) {
        const int i = a.w.index[k];
        if ((exp_avg[i] == nullptr) != (exp_avg_sq[i] == nullptr))
            throw std::invalid_argument("exp_avg and exp_avg_sq must both exist or both be absent");
        if (exp_avg[i] == nullptr) {
            a.m.fresh.emplace_back(i, at::zeros_like(a.w.params[k], at::MemoryFormat::Preserve));
            a.v.fresh.emplace_back(i, at::zeros_like(a.w.params[k], at::MemoryFormat::Preserve));
            a.m.tensors.push_back(a.m.fresh.back().second);
            a.v.tensors.push_back(a.v.fresh.back().second);
        } else {
            a.m.tensors.emplace_back(T(exp_avg[i]));
            a.v.tensors.emplace_back(T(exp_avg_sq[i]));
        }
        const double t = static_cast<double>(steps[i] + 1);
        const double bc1 = 1 - std::pow(beta1, t);
        const double bc2 = 1 - std::pow(beta2, t);
        a.step_size.push_back((lr / bc1) * -1);
#if TS_ADAM_LERP_MOMENT
        a.bc2_sqrt.push_back(std::pow(bc2, 0.5));
#else
        a.bc2_sqrt.push_back(std::sqrt(bc2));
#endif
    }
    return a;
}

// The step over _foreach_* ops, as torch.optim.AdamW(foreach=True): about 10 passes over memory.
void adamw_foreach(std::vector<at::Tensor>& params, const std::vector<at::Tensor>& grads, std::vector<at::Tensor>& m,
                   std::vector<at::Tensor>& v, const std::vector<double>& step_size_d,
                   const std::vector<double>& bc2_sqrt_d, double lr, double beta1, double beta2, double eps,
                   double weight_decay) {
    if (params.empty()) return;
    const std::vector<at::Scalar> step_size(step_size_d.begin(), step_size_d.end());
    const std::vector<at::Scalar> bc2_sqrt(bc2_sqrt_d.begin(), bc2_sqrt_d.end());
    // Decoupled weight decay; PyTorch multiplies by 1.0 when wd == 0, which is an exact no-op.
    if (weight_decay != 0) at::_foreach_mul_(params, at::Scalar(1 - lr * weight_decay));
#if TS_ADAM_LERP_MOMENT
    at::_foreach_lerp_(m, grads, at::Scalar(1 - beta1));
#else
    at::_foreach_mul_(m, at::Scalar(beta1));
    at::_foreach_add_(m, grads, at::Scalar(1 - beta1));
#endif
    at::_foreach_mul_(v, at::Scalar(beta2));
    at::_foreach_addcmul_(v, grads, grads, at::Scalar(1 - beta2));
    std::vector<at::Tensor> denom = at::_foreach_sqrt(v);
    at::_foreach_div_(denom, bc2_sqrt);
    at::_foreach_add_(denom, at::Scalar(eps));
    at::_foreach_addcdiv_(params, m, denom, step_size);
}

// After every op succeeded: the new moments' handles go out and the step counts advance.
void adamw_commit(AdamWGroup& a, ts_tensor* exp_avg, ts_tensor* exp_avg_sq, int64_t* steps) {
    mint(a.m, exp_avg);
    mint(a.v, exp_avg_sq);
    for (int i : a.w.index) ++steps[i];
}

#if TS_HAS_FUSED_ADAMW
// Parameters on a GPU take libtorch's own fused kernel, torch.optim.AdamW(fused=True)'s _fused_adamw_: one
// multi-tensor launch per chunk of parameters, computing in float with the same formula as above. It reads each
// parameter's step count t from a float32 tensor on the parameter's device (PyTorch increments those before the
// call; here the host keeps the counts). The kernel only reads them, so parameters at the same step share one.
void adamw_fused_device(AdamWGroup& a, const int64_t* steps, double lr, double beta1, double beta2, double eps,
                        double weight_decay) {
    std::vector<std::pair<int64_t, at::Tensor>> by_step;
    std::vector<at::Tensor> state_steps;
    for (size_t k = 0; k < a.w.params.size(); ++k) {
        const int64_t t = steps[a.w.index[k]] + 1;
        const at::Device device = a.w.params[k].device();
        auto it = std::find_if(by_step.begin(), by_step.end(),
                               [&](const auto& e) { return e.first == t && e.second.device() == device; });
        if (it == by_step.end()) {
            by_step.emplace_back(t, at::full({}, static_cast<double>(t), a.w.params[k].options().dtype(at::kFloat)));
            it = std::prev(by_step.end());
        }
        state_steps.push_back(it->second);
    }
    at::_fused_adamw_(a.w.params, a.w.grads, a.m.tensors, a.v.tensors, /*max_exp_avg_sqs=*/at::TensorList{},
                      state_steps, lr, beta1, beta2, weight_decay, eps, /*amsgrad=*/false, /*maximize=*/false);
}
#endif

}  // namespace

namespace ts {
// shim_fused_adamw.cpp (compiled on its own with -O3 -ffp-contract=off).
bool adamw_fused_supported(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v);
void adamw_fused_cpu(const at::Tensor& p, const at::Tensor& g, const at::Tensor& m, const at::Tensor& v, double decay,
                     double beta1, double beta2, double eps, double step_size, double bc2_sqrt);
}  // namespace ts

// AdamW (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019), per parameter
// with gradient g and step t (1-based, per parameter):
//   p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
//   p ← p − lr/(1−β1^t) · m / (√v / √(1−β2^t) + eps)
// exp_avg / exp_avg_sq: in/out arrays of n handles (null = create as zeros); steps: per-parameter
// step counts, incremented for the parameters that had a gradient.
TS_API int ts_adamw_step(const ts_tensor* params, ts_tensor* exp_avg, ts_tensor* exp_avg_sq, int64_t* steps, int n,
                         double lr, double beta1, double beta2, double eps, double weight_decay) {
    TS_TRY({
        c10::NoGradGuard no_grad;
        AdamWGroup a = adamw_prepare(params, exp_avg, exp_avg_sq, steps, n, lr, beta1, beta2);
        if (a.w.params.empty()) return TS_OK;
        adamw_foreach(a.w.params, a.w.grads, a.m.tensors, a.v.tensors, a.step_size, a.bc2_sqrt, lr, beta1, beta2, eps,
                      weight_decay);
        adamw_commit(a, exp_avg, exp_avg_sq, steps);
    })
}

// The same step (same arguments, skipping, state creation and step counts) in one pass over memory
// per parameter: shim_fused_adamw.cpp reads p, g, m, v once and writes p, m, v once, computing in
// the element type (float for float32, as PyTorch's fused kernels do) with the scalars above and
// the foreach path's rounding (bit-identical to it where libtorch runs its AVX2 kernels). A
// parameter the kernel cannot take (another dtype than float32/float64, tensors whose layouts
// differ or overlap) takes the _foreach_ path instead. A group wholly on CUDA takes libtorch's _fused_adamw_
// (adamw_fused_device above, libtorch >= 2.4); other parameters off the CPU are refused.
TS_API int ts_adamw_step_fused(const ts_tensor* params, ts_tensor* exp_avg, ts_tensor* exp_avg_sq, int64_t* steps,
                               int n, double lr, double beta1, double beta2, double eps, double weight_decay) {
    TS_TRY({
        c10::NoGradGuard no_grad;
        AdamWGroup a = adamw_prepare(params, exp_avg, exp_avg_sq, steps, n, lr, beta1, beta2);
        if (a.w.params.empty()) return TS_OK;
#if TS_HAS_FUSED_ADAMW
        if (std::all_of(a.w.params.begin(), a.w.params.end(), [](const at::Tensor& p) { return p.is_cuda(); })) {
            adamw_fused_device(a, steps, lr, beta1, beta2, eps, weight_decay);
            adamw_commit(a, exp_avg, exp_avg_sq, steps);
            return TS_OK;
        }
#endif
        std::vector<size_t> fused;
        std::vector<at::Tensor> fp, fg, fm, fv;
        std::vector<double> fss, fbc;
        for (size_t k = 0; k < a.w.params.size(); ++k) {
            const at::Tensor& p = a.w.params[k];
            if (!p.is_cpu() || !a.w.grads[k].is_cpu())
                throw std::invalid_argument("fused AdamW takes CPU parameters, or CUDA ones with libtorch >= 2.4 (parameter on " +
                                            p.device().str() + "); use optim adamw_torch");
            if (ts::adamw_fused_supported(p, a.w.grads[k], a.m.tensors[k], a.v.tensors[k])) {
                fused.push_back(k);
            } else {
                fp.push_back(p);
                fg.push_back(a.w.grads[k]);
                fm.push_back(a.m.tensors[k]);
                fv.push_back(a.v.tensors[k]);
                fss.push_back(a.step_size[k]);
                fbc.push_back(a.bc2_sqrt[k]);
            }
        }
        // The fallback first: it allocates and so may fail; the fused kernel allocates nothing.
        adamw_foreach(fp, fg, fm, fv, fss, fbc, lr, beta1, beta2, eps, weight_decay);
        const double decay = 1 - lr * weight_decay;
        for (size_t k : fused)
            ts::adamw_fused_cpu(a.w.params[k], a.w.grads[k], a.m.tensors[k], a.v.tensors[k], decay, beta1, beta2, eps,
                                a.step_size[k], a.bc2_sqrt[k]);
        adamw_commit(a, exp_avg, exp_avg_sq, steps);
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
        c10::NoGradGuard no_grad;
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
    c10::NoGradGuard no_grad;
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
