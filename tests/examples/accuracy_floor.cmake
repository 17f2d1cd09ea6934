# Trains the reference CNN on the 2,000-image MNIST sample and requires at least 90% accuracy
# on the 1,000 sample test images: a floor that catches a broken training pipeline without
# the full data set (the full-data figures are in the README).
# Usage: cmake -DMNIST=<binary> -DDATA=<sample dir> -DWORK=<scratch dir> [-DPRECISION=bf16] [-DEPOCHS=N]
#        [-DMODEL=bn] [-DSANITIZED=ON] -P accuracy_floor.cmake
# PRECISION bf16 trains and evaluates with bf16 mixed precision (the same floor); EPOCHS (3) sets
# the training length, MODEL (reference) the network; evaluate finds the network in the model file.
if(NOT DEFINED MODEL)
  set(MODEL reference)
endif()
if(NOT DEFINED PRECISION)
  set(PRECISION float32)
endif()
if(NOT DEFINED EPOCHS)
  set(EPOCHS 3)
endif()
# Without AVX512_BF16 the bf16 GEMM runs its portable path, which is checked bit for bit against
# the vector path in the unit tests but is far too slow for the epochs under the sanitizers
# (SANITIZED ON); release builds train it on every CPU.
if(PRECISION STREQUAL "bf16" AND SANITIZED AND EXISTS /proc/cpuinfo)
  file(READ /proc/cpuinfo cpuinfo)
  if(NOT cpuinfo MATCHES "avx512_bf16")
    message(STATUS "skipped: no AVX512_BF16 on this CPU under the sanitizers (the portable bf16 path is tested in ember_tests, and trained here in release builds)")
    return()
  endif()
endif()
file(REMOVE_RECURSE ${WORK})
execute_process(COMMAND ${MNIST} train --data ${DATA} --out ${WORK} --epochs ${EPOCHS} --val-size 200 --seed 1
                        --precision ${PRECISION} --model ${MODEL}
                COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${MNIST} evaluate --data ${DATA} --model ${WORK}/model.safetensors --out ${WORK}
                        --precision ${PRECISION}
                OUTPUT_VARIABLE out COMMAND_ERROR_IS_FATAL ANY)
message(STATUS "${out}")
if(NOT out MATCHES "accuracy ([0-9.]+)%")
  message(FATAL_ERROR "no accuracy in the output of mnist evaluate")
endif()
set(accuracy ${CMAKE_MATCH_1})
if(accuracy LESS 90)
  message(FATAL_ERROR "test accuracy ${accuracy}% is below the 90% floor")
endif()
message(STATUS "test accuracy (${MODEL}, ${PRECISION}) ${accuracy}% >= 90%")
