// shim_autograd.cpp — requires_grad, backward, .grad access and detaching.
#include <torch/csrc/autograd/function.h>

#include <cstring>

#include "shim.h"

using ts::T;

TS_INPLACE_FN(set_requires_grad, (ts_tensor a, int on), T(a).set_requires_grad(on != 0))
TS_API int ts_is_leaf(ts_tensor a, int* out) { TS_TRY(*out = T(a).is_leaf() ? 1 : 0) }

// loss.backward(gradient, retain_graph, create_graph); a null gradient means ones for a scalar.
TS_API int ts_backward(ts_tensor a, ts_tensor gradient, int retain_graph, int create_graph) {
    TS_TRY(T(a).backward(ts::opt(gradient), c10::optional<bool>(retain_graph != 0), create_graph != 0))
}

// A new handle on .grad, or a null handle when the tensor has no gradient.
TS_API int ts_grad(ts_tensor a, ts_tensor* out) {
    TS_TRY({
        at::Tensor g = T(a).grad();
        *out = g.defined() ? ts::wrap(at::Tensor(g)) : nullptr;
    })
}

TS_INPLACE_FN(set_grad, (ts_tensor a, ts_tensor g), T(a).mutable_grad() = ts::opt(g))

// Zeroes gradients of n tensors in one call: set_to_none drops them (PyTorch 2.x's default),
// otherwise they are zeroed in place.
TS_API int ts_zero_grad(const ts_tensor* ts, int n, int set_to_none) {
    TS_TRY({
        for (int i = 0; i < n; ++i) {
            at::Tensor& g = T(ts[i]).mutable_grad();
            if (!g.defined()) continue;
            if (set_to_none) {
                g.reset();
            } else {
                if (g.grad_fn()) g = g.detach();
                else g.requires_grad_(false);
                g.zero_();
            }
        }
    })
}

TS_TENSOR_FN(detach, (ts_tensor a, ts_tensor* out), T(a).detach())
TS_INPLACE_FN(detach_, (ts_tensor a), T(a).detach_())

// The name of the node that produced this tensor ("AddBackward0"), or "" for leaves and tensors
// outside the graph; written NUL-terminated into buf, *needed = full length + 1.
TS_API int ts_grad_fn_name(ts_tensor a, char* buf, int cap, int* needed) {
    TS_TRY({
        std::string name;
        if (auto fn = T(a).grad_fn()) {
            name = fn->name();
            const auto pos = name.rfind("::");
            if (pos != std::string::npos) name = name.substr(pos + 2);
        }
        *needed = static_cast<int>(name.size()) + 1;
        if (*needed > cap) return ts::fail(TS_BUFFER_TOO_SMALL, "name buffer too small");
        std::memcpy(buf, name.c_str(), name.size() + 1);
    })
}
