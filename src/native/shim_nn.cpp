// shim_nn.cpp — the neural-network ops behind LowRankTrainer.Torch.Nn: convolution, pooling,
// normalisation, embedding, dropout, losses and scaled-dot-product attention.
// 2-D window arguments travel as (h, w) pairs of int64; reductions use ATen's codes
// (0 none, 1 mean, 2 sum); a null handle is an absent optional tensor.
#include <ATen/core/Generator.h>

#include <array>
#include <cmath>
#include <limits>

#include "shim.h"

using ts::opt;
using ts::T;

typedef void* ts_generator;

namespace {

// Generators are heap at::Generator* handles (see shim_random.cpp); null means the default one.
c10::optional<at::Generator> gen_opt(ts_generator g) {
    return g ? c10::optional<at::Generator>(*static_cast<at::Generator*>(g)) : c10::nullopt;
}

// An (h, w) pair as an IntArrayRef-convertible array (a braced list would split a macro argument).
std::array<int64_t, 2> hw(int64_t h, int64_t w) { return {h, w}; }

// Inverted dropout: y = x ⊙ m / (1 − p), m ~ Bernoulli(1 − p). Without a generator this is
// at::dropout (a fused kernel on CUDA); with one it is the same composition at::dropout uses on
// CPU (empty_like(x).bernoulli_(1 − p), divided by 1 − p, times x), so a seeded generator gives
// what torch.manual_seed + F.dropout gives on CPU.
at::Tensor dropout(const at::Tensor& x, double p, bool train, ts_generator gen) {
    TORCH_CHECK(p >= 0 && p <= 1, "dropout probability has to be between 0 and 1, but got ", p);
    if (!train || p == 0) return x.alias();
    if (!gen) return at::dropout(x, p, train);
    if (p == 1) return x * at::zeros({}, x.options());
    at::Tensor noise = at::empty_like(x, at::MemoryFormat::Contiguous);
    noise.bernoulli_(1 - p, gen_opt(gen));
    noise.div_(1 - p);
    return x * noise;
}

// RMSNorm (Zhang & Sennrich 2019): y = x · rsqrt(mean(x², last n dims) + eps) · w. Composed, so
// 1.13 (which has no rms_norm op) and 2.x compute the same thing the same way.
at::Tensor rms_norm(const at::Tensor& x, int64_t n, const at::Tensor& w, double eps) {
    TORCH_CHECK(n >= 1 && n <= x.dim(), "rms_norm: cannot normalise over the last ", n, " dims of a ", x.dim(), "-d input");
    std::vector<int64_t> dims;
    for (int64_t d = x.dim() - n; d < x.dim(); d++) dims.push_back(d);
    at::Tensor y = x * at::rsqrt(x.pow(2).mean(dims, /*keepdim=*/true) + eps);
    return w.defined() ? y * w : y;
}

// softmax(Q·Kᵀ·scale + mask)·V (Vaswani et al. 2017). A bool mask is True where attention is
// allowed; a float mask is added to the scores; is_causal keeps key j ≤ query i (top-left aligned,
// as PyTorch). scale ≤ 0 means 1/√E. On 2.1+ the public op (flash / memory-efficient kernels on
// CUDA); before that the same math composed, with the same argument checks.
//
// enable_gqa: grouped-query attention (Ainslie et al. 2023), H query heads over Hkv = H/r key/value heads in dim −3,
// query head h reading key/value head ⌊h/r⌋. Without a mask on 2.5+ the op takes the unrepeated heads itself (the
// flash kernel reads each shared head in place: no r-fold copies kept for backward), as transformers does; otherwise
// the key/value heads are repeated first (HF's repeat_kv: repeat_interleave over the head dim).
at::Tensor sdpa(const at::Tensor& q, at::Tensor k, at::Tensor v, const at::Tensor& mask, double dropout_p,
                bool is_causal, double scale, bool enable_gqa) {
    bool gqa_in_op = false;
    if (enable_gqa && k.size(-3) != q.size(-3)) {
        TORCH_CHECK(q.dim() >= 3 && q.size(-3) % k.size(-3) == 0 && k.size(-3) == v.size(-3),
                    "scaled_dot_product_attention: enable_gqa needs query heads (", q.size(-3),
                    ") a multiple of key/value heads (", k.size(-3), ", ", v.size(-3), ") in dim -3");
#if TS_HAS_SDPA_GQA
        gqa_in_op = !mask.defined();
#endif
        if (!gqa_in_op) {
            const int64_t r = q.size(-3) / k.size(-3);
            k = k.repeat_interleave(r, -3);
            v = v.repeat_interleave(r, -3);
        }
    }
#if TS_HAS_PUBLIC_SDPA
    c10::optional<double> s = scale > 0 ? c10::optional<double>(scale) : c10::nullopt;
    const auto m = mask.defined() ? c10::optional<at::Tensor>(mask) : c10::nullopt;
#if TS_HAS_SDPA_GQA
    return at::scaled_dot_product_attention(q, k, v, m, dropout_p, is_causal, s, gqa_in_op);
#else
    return at::scaled_dot_product_attention(q, k, v, m, dropout_p, is_causal, s);
#endif
#else
    TORCH_CHECK(!(mask.defined() && is_causal), "scaled_dot_product_attention: explicit attn_mask should not be set when is_causal=True");
    const double sc = scale > 0 ? scale : 1.0 / std::sqrt(static_cast<double>(q.size(-1)));
    at::Tensor scores = at::matmul(q, k.transpose(-2, -1)) * sc;
    const double neg_inf = -std::numeric_limits<double>::infinity();
    if (is_causal) {
        const at::Tensor keep = at::ones({q.size(-2), k.size(-2)}, q.options().dtype(at::kBool)).tril();
        scores = scores.masked_fill(keep.logical_not(), neg_inf);
    }
    if (mask.defined()) {
        scores = mask.scalar_type() == at::kBool ? scores.masked_fill(mask.logical_not(), neg_inf) : scores + mask;
    }
    at::Tensor attn = at::softmax(scores, -1);
    if (dropout_p > 0) attn = at::dropout(attn, dropout_p, true);
    return at::matmul(attn, v);
#endif
}

}  // namespace

// ---- convolution and pooling (NCHW) ----
TS_TENSOR_FN(conv2d, (ts_tensor x, ts_tensor w, ts_tensor b, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t groups, ts_tensor* out),
             at::conv2d(T(x), T(w), opt(b), hw(sh, sw), hw(ph, pw), hw(dh, dw), groups))
TS_TENSOR_FN(max_pool2d, (ts_tensor x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int ceil_mode, ts_tensor* out),
             at::max_pool2d(T(x), hw(kh, kw), hw(sh, sw), hw(ph, pw), hw(dh, dw), ceil_mode != 0))
TS_TENSOR_FN(avg_pool2d, (ts_tensor x, int64_t kh, int64_t kw, int64_t sh, int64_t sw, int64_t ph, int64_t pw, int ceil_mode, int count_include_pad, ts_tensor* out),
             at::avg_pool2d(T(x), hw(kh, kw), hw(sh, sw), hw(ph, pw), ceil_mode != 0, count_include_pad != 0))

// ---- normalisation, embedding, dropout ----
// LayerNorm (Ba et al. 2016) over the trailing normalized_shape dims; weight and bias optional.
TS_TENSOR_FN(layer_norm, (ts_tensor x, const int64_t* shape, int ndim, ts_tensor w, ts_tensor b, double eps, ts_tensor* out),
             at::layer_norm(T(x), ts::dims(shape, ndim), opt(w), opt(b), eps))
TS_TENSOR_FN(rms_norm, (ts_tensor x, int64_t ndims, ts_tensor w, double eps, ts_tensor* out), rms_norm(T(x), ndims, opt(w), eps))
// Rows of weight picked by integer indices; the padding_idx row (−1: none) gets no gradient.
TS_TENSOR_FN(embedding, (ts_tensor w, ts_tensor indices, int64_t padding_idx, ts_tensor* out), at::embedding(T(w), T(indices), padding_idx))
TS_TENSOR_FN(dropout, (ts_tensor x, double p, int train, ts_generator gen, ts_tensor* out), dropout(T(x), p, train != 0, gen))

// ---- losses ----
// Class-index (int64) or class-probability (float) targets; ignore_index applies to the former.
TS_TENSOR_FN(cross_entropy, (ts_tensor logits, ts_tensor target, ts_tensor weight, int64_t reduction, int64_t ignore_index, double label_smoothing, ts_tensor* out),
             at::cross_entropy_loss(T(logits), T(target), opt(weight), reduction, ignore_index, label_smoothing))
TS_TENSOR_FN(nll_loss, (ts_tensor log_probs, ts_tensor target, ts_tensor weight, int64_t reduction, int64_t ignore_index, ts_tensor* out),
             at::nll_loss_nd(T(log_probs), T(target), opt(weight), reduction, ignore_index))
TS_TENSOR_FN(mse_loss, (ts_tensor a, ts_tensor b, int64_t reduction, ts_tensor* out), at::mse_loss(T(a), T(b), reduction))

// ---- attention ----
TS_TENSOR_FN(sdpa, (ts_tensor q, ts_tensor k, ts_tensor v, ts_tensor mask, double dropout_p, int is_causal, double scale, int enable_gqa, ts_tensor* out),
             sdpa(T(q), T(k), T(v), opt(mask), dropout_p, is_causal != 0, scale, enable_gqa != 0))
