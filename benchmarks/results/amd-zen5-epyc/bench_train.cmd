build/release/benchmarks/bench_train --benchmark_repetitions=5
