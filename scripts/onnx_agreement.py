"""Runs an ONNX file that `mnist export` wrote on the MNIST test set in OpenCV's DNN module and
compares it with ember's own logits of the same model (`mnist evaluate --logits`): the onnx
package's checker and strict shape inference first, then OpenCV's logits of every image against
ember's. Passes when the largest logit difference is at most 1e-4 and every prediction agrees.
Exit 77 without onnx or cv2 (Debian: python3-onnx, python3-opencv).

Usage: onnx_agreement.py MODEL.onnx DATA_DIR LOGITS.csv [--record CSV --variant NAME --source TEXT]
  DATA_DIR holds t10k-images-idx3-ubyte (raw or .gz), as `mnist evaluate --data` reads it;
  --record appends the figures as a row of CSV (scripts/check-onnx.sh --record).
"""
import argparse
import gzip
import os
import sys

try:
    import numpy as np
    import onnx
    from onnx import shape_inference
    import cv2
except ImportError as e:
    print("skipped: %s (apt-get install python3-onnx python3-opencv)" % e)
    sys.exit(77)

TOLERANCE = 1e-4
MEAN, STD = np.float32(0.1307), np.float32(0.3081)  # ember::data::kMnistMean / kMnistStd


def read_images(data_dir):
    """The test images as [N, 1, 28, 28] float32, normalised as ember's training input."""
    for name in ("t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz"):
        path = os.path.join(data_dir, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                raw = f.read()
            break
    else:
        raise SystemExit("onnx_agreement: no t10k-images-idx3-ubyte[.gz] in %s" % data_dir)
    count, rows, cols = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    pixels = np.frombuffer(raw, dtype=np.uint8, count=count * rows * cols, offset=16)
    x = pixels.reshape(count, 1, rows, cols).astype(np.float32) / np.float32(255)
    return (x - MEAN) / STD


def read_logits(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.float64)
    data = data.reshape(-1, data.shape[-1])
    return data[:, 1].astype(np.int64), data[:, 2:].astype(np.float32)


def opencv_logits(path, x, batch=1000):
    net = cv2.dnn.readNetFromONNX(path)
    out = []
    for start in range(0, len(x), batch):
        net.setInput(x[start:start + batch])
        out.append(net.forward().copy())
    return np.concatenate(out)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("data")
    parser.add_argument("logits")
    parser.add_argument("--record")
    parser.add_argument("--variant", default="")
    parser.add_argument("--source", default="")
    args = parser.parse_args()

    model = onnx.load(args.model)
    onnx.checker.check_model(model, full_check=True)
    shape_inference.infer_shapes(model, strict_mode=True)
    print("onnx %s: %s passes the checker and strict shape inference (%d nodes)"
          % (onnx.__version__, args.model, len(model.graph.node)))

    labels, ember_z = read_logits(args.logits)
    x = read_images(args.data)[:len(labels)]
    cv_z = opencv_logits(args.model, x)
    diff = float(np.abs(cv_z - ember_z).max())
    same = int((cv_z.argmax(1) == ember_z.argmax(1)).sum())
    n = len(labels)
    accuracy_cv = float((cv_z.argmax(1) == labels).mean())
    accuracy_ember = float((ember_z.argmax(1) == labels).mean())
    print("OpenCV %s on %d test images: the same prediction as ember for %d (%.2f%%), max |logit difference| %.2g; "
          "accuracy %.2f%% (OpenCV) and %.2f%% (ember)"
          % (cv2.__version__, n, same, 100.0 * same / n, diff, 100 * accuracy_cv, 100 * accuracy_ember))
    ok = diff <= TOLERANCE and same == n
    if args.record:
        new = not os.path.exists(args.record)
        with open(args.record, "a") as f:
            if new:
                f.write("variant,images,same_predictions,max_logit_difference,accuracy_opencv,accuracy_ember,"
                        "nodes,opencv,onnx,source\n")
            f.write("%s,%d,%d,%.3g,%.4f,%.4f,%d,%s,%s,%s\n"
                    % (args.variant, n, same, diff, accuracy_cv, accuracy_ember, len(model.graph.node),
                       cv2.__version__, onnx.__version__, args.source.replace(",", ";")))
    if not ok:
        print("FAIL: OpenCV's logits differ from ember's (tolerance %g, every prediction the same)" % TOLERANCE)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
