#!/usr/bin/env python3
"""Render docs/benchmarks.md from everything under benchmarks/results/.

Usage: benchmarks/render_report.py benchmarks/results > docs/benchmarks.md

Reads what exists of: bench_kernels.json and bench_train.json (Google Benchmark, written by
scripts/bench.sh, each with a .cmd file holding its command), compare_pytorch.json
(scripts/compare-pytorch.sh), compile_time.json (scripts/bench.sh), accuracy.csv
(scripts/accuracy.sh), and ember_recipe.csv / pytorch_recipe.csv (runs of PyTorch's example
recipe recorded by hand, each row with its command). Standard library only; reports medians
and minima of repetitions.
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


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def benchmark_table(gb, counter, scale, counter_title):
    out = ["| benchmark | median time | min time | median %s | median GB/s |" % counter_title, "|---|---|---|---|---|"]
    for name in gb.runs:
        unit = gb.runs[name][0]["time_unit"]
        value = gb.stat(name, counter, median)
        bw = gb.stat(name, "bytes_per_second", median)
        out.append("| %s | %.3f %s | %.3f %s | %s | %s |" % (
            name, gb.stat(name, "real_time", median), unit, gb.stat(name, "real_time", min), unit,
            ("%.1f" % (value / scale)) if value else "", ("%.1f" % (bw / 1e9)) if bw else ""))
    out.append("")
    return out


def kernels_section(results, targets):
    data, path = load_json(results, "bench_kernels.json")
    if data is None:
        return []
    gb = GoogleBenchmark(data)
    out = ["## Kernels\n",
           "- Command: `%s` (%s)" % (command_of(results, "bench_kernels"), path),
           "- Machine: %s, %s; run on %s" % (cpu_model(), machine_line(gb.context), gb.context["date"]),
           "- Build: the `release` preset, -O3 -march=native (EMBER_NATIVE); threads: the default (all CPUs); "
           "%d repetitions\n" % gb.repetitions(),
           "FLOP/s count the GEMM work of the convolution only (2 x O x C*KH*KW x OH*OW per sample, twice that "
           "for the backward with input gradient), so a convolution and its yardstick compare directly. The "
           "yardstick is Eigen's GEMM on the same matrix sizes with ready-made im2col columns, split over samples "
           "like the kernel.\n"]
    out += benchmark_table(gb, "FLOP/s", 1e9, "GFLOP/s")
    out += ["### Convolution vs the GEMM yardstick\n", "| shape | conv forward GFLOP/s | yardstick GFLOP/s | ratio |",
            "|---|---|---|---|"]
    for name in gb.runs:
        twin = name.replace("BM_conv_forward/", "BM_gemm_yardstick/")
        if name.startswith("BM_conv_forward/") and twin in gb.runs:
            a, b = gb.stat(name, "FLOP/s", median), gb.stat(twin, "FLOP/s", median)
            out.append("| %s | %.1f | %.1f | %.0f%% |" % (name.split("/", 1)[1].replace("/real_time", ""),
                                                          a / 1e9, b / 1e9, 100 * a / b))
    out.append("")
    conv2, yard2 = "BM_conv_forward/conv:2/batch:64/real_time", "BM_gemm_yardstick/conv:2/batch:64/real_time"
    if conv2 in gb.runs and yard2 in gb.runs:
        ratio = gb.stat(conv2, "FLOP/s", median) / gb.stat(yard2, "FLOP/s", median)
        targets.append(("conv2 forward at batch 64 vs the yardstick GEMM", "%.0f%%" % (100 * ratio), ">= 80%",
                        ratio >= 0.8, "bench_kernels"))
    return out


def train_section(results, targets):
    data, path = load_json(results, "bench_train.json")
    if data is None:
        return []
    gb = GoogleBenchmark(data)
    out = ["## Training step and inference (synthetic data)\n",
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


def compare_section(results, targets):
    data, path = load_json(results, "compare_pytorch.json")
    if data is None:
        return []
    settings = data["settings"]
    out = ["## ember vs PyTorch on the same CPU\n",
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
    out += ["| figure | PyTorch (min-max) | ember (min-max) | ratio | target | met in every run |",
            "|---|---|---|---|---|---|"]
    for row in data["summary"]:
        unit = row["unit"]
        ember = "%s (%s-%s)" % tuple(compare_figure(row[k], unit) for k in ("ember", "ember_min", "ember_max"))
        if "pytorch" in row:
            torch = "%s (%s-%s)" % tuple(compare_figure(row[k], unit) for k in ("pytorch", "pytorch_min", "pytorch_max"))
            ratio = ("%+.2f pp" % row["ratio"]) if row["metric"] == "test_accuracy_pct" else "%.2fx" % row["ratio"]
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
    out.append("Accuracy is the mean over the runs' seeds, the other figures the median over the runs. Each run, "
               "as compare_pytorch printed it:\n")
    keys = [m for m in ("train_images_per_s", "inference_images_per_s", "latency_us", "peak_rss_mb",
                        "test_accuracy_pct")]
    out += ["| run | seed | " + " | ".join("%s: PyTorch / ember" % k for k in keys) + " |",
            "|---|---|" + "---|" * len(keys)]
    for i, run in enumerate(data["runs"]):
        cells = []
        for k in keys:
            torch = run.get("pytorch", {}).get(k)
            cells.append("%s / %s" % ("-" if torch is None else "%.4g" % torch, "%.4g" % run["ember"][k]))
        out.append("| %d | %s | %s |" % (i + 1, run.get("seed", settings["seed"]), " | ".join(cells)))
    out.append("")
    return out


def compile_section(results, targets):
    data, path = load_json(results, "compile_time.json")
    if data is None:
        return []
    units = data.get("units") or {"main.cpp": data["seconds"]}  # older files: one unit
    out = ["## Compile time\n",
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


ACCURACY_GOALS = (
    # run-name prefix, what is judged, goal (percent), judged on
    ("default-seed", "MNIST test accuracy, main command's defaults, every seed", 99.0, min),
    ("pytorch-recipe-seed", "MNIST test accuracy, PyTorch example recipe, mean of the seeds", 99.2,
     lambda v: sum(v) / len(v)),
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
                            ">= %.1f%%" % goal, value >= goal, source))
    out = ["## MNIST test accuracy\n",
           "Generated by `scripts/accuracy.sh` (%s); 10,000 test images, 2 threads. The time is the wall time of "
           "`mnist train`, including the final test pass and the report. One run's accuracy scatters by about "
           "0.1 pp with the seed (in PyTorch too), so each setting is trained from three seeds (the PyTorch "
           "recipe from more, below).\n" % path,
           "| run | command | test accuracy | training time |", "|---|---|---|---|"]
    for r in rows:
        out.append("| %s | `%s` | %s%% | %s s |" % (r["run"], r["command"], r["test_accuracy"], r["train_seconds"]))
    out.append("")
    return out + recipe_runs_section(recorded) + recipe_seed_study((("ember", ember_recipe), ("PyTorch", pytorch)))


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


def main():
    results = sys.argv[1] if len(sys.argv) > 1 else "benchmarks/results"
    targets = []
    body = []
    body += compare_section(results, targets)
    body += kernels_section(results, targets)
    body += train_section(results, targets)
    body += compile_section(results, targets)
    body += accuracy_section(results, targets)
    out = ["# Benchmarks\n",
           "Generated by `benchmarks/render_report.py %s` from the files there (written by `scripts/bench.sh`, "
           "`scripts/compare-pytorch.sh` and `scripts/accuracy.sh`); do not edit by hand.\n" % results]
    if targets:
        out += ["## Targets\n", "| target | measured | goal | met | from |", "|---|---|---|---|---|"]
        for label, value, goal, met, source in targets:
            out.append("| %s | %s | %s | %s | %s |" % (label, value, goal, "yes" if met else "**no**", source))
        out.append("")
    print("\n".join(out + body))


if __name__ == "__main__":
    main()
