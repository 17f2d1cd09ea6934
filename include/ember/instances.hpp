#pragma once
// The engine's templates for float and double, compiled once: ember's optional compiled mode.
//
// Header-only use compiles every engine template a translation unit touches (the convolution,
// GEMM and autograd code, the optimizers, the model files) in that unit, again and again: most
// of a small program's compile time. A program that links the CMake target ember::compiled (or
// pkg-config's ember-compiled) gets EMBER_COMPILED defined, and <ember/ember.hpp> then ends by
// including this header, whose lines become explicit instantiation declarations
// (`extern template ...`): the unit uses the instances in libember_compiled.a instead of making
// its own. src/instances.cpp, the library's one source, defines EMBER_INSTANTIATE and includes
// this header, which turns the same lines into explicit instantiation definitions: the list is
// written once and the compiler checks every line against the template it names.
//
// What is listed: the public templates a program instantiates with float or double (Tensor, the
// ops, the layers, the optimizers and schedulers, model and checkpoint files). A template not
// listed (a detail helper, a kernel called directly, Tensor<std::int64_t>) is simply instantiated
// where it is used, as in header-only mode, so the list can lag behind the code without breaking
// a build. The code is the same in both modes, only compiled in another unit (with flags that
// allow FMA contraction, the last bits of a result may differ from a header-only build).

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ember/ember.hpp"

// The library and the programs that use it may be compiled with different instruction sets
// (the library for this machine's CPU, a program portably, or the other way round). Eigen's
// alignment follows the instruction set unless it is fixed, and memory allocated with one
// alignment and freed with another corrupts the heap: ember::compiled and ember-compiled.pc fix
// it at 64 bytes for every unit that uses the library.
#if EIGEN_MAX_ALIGN_BYTES != 64 || EIGEN_MAX_STATIC_ALIGN_BYTES != 64
#error "ember's compiled mode needs -DEIGEN_MAX_ALIGN_BYTES=64 -DEIGEN_MAX_STATIC_ALIGN_BYTES=64 on every unit (the ember::compiled target and pkg-config's ember-compiled give them)"
#endif

#if defined(EMBER_INSTANTIATE)
#define EMBER_INSTANCE template
#else
#define EMBER_INSTANCE extern template
#endif

// Every line names one template for the element type T.
#define EMBER_ENGINE_INSTANCES(T)                                                                              \
  /* core and autograd */                                                                                      \
  EMBER_INSTANCE class Tensor<T>;                                                                              \
  EMBER_INSTANCE struct Node<T>;                                                                               \
  EMBER_INSTANCE Tensor<T> record<T>(const char*, Tensor<T>, std::vector<Tensor<T>>, typename Node<T>::BackwardFn); \
  EMBER_INSTANCE Tensor<T> zeros<T>(const Shape&);                                                             \
  EMBER_INSTANCE Tensor<T> ones<T>(const Shape&);                                                              \
  EMBER_INSTANCE Tensor<T> full<T>(const Shape&, T);                                                           \
  EMBER_INSTANCE Tensor<T> from_vector<T>(const std::vector<T>&, const Shape&);                                \
  EMBER_INSTANCE Tensor<T> uniform<T>(const Shape&, double, double, Generator&);                               \
  EMBER_INSTANCE Tensor<T> randn<T>(const Shape&, Generator&);                                                 \
  /* ops */                                                                                                    \
  EMBER_INSTANCE Tensor<T> add<T>(const Tensor<T>&, const Tensor<T>&);                                         \
  EMBER_INSTANCE Tensor<T> sub<T>(const Tensor<T>&, const Tensor<T>&);                                         \
  EMBER_INSTANCE Tensor<T> mul<T>(const Tensor<T>&, const Tensor<T>&);                                         \
  EMBER_INSTANCE Tensor<T> div<T>(const Tensor<T>&, const Tensor<T>&);                                         \
  EMBER_INSTANCE Tensor<T> add_scalar<T>(const Tensor<T>&, T);                                                 \
  EMBER_INSTANCE Tensor<T> mul_scalar<T>(const Tensor<T>&, T);                                                 \
  EMBER_INSTANCE Tensor<T> neg<T>(const Tensor<T>&);                                                           \
  EMBER_INSTANCE Tensor<T> exp<T>(const Tensor<T>&);                                                           \
  EMBER_INSTANCE Tensor<T> log<T>(const Tensor<T>&);                                                           \
  EMBER_INSTANCE Tensor<T> pow<T>(const Tensor<T>&, double);                                                   \
  EMBER_INSTANCE Tensor<T> matmul<T>(const Tensor<T>&, const Tensor<T>&);                                      \
  EMBER_INSTANCE Tensor<T> sum<T>(const Tensor<T>&);                                                           \
  EMBER_INSTANCE Tensor<T> sum<T>(const Tensor<T>&, int, bool);                                                \
  EMBER_INSTANCE Tensor<T> mean<T>(const Tensor<T>&);                                                          \
  EMBER_INSTANCE Tensor<T> mean<T>(const Tensor<T>&, int, bool);                                               \
  EMBER_INSTANCE Tensor<T> max<T>(const Tensor<T>&);                                                           \
  EMBER_INSTANCE Tensor<T> max<T>(const Tensor<T>&, int, bool);                                                \
  EMBER_INSTANCE Tensor<std::int64_t> argmax<T>(const Tensor<T>&, int, bool);                                  \
  EMBER_INSTANCE Tensor<T> view<T>(const Tensor<T>&, const std::vector<index_t>&);                             \
  EMBER_INSTANCE Tensor<T> reshape<T>(const Tensor<T>&, const std::vector<index_t>&);                          \
  EMBER_INSTANCE Tensor<T> contiguous<T>(const Tensor<T>&);                                                    \
  EMBER_INSTANCE Tensor<T> clone<T>(const Tensor<T>&);                                                         \
  EMBER_INSTANCE Tensor<T> flatten<T>(const Tensor<T>&, int);                                                  \
  EMBER_INSTANCE Tensor<T> transpose<T>(const Tensor<T>&, int, int);                                           \
  EMBER_INSTANCE Tensor<T> t<T>(const Tensor<T>&);                                                             \
  EMBER_INSTANCE Tensor<T> relu<T>(const Tensor<T>&);                                                          \
  EMBER_INSTANCE Tensor<T> leaky_relu<T>(const Tensor<T>&, double);                                            \
  EMBER_INSTANCE Tensor<T> sigmoid<T>(const Tensor<T>&);                                                       \
  EMBER_INSTANCE Tensor<T> tanh<T>(const Tensor<T>&);                                                          \
  EMBER_INSTANCE Tensor<T> silu<T>(const Tensor<T>&);                                                          \
  EMBER_INSTANCE Tensor<T> gelu<T>(const Tensor<T>&);                                                          \
  EMBER_INSTANCE Tensor<T> cat<T>(const std::vector<Tensor<T>>&, int);                                         \
  EMBER_INSTANCE Tensor<T> stack<T>(const std::vector<Tensor<T>>&, int);                                       \
  EMBER_INSTANCE Tensor<T> batch_norm<T>(const Tensor<T>&, Tensor<T>, Tensor<T>, const Tensor<T>&, const Tensor<T>&, \
                                         bool, BatchNormOptions);                                              \
  EMBER_INSTANCE Tensor<T> softmax<T>(const Tensor<T>&, int);                                                  \
  EMBER_INSTANCE Tensor<T> log_softmax<T>(const Tensor<T>&, int);                                              \
  EMBER_INSTANCE Tensor<T> conv2d<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&, Conv2dParams);      \
  EMBER_INSTANCE Tensor<T> max_pool2d<T>(const Tensor<T>&, index_t, index_t, index_t);                         \
  EMBER_INSTANCE Tensor<T> avg_pool2d<T>(const Tensor<T>&, index_t, index_t, index_t);                         \
  EMBER_INSTANCE Tensor<T> adaptive_avg_pool2d<T>(const Tensor<T>&, index_t, index_t);                         \
  EMBER_INSTANCE Tensor<T> dropout<T>(const Tensor<T>&, double, bool, Generator&);                             \
  EMBER_INSTANCE Tensor<T> dropout<T>(const Tensor<T>&, double, bool);                                         \
  EMBER_INSTANCE Tensor<T> linear<T>(const Tensor<T>&, const Tensor<T>&, const Tensor<T>&);                    \
  EMBER_INSTANCE Tensor<T> nll_loss<T>(const Tensor<T>&, const Tensor<std::int64_t>&, Reduction);              \
  EMBER_INSTANCE Tensor<T> cross_entropy<T>(const Tensor<T>&, const Tensor<std::int64_t>&, Reduction, double); \
  EMBER_INSTANCE Tensor<T> mse_loss<T>(const Tensor<T>&, const Tensor<T>&, Reduction);                         \
  /* nn */                                                                                                     \
  EMBER_INSTANCE class nn::Module<T>;                                                                          \
  EMBER_INSTANCE class nn::Sequential<T>;                                                                      \
  EMBER_INSTANCE class nn::Conv2d<T>;                                                                          \
  EMBER_INSTANCE class nn::Linear<T>;                                                                          \
  EMBER_INSTANCE class nn::ReLU<T>;                                                                            \
  EMBER_INSTANCE class nn::MaxPool2d<T>;                                                                       \
  EMBER_INSTANCE class nn::AvgPool2d<T>;                                                                       \
  EMBER_INSTANCE class nn::AdaptiveAvgPool2d<T>;                                                               \
  EMBER_INSTANCE class nn::LeakyReLU<T>;                                                                       \
  EMBER_INSTANCE class nn::GELU<T>;                                                                            \
  EMBER_INSTANCE class nn::SiLU<T>;                                                                            \
  EMBER_INSTANCE class nn::Sigmoid<T>;                                                                         \
  EMBER_INSTANCE class nn::Tanh<T>;                                                                            \
  EMBER_INSTANCE class nn::BatchNormBase<T>;                                                                   \
  EMBER_INSTANCE class nn::BatchNorm1d<T>;                                                                     \
  EMBER_INSTANCE class nn::BatchNorm2d<T>;                                                                     \
  EMBER_INSTANCE class nn::Dropout<T>;                                                                         \
  EMBER_INSTANCE class nn::Flatten<T>;                                                                         \
  EMBER_INSTANCE Tensor<T> nn::init::kaiming_uniform<T>(const Shape&, double, Generator&);                           \
  EMBER_INSTANCE Tensor<T> nn::init::bias_uniform<T>(index_t, index_t, Generator&);                                  \
  /* optim */                                                                                                  \
  EMBER_INSTANCE class optim::Optimizer<T>;                                                                    \
  EMBER_INSTANCE class optim::SGD<T>;                                                                          \
  EMBER_INSTANCE class optim::Adam<T>;                                                                         \
  EMBER_INSTANCE class optim::AdamW<T>;                                                                        \
  EMBER_INSTANCE class optim::Adadelta<T>;                                                                     \
  EMBER_INSTANCE class optim::LRScheduler<T>;                                                                  \
  EMBER_INSTANCE class optim::StepLR<T>;                                                                       \
  EMBER_INSTANCE class optim::CosineAnnealingLR<T>;                                                            \
  EMBER_INSTANCE class optim::OneCycleLR<T>;                                                                   \
  EMBER_INSTANCE class optim::ModelEMA<T>;                                                                     \
  EMBER_INSTANCE double optim::clip_grad_norm<T>(const std::vector<Tensor<T>>&, double);                       \
  /* model and checkpoint files */                                                                             \
  EMBER_INSTANCE void io::save_safetensors<T>(const std::string&, const std::vector<std::pair<std::string, Tensor<T>>>&, \
                                              const io::Metadata&);                                            \
  EMBER_INSTANCE Tensor<T> io::to_tensor<T>(const io::SafetensorsEntry&);                                      \
  EMBER_INSTANCE void io::save_model<T>(const nn::Module<T>&, const std::string&, const std::string&, io::Metadata); \
  EMBER_INSTANCE io::Metadata io::load_model<T>(nn::Module<T>&, const std::string&, const std::string&);      \
  EMBER_INSTANCE void io::save_checkpoint<T>(const std::string&, const nn::Module<T>&,                       \
                                             const std::vector<std::pair<std::string, Tensor<T>>>&, int,       \
                                             const Generator::State&, const io::Metadata&, const std::string&); \
  EMBER_INSTANCE io::Checkpoint<T> io::load_checkpoint<T>(const std::string&, nn::Module<T>&, const std::string&);

namespace ember {
EMBER_ENGINE_INSTANCES(float)
EMBER_ENGINE_INSTANCES(double)
}  // namespace ember

#undef EMBER_ENGINE_INSTANCES
#undef EMBER_INSTANCE
