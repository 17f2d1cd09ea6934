build/release/benchmarks/bench_train --benchmark_repetitions=5 --benchmark_context=cpu_model=AMD\ EPYC\,avx512f=false\,avx512_bf16=false\,amx_bf16=false\,amx_tile=false
