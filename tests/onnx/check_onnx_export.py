"""Checks the ONNX files that ember::onnx::export_module wrote (tests/onnx/export_models.cpp) with
runtimes no one here wrote:
- the onnx package's checker (full check) and strict shape inference; input `input` and output
  `logits` with a symbolic batch dimension;
- OpenCV's DNN module: its logits within 1e-4 of ember's and the same argmax for every image,
  also at another batch size than the one traced;
- PyTorch: the same networks built in PyTorch load the file's initializers as their state dict
  (so the names are PyTorch's) and give ember's logits; for the reference CNN, torch.onnx.export
  of the same weights writes the same nodes in the same order with the same initializers.
Exit 77 (skip) without onnx or cv2 (Debian: python3-onnx, python3-opencv); without torch
(python3-torch) the PyTorch part alone is skipped, and says so.

Usage: check_onnx_export.py EXPORTER MNIST_SAMPLE_DIR SCRATCH_DIR
"""
import os
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper, shape_inference
    import cv2
except ImportError as e:
    print("skipped: %s (apt-get install python3-onnx python3-opencv)" % e)
    sys.exit(77)
try:  # the PyTorch part runs where python3-torch is installed (not by the test command's setup)
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:
    torch = None
    print("note: the PyTorch comparison is skipped: %s (apt-get install python3-torch)" % e)

TOLERANCE = 1e-4


Module = nn.Module if torch else object


class Reference(Module):
    """PyTorch's MNIST example network (examples/mnist/model.hpp, Net)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3)
        self.conv2 = nn.Conv2d(32, 64, 3)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv2(F.relu(self.conv1(x)))), 2)
        x = torch.flatten(self.dropout1(x), 1)
        return self.fc2(self.dropout2(F.relu(self.fc1(x))))


class Bn(Module):
    """examples/mnist/model.hpp's BnNet."""

    def __init__(self):
        super().__init__()
        widths = [(1, 32), (32, 32), (32, 64), (64, 64), (64, 128)]
        for i, (cin, cout) in enumerate(widths, 1):
            setattr(self, "conv%d" % i, nn.Conv2d(cin, cout, 3, padding=1 if i == 5 else 0, bias=False))
            setattr(self, "bn%d" % i, nn.BatchNorm2d(cout))
        self.dropout = nn.Dropout(0.25)
        self.fc = nn.Linear(128, 10)

    def block(self, i, x):
        return F.relu(getattr(self, "bn%d" % i)(getattr(self, "conv%d" % i)(x)))

    def forward(self, x):
        x = F.max_pool2d(self.block(2, self.block(1, x)), 2)
        x = F.max_pool2d(self.block(4, self.block(3, x)), 2)
        x = F.adaptive_avg_pool2d(self.block(5, x), 1)
        return self.fc(self.dropout(torch.flatten(x, 1)))


def zoo(x, w):
    """tests/onnx/zoo.hpp's forward, in PyTorch's functions, with the file's weights."""
    def bn(t, name, eps, affine):
        return F.batch_norm(t, w[name + ".running_mean"], w[name + ".running_var"],
                            w[name + ".weight"] if affine else None, w[name + ".bias"] if affine else None,
                            False, 0.1, eps)
    a = F.leaky_relu(bn(F.conv2d(x, w["left.weight"], w["left.bias"], padding=1), "norm", 1e-5, True), 0.2)
    b = torch.tanh(bn(F.conv2d(x, w["right.weight"], None, padding=2, dilation=2), "plain_norm", 1e-3, False))
    h = torch.cat([a, b * torch.sigmoid(a)], 1)
    h = F.gelu(F.max_pool2d(F.silu(F.avg_pool2d(h, 3, 1, 1)), 2, 1, 1))
    h = F.relu(F.conv2d(h, w["down.weight"], w["down.bias"], stride=2))
    g = torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)
    t = torch.flatten(torch.transpose(F.adaptive_avg_pool2d(h, 3), 2, 3).reshape(-1, 8, 9), 1)
    f = F.linear(t, w["fc.weight"], w["fc.bias"])
    m = f @ w["mix"]
    u = (m * 0.5 + 1.0 - f) / (torch.exp(-f) + 2.0) + torch.pow(f * 0.3, 2.0) + torch.log(torch.exp(-f) + 2.0)
    y = F.linear(torch.cat([u, g], 1), w["head.weight"])
    return F.log_softmax(y, 1) * 0.5 + F.softmax(y, 1)


def load_case(scratch, name):
    n, c, h, w, k = map(int, open(os.path.join(scratch, name + ".shape")).read().split())
    x = np.fromfile(os.path.join(scratch, name + ".input.f32"), dtype="<f4").reshape(n, c, h, w)
    z = np.fromfile(os.path.join(scratch, name + ".logits.f32"), dtype="<f4").reshape(n, k)
    return x, z


def check_file(path):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    assert model.ir_version == 8 and model.opset_import[0].version == 17, (model.ir_version, model.opset_import)
    (inp,), (out,) = model.graph.input, model.graph.output
    assert (inp.name, out.name) == ("input", "logits"), (inp.name, out.name)
    for v in (inp, out):
        assert v.type.tensor_type.shape.dim[0].dim_param == "batch", v
    inferred_out = [d.dim_param or d.dim_value for d in inferred.graph.output[0].type.tensor_type.shape.dim]
    return model, inferred_out


def opencv_logits(path, x):
    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(x)
    return net.forward()


def compare(what, got, expected):
    diff = float(np.abs(got - expected).max())
    same = int((got.argmax(1) == expected.argmax(1)).sum())
    print("  %s: max |logit difference| %.2g, same argmax for %d of %d" % (what, diff, same, len(expected)))
    ok = got.shape == expected.shape and diff <= TOLERANCE and same == len(expected)
    if not ok:
        print("FAIL: %s differs from ember (tolerance %g)" % (what, TOLERANCE))
    return ok


def torch_network(name, weights):
    net = Reference() if name == "reference" else Bn()
    state = {k: torch.tensor(v) for k, v in weights.items()}
    missing, unexpected = net.load_state_dict(state, strict=False)
    assert not unexpected, unexpected
    assert all(k.endswith("num_batches_tracked") for k in missing), missing
    return net.eval()


def main():
    exporter, sample, scratch = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(scratch, exist_ok=True)
    subprocess.run([exporter, sample, scratch], check=True)
    ok = True
    for name in ("reference", "bn", "zoo"):
        path = os.path.join(scratch, name + ".onnx")
        model, out_shape = check_file(path)
        x, z = load_case(scratch, name)
        print("%s: onnx %s checker and strict shape inference pass (%d nodes: %s; output %s)"
              % (name, onnx.__version__, len(model.graph.node),
                 " ".join(sorted({n.op_type for n in model.graph.node})), out_shape))
        ok &= compare("OpenCV %s, batch %d" % (cv2.__version__, len(x)), opencv_logits(path, x), z)
        ok &= compare("OpenCV, batch 7", opencv_logits(path, x[:7]), z[:7])
        if torch is None:
            continue
        weights = {t.name: numpy_helper.to_array(t).copy() for t in model.graph.initializer}
        with torch.no_grad():
            if name == "zoo":
                torch_z = zoo(torch.tensor(x), {k: torch.tensor(v) for k, v in weights.items()}).numpy()
                ok &= compare("PyTorch %s, the same functions" % torch.__version__, torch_z, z)
                continue
            net = torch_network(name, weights)
            ok &= compare("PyTorch %s, the same network" % torch.__version__, net(torch.tensor(x)).numpy(), z)
            torch_path = os.path.join(scratch, name + ".torch.onnx")
            torch.onnx.export(net, torch.tensor(x[:2]), torch_path, opset_version=17, input_names=["input"],
                              output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
        theirs = onnx.load(torch_path)
        ok &= compare("OpenCV on torch.onnx.export's file", opencv_logits(torch_path, x), z)
        if name == "reference":
            ours_ops = [n.op_type for n in model.graph.node]
            their_ops = [n.op_type for n in theirs.graph.node]
            their_weights = {t.name: numpy_helper.to_array(t) for t in theirs.graph.initializer}
            same_weights = all(np.array_equal(their_weights.get(k), v) for k, v in weights.items())
            print("  torch.onnx.export: nodes %s; ours %s; initializers %s"
                  % (" ".join(their_ops), "the same" if ours_ops == their_ops else " ".join(ours_ops),
                     "the same names and values" if same_weights and len(their_weights) == len(weights) else "differ"))
            if ours_ops != their_ops or not same_weights or len(their_weights) != len(weights):
                print("FAIL: the reference CNN's graph differs from torch.onnx.export's")
                ok = False
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
