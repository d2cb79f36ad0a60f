// shim_dist.cpp — data parallelism on PyTorch's own engine, c10d (what torchrun and DDP use): a TCPStore rendezvous
// and a Gloo process group (CPU), with the collectives a data-parallel trainer needs — bucketed all-reduce (sum or
// mean), broadcast from a root, barrier. Built with TS_WITH_GLOO when gloo's headers are found (Debian: libgloo-dev);
// otherwise every call answers that this shim has no c10d Gloo. Every collective waits at most the group's timeout,
// so a rank that died or never came makes the others fail with Gloo's message instead of hanging.
#include "shim.h"

#ifdef TS_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <functional>
#include <stdexcept>

namespace {

struct Group {
    c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
    int rank;
    int world;
    std::chrono::milliseconds timeout;
};

Group* G(void* h) { return static_cast<Group*>(h); }

bool is_loopback(const std::string& host) { return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1"; }

// Runs `collective` on buckets of at most cap_bytes: each bucket's tensors are flattened into one contiguous buffer,
// so a bucket costs one collective (DDP's gradient buckets, bucket_cap_mb); the results are copied back. Tensors of a
// bucket share a dtype: a tensor of another dtype starts a new bucket.
template <typename F>
void bucketed(std::vector<at::Tensor>& tensors, int64_t cap_bytes, F&& collective) {
    // Collectives are not differentiable: without this guard, copying the result back into a parameter (a leaf that
    // requires grad, e.g. when rank 0's initial weights are broadcast) is refused, and the cat would record a graph.
    c10::NoGradGuard no_grad;
    size_t start = 0;
    while (start < tensors.size()) {
        size_t end = start;
        int64_t bytes = 0;
        while (end < tensors.size() && tensors[end].scalar_type() == tensors[start].scalar_type() &&
               (end == start || bytes + static_cast<int64_t>(tensors[end].nbytes()) <= cap_bytes)) {
            bytes += static_cast<int64_t>(tensors[end].nbytes());
            ++end;
        }
        std::vector<at::Tensor> flat_parts;
        for (size_t i = start; i < end; ++i) flat_parts.push_back(tensors[i].reshape({-1}));
        std::vector<at::Tensor> bucket{at::cat(flat_parts)};
        collective(bucket);
        int64_t offset = 0;
        for (size_t i = start; i < end; ++i) {
            const int64_t n = tensors[i].numel();
            tensors[i].view({-1}).copy_(bucket[0].narrow(0, offset, n));
            offset += n;
        }
        start = end;
    }
}

std::vector<at::Tensor> borrow_all(ts_tensor* handles, int n) {
    std::vector<at::Tensor> tensors;
    tensors.reserve(n);
    for (int i = 0; i < n; ++i) {
        at::Tensor t = ts::T(handles[i]);
        TORCH_CHECK(t.is_contiguous(), "c10d collective: tensor ", i, " is not contiguous");
        tensors.push_back(std::move(t));
    }
    return tensors;
}

// Gloo's own messages ("Connection closed by peer", "Timed out waiting ...") say what broke, not that a rank of a
// group did: say which collective on which rank, and the likely cause.
template <typename F>
void with_context(const std::string& what, F&& body) {
    try {
        body();
    } catch (const std::exception& e) {
        throw std::runtime_error(what + " failed: " + (dynamic_cast<const c10::Error*>(&e) ? static_cast<const c10::Error&>(e).what_without_backtrace() : e.what()));
    }
}

void run(Group* g, const char* what, const std::function<c10::intrusive_ptr<c10d::Work>()>& start) {
    const std::string context = std::string("c10d ") + what + " on rank " + std::to_string(g->rank) + " of " + std::to_string(g->world) +
                                " (another rank has stopped, or is more than " + std::to_string(g->timeout.count()) + " ms behind)";
    with_context(context, [&] {
        if (!start()->wait(g->timeout)) throw std::runtime_error("timed out");
    });
}

}  // namespace

#else

namespace {

int no_gloo() {
    return ts::fail(TS_ERROR, "no c10d Gloo: this shim was built without gloo's headers (Debian: apt-get install libgloo-dev, then rebuild the shim)");
}

}  // namespace

#endif

TS_API int ts_dist_available(int* out) {
#ifdef TS_WITH_GLOO
    TS_TRY(*out = 1)
#else
    *out = 0;
    return TS_OK;
#endif
}

// Joins the group: rank 0 serves the TCPStore on host:port and waits for the others (at most timeout_ms); every rank
// then forms the Gloo group. A loopback host binds Gloo to 127.0.0.1; any other uses the machine's own hostname,
// as torchrun does.
TS_API int ts_dist_init(const char* host, int port, int rank, int world, int64_t timeout_ms, void** out) {
#ifdef TS_WITH_GLOO
    TS_TRY({
        TORCH_CHECK(world >= 1 && rank >= 0 && rank < world, "rank ", rank, " is not in a world of ", world);
        TORCH_CHECK(port > 0 && port < 65536, "port ", port, " is out of range");
        const std::chrono::milliseconds timeout(timeout_ms);
        c10d::TCPStoreOptions store_options;
        store_options.port = static_cast<std::uint16_t>(port);
        store_options.isServer = rank == 0;
        store_options.numWorkers = static_cast<size_t>(world);
        store_options.waitWorkers = true;
        store_options.timeout = timeout;
        const std::string context = "rank " + std::to_string(rank) + " of " + std::to_string(world) + " joining the c10d group at " + host + ":" +
                                    std::to_string(port) + " (waited at most " + std::to_string(timeout_ms) +
                                    " ms; did every rank start, with the same MASTER_ADDR, MASTER_PORT and WORLD_SIZE, and is the port free?)";
        with_context(context, [&] {
            auto store = c10::make_intrusive<c10d::TCPStore>(std::string(host), store_options);
            auto options = c10d::ProcessGroupGloo::Options::create(timeout);
            options->devices.push_back(is_loopback(host) ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                                         : c10d::ProcessGroupGloo::createDefaultDevice());
            auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, world, options);
            *out = new Group{pg, rank, world, timeout};
        });
    })
#else
    return no_gloo();
#endif
}

TS_API int ts_dist_free(void* group) {
#ifdef TS_WITH_GLOO
    TS_TRY(delete G(group))
#else
    return no_gloo();
#endif
}

// Sums the tensors across ranks in place (mean != 0: then divides by the world size), in buckets of cap_bytes.
TS_API int ts_dist_all_reduce(void* group, ts_tensor* tensors, int n, int mean, int64_t cap_bytes) {
#ifdef TS_WITH_GLOO
    TS_TRY({
        auto* g = G(group);
        auto list = borrow_all(tensors, n);
        bucketed(list, cap_bytes, [&](std::vector<at::Tensor>& bucket) {
            run(g, "all_reduce", [&] { return g->pg->allreduce(bucket, c10d::AllreduceOptions{}); });
            if (mean) bucket[0].div_(g->world);
        });
    })
#else
    return no_gloo();
#endif
}

// Replaces the tensors on every rank by rank root's, in buckets of cap_bytes.
TS_API int ts_dist_broadcast(void* group, ts_tensor* tensors, int n, int root, int64_t cap_bytes) {
#ifdef TS_WITH_GLOO
    TS_TRY({
        auto* g = G(group);
        TORCH_CHECK(root >= 0 && root < g->world, "root ", root, " is not in a world of ", g->world);
        auto list = borrow_all(tensors, n);
        c10d::BroadcastOptions options;
        options.rootRank = root;
        bucketed(list, cap_bytes, [&](std::vector<at::Tensor>& bucket) { run(g, "broadcast", [&] { return g->pg->broadcast(bucket, options); }); });
    })
#else
    return no_gloo();
#endif
}

TS_API int ts_dist_barrier(void* group) {
#ifdef TS_WITH_GLOO
    TS_TRY({
        auto* g = G(group);
        run(g, "barrier", [&] { return g->pg->barrier(c10d::BarrierOptions{}); });
    })
#else
    return no_gloo();
#endif
}
