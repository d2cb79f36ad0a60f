// Live-handle counts are process-wide, so tests that compare them with a baseline must not share
// the process with tests running concurrently; libtorch parallelises inside ops anyway.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
