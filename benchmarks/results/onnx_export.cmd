scripts/check-onnx.sh --record runs/mnist/model.safetensors runs/reference/model.safetensors
