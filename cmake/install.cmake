# Install rules and package files for consumers: find_package(ember) and pkg-config.
# Included from the top-level CMakeLists.txt after the `ember` target is defined.
# ember_internal_flags is deliberately not installed or exported: it is for
# ember's own programs only.
include(CMakePackageConfigHelpers)

set(EMBER_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ember")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/ember"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

set(EMBER_EXPORTED_TARGETS ember)
if(TARGET ember_compiled)
  list(APPEND EMBER_EXPORTED_TARGETS ember_compiled)
endif()
install(TARGETS ${EMBER_EXPORTED_TARGETS} EXPORT emberTargets
        ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(EXPORT emberTargets
        NAMESPACE ember::
        DESTINATION "${EMBER_CMAKE_DIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/emberConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/emberConfig.cmake"
  INSTALL_DESTINATION "${EMBER_CMAKE_DIR}")
# The headers work for 32- and 64-bit consumers, but libember_compiled is built for one: without
# it the package is architecture-independent.
if(TARGET ember_compiled)
  set(EMBER_ARCH_INDEPENDENT)
else()
  set(EMBER_ARCH_INDEPENDENT ARCH_INDEPENDENT)
endif()
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/emberConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion  # before 1.0, minor versions may break the API
  ${EMBER_ARCH_INDEPENDENT})
# The add-on targets are not exported: emberConfig.cmake defines them from the same file, after
# looking for their third-party headers on the consumer's machine.
install(FILES "${PROJECT_BINARY_DIR}/emberConfig.cmake"
              "${PROJECT_BINARY_DIR}/emberConfigVersion.cmake"
              "${CMAKE_CURRENT_LIST_DIR}/ember_addons.cmake"
        DESTINATION "${EMBER_CMAKE_DIR}")

# pkg-config: the header-only targets' .pc files go to the arch-independent datadir. The prefix
# is derived from each .pc file's own location (${pcfiledir}), so the install stays correct with
# `cmake --install --prefix <elsewhere>`.
#
# For a .pc file installed into `pc_dir` (absolute): `${to_prefix}` is the way from there up to the
# prefix, and `${dir_out}` is `dir` (relative to the prefix, or absolute) as the file names it.
function(ember_pc_paths pc_dir dir to_prefix dir_out)
  file(RELATIVE_PATH up "${pc_dir}" "${CMAKE_INSTALL_PREFIX}")
  string(REGEX REPLACE "/$" "" up "${up}")
  set(${to_prefix} "${up}" PARENT_SCOPE)
  if(IS_ABSOLUTE "${dir}")
    set(${dir_out} "${dir}" PARENT_SCOPE)
  else()
    set(${dir_out} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()

set(EMBER_PC_DIR "${CMAKE_INSTALL_DATADIR}/pkgconfig")
ember_pc_paths("${CMAKE_INSTALL_FULL_DATADIR}/pkgconfig" "${CMAKE_INSTALL_INCLUDEDIR}"
               EMBER_PC_TO_PREFIX EMBER_PC_INCLUDEDIR)
configure_file("${CMAKE_CURRENT_LIST_DIR}/ember.pc.in"
               "${PROJECT_BINARY_DIR}/ember.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/ember.pc" DESTINATION "${EMBER_PC_DIR}")

# One .pc per add-on that this build found (header-only: next to ember.pc). stb's directory is
# named only when it is not one the compiler searches anyway.
# Further arguments are added to its Cflags.
function(ember_install_addon_pc addon requires stb_dir)
  set(EMBER_PC_ADDON ${addon})
  set(EMBER_PC_REQUIRES "${requires}")
  set(EMBER_PC_CFLAGS "")
  if(stb_dir AND NOT stb_dir IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    set(EMBER_PC_CFLAGS "-I${stb_dir}")
  endif()
  if(ARGN)
    string(JOIN " " extra ${ARGN})
    string(STRIP "${EMBER_PC_CFLAGS} ${extra}" EMBER_PC_CFLAGS)
  endif()
  configure_file("${CMAKE_CURRENT_FUNCTION_LIST_DIR}/ember-addon.pc.in"
                 "${PROJECT_BINARY_DIR}/ember-${addon}.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/ember-${addon}.pc" DESTINATION "${EMBER_PC_DIR}")
endfunction()
ember_install_addon_pc(data "ember = ${PROJECT_VERSION}" "")
ember_install_addon_pc(metrics "ember = ${PROJECT_VERSION}" "")
ember_install_addon_pc(onnx "ember = ${PROJECT_VERSION}" "")
if(TARGET ember::image)
  ember_install_addon_pc(image "ember-data = ${PROJECT_VERSION}" "${EMBER_STB_IMAGE_DIR}")
endif()
if(TARGET ember::viz)
  ember_install_addon_pc(viz "ember-metrics = ${PROJECT_VERSION}" "${EMBER_STB_IMAGE_WRITE_DIR}")
endif()

if(TARGET ember::distributed)
  # ompi-c's flags alone would let <mpi.h> declare Open MPI's deprecated C++ bindings in C++
  # units, which then need libmpi_cxx: ember uses the C interface only (as MPI::MPI_CXX with
  # MPI_CXX_SKIP_MPICXX does in CMake).
  ember_install_addon_pc(distributed "ember = ${PROJECT_VERSION}, ompi-c" "" -DOMPI_SKIP_MPICXX -DMPICH_SKIP_MPICXX)
endif()

# libember_compiled is architecture-dependent: its .pc goes to the libdir.
if(TARGET ember_compiled)
  ember_pc_paths("${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig" "${CMAKE_INSTALL_LIBDIR}"
                 EMBER_PC_LIB_TO_PREFIX EMBER_PC_LIBDIR)
  configure_file("${CMAKE_CURRENT_LIST_DIR}/ember-compiled.pc.in"
                 "${PROJECT_BINARY_DIR}/ember-compiled.pc" @ONLY)
  install(FILES "${PROJECT_BINARY_DIR}/ember-compiled.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
endif()
