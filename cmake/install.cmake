# Install rules and package files for consumers: find_package(ember) and pkg-config.
# Included from the top-level CMakeLists.txt after the `ember` target is defined.
# ember_internal_flags is deliberately not installed or exported: it is for
# ember's own programs only.
include(CMakePackageConfigHelpers)

set(EMBER_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/ember")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/ember"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(TARGETS ember EXPORT emberTargets)
install(EXPORT emberTargets
        NAMESPACE ember::
        DESTINATION "${EMBER_CMAKE_DIR}")

configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/emberConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/emberConfig.cmake"
  INSTALL_DESTINATION "${EMBER_CMAKE_DIR}")
# Header-only: the same package works for 32- and 64-bit consumers.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/emberConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMinorVersion  # before 1.0, minor versions may break the API
  ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/emberConfig.cmake"
              "${PROJECT_BINARY_DIR}/emberConfigVersion.cmake"
        DESTINATION "${EMBER_CMAKE_DIR}")

# pkg-config: header-only, so the .pc goes to the arch-independent datadir.
# The prefix is derived from the .pc file's own location (${pcfiledir}), so the
# install stays correct with `cmake --install --prefix <elsewhere>`.
set(EMBER_PC_DIR "${CMAKE_INSTALL_DATADIR}/pkgconfig")
file(RELATIVE_PATH EMBER_PC_TO_PREFIX
     "${CMAKE_INSTALL_FULL_DATADIR}/pkgconfig" "${CMAKE_INSTALL_PREFIX}")
string(REGEX REPLACE "/$" "" EMBER_PC_TO_PREFIX "${EMBER_PC_TO_PREFIX}")
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(EMBER_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(EMBER_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file("${CMAKE_CURRENT_LIST_DIR}/ember.pc.in"
               "${PROJECT_BINARY_DIR}/ember.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/ember.pc" DESTINATION "${EMBER_PC_DIR}")
