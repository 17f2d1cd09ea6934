#pragma once
// ember: header-only deep learning on Eigen and OpenMP. Include this one header.

#include "ember/core/error.hpp"
#include "ember/core/factory.hpp"
#include "ember/core/parallel.hpp"
#include "ember/core/print.hpp"
#include "ember/core/random.hpp"
#include "ember/core/shape.hpp"
#include "ember/core/tensor.hpp"
#include "ember/autograd/engine.hpp"
#include "ember/autograd/grad_mode.hpp"
#include "ember/autograd/gradcheck.hpp"
#include "ember/autograd/node.hpp"
#include "ember/ops/tensor_methods.hpp"
#include "ember/version.hpp"
