"""Checks an ONNX file that ember::onnx wrote (tests/onnx/write_onnx_sample.cpp) with runtimes
no one here wrote: the onnx package's checker and strict shape inference, then OpenCV's DNN
module, whose outputs are compared with a NumPy forward pass computed from the file's own
initializers. Exit 77 (skip) without onnx or cv2 (Debian: python3-onnx, python3-opencv).

Usage: check_onnx_sample.py WRITER SCRATCH_DIR
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


def reference(x, w):
    """The sample's network in NumPy: Conv 3x3 pad 1, ReLU, MaxPool 2, Flatten, Gemm, LogSoftmax."""
    n, _, h, wd = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((n, 2, h, wd))
    for o in range(2):
        for i in range(h):
            for j in range(wd):
                conv[:, o, i, j] = (padded[:, :, i:i + 3, j:j + 3] * w["conv.weight"][o]).sum(axis=(1, 2, 3))
        conv[:, o] += w["conv.bias"][o]
    relu = np.maximum(conv, 0)
    pool = relu.reshape(n, 2, h // 2, 2, wd // 2, 2).max(axis=(3, 5))
    fc = pool.reshape(n, -1) @ w["fc.weight"].T + w["fc.bias"]
    shifted = fc - fc.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def main():
    writer, scratch = sys.argv[1], sys.argv[2]
    os.makedirs(scratch, exist_ok=True)
    path = os.path.join(scratch, "sample.onnx")
    subprocess.run([writer, path], check=True)
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    inferred = shape_inference.infer_shapes(model, strict_mode=True)
    assert [n.op_type for n in model.graph.node] == ["Conv", "Relu", "MaxPool", "Flatten", "Gemm", "LogSoftmax"]
    assert model.ir_version == 8 and model.opset_import[0].version == 17, (model.ir_version, model.opset_import)
    assert model.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    shapes = {v.name: [d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim]
              for v in inferred.graph.value_info}
    assert shapes["pool_out"] == ["batch", 2, 3, 3], shapes
    weights = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    print("onnx %s: checker and strict shape inference pass (%d nodes, %d initializers)"
          % (onnx.__version__, len(model.graph.node), len(weights)))

    x = np.random.default_rng(5).standard_normal((4, 1, 6, 6)).astype(np.float32)
    expected = reference(x.astype(np.float64), weights)
    net = cv2.dnn.readNetFromONNX(path)
    net.setInput(x)
    got = net.forward()
    diff = float(np.abs(got - expected).max())
    print("OpenCV %s: logits of 4 images within %.2g of NumPy's" % (cv2.__version__, diff))
    if got.shape != expected.shape or diff > 1e-5:
        print("FAIL: OpenCV gave %s, NumPy %s" % (got, expected))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
