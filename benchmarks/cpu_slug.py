#!/usr/bin/env python3
"""The CPU a result was measured on, and the folder of benchmarks/results/ its results go to.

Results are kept per CPU (benchmarks/results/<slug>/) because the CPU under the project changes
between sessions and a speed ratio holds for one CPU only. This file is the one rule for the
slug; scripts/bench.sh, scripts/compare-pytorch.sh and benchmarks/compare_pytorch.py use it.

The slug is: vendor, a microarchitecture hint, then the other words of /proc/cpuinfo's
"model name" (lower case; "(R)", "(TM)", "CPU", "Processor", "NN-Core" and "@ x GHz" dropped).
The hint is the Zen generation for AMD families/models listed below and the Intel server
codenames listed below, else f<cpu family>m<model>, so two CPUs that a VM names alike
("AMD EPYC") still get their own folders: AMD EPYC on family 25 model 17 -> amd-zen4-epyc,
on family 26 -> amd-zen5-epyc; Intel Xeon Platinum 8488C (6/143) ->
intel-spr-xeon-platinum-8488c. EMBER_CPU_SLUG overrides it.

    python3 benchmarks/cpu_slug.py                  # the slug
    python3 benchmarks/cpu_slug.py --dir ROOT       # ROOT/<slug>
    python3 benchmarks/cpu_slug.py --json           # cpu.json: model, family, model number, flags
    python3 benchmarks/cpu_slug.py --context        # cpu_model=...,avx512f=true,... for
                                                    # Google Benchmark's --benchmark_context

Standard library only (render_report.py imports nothing that is not).
"""
import json
import os
import re
import sys

# The flags that decide ember's kernel paths.
FLAGS = ("avx512f", "avx512_bf16", "amx_bf16", "amx_tile")


def read_cpu(path="/proc/cpuinfo"):
    """The first processor's model name, vendor, family, model number and FLAGS."""
    fields = {}
    try:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    break  # the end of the first processor's block
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    flags = set(fields.get("flags", "").split())

    def number(key):
        value = fields.get(key, "")
        return int(value) if value.isdigit() else None

    return {"model": fields.get("model name", "unknown"), "vendor": fields.get("vendor_id", "unknown"),
            "family": number("cpu family"), "model_number": number("model"),
            "flags": {name: name in flags for name in FLAGS}}


def _amd_hint(family, model):
    # AMD's family 0x19 holds Zen 3 and Zen 4 in model ranges; 0x1a's first ranges are Zen 5.
    if family == 0x17:
        return "zen2" if model >= 0x30 else "zen1"
    if family == 0x19:
        zen4 = 0x10 <= model <= 0x1f or 0x60 <= model <= 0x7f or 0xa0 <= model <= 0xaf
        return "zen4" if zen4 else "zen3"
    if family == 0x1a and model <= 0x4f:
        return "zen5"
    return None


# Intel family 6 models of the Xeons the project has met or is likely to meet.
_INTEL_HINTS = {85: "skx", 106: "icx", 143: "spr", 207: "emr", 173: "gnr"}


def slug(cpu=None):
    if os.environ.get("EMBER_CPU_SLUG"):
        return os.environ["EMBER_CPU_SLUG"]
    cpu = cpu or read_cpu()
    name = re.sub(r"\((r|tm)\)", " ", cpu["model"].lower())
    name = re.sub(r"@.*$", " ", name)  # "@ 2.10GHz"
    name = re.sub(r"\b\d+-core\b", " ", name)  # "96-Core"
    words = [w for w in re.split(r"[^a-z0-9]+", name)
             if w and w not in ("cpu", "processor", "core", "with", "radeon", "graphics")]
    vendor = {"AuthenticAMD": "amd", "GenuineIntel": "intel"}.get(cpu["vendor"])
    if vendor is None:
        vendor = words[0] if words else "cpu"
    words = [w for w in words if w != vendor]
    family, model = cpu["family"], cpu["model_number"]
    hint = None
    if family is not None and model is not None:
        if vendor == "amd":
            hint = _amd_hint(family, model)
        elif vendor == "intel" and family == 6:
            hint = _INTEL_HINTS.get(model)
        hint = hint or "f%dm%d" % (family, model)
    return "-".join([vendor] + ([hint] if hint else []) + words)


def cpu_record(cpu=None):
    """What cpu.json holds for a measured machine."""
    cpu = cpu or read_cpu()
    return dict(cpu, slug=slug(cpu), source="/proc/cpuinfo of the machine that ran the benchmarks")


def context(cpu=None):
    """key=value pairs for --benchmark_context (which splits on ',': commas in the name go)."""
    cpu = cpu or read_cpu()
    pairs = [("cpu_model", cpu["model"].replace(",", " ").replace("=", " "))]
    pairs += [(name, "true" if cpu["flags"][name] else "false") for name in FLAGS]
    return ",".join("%s=%s" % kv for kv in pairs)


def main(argv):
    if argv[:1] == ["--dir"] and len(argv) == 2:
        print(os.path.join(argv[1], slug()))
    elif argv == ["--json"]:
        print(json.dumps(cpu_record(), indent=1))
    elif argv == ["--context"]:
        print(context())
    elif not argv:
        print(slug())
    else:
        raise SystemExit("usage: cpu_slug.py [--dir ROOT | --json | --context]")


if __name__ == "__main__":
    main(sys.argv[1:])
