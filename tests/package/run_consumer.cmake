# Builds and runs tests/package/consumer against ember in one of the ways a user takes it.
#   cmake -DMODE=install|find_package|pkg_config|add_subdirectory|fetchcontent
#         -DEMBER_SOURCE_DIR=... -DCONSUMER_DIR=... -DWORK_DIR=... -DPREFIX=... -DSAMPLE=...
#         -DCXX_COMPILER=... [-DGENERATOR=...] -P run_consumer.cmake
# install: configures, builds and installs ember into PREFIX (what find_package and pkg_config
# then consume). The other modes build the consumer's three programs (engine, engine_compiled,
# addons), run them, and check from the compiler's dependency output that the engine-only
# program's include closure holds no add-on and no stb header. fetchcontent builds ember without
# libember_compiled (header-only programs only: the other modes cover the compiled mode, and the
# library is the slowest unit to build). Everything is built at -O1: these tests are about the
# build, and -O1 halves its time.
cmake_minimum_required(VERSION 3.21)

foreach(var MODE EMBER_SOURCE_DIR CONSUMER_DIR WORK_DIR PREFIX SAMPLE CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()
set(gen_args)
if(GENERATOR)
  set(gen_args -G "${GENERATOR}")
endif()

function(run)
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT COMMAND_ERROR_IS_FATAL ANY)
endfunction()

# Fails unless `depfile` (the compiler's make rule for engine.cpp) names <ember/ember.hpp> and
# no header of an add-on (data, image, metrics, viz) or of stb.
function(check_engine_closure depfile)
  file(READ "${depfile}" deps)
  string(REGEX MATCHALL "[^ \\\n]+\\.(h|hpp)" headers "${deps}")
  list(LENGTH headers count)
  if(NOT deps MATCHES "include/ember/ember\\.hpp")
    message(FATAL_ERROR "${depfile}: <ember/ember.hpp> is not in the include closure: the check sees nothing")
  endif()
  set(bad)
  foreach(header IN LISTS headers)
    if(header MATCHES "include/ember/(data|image|metrics|viz|onnx|distributed)(/|\\.hpp)" OR header MATCHES "stb_")
      list(APPEND bad "${header}")
    endif()
  endforeach()
  if(bad)
    message(FATAL_ERROR "the engine-only program includes add-on or stb headers:\n  ${bad}")
  endif()
  message(STATUS "include closure of engine.cpp: ${count} headers, none of an add-on or stb")
endfunction()

# Runs the compile command that the consumer's build used for `output` (from its
# compile_commands.json) again, with -M, and checks the include closure it prints.
function(check_closure_of_build build output)
  file(READ "${build}/compile_commands.json" db)
  string(JSON n LENGTH "${db}")
  math(EXPR last "${n} - 1")
  foreach(i RANGE ${last})
    string(JSON command GET "${db}" ${i} command)
    string(FIND "${command}" " -o ${output} " at)
    if(NOT at EQUAL -1)
      string(JSON directory GET "${db}" ${i} directory)
      set(depfile "${build}/${output}.closure.d")
      string(REGEX REPLACE " -o [^ ]+" " -o ${depfile}" command "${command}")
      separate_arguments(command UNIX_COMMAND "${command} -M")
      execute_process(COMMAND ${command} WORKING_DIRECTORY "${directory}" COMMAND_ERROR_IS_FATAL ANY)
      check_engine_closure("${depfile}")
      return()
    endif()
  endforeach()
  message(FATAL_ERROR "no compile command for ${output} in ${build}/compile_commands.json")
endfunction()

# Runs the consumer's programs from `dir`, in a scratch directory (they write files).
function(run_programs dir)
  file(MAKE_DIRECTORY "${WORK_DIR}/run")
  set(programs engine)
  if(EXISTS "${dir}/engine_compiled")
    list(APPEND programs engine_compiled)
  endif()
  foreach(program ${programs})
    execute_process(COMMAND "${dir}/${program}" WORKING_DIRECTORY "${WORK_DIR}/run" COMMAND_ECHO STDOUT
                    COMMAND_ERROR_IS_FATAL ANY)
  endforeach()
  execute_process(COMMAND "${dir}/addons" "${SAMPLE}" WORKING_DIRECTORY "${WORK_DIR}/run" COMMAND_ECHO STDOUT
                  COMMAND_ERROR_IS_FATAL ANY)
  if(EXISTS "${dir}/distributed")
    execute_process(COMMAND "${dir}/distributed" WORKING_DIRECTORY "${WORK_DIR}/run" COMMAND_ECHO STDOUT
                    COMMAND_ERROR_IS_FATAL ANY)
  endif()
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(release_flags "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG")

if(MODE STREQUAL "install")
  # As a user would: configure, build, install. Installing with --prefix, unlike the configured
  # prefix, also proves the package files are relocatable.
  file(REMOVE_RECURSE "${PREFIX}")
  run(${CMAKE_COMMAND} -S "${EMBER_SOURCE_DIR}" -B "${WORK_DIR}/ember-build" ${gen_args}
      -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release ${release_flags}
      -DEMBER_BUILD_TESTS=OFF -DEMBER_BUILD_EXAMPLES=OFF -DEMBER_BUILD_BENCHMARKS=OFF)
  run(${CMAKE_COMMAND} --build "${WORK_DIR}/ember-build" --parallel 2)
  run(${CMAKE_COMMAND} --install "${WORK_DIR}/ember-build" --prefix "${PREFIX}")
  return()
endif()

if(MODE STREQUAL "pkg_config")
  # The three programs built by hand with pkg-config's flags and nothing else.
  find_program(PKG_CONFIG pkg-config REQUIRED)
  set(ENV{PKG_CONFIG_PATH} "${PREFIX}/share/pkgconfig:${PREFIX}/lib/pkgconfig:${PREFIX}/lib64/pkgconfig")
  function(pc_flags out)
    execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ${ARGN}
                    OUTPUT_VARIABLE flags OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
    message(STATUS "pkg-config --cflags --libs ${ARGN}: ${flags}")
    separate_arguments(flags UNIX_COMMAND "${flags}")
    set(${out} ${flags} PARENT_SCOPE)
  endfunction()
  pc_flags(engine_flags ember)
  pc_flags(compiled_flags ember-compiled)
  pc_flags(addon_flags ember-compiled ember-data ember-image ember-metrics ember-onnx ember-viz)
  set(bin "${WORK_DIR}/bin")
  file(MAKE_DIRECTORY "${bin}")
  run(${CXX_COMPILER} -std=c++17 -O1 "${CONSUMER_DIR}/engine.cpp" ${engine_flags} -o "${bin}/engine")
  run(${CXX_COMPILER} -std=c++17 -O1 "${CONSUMER_DIR}/engine.cpp" ${compiled_flags} -o "${bin}/engine_compiled")
  run(${CXX_COMPILER} -std=c++17 -O1 "${CONSUMER_DIR}/addons.cpp" ${addon_flags} -o "${bin}/addons")
  if(EXISTS "${PREFIX}/share/pkgconfig/ember-distributed.pc")  # installed where MPI was found
    pc_flags(distributed_flags ember-data ember-distributed)
    run(${CXX_COMPILER} -std=c++17 -O1 "${CONSUMER_DIR}/distributed.cpp" ${distributed_flags} -o "${bin}/distributed")
  endif()
  run(${CXX_COMPILER} -std=c++17 -M "${CONSUMER_DIR}/engine.cpp" ${engine_flags} -o "${bin}/engine.closure.d")
  check_engine_closure("${bin}/engine.closure.d")
  run_programs("${bin}")
  return()
endif()

set(consumer_args -DEMBER_CONSUME_MODE=${MODE} -DEMBER_SOURCE_DIR=${EMBER_SOURCE_DIR}
                  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON)
if(MODE STREQUAL "fetchcontent")
  list(APPEND consumer_args -DEMBER_CONSUMER_COMPILED=OFF -DEMBER_BUILD_COMPILED=OFF)
endif()
if(MODE STREQUAL "find_package")
  list(APPEND consumer_args -DCMAKE_PREFIX_PATH=${PREFIX})
endif()
set(build "${WORK_DIR}/consumer-build")
run(${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${build}" ${gen_args}
    -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=Release ${release_flags} ${consumer_args})
run(${CMAKE_COMMAND} --build "${build}" --config Release --parallel 2)
check_closure_of_build("${build}" "CMakeFiles/engine.dir/engine.cpp.o")
if(NOT MODE STREQUAL "fetchcontent")
  check_closure_of_build("${build}" "CMakeFiles/engine_compiled.dir/engine.cpp.o")
endif()
run_programs("${build}")
