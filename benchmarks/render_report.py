#!/usr/bin/env python3
"""Render docs/benchmarks.md from everything under benchmarks/results/.

Usage: benchmarks/render_report.py benchmarks/results > docs/benchmarks.md

Results are kept per CPU, because the CPU under the project changes between sessions and a
speed figure or ratio holds for the CPU it was measured on only:

  benchmarks/results/<cpu slug>/   (slug: benchmarks/cpu_slug.py, e.g. amd-zen5-epyc)
      cpu.json                     the CPU's model and its avx512f/avx512_bf16/amx flags
                                   (null: not recorded)
      bench_kernels.json, bench_train.json   Google Benchmark (scripts/bench.sh), each with a
                                   .cmd file holding its command; their context carries the CPU
      bench_profile.json           where the time of a training step goes (bench_profile --out)
      compare_pytorch.json         scripts/compare-pytorch.sh; float32, and bf16 when run with
                                   --precision bf16|both
      compile_time.json            scripts/bench.sh
      compile_engine.json          scripts/compile-time.sh
      distributed.json             scripts/bench-distributed.sh (bench_distributed: 1 process vs
                                   ranks under mpirun), with distributed.cmd
  benchmarks/results/accuracy.csv  scripts/accuracy.sh, and ember_recipe.csv / pytorch_recipe.csv
                                   (runs of PyTorch's example recipe recorded by hand, each row
                                   with its command): accuracy hardly depends on the CPU, so these
                                   stay at the top level, where scripts/accuracy.sh writes; those
                                   recorded before issue 13 were measured on the Zen 5
                                   (amd-zen5-epyc).
  benchmarks/results/onnx_export.csv  scripts/check-onnx.sh --record (`mnist export` files run in
                                   OpenCV's DNN against ember), with onnx_export.cmd

Each CPU folder becomes one section headed by the CPU's model and flags; the targets table has
one column per CPU (the accuracy targets, which do not depend on the CPU, a table of their own).
Result files directly in benchmarks/results/ (the layout before issue 13) render as a section of
an unrecorded CPU. Standard library only; reports medians and minima of repetitions.
"""
import csv
import json
import os
import sys
from collections import OrderedDict


def median(v):
    v = sorted(v)
    return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2


def load_csv(results, name):
    """The rows of results/name as dicts (None when the file is missing), and its path."""
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None, path
    with open(path) as f:
        return list(csv.DictReader(f)), path


def load_json(results, name):
    path = os.path.join(results, name)
    if not os.path.exists(path):
        return None, path
    with open(path) as f:
        return json.load(f), path


def command_of(results, name):
    path = os.path.join(results, name + ".cmd")
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    return "build/release/benchmarks/%s --benchmark_repetitions=5" % name


class GoogleBenchmark:
    """The repetitions of each benchmark of one Google Benchmark JSON file."""

    def __init__(self, data):
        self.context = data["context"]
        self.runs = OrderedDict()
        for b in data["benchmarks"]:
            if b.get("run_type") == "iteration":
                self.runs.setdefault(b["run_name"], []).append(b)

    def stat(self, name, key, fn):
        values = [r[key] for r in self.runs.get(name, []) if key in r]
        return fn(values) if values else None

    def repetitions(self):
        return max(len(v) for v in self.runs.values())


def machine_line(ctx):
    caches = ", ".join("L%d %s %d KiB" % (c["level"], c["type"].lower(), c["size"] // 1024)
                       for c in ctx.get("caches", []))
    return "%s CPUs at %d MHz (%s)" % (ctx["num_cpus"], ctx["mhz_per_cpu"], caches)


FLAGS = ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile")
CPU_FILES = ("compare_pytorch.json", "bench_kernels.json", "bench_train.json", "bench_profile.json",
             "compile_time.json", "distributed.json")


def flag_value(value):
    """true/false/null as JSON or as Google Benchmark's context strings -> True/False/None."""
    if isinstance(value, bool) or value is None:
        return value
    return {"true": True, "false": False}.get(str(value).lower())


def with_family(cpu):
    """A VM may name the CPU only "AMD EPYC": the family and model numbers tell them apart."""
    if cpu.get("family") is not None and cpu.get("model_number") is not None:
        return "%s (family %d, model %d)" % (cpu["model"], cpu["family"], cpu["model_number"])
    return cpu["model"]


def cpu_of(folder):
    """The CPU of a results folder: cpu.json, else what the result files recorded."""
    data, _ = load_json(folder, "cpu.json")
    if data:
        return {"model": with_family(data), "source": data.get("source"),
                "flags": {f: flag_value(data.get("flags", {}).get(f)) for f in FLAGS}}
    for name in ("compare_pytorch.json", "bench_kernels.json", "bench_train.json", "bench_profile.json"):
        data, _ = load_json(folder, name)
        data = data or {}
        cpu = data.get("cpu")  # compare_pytorch and bench_profile; Google Benchmark: its context
        if not cpu and "cpu_model" in data.get("context", {}):
            cpu = dict(data["context"], model=data["context"]["cpu_model"])
        if cpu:
            flags = cpu.get("flags", cpu)
            return {"model": with_family(cpu), "source": name, "flags": {f: flag_value(flags.get(f)) for f in FLAGS}}
    return {"model": "CPU not recorded", "source": None, "flags": dict.fromkeys(FLAGS)}


def flags_line(cpu):
    words = {True: "yes", False: "no", None: "not recorded"}
    return ", ".join("%s %s" % (f, words[cpu["flags"][f]]) for f in FLAGS)


def benchmark_table(gb, counter, scale, counter_title):
    out = ["| benchmark | median time | min time | median %s | median GB/s |" % counter_title, "|---|---|---|---|---|"]
    for name in gb.runs:
        unit = gb.runs[name][0]["time_unit"]
        value = gb.stat(name, counter, median)
        bw = gb.stat(name, "bytes_per_second", median)
        label = gb.runs[name][0].get("label")
        out.append("| %s | %.3f %s | %.3f %s | %s | %s |" % (
            name + (" (%s)" % label if label else ""), gb.stat(name, "real_time", median), unit,
            gb.stat(name, "real_time", min), unit,
            ("%.1f" % (value / scale)) if value else "", ("%.1f" % (bw / 1e9)) if bw else ""))
    out.append("")
    return out


def kernels_section(results, targets, cpu):
    data, path = load_json(results, "bench_kernels.json")
    if data is None:
        return []
    gb = GoogleBenchmark(data)
    out = ["### Kernels\n",
           "- Command: `%s` (%s)" % (command_of(results, "bench_kernels"), path),
           "- Machine: %s, %s; run on %s" % (cpu["model"], machine_line(gb.context), gb.context["date"]),
           "- Build: the `release` preset, -O3 -march=native (EMBER_NATIVE); threads: the default (all CPUs); "
           "%d repetitions\n" % gb.repetitions(),
           "FLOP/s count the GEMM work of the convolution only (2 x O x C*KH*KW x OH*OW per sample, twice that "
           "for the backward with input gradient), so a convolution and its yardstick compare directly. The "
           "yardstick is Eigen's GEMM on the same matrix sizes with ready-made im2col columns, split over samples "
           "like the kernel. Users' shapes (`bench_kernels --shapes=...`, `shape:` in the names) run in float32 "
           "and bf16, their backward with the input gradient next to a yardstick of the two backward GEMMs; "
           "the bf16 yardstick is ember's bf16 GEMM in the shapes the bf16 convolution uses.\n"]
    out += benchmark_table(gb, "FLOP/s", 1e9, "GFLOP/s")
    out += ["#### Convolution vs the GEMM yardstick\n", "| shape | pass | conv GFLOP/s | yardstick GFLOP/s | ratio |",
            "|---|---|---|---|---|"]
    twins = (("BM_conv_forward/", "BM_gemm_yardstick/", "forward"),
             ("BM_conv_backward/", "BM_gemm_yardstick_backward/", "backward"))
    for name in gb.runs:
        for conv, yardstick, phase in twins:
            twin = name.replace(conv, yardstick)
            if name.startswith(conv) and twin in gb.runs:
                a, b = gb.stat(name, "FLOP/s", median), gb.stat(twin, "FLOP/s", median)
                label = gb.runs[twin][0].get("label")
                out.append("| %s | %s | %.1f | %.1f%s | %.0f%% |" % (
                    name.split("/", 1)[1].replace("/real_time", ""), phase, a / 1e9, b / 1e9,
                    " (%s)" % label if label else "", 100 * a / b))
    out.append("")
    conv2, yard2 = "BM_conv_forward/conv:2/batch:64/real_time", "BM_gemm_yardstick/conv:2/batch:64/real_time"
    if conv2 in gb.runs and yard2 in gb.runs:
        ratio = gb.stat(conv2, "FLOP/s", median) / gb.stat(yard2, "FLOP/s", median)
        targets.append(("conv2 forward at batch 64 vs the yardstick GEMM", "%.0f%%" % (100 * ratio), ">= 80%",
                        ratio >= 0.8, "bench_kernels"))
    return out


def train_section(results, targets, cpu):
    data, path = load_json(results, "bench_train.json")
    if data is None:
        return []
    gb = GoogleBenchmark(data)
    out = ["### Training step and inference (synthetic data)\n",
           "- Command: `%s` (%s)" % (command_of(results, "bench_train"), path),
           "- %d repetitions; threads:0 is the default (all CPUs)\n" % gb.repetitions()]
    out += benchmark_table(gb, "images/s", 1, "images/s")
    one = gb.stat("BM_train_step/batch:64/threads:1/real_time", "images/s", median)
    two = gb.stat("BM_train_step/batch:64/threads:2/real_time", "images/s", median)
    if one and two:
        out.append("Thread scaling of a training step (batch 64): %.0f images/s with 1 thread, %.0f with 2: "
                   "**%.2fx**.\n" % (one, two, two / one))
        targets.append(("thread scaling, training step, 2 vs 1 threads", "%.2fx" % (two / one), ">= 1.7x",
                        two / one >= 1.7, "bench_train"))
    return out


def compare_figure(value, unit):
    return ("%.0f" % value) if unit in ("img/s", "us") else ("%.2f" % value)


def compare_relative(metric, value):
    return "-" if value is None else ("%+.2f pp" % value) if metric == "test_accuracy_pct" else "%.2fx" % value


def compare_section(results, targets, cpu):
    data, path = load_json(results, "compare_pytorch.json")
    if data is None:
        return []
    settings = data["settings"]
    summaries = data.get("summaries") or {"float32": data["summary"]}  # files before --precision: float32
    out = ["### ember vs PyTorch\n",
           "- Command: `scripts/compare-pytorch.sh`, which runs `%s` (%s, %s)" % (data["command"], path, data["date"]),
           "- Machine: %s, %s logical CPUs (%s)" % (data["machine"]["cpu"], data["machine"]["logical_cpus"],
                                                   data["machine"]["system"]),
           "- Recipe: the reference CNN, Adadelta lr 1.0, StepLR gamma 0.7, batch %d, %d epoch(s) over %s training "
           "images, %d threads for both, data in memory; %d runs alternating which framework goes first; "
           "PyTorch %s." % (settings["batch_size"], settings["epochs"],
                            settings["train_images"] or "all 60,000", settings["threads"], settings["runs"],
                            data["runs"][0].get("pytorch", {}).get("version", "not installed")),
           "- Training and the test-accuracy pass run in one process (its peak RSS is reported); inference "
           "(batch 1000: median of 5 passes over the 10,000 test images; batch 1: median latency of 280 single "
           "images) in another.\n"]
    if not data["pytorch_installed"]:
        out.append("PyTorch was not installed: ember's figures only.\n")
    out += ["float32, both frameworks:\n",
            "| figure | PyTorch (min-max) | ember (min-max) | ratio | target | met in every run |",
            "|---|---|---|---|---|---|"]
    for row in summaries["float32"]:
        unit = row["unit"]
        ember = "%s (%s-%s)" % tuple(compare_figure(row[k], unit) for k in ("ember", "ember_min", "ember_max"))
        if "pytorch" in row:
            torch = "%s (%s-%s)" % tuple(compare_figure(row[k], unit) for k in ("pytorch", "pytorch_min", "pytorch_max"))
            ratio = compare_relative(row["metric"], row["ratio"])
            if row["metric"] == "test_accuracy_pct":  # judged on the mean over the runs' seeds
                every = row["met"]
                met = "mean over the seeds: %s" % ("yes" if every else "no")
            else:
                every = all(row["per_run_met"])
                met = "yes" if every else "no (%d of %d runs)" % (sum(row["per_run_met"]), len(row["per_run_met"]))
            targets.append((row["label"], ratio if row["metric"] != "peak_rss_mb" else "%.0f MB" % row["ember"],
                            row["target"], every, "compare_pytorch"))
        else:
            torch, ratio, met = "-", "-", "-"
        out.append("| %s [%s] | %s | %s | %s | %s | %s |" % (row["label"], unit, torch, ember, ratio, row["target"], met))
    out.append("")
    if data.get("side_by_side"):
        out += bf16_table(data)
        if has_bf16_arithmetic(cpu) is False:
            out.append(NO_BF16_ARITHMETIC)
        bf16_targets(data, targets, cpu)
    out.append("Accuracy is the mean over the runs' seeds, the other figures the median over the runs. Each run, "
               "as compare_pytorch printed it:\n")
    keys = [m for m in ("train_images_per_s", "inference_images_per_s", "latency_us", "peak_rss_mb",
                        "test_accuracy_pct")]
    with_precision = any("precision" in r for r in data["runs"])
    out += ["| run | seed | " + ("precision | " if with_precision else "") +
            " | ".join("%s: PyTorch / ember" % k for k in keys) + " |",
            "|---|---|" + ("---|" if with_precision else "") + "---|" * len(keys)]
    for i, run in enumerate(data["runs"]):
        seed = run.get("seed", settings["seed"])
        cells = [run["precision"]] if with_precision else []
        for k in keys:
            torch = run.get("pytorch", {}).get(k)
            cells.append("%s / %s" % ("-" if torch is None else "%.4g" % torch, "%.4g" % run["ember"][k]))
        # Each run trains both frameworks from seed --seed + i, in every precision asked for.
        out.append("| %d | %s | %s |" % (seed - settings["seed"] + 1 if with_precision else i + 1, seed,
                                         " | ".join(cells)))
    out.append("")
    return out


# Issue 13's bf16 goals: (metric, ratio key of the side-by-side row, what is judged, goal).
BF16_GOALS = (
    ("train_images_per_s", "ember_bf16_vs_pytorch_bf16", "bf16 training images/s vs PyTorch's bf16 autocast", 1.5),
    ("train_images_per_s", "ember_bf16_vs_ember_float32", "bf16 training images/s vs ember's float32", 1.6),
    ("inference_images_per_s", "ember_bf16_vs_ember_float32", "bf16 inference images/s (batch 1000) vs ember's float32",
     1.6),
)


def has_bf16_arithmetic(cpu):
    """Whether the CPU multiplies bf16 itself (AVX512_BF16 or AMX-BF16); None when unknown."""
    flags = cpu.get("flags") or {}
    known = [flags.get(f) for f in ("avx512_bf16", "amx_bf16") if flags.get(f) is not None]
    return any(known) if known else None


NO_BF16_ARITHMETIC = ("This CPU has no bf16 arithmetic (no AVX512_BF16, no AMX), so ember's bf16 runs the portable "
                      "path: each bf16 operand is widened to float32 and multiplied with the same float32 FMAs a "
                      "float32 GEMM issues, plus the widening. The float32 FMA peak bounds both precisions, so bf16 "
                      "cannot be faster than float32 here: the targets of bf16 against ember's float32 are out of "
                      "reach on this CPU by construction (the figures show what a user of `--precision bf16` gets). "
                      "PyTorch's autocast has the same handicap.\n")


def bf16_targets(data, targets, cpu):
    rows = {row["metric"]: row for row in data["side_by_side"]}
    for metric, key, label, goal in BF16_GOALS:
        ratio = rows.get(metric, {}).get(key)
        if ratio is not None:
            value = "%.2fx" % ratio
            if key == "ember_bf16_vs_ember_float32" and has_bf16_arithmetic(cpu) is False and ratio < goal:
                value += " (no bf16 arithmetic on this CPU: out of reach)"
            targets.append((label, value, ">= %.1fx" % goal, ratio >= goal, "compare_pytorch --precision both"))


def bf16_table(data):
    """float32 and bf16 mixed precision side by side (compare_pytorch --precision bf16|both)."""
    out = ["bf16 mixed precision (PyTorch: `torch.autocast(\"cpu\", dtype=torch.bfloat16)` around the forward "
           "pass and the inference; ember: `PrecisionGuard(Precision::bf16)` around the training loop and the "
           "inference), next to float32 from the same runs (medians over the runs; the bf16 targets in the Targets "
           "table are judged on them). Accuracy: the mean over "
           "the seeds, differences in points.\n",
           "| figure | PyTorch float32 | PyTorch bf16 | ember float32 | ember bf16 | ember bf16 / PyTorch bf16 | "
           "ember bf16 / ember float32 |", "|---|---|---|---|---|---|---|"]
    for row in data["side_by_side"]:
        unit, metric = row["unit"], row["metric"]
        cells = [compare_figure(row[k], unit) if k in row else "-"
                 for k in ("pytorch_float32", "pytorch_bf16", "ember_float32", "ember_bf16")]
        ratios = [compare_relative(metric, row.get(k))
                  for k in ("ember_bf16_vs_pytorch_bf16", "ember_bf16_vs_ember_float32")]
        out.append("| %s [%s] | %s | %s |" % (row["label"], unit, " | ".join(cells), " | ".join(ratios)))
    out.append("")
    return out


def profile_section(results, targets, cpu):
    """bench_profile.json (float32) and bench_profile_bf16.json (--precision bf16), when present."""
    out, steps = [], {}
    for name in ("bench_profile.json", "bench_profile_bf16.json"):
        data, path = load_json(results, name)
        if data is not None:
            out += profile_table(data, path)
            steps[data.get("precision", "float32")] = data
    if "float32" in steps:
        eff = profile_efficiency(steps["float32"])
        targets.append(("training-step efficiency vs the GEMM yardstick (float32)", "%.0f%%" % (100 * eff), ">= 75%",
                        eff >= 0.75, "bench_profile"))
    return out


def profile_efficiency(data):
    """The median of the runs' efficiencies (older files: one run, yardstick / step)."""
    return data.get("efficiency", data["yardstick_ms"] / data["step_ms"])


def profile_table(data, path):
    step, yard, flops = data["step_ms"], data["yardstick_ms"], data["gemm_flops"]
    title = "### Where the time of a training step goes%s\n" % (
        " (bf16; the yardstick stays float32)" if data.get("precision") == "bf16" else "")
    out = [title,
           "- Command: `%s` (%s)" % (data["command"], path),
           "- The reference CNN's training step (batch %d, Adadelta), %d threads%s, under ember's profiler: the "
           "median over %d steps of each layer's time per phase, next to the yardstick time of the GEMMs that "
           "layer does (Eigen's GEMM on the same matrix shapes, ready-made operands, split over samples as the "
           "kernel splits them); shares are of the profiled step. A layer's time beyond its yardstick is im2col, "
           "col2im, bias, copies and "
           "allocation; `engine` is backward() minus the nodes' own rules." % (
               data["batch"], data["threads"], ", %s" % data["precision"] if "precision" in data else "",
               data.get("steps", 0)) + (" bf16 GEMM path: `%s`." % data["bf16_path"]
                                        if data.get("precision") == "bf16" and "bf16_path" in data else "")
           + (" The step (without the profiler) and the yardsticks are timed alternately, a step and then each "
              "GEMM once per round, each on its second call in a row, so that both see the same load on a shared "
              "machine; the figures are the medians over the rounds." if data.get("timing") == "alternating" else
              " The step (without the profiler) and the yardsticks were timed one after the other.") + "\n",
           "| layer | phase | ms | share of step | yardstick ms | GEMM GFLOP | GEMMs |",
           "|---|---|---|---|---|---|---|"]
    for r in data["rows"]:
        out.append("| %s | %s | %.3f | %.1f%% | %s | %s | %s |" % (
            r["layer"], r["phase"], r["ms"], 100 * r["share"], "%.3f" % r["yardstick_ms"] if r["yardstick_ms"] else "",
            "%.3f" % (r["gemm_flops"] / 1e9) if r["gemm_flops"] else "", "; ".join(r.get("gemms", []))))
    out.append("| **step** (without the profiler; profiled: %.3f ms) | | **%.3f** | | **%.3f** | **%.3f** | |" % (
        data.get("profiled_step_ms", float("nan")), step, yard, flops / 1e9))
    out.append("")
    # (GEMM FLOPs / step time) / (GEMM FLOPs / summed yardstick times) = summed yardstick times / step time
    runs = data.get("runs", [])
    out.append("The step's GEMM work runs at %.1f GFLOP/s over the whole step, against %.1f GFLOP/s for the same "
               "GEMMs alone (the yardstick): **efficiency %.0f%%** (summed yardstick times / step time%s).\n" % (
                   flops / step / 1e6, flops / yard / 1e6, 100 * profile_efficiency(data),
                   "; the median of %d runs: %s" % (len(runs), ", ".join(
                       "%.1f ms / %.1f ms = %.0f%%" % (r["yardstick_ms"], r["step_ms"], 100 * r["efficiency"])
                       for r in runs)) if runs else ""))
    return out


def compile_section(results, targets, cpu):
    data, path = load_json(results, "compile_time.json")
    if data is None:
        return []
    units = data.get("units") or {"main.cpp": data["seconds"]}  # older files: one unit
    out = ["### Compile time\n",
           "- Command: `%s` (%s, %s), 3 runs per unit, -O3 -march=native" % (data["command"], path, data["date"]),
           "- The MNIST example is one translation unit per command (examples/mnist/*.cpp); the target "
           "applies to the slowest.\n",
           "| translation unit | median | min |", "|---|---|---|"]
    for unit, secs in sorted(units.items(), key=lambda kv: -median(kv[1])):
        out.append("| %s | %.1f s | %.1f s |" % (unit, median(secs), min(secs)))
    out.append("")
    slowest_unit, slowest = max(units.items(), key=lambda kv: median(kv[1]))
    targets.append(("compile time of the MNIST example's slowest TU (-O3)",
                    "%.1f s (%s)" % (median(slowest), slowest_unit), "<= 20 s", median(slowest) <= 20, "compile_time"))
    return out


def compile_engine_section(results, targets, cpu):
    """Issue 14's compile times: the engine-only unit and the example's heaviest, before and now."""
    data, path = load_json(results, "compile_engine.json")
    if data is None:
        return []
    units, before = data["units"], data["before"]
    out = ["### Compile time: the engine-only unit and the compiled mode\n",
           "- Command: `%s` (%s, %s; %s), 3 runs per unit; `before` is the same unit against the headers of "
           "commit %s (everything in `<ember/ember.hpp>`, no compiled mode)." % (
               data["command"], path, data["date"], data["compiler"], before),
           "- engine.cpp is `tests/package/consumer/engine.cpp`: the reference CNN, 8 training steps, the model and "
           "a checkpoint saved and loaded; `g++ -std=c++17 -O2 -fopenmp`. Compiled mode adds the flags of "
           "`ember::compiled` and links `libember_compiled.a`, whose one unit (`src/instances.cpp`) is paid once.\n",
           "| translation unit | median | min | vs before |", "|---|---|---|---|"]
    def base_of(unit):
        stem = unit.split(",")[0].split(" (")[0]
        for name in units:
            if name.startswith(stem) and name.endswith(", " + before):
                return median(units[name])
        return None
    for unit, secs in units.items():
        base = base_of(unit)
        ratio = "" if base is None or unit.endswith(", " + before) else "%.0f%%" % (100 * median(secs) / base)
        out.append("| %s | %.1f s | %.1f s | %s |" % (unit, median(secs), min(secs), ratio))
    out.append("")
    engine_before = base_of("engine.cpp")
    unit = "engine.cpp, compiled mode"  # the way to the goal; header-only use is shown for comparison
    if unit in units and engine_before:
        share = median(units[unit]) / engine_before
        targets.append(("engine-only unit's compile time vs before the split (compiled mode)",
                        "%.0f%% (%.1f of %.1f s)" % (100 * share, median(units[unit]), engine_before),
                        "<= 60%", share <= 0.60, "compile_engine"))
    return out


ACCURACY_GOALS = (
    # run-name prefix, what is judged, goal (percent), judged on
    ("default-seed", "MNIST test accuracy, main command's defaults (bn, 3 epochs), every seed", 99.0, min),
    ("reference-seed", "MNIST test accuracy, `--model reference` (6 epochs), every seed", 99.0, min),
    ("pytorch-recipe-seed", "MNIST test accuracy, PyTorch example recipe, mean of the seeds", 99.2,
     lambda v: sum(v) / len(v)),
    ("bn-seed", "MNIST test accuracy, `--model bn --epochs 15`, mean of the seeds", 99.6, lambda v: sum(v) / len(v)),
    ("bn-seed", "MNIST test accuracy, `--model bn --epochs 15`, every seed", 99.55, min),
)


def accuracies(rows, prefix=""):
    return [float(r["test_accuracy"]) for r in rows or [] if r["run"].startswith(prefix)]


def seed_list(values):
    if len(values) <= 4:
        return "seeds: " + ", ".join("%.2f" % v for v in values)
    return "%d seeds, %.2f-%.2f" % (len(values), min(values), max(values))


def accuracy_section(results, targets):
    rows, path = load_csv(results, "accuracy.csv")
    if rows is None:
        return []
    recorded = {name: load_csv(results, name) for name, _ in RECIPE_RUNS}  # hand-recorded recipe runs
    more_ember = recorded["ember_recipe.csv"][0]
    # The recipe's accuracy over every recorded seed, in each framework.
    ember_recipe = accuracies(rows, "pytorch-recipe-seed") + accuracies(more_ember)
    pytorch = accuracies(recorded["pytorch_recipe.csv"][0])
    for prefix, label, goal, judge in ACCURACY_GOALS:
        values = accuracies(rows, prefix)
        measured, source = "", "scripts/accuracy.sh"
        if prefix == "pytorch-recipe-seed":
            values = ember_recipe
            source += " + ember_recipe.csv" if more_ember else ""
            if pytorch:
                measured = "; PyTorch itself: %.2f%%, mean of %d seeds" % (sum(pytorch) / len(pytorch), len(pytorch))
        if values:
            value = judge(values)
            targets.append((label, "%.2f%% (%s%s)" % (value, seed_list(values), measured),
                            ">= %g%%" % goal, value >= goal, source))
    # 2 ranks (mpirun) against one process, the main command's defaults (issue 16's goal).
    mpi, single = accuracies(rows, "mpi2-default-seed"), accuracies(rows, "default-seed")
    if mpi and single:
        diff = sum(mpi) / len(mpi) - sum(single) / len(single)
        targets.append(("2 ranks (mpirun -np 2) vs 1 process, main command's defaults, mean",
                        "%+.2f pp (2 ranks %s; 1 process %s)" % (diff, seed_list(mpi), seed_list(single)),
                        "within 0.15 pp", abs(diff) <= 0.15, "scripts/accuracy.sh --distributed-only"))
    # bf16 mixed precision against float32: the mean over the same seeds (issue 13's goals).
    for prefix, label, goal_pp in (("default-seed", "bf16 vs float32 accuracy, main command's defaults, mean", 0.1),
                                   ("reference-seed", "bf16 vs float32 accuracy, `--model reference`, mean", 0.1),
                                   ("pytorch-recipe-seed", "bf16 vs float32 accuracy, PyTorch example recipe, mean",
                                    0.15)):
        bf16, f32 = accuracies(rows, "bf16-" + prefix), accuracies(rows, prefix)
        if bf16 and f32:
            diff = sum(bf16) / len(bf16) - sum(f32) / len(f32)
            targets.append((label, "%+.2f pp (bf16 %s; float32 %s)" % (diff, seed_list(bf16), seed_list(f32)),
                            "within %.2f pp" % goal_pp, abs(diff) <= goal_pp, "scripts/accuracy.sh --precision bf16"))
    out = ["## MNIST test accuracy\n",
           "Generated by `scripts/accuracy.sh` (%s); 10,000 test images, 2 threads. The time is the wall time of "
           "`mnist train`, including the final test pass and the report, on the CPU that ran it (its slug in the "
           "last column: the sections above describe each CPU); the accuracy does "
           "not depend on the CPU beyond float rounding (AVX2 and AVX-512 round differently, so one seed's "
           "figure differs by a few hundredths between CPUs). One run's accuracy scatters by about "
           "0.1 pp with the seed (in PyTorch too), so each setting is trained from three seeds (the PyTorch "
           "recipe from more, below).\n" % path,
           "| run | command | test accuracy | training time | CPU |", "|---|---|---|---|---|"]
    for r in rows:
        out.append("| %s | `%s` | %s%% | %s s | %s |" % (r["run"], r["command"], r["test_accuracy"], r["train_seconds"],
                                                       r.get("cpu") or "not recorded"))
    out.append("")
    return out + recipe_runs_section(recorded) + recipe_seed_study((("ember", ember_recipe), ("PyTorch", pytorch)))


def onnx_section(results, targets):
    """ONNX export (issue 17): `mnist export` files against ember in OpenCV's DNN, scripts/check-onnx.sh --record."""
    rows, path = load_csv(results, "onnx_export.csv")
    if rows is None:
        return []
    out = ["## ONNX export: OpenCV's DNN against ember on the MNIST test set\n",
           "- Command: `%s` (%s): each model file exported with `mnist export`, checked with the onnx package's "
           "checker (full check) and strict shape inference, then run in OpenCV's DNN module (`readNetFromONNX`, "
           "batches of 1000) on every test image and compared with ember's logits of the same model "
           "(`mnist evaluate --logits`). The model's training command and CPU in the last column.\n"
           % (command_of(results, "onnx_export"), path),
           "| variant | test images | same prediction as ember | max logit difference | accuracy (OpenCV / ember) "
           "| nodes | OpenCV, onnx | trained by |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        images, same = int(r["images"]), int(r["same_predictions"])
        out.append("| %s | %d | %d (%.2f%%) | %s | %.2f%% / %.2f%% | %s | %s, %s | `%s` |"
                   % (r["variant"], images, same, 100.0 * same / images, r["max_logit_difference"],
                      100 * float(r["accuracy_opencv"]), 100 * float(r["accuracy_ember"]), r["nodes"], r["opencv"],
                      r["onnx"], r["source"]))
        targets.append(("ONNX export (`%s`) in OpenCV's DNN: the same prediction as ember on every test image, "
                        "logits within 1e-4" % r["variant"],
                        "%d of %d, max difference %s" % (same, images, r["max_logit_difference"]),
                        "all, <= 1e-4", same == images and float(r["max_logit_difference"]) <= 1e-4,
                        "scripts/check-onnx.sh --record"))
    out.append("")
    return out


# Runs of the PyTorch example recipe recorded by hand (each row holds its command).
RECIPE_RUNS = (
    ("ember_recipe.csv", "Further seeds of the recipe in ember (%s):\n"),
    ("pytorch_recipe.csv", "The same recipe in PyTorch (%s; the reference network in PyTorch, 14 epochs of "
                           "Adadelta lr 1.0 with StepLR gamma 0.7, batch 64, all 60,000 training images, as "
                           "`benchmarks/compare_pytorch.py` trains it):\n"),
)


def recipe_runs_section(recorded):
    """recorded: file name -> (rows or None, path), for the files of RECIPE_RUNS."""
    out = []
    for name, intro in RECIPE_RUNS:
        rows, path = recorded[name]
        if rows is None:
            continue
        out += [intro % path, "| run | command | test accuracy | date |", "|---|---|---|---|"]
        for r in rows:
            out.append("| %s | `%s` | %s%% | %s |" % (r["run"], r["command"], r["test_accuracy"], r["date"]))
        out.append("")
    return out


def recipe_seed_study(recipe):
    """The recipe's accuracy over every recorded seed, ember next to PyTorch: (name, values) pairs."""
    if not all(values for _, values in recipe):
        return []
    out = ["The recipe over every seed above (standard error = standard deviation / sqrt(runs)):\n",
           "| framework | runs | mean | standard deviation | standard error | min | max | runs >= 99.2% |",
           "|---|---|---|---|---|---|---|---|"]
    for name, v in recipe:
        mean = sum(v) / len(v)
        sd = (sum((x - mean) ** 2 for x in v) / (len(v) - 1)) ** 0.5 if len(v) > 1 else 0.0
        out.append("| %s | %d | %.3f%% | %.3f pp | %.3f pp | %.2f%% | %.2f%% | %d |" % (
            name, len(v), mean, sd, sd / len(v) ** 0.5, min(v), max(v), sum(x >= 99.2 for x in v)))
    out.append("")
    return out


LINKS_GBIT = (10, 100)
MACHINES = (2, 8, 64)
HOP_LATENCY_S = 10e-6  # assumed per message of a ring step; measured links vary (5-50 us)


def ring_allreduce_seconds(nbytes, machines, gbit):
    """Ring all-reduce: each machine sends and receives 2 (N - 1) / N of the buffer, in 2 (N - 1)
    steps of one message each."""
    if machines == 1:
        return 0.0
    return 2 * (machines - 1) / machines * nbytes / (gbit * 1e9 / 8) + 2 * (machines - 1) * HOP_LATENCY_S


def distributed_section(results, targets, cpu):
    data, path = load_json(results, "distributed.json")
    if data is None:
        return []
    runs = data["runs"]
    out = ["### Data-parallel training over MPI\n",
           "- Command: `%s` (%s); each row: the median of %d runs of %d steps (reference CNN, AdamW, synthetic "
           "batches); all-reduce: the time in `GradientReducer::average()`, the ranks' mean (it includes waiting "
           "for the slower rank)\n" % (command_of(results, "distributed"), path, runs[0]["runs"], runs[0]["steps"]),
           "| setting | ranks x threads | batch per rank (per step) | step ms | all-reduce ms | all-reduce share "
           "| images/s |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        out.append("| %s | %d x %d | %d (%d) | %.2f | %.3f | %.1f%% | %.0f |" % (
            r["label"], r["ranks"], r["threads_per_rank"], r["batch_per_rank"], r["images_per_step"], r["step_ms"],
            r["allreduce_ms"], 100 * r["allreduce_share"], r["images_per_s"]))
    out.append("")
    by_label = {r["label"]: r for r in runs}
    single = by_label.get("1 process, batch 64")
    pair = by_label.get("2 ranks, batch 32 each")
    if single and pair:
        out.append("At the same step (64 images): 2 ranks x 1 thread give **%.2fx** the images/s of 1 process x 2 "
                   "threads on this machine; the all-reduce takes %.1f%% of their step.\n" % (
                       pair["images_per_s"] / single["images_per_s"], 100 * pair["allreduce_share"]))
    if single:
        nbytes = single["gradient_bytes"]
        per_image = single["step_ms"] / 1e3 / single["images_per_step"]  # seconds of compute per image, one machine
        out += ["#### On paper: N machines like this one\n",
                "A step all-reduces the reference CNN's gradients: %d floats = %.2f MB. A ring all-reduce sends and "
                "receives 2(N-1)/N of that per machine, in 2(N-1) messages (assumed %.0f us each), over a link of "
                "10 or 100 Gbit/s; a machine computes an image's step in %.3f ms (measured above: 1 process, 2 "
                "threads). Step time = compute + all-reduce (as built: no overlap); the batch that hides the "
                "all-reduce is the per-machine batch whose compute takes as long as the all-reduce (what overlap "
                "with the backward pass could then hide, at most).\n" % (
                    nbytes // 4, nbytes / 1e6, HOP_LATENCY_S * 1e6, per_image * 1e3),
                "| machines | link | all-reduce ms | step ms at batch 64 per machine | compute share | batch per "
                "machine that hides it |", "|---|---|---|---|---|---|"]
        for n in MACHINES:
            for gbit in LINKS_GBIT:
                comm = ring_allreduce_seconds(nbytes, n, gbit)
                compute = 64 * per_image
                out.append("| %d | %d Gbit/s | %.2f | %.2f | %.0f%% | %d |" % (
                    n, gbit, comm * 1e3, (compute + comm) * 1e3, 100 * compute / (compute + comm),
                    int(comm / per_image + 0.999)))
        out.append("")
    return out


def cpu_folders(root):
    """(folder, slug) of every folder holding per-CPU results, sorted by slug; root itself when it
    holds result files of the layout before issue 13."""
    folders = []
    if any(os.path.exists(os.path.join(root, name)) for name in CPU_FILES):
        folders.append((root, None))
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if os.path.isdir(path) and any(os.path.exists(os.path.join(path, f)) for f in CPU_FILES):
            folders.append((path, name))
    return folders


def cpu_section(folder, slug, targets):
    """One CPU's section: its heading, flags and tables; its targets appended to `targets`."""
    cpu = cpu_of(folder)
    out = ["## %s%s\n" % (cpu["model"], ": `%s`" % slug if slug else ""),
           "- Results: `%s/`; CPU flags: %s" % (folder.rstrip("/"), flags_line(cpu))]
    if cpu["source"] and cpu["source"] not in CPU_FILES and not cpu["source"].startswith("/proc/cpuinfo"):
        out.append("- What is known of this CPU: %s" % cpu["source"])
    out.append("")
    for section in (compare_section, kernels_section, train_section, profile_section, distributed_section,
                    compile_section, compile_engine_section):
        out += section(folder, targets, cpu)
    return cpu, out


def targets_table(columns):
    """columns: (heading, targets of that CPU). One row per target, one column per CPU."""
    labels = OrderedDict()
    for _, targets in columns:
        for label, _, goal, _, source in targets:
            labels.setdefault(label, (goal, source))
    out = ["| target | goal | " + " | ".join(h for h, _ in columns) + " | from |",
           "|---|---|" + "---|" * len(columns) + "---|"]
    for label, (goal, source) in labels.items():
        cells = []
        for _, targets in columns:
            found = [t for t in targets if t[0] == label]
            if not found:
                cells.append("not measured")
            else:
                _, value, _, met, _ = found[0]
                cells.append("%s, %s" % (value, "met" if met else "**not met**"))
        out.append("| %s | %s | %s | %s |" % (label, goal, " | ".join(cells), source))
    out.append("")
    return out


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results"
    columns, body = [], []
    for folder, slug in cpu_folders(results):
        targets = []
        cpu, section = cpu_section(folder, slug, targets)
        body += section
        if targets:
            columns.append(("%s%s" % (cpu["model"], " `%s`" % slug if slug else ""), targets))
    accuracy_targets = []
    body += accuracy_section(results, accuracy_targets)
    body += onnx_section(results, accuracy_targets)
    out = ["# Benchmarks\n",
           "Generated by `benchmarks/render_report.py %s` from the files there (written by `scripts/bench.sh`, "
           "`scripts/compare-pytorch.sh`, `scripts/accuracy.sh` and `scripts/check-onnx.sh`); do not edit by hand.\n" % results,
           "Speed is kept per CPU (`%s/<cpu>/`): a figure or a ratio holds for the CPU it was measured on, and "
           "the CPU under the project changes between sessions (AMD Zen 4, Zen 5, Intel Xeon with AVX-512/AMX). "
           "Each CPU has a section of its own below, headed by its model and flags; accuracy does not depend on "
           "the CPU and comes last.\n" % results.rstrip("/")]
    if columns:
        out += ["## Targets, per CPU\n"] + targets_table(columns)
    if accuracy_targets:
        out += ["Targets that do not depend on the CPU:\n", "| target | measured | goal | met | from |",
                "|---|---|---|---|---|"]
        for label, value, goal, met, source in accuracy_targets:
            out.append("| %s | %s | %s | %s | %s |" % (label, value, goal, "yes" if met else "**no**", source))
        out.append("")
    print("\n".join(out + body))


if __name__ == "__main__":
    main()
