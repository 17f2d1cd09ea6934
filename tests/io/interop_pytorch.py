#!/usr/bin/python3
"""PyTorch interop of ember's model files, both ways.

usage: interop_pytorch.py INTEROP_TOOL SCRATCH_DIR

INTEROP_TOOL is the built tests/io/interop_tool.cpp; SCRATCH_DIR is created if needed.

Both of the example's networks are checked: the reference CNN and BnNet (whose BatchNorm
weights, biases and running statistics are moved away from their initial values on both sides;
PyTorch's num_batches_tracked is int64 in its file).

1. ember -> PyTorch: `INTEROP_TOOL export SCRATCH_DIR VARIANT` saves the network with
   save_model, a fixed input batch and ember's logits. This script parses the model file
   with numpy (no `safetensors` package), loads it with load_state_dict(strict=True) into
   PyTorch's MNIST example network, and compares PyTorch's eval-mode logits with ember's.
2. PyTorch -> ember: a network with other random weights is written as safetensors the way
   Hugging Face's writer does it (tensors sorted by alignment and name, metadata
   {"format": "pt"}), with an input batch and PyTorch's logits; `INTEROP_TOOL check` loads it
   with load_model and compares. A deliberately perturbed reference must then fail the check.

Logits are compared to 1e-5 relative to the largest reference logit; the references are
computed in float64 from the float32 weights and inputs, so the tolerance only has to cover
the float32 arithmetic of one side.

Exit status: 0 pass, 1 fail, 77 numpy or torch not importable (ctest: skipped).
"""

import json
import os
import struct
import subprocess
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as error:  # ctest maps 77 to "skipped"
    print(f"SKIP: {error}")
    sys.exit(77)

TOLERANCE = 1e-5
NUMPY_DTYPES = {"F32": np.dtype("<f4"), "F64": np.dtype("<f8"), "I64": np.dtype("<i8")}
SAFETENSORS_DTYPES = {dtype: name for name, dtype in NUMPY_DTYPES.items()}


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures"))
from reference_net import NETWORKS  # noqa: E402  (the networks of make_fixtures.py too)

ARCHITECTURES = {"reference": "mnist::Net", "bn": "mnist::BnNet"}


# ---------------------------------------------------------------------------------------
# safetensors by hand


def read_safetensors(path):
    """Returns ({name: ndarray}, metadata), checking the layout as strictly as ember does."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise ValueError(f"{path}: {len(data)} bytes, too short")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise ValueError(f"{path}: header length {n} exceeds the file")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    base = 8 + n
    tensors, spans = {}, []
    for name, info in header.items():
        dtype = NUMPY_DTYPES[info["dtype"]]
        shape = tuple(info["shape"])
        begin, end = info["data_offsets"]
        count = int(np.prod(shape, dtype=np.int64))
        if end - begin != count * dtype.itemsize or base + end > len(data):
            raise ValueError(f"{path}: tensor {name}: bad data_offsets {begin, end}")
        tensors[name] = np.frombuffer(data, dtype=dtype, count=count, offset=base + begin).reshape(shape).copy()
        spans.append((begin, end, name))
    position = 0
    for begin, end, name in sorted(spans):
        if begin != position:
            raise ValueError(f"{path}: tensor {name} is not packed (starts at {begin}, expected {position})")
        position = end
    if base + position != len(data):
        raise ValueError(f"{path}: {len(data) - base - position} bytes after the last tensor")
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    """Writes {name: ndarray} as Hugging Face's safetensors writer lays it out."""
    # (not np.ascontiguousarray: it turns a 0-d counter into shape (1,))
    arrays = {name: np.asarray(a).astype(a.dtype.newbyteorder("<"), order="C") for name, a in tensors.items()}
    order = sorted(arrays, key=lambda name: (-arrays[name].dtype.itemsize, name))
    header = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name in order:
        a = arrays[name]
        header[name] = {
            "dtype": SAFETENSORS_DTYPES[a.dtype],
            "shape": list(a.shape),
            "data_offsets": [offset, offset + a.nbytes],
        }
        offset += a.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in order:
            f.write(arrays[name].tobytes())


# ---------------------------------------------------------------------------------------


def reference_logits(net, inputs):
    """Eval-mode logits in float64 from the float32 weights and inputs."""
    net64 = type(net)().double()
    net64.load_state_dict({k: v.double() if v.is_floating_point() else v for k, v in net.state_dict().items()})
    net64.eval()
    with torch.no_grad():
        return net64(torch.from_numpy(inputs.astype(np.float64))).numpy()


def relative_error(got, reference):
    return float(np.max(np.abs(got.astype(np.float64) - reference)) / np.max(np.abs(reference)))


def run_tool(tool, *args):
    result = subprocess.run([tool, *args], capture_output=True, text=True)
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    return result.returncode


def ember_to_pytorch(tool, scratch, variant):
    if run_tool(tool, "export", scratch, variant) != 0:
        print("FAIL: interop_tool export failed")
        return False
    weights, metadata = read_safetensors(os.path.join(scratch, "model.safetensors"))
    with open(os.path.join(scratch, "model.safetensors"), "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
    expected_metadata = {"format": "ember-model", "format_version": "1", "architecture": ARCHITECTURES[variant]}
    problems = []
    if (8 + n) % 8 != 0:
        problems.append(f"data section starts at byte {8 + n}, not 8-byte aligned")
    for key, value in expected_metadata.items():
        if metadata.get(key) != value:
            problems.append(f"metadata {key} = {metadata.get(key)!r}, expected {value!r}")
    if "ember_version" not in metadata:
        problems.append("metadata ember_version missing")
    net = NETWORKS[variant]()
    state = net.state_dict()
    # ember writes the parameters in PyTorch's order, then the buffers (PyTorch's state_dict
    # interleaves them per module; load_state_dict goes by name)
    parameters = [name for name, _ in net.named_parameters()]
    buffers = [name for name, _ in net.named_buffers()]
    if list(weights) != parameters + buffers:
        problems.append(f"tensor names {list(weights)} differ from PyTorch's {parameters + buffers}")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return False
    # load_state_dict copies into PyTorch's own tensors: ember's float num_batches_tracked lands in int64
    net.load_state_dict({name: torch.from_numpy(a) for name, a in weights.items()}, strict=True)
    inputs = read_safetensors(os.path.join(scratch, "input.safetensors"))[0]["input"]
    ember_logits = read_safetensors(os.path.join(scratch, "logits.safetensors"))[0]["logits"]
    reference = reference_logits(net, inputs)
    net.eval()
    with torch.no_grad():
        torch_logits = net(torch.from_numpy(inputs)).numpy()
    error = relative_error(ember_logits, reference)
    torch_error = relative_error(torch_logits, reference)
    ok = ember_logits.shape == reference.shape and error <= TOLERANCE
    print(
        f"{'OK' if ok else 'FAIL'}: {variant}: ember -> PyTorch: {ember_logits.shape} logits, relative error of ember's "
        f"float32 logits {error:.2e} (PyTorch float32: {torch_error:.2e}; tolerance {TOLERANCE:.0e})"
    )
    return ok


def move_batch_norm_state(net):
    """BatchNorm layers as after training: affine away from (1, 0), running statistics moved."""
    generator = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in net.named_parameters():
            if name.startswith("bn"):
                p.copy_(torch.rand(p.shape, generator=generator) * (1.0 if "weight" in name else 0.6)
                        + (0.5 if "weight" in name else -0.3))
        net.train()
        for _ in range(3):
            net(torch.randn((8, 1, 28, 28), generator=generator) * 0.8 + 0.2)
    net.eval()


def pytorch_to_ember(tool, scratch, variant):
    torch.manual_seed(1234)
    net = NETWORKS[variant]()  # PyTorch's own initialisation, different weights from ember's export
    if variant == "bn":
        move_batch_norm_state(net)  # num_batches_tracked is int64 in the file, as PyTorch keeps it
    model_path = os.path.join(scratch, "model_torch.safetensors")
    input_path = os.path.join(scratch, "input_torch.safetensors")
    logits_path = os.path.join(scratch, "logits_torch.safetensors")
    bad_logits_path = os.path.join(scratch, "logits_torch_perturbed.safetensors")
    write_safetensors(
        model_path, {name: t.detach().numpy() for name, t in net.state_dict().items()}, {"format": "pt"}
    )
    rng = np.random.default_rng(7)
    inputs = ((rng.random((5, 1, 28, 28)) - 0.1307) / 0.3081).astype(np.float32)
    reference = reference_logits(net, inputs)
    write_safetensors(input_path, {"input": inputs})
    write_safetensors(logits_path, {"logits": reference})
    status = run_tool(tool, "check", model_path, input_path, logits_path, variant)
    print(f"{'OK' if status == 0 else 'FAIL'}: {variant}: PyTorch -> ember: interop_tool check exited {status}")
    # The check must be able to fail: move one logit by 1e-4 of the scale.
    perturbed = reference.copy()
    perturbed[2, 3] += 1e-4 * np.max(np.abs(reference))
    write_safetensors(bad_logits_path, {"logits": perturbed})
    bad_status = run_tool(tool, "check", model_path, input_path, bad_logits_path, variant)
    print(f"{'OK' if bad_status == 1 else 'FAIL'}: a perturbed reference is rejected (exit {bad_status}, expected 1)")
    return status == 0 and bad_status == 1


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    tool, scratch = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    os.makedirs(scratch, exist_ok=True)
    torch.set_num_threads(1)
    results = []
    for variant in NETWORKS:
        results += [ember_to_pytorch(tool, scratch, variant), pytorch_to_ember(tool, scratch, variant)]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
