// shim_create.cpp — tensor factories, conversion between devices/dtypes/host memory, metadata.
#include <cstring>

#include "shim.h"

using ts::T;

static at::TensorOptions opts(int dtype, int devtype, int devidx) {
    return at::TensorOptions().dtype(ts::dtype_from_code(dtype)).device(ts::device_from(devtype, devidx));
}

#define TS_SHAPE_PARAMS const int64_t *shape, int ndim, int dtype, int devtype, int devidx
#define TS_SHAPE ts::dims(shape, ndim), opts(dtype, devtype, devidx)

TS_TENSOR_FN(empty, (TS_SHAPE_PARAMS, ts_tensor* out), at::empty(TS_SHAPE))
TS_TENSOR_FN(zeros, (TS_SHAPE_PARAMS, ts_tensor* out), at::zeros(TS_SHAPE))
TS_TENSOR_FN(ones, (TS_SHAPE_PARAMS, ts_tensor* out), at::ones(TS_SHAPE))
TS_TENSOR_FN(full, (TS_SHAPE_PARAMS, ts_scalar value, ts_tensor* out), at::full(ts::dims(shape, ndim), ts::S(value), opts(dtype, devtype, devidx)))
TS_TENSOR_FN(arange, (ts_scalar start, ts_scalar end, ts_scalar step, int dtype, int devtype, int devidx, ts_tensor* out),
             at::arange(ts::S(start), ts::S(end), ts::S(step), opts(dtype, devtype, devidx)))
TS_TENSOR_FN(linspace, (double start, double end, int64_t steps, int dtype, int devtype, int devidx, ts_tensor* out),
             at::linspace(start, end, steps, opts(dtype, devtype, devidx)))
TS_TENSOR_FN(eye, (int64_t n, int64_t m, int dtype, int devtype, int devidx, ts_tensor* out), at::eye(n, m, opts(dtype, devtype, devidx)))
TS_TENSOR_FN(zeros_like, (ts_tensor a, ts_tensor* out), at::zeros_like(T(a)))
TS_TENSOR_FN(ones_like, (ts_tensor a, ts_tensor* out), at::ones_like(T(a)))
TS_TENSOR_FN(clone, (ts_tensor a, ts_tensor* out), T(a).clone())
TS_TENSOR_FN(alias, (ts_tensor a, ts_tensor* out), at::Tensor(T(a)))

// Copies nbytes from host memory into a new tensor (then moves it to the device).
TS_API int ts_from_data(const void* data, int64_t nbytes, TS_SHAPE_PARAMS, ts_tensor* out) {
    TS_TRY({
        at::Tensor t = at::empty(ts::dims(shape, ndim), at::TensorOptions().dtype(ts::dtype_from_code(dtype)));
        const int64_t expected = t.numel() * static_cast<int64_t>(t.element_size());
        TORCH_CHECK(expected == nbytes, "from_data: shape ", t.sizes(), " of ", t.scalar_type(), " needs ", expected,
                    " bytes but ", nbytes, " were given");
        if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
        const at::Device device = ts::device_from(devtype, devidx);
        if (device != t.device()) t = t.to(device);
        *out = ts::wrap(std::move(t));
    })
}

TS_TENSOR_FN(to, (ts_tensor a, int dtype, int devtype, int devidx, int copy, ts_tensor* out),
             T(a).to(ts::device_from(devtype, devidx), ts::dtype_from_code(dtype), /*non_blocking=*/false, copy != 0))

// Copies the tensor's elements (row-major) into host memory of exactly nbytes.
TS_API int ts_copy_to_host(ts_tensor a, void* dst, int64_t nbytes) {
    TS_TRY({
        at::Tensor t = T(a).detach().to(at::kCPU).contiguous();
        const int64_t have = t.numel() * static_cast<int64_t>(t.element_size());
        TORCH_CHECK(have == nbytes, "copy_to_host: tensor holds ", have, " bytes but the destination has ", nbytes);
        if (nbytes > 0) std::memcpy(dst, t.data_ptr(), static_cast<size_t>(nbytes));
    })
}

TS_API int ts_item_double(ts_tensor a, double* out) { TS_TRY(*out = T(a).item<double>()) }
TS_API int ts_item_long(ts_tensor a, int64_t* out) { TS_TRY(*out = T(a).item<int64_t>()) }

// dtype code, device type/index, rank, requires_grad — one call for everything the C# side caches.
TS_API int ts_tensor_info(ts_tensor a, int* dtype, int* devtype, int* devidx, int* ndim, int* requires_grad) {
    TS_TRY({
        const at::Tensor& t = T(a);
        TORCH_CHECK(t.defined(), "tensor is undefined");
        *dtype = ts::dtype_to_code(t.scalar_type());
        *devtype = t.device().is_cuda() ? 1 : 0;
        *devidx = t.device().has_index() ? t.device().index() : 0;
        *ndim = static_cast<int>(t.dim());
        *requires_grad = t.requires_grad() ? 1 : 0;
    })
}

TS_API int ts_shape(ts_tensor a, int64_t* buf, int cap, int* ndim) {
    TS_TRY({
        const auto sizes = T(a).sizes();
        *ndim = static_cast<int>(sizes.size());
        if (*ndim > cap) return ts::fail(TS_BUFFER_TOO_SMALL, "shape buffer too small");
        for (int i = 0; i < *ndim; ++i) buf[i] = sizes[static_cast<size_t>(i)];
    })
}

TS_API int ts_numel(ts_tensor a, int64_t* out) { TS_TRY(*out = T(a).numel()) }
