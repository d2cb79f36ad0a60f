// compat.h — the one place where libtorch 1.13 (Debian, CPU) and 2.x (pip, CUDA) differ.
// Everything is keyed on TS_TORCH_VER = major*100 + minor; Debian's 1.13.1 reports patch 0,
// so nothing may depend on the patch level.
#pragma once
#include <torch/version.h>

#define TS_TORCH_VER (TORCH_VERSION_MAJOR * 100 + TORCH_VERSION_MINOR)

// Public scaled-dot-product attention exists from 2.0 (scale argument from 2.1).
#define TS_HAS_PUBLIC_SDPA (TS_TORCH_VER >= 201)
// scaled_dot_product_attention(..., enable_gqa): fewer key/value heads than query heads, from 2.5.
#define TS_HAS_SDPA_GQA (TS_TORCH_VER >= 205)
// Device-typed autocast API (old names become deprecated wrappers that warn at runtime) from 2.4.
#define TS_HAS_DEVICE_TYPED_AUTOCAST (TS_TORCH_VER >= 204)
// _fused_adamw_ (CUDA from 2.0; CPU kernels from 2.4).
#define TS_HAS_FUSED_ADAMW (TS_TORCH_VER >= 204)

#if TS_TORCH_VER < 113
#error "LowRankTrainer's shim needs libtorch 1.13 or newer"
#endif
