# Configure, build and run tests/package/consumer against ember in one way.
# cmake -DMODE=find_package|add_subdirectory|fetchcontent -DEMBER_SOURCE_DIR=...
#       -DCONSUMER_DIR=... -DWORK_DIR=... -DCXX_COMPILER=... [-DGENERATOR=...]
#       -P run_consumer.cmake
cmake_minimum_required(VERSION 3.21)

foreach(var MODE EMBER_SOURCE_DIR CONSUMER_DIR WORK_DIR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
set(gen_args)
if(GENERATOR)
  set(gen_args -G "${GENERATOR}")
endif()

# Always start from a fresh configure.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()

set(consumer_args -DEMBER_CONSUME_MODE=${MODE} -DEMBER_SOURCE_DIR=${EMBER_SOURCE_DIR})
if(MODE STREQUAL "find_package")
  # Install ember the way a user would (configure + build + install), then
  # consume it from the prefix only. Installing with --prefix, unlike the
  # configured prefix, also proves the package files are relocatable.
  set(prefix "${WORK_DIR}/prefix")
  run(${CMAKE_COMMAND} -S "${EMBER_SOURCE_DIR}" -B "${WORK_DIR}/ember-build" ${gen_args}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release
      -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_EXAMPLES=OFF -DEMBER_BUILD_BENCHMARKS=OFF)
  run(${CMAKE_COMMAND} --build "${WORK_DIR}/ember-build" --parallel 2)
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/ember-build" --prefix "${prefix}")
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${prefix})
endif()

set(build "${WORK_DIR}/consumer-build")
run(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${build}" ${gen_args}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release ${consumer_args})
run(${CMAKE_COMMAND} --build "${build}" --config Release --parallel 2)
set(app "${build}/app")
if(NOT EXISTS "${app}")
  set(app "${build}/Release/app")  # multi-config generators
endif()
run("${app}")

# The same program built by hand with pkg-config's flags, when pkg-config exists.
if(MODE STREQUAL "find_package")
  find_program(PKG_CONFIG pkg-config)
  if(PKG_CONFIG)
    execute_process(
      COMMAND ${CMAKE_COMMAND} -E env "PKG_CONFIG_PATH=${prefix}/share/pkgconfig"
              ${PKG_CONFIG} --cflags --libs ember
      OUTPUT_VARIABLE pc_flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    message(STATUS "pkg-config --cflags --libs ember: ${pc_flags}")
    separate_arguments(pc_flags UNIX_COMMAND "${pc_flags}")
    run(${CXX_COMPILER} -std=c++17 -O2 "${CONSUMER_DIR}/main.cpp" ${pc_flags}
        -o "${WORK_DIR}/app_pkgconfig")
    run("${WORK_DIR}/app_pkgconfig")
  else()
    message(STATUS "pkg-config not found: skipping the pkg-config build")
  endif()
endif()
