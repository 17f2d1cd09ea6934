build/release/benchmarks/bench_kernels --benchmark_repetitions=5
