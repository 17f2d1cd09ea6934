#pragma once
// ember's engine: tensors, autograd, kernels, ops, nn layers, optimizers and schedulers, and
// model and checkpoint files (safetensors). Needs C++17, Eigen 3.4, OpenMP and zlib (the
// checkpoints' CRC-32); it never includes an add-on. CMake: target ember::ember; pkg-config:
// ember. The add-ons have their own headers and targets: <ember/data.hpp>, <ember/image.hpp>,
// <ember/metrics.hpp>, <ember/viz.hpp>.

#include "ember/core/allocator.hpp"
#include "ember/core/error.hpp"
#include "ember/core/factory.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/precision.hpp"
#include "ember/core/print.hpp"
#include "ember/core/random.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"
#include "ember/autograd/engine.hpp"
#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/gradcheck.hpp"
#include "ember/autograd/node.hpp"
#include "ember/autograd/profiler.hpp"
#include "ember/io/atomic_file.hpp"
#include "ember/io/checkpoint.hpp"
#include "ember/io/json.hpp"
#include "ember/io/model_file.hpp"
#include "ember/io/safetensors.hpp"
#include "ember/ops/activation.hpp"
#include "ember/ops/batch_norm.hpp"
#include "ember/ops/conv.hpp"
#include "ember/ops/dropout.hpp"
#include "ember/ops/join.hpp"
#include "ember/ops/linear.hpp"
#include "ember/ops/loss.hpp"
#include "ember/ops/map.hpp"
#include "ember/ops/pool.hpp"
#include "ember/ops/softmax.hpp"
#include "ember/ops/tensor_methods.hpp"
#include "ember/optim/adadelta.hpp"
#include "ember/optim/adam.hpp"
#include "ember/optim/clip.hpp"
#include "ember/optim/ema.hpp"
#include "ember/optim/optimizer.hpp"
#include "ember/optim/scheduler.hpp"
#include "ember/optim/sgd.hpp"
#include "ember/nn/activation.hpp"
#include "ember/nn/batch_norm.hpp"
#include "ember/nn/conv2d.hpp"
#include "ember/nn/dropout.hpp"
#include "ember/nn/flatten.hpp"
#include "ember/nn/init.hpp"
#include "ember/nn/linear.hpp"
#include "ember/nn/module.hpp"
#include "ember/nn/pooling.hpp"
#include "ember/nn/sequential.hpp"
#include "ember/version.hpp"

// The compiled mode (target ember::compiled): the engine's float and double templates come
// from libember_compiled instead of being compiled in every translation unit.
#if defined(EMBER_COMPILED) && !defined(EMBER_INSTANTIATE)
#include "ember/instances.hpp"
#endif
