# ember's add-on targets, one per add-on header:
#   ember::data     <ember/data.hpp>     data sets, DataLoader, IDX files, MNIST (the engine's needs)
#   ember::metrics  <ember/metrics.hpp>  classification metrics and ROC (the C++ standard library)
#   ember::image    <ember/image.hpp>    image files to inputs (stb_image: Debian libstb-dev)
#   ember::viz      <ember/viz.hpp>      SVG charts, PNG grids, HTML report (stb_image_write: libstb-dev)
#   ember::distributed <ember/distributed.hpp>  data-parallel training (MPI: Debian libopenmpi-dev)
#   ember::onnx     <ember/onnx.hpp>     ONNX files (no dependency: the protobuf wire format is ember's)
# ember's CMakeLists.txt includes this file to define them as targets of the build (ember_<name>,
# alias ember::<name>); the installed emberConfig.cmake includes it with EMBER_ADDONS_IMPORTED set
# to define them as imported targets: the same requirements either way. An add-on whose
# third-party header is missing is left undefined, with a configure-time message naming the
# package; ember_<name>_FOUND tells find_package's COMPONENTS which add-ons exist.

# Defines the (empty) target of add-on `name` and sets `${out}` to the name to configure it by.
function(ember_declare_addon name out)
  if(EMBER_ADDONS_IMPORTED)
    add_library(ember::${name} INTERFACE IMPORTED)
    set(${out} ember::${name} PARENT_SCOPE)
  else()
    add_library(ember_${name} INTERFACE)
    add_library(ember::${name} ALIAS ember_${name})
    set_target_properties(ember_${name} PROPERTIES EXPORT_NAME ${name})
    set(${out} ember_${name} PARENT_SCOPE)
  endif()
  set(ember_${name}_FOUND TRUE PARENT_SCOPE)
endfunction()

ember_declare_addon(data data_target)
target_link_libraries(${data_target} INTERFACE ember::ember)

ember_declare_addon(metrics metrics_target)
target_link_libraries(${metrics_target} INTERFACE ember::ember)

ember_declare_addon(onnx onnx_target)
target_link_libraries(${onnx_target} INTERFACE ember::ember)

# Defines add-on `name` over `base` when the directory that holds <stb/${header}> is found (it is
# then in `${dir_var}`, and in the cache as EMBER_STB_<HEADER>_DIR), else leaves it undefined with
# a message.
function(ember_stb_addon name base header dir_var)
  string(MAKE_C_IDENTIFIER "EMBER_STB_${header}_DIR" cache_var)
  string(TOUPPER "${cache_var}" cache_var)
  find_path(${cache_var} NAMES stb/${header} DOC "Directory holding stb/${header} (Debian: libstb-dev)")
  if(${cache_var})
    set(${dir_var} "${${cache_var}}" PARENT_SCOPE)
    ember_declare_addon(${name} target)
    target_link_libraries(${target} INTERFACE ${base})
    target_include_directories(${target} SYSTEM INTERFACE "${${cache_var}}")
    set(ember_${name}_FOUND TRUE PARENT_SCOPE)  # ember_declare_addon set it in this function's scope
  else()
    set(${dir_var} "" PARENT_SCOPE)
    set(ember_${name}_FOUND FALSE PARENT_SCOPE)
    if(NOT ember_FIND_QUIETLY)
      message(STATUS "ember: ember::${name} is not available: <stb/${header}> not found "
                     "(Debian: apt install libstb-dev, or set ${cache_var})")
    endif()
  endif()
endfunction()

ember_stb_addon(image ember::data stb_image.h EMBER_STB_IMAGE_DIR)
ember_stb_addon(viz ember::metrics stb_image_write.h EMBER_STB_IMAGE_WRITE_DIR)

# MPI's C interface only (the C++ bindings are deprecated and not needed), found through the
# compiler wrapper or pkg-config as FindMPI does; without MPI the add-on is left undefined.
set(MPI_CXX_SKIP_MPICXX ON)
find_package(MPI COMPONENTS CXX QUIET)
if(MPI_CXX_FOUND)
  ember_declare_addon(distributed distributed_target)
  target_link_libraries(${distributed_target} INTERFACE ember::ember MPI::MPI_CXX)
else()
  set(ember_distributed_FOUND FALSE)
  if(NOT ember_FIND_QUIETLY)
    message(STATUS "ember: ember::distributed is not available: MPI not found (Debian: apt install libopenmpi-dev openmpi-bin)")
  endif()
endif()
