# wsdemo::deps — the one place that brings in websocketpp, standalone Asio and
# threads. Every program and the test support library link it; no step repeats it.

#
# The system's headers are used when they work together: websocketpp 0.8.x and
# standalone Asio 1.18 to 1.32 (Asio 1.33 removed io_service and the other names
# websocketpp 0.8.2 calls). Where they are missing or too new (macOS, Arch,
# vcpkg, Fedora's newest Asio), CMake fetches pinned sources instead:
#   WSDEMO_FETCH_DEPS=AUTO   fetch only what the system cannot provide (default)
#   WSDEMO_FETCH_DEPS=ON     always fetch both
#   WSDEMO_FETCH_DEPS=OFF    never fetch; stop with the reason instead
# FETCHCONTENT_SOURCE_DIR_WEBSOCKETPP / _ASIO point the fetch at local copies.
set(WSDEMO_FETCH_DEPS AUTO CACHE STRING "Fetch pinned websocketpp and Asio: AUTO, ON or OFF")
set_property(CACHE WSDEMO_FETCH_DEPS PROPERTY STRINGS AUTO ON OFF)

set(wsdemo_asio_oldest 1.18.0)   # the oldest Asio verified with websocketpp 0.8.2
set(wsdemo_asio_too_new 1.33.0)  # the first Asio websocketpp 0.8.2 cannot build with
# Pinned by commit: tags can move, commits cannot.
set(wsdemo_websocketpp_commit 56123c87598f8b1dd471be83ca841ceae07f95ba)  # 0.8.2
set(wsdemo_asio_commit 12e0ce9e0500bf0f247dbd1ae894272656456079)         # asio-1-30-2

# wsdemo_header_version(<out> <websocketpp|asio> <include dir>): "1.22.1" or "".
function(wsdemo_header_version out library dir)
  set(version "")
  if(library STREQUAL "websocketpp" AND EXISTS ${dir}/websocketpp/version.hpp)
    file(STRINGS ${dir}/websocketpp/version.hpp lines REGEX "_version = [0-9]+")
    foreach(part major minor patch)
      string(REGEX MATCH "${part}_version = ([0-9]+)" found "${lines}")
      list(APPEND version ${CMAKE_MATCH_1})
    endforeach()
    list(JOIN version . version)
  elseif(library STREQUAL "asio" AND EXISTS ${dir}/asio/version.hpp)
    file(STRINGS ${dir}/asio/version.hpp line REGEX "#define ASIO_VERSION [0-9]+")
    string(REGEX MATCH "[0-9]+" number "${line}")  # e.g. 102201 = 1.22.1
    math(EXPR major "${number} / 100000")
    math(EXPR minor "${number} / 100 % 1000")
    math(EXPR patch "${number} % 100")
    set(version ${major}.${minor}.${patch})
  endif()
  set(${out} "${version}" PARENT_SCOPE)
endfunction()

# Sets <library>_problem to why the system's copy cannot be used, or "".
find_path(WEBSOCKETPP_INCLUDE_DIR websocketpp/version.hpp)
find_path(ASIO_INCLUDE_DIR asio/version.hpp)
set(websocketpp_problem "")
set(asio_problem "")
if(NOT WEBSOCKETPP_INCLUDE_DIR)
  set(websocketpp_problem "websocketpp was not found")
else()
  wsdemo_header_version(websocketpp_version websocketpp ${WEBSOCKETPP_INCLUDE_DIR})
  if(NOT websocketpp_version MATCHES "^0\\.8\\.")
    set(websocketpp_problem
      "websocketpp ${websocketpp_version} in ${WEBSOCKETPP_INCLUDE_DIR} is not 0.8.x")
  endif()
endif()
if(NOT ASIO_INCLUDE_DIR)
  set(asio_problem "standalone Asio was not found")
else()
  wsdemo_header_version(asio_version asio ${ASIO_INCLUDE_DIR})
  if(asio_version VERSION_GREATER_EQUAL wsdemo_asio_too_new)
    set(asio_problem "Asio ${asio_version} is too new for websocketpp 0.8.2 (it needs 1.32 or older)")
  elseif(asio_version VERSION_LESS wsdemo_asio_oldest)
    set(asio_problem "Asio ${asio_version} is too old (this project needs ${wsdemo_asio_oldest} to 1.32)")
  endif()
endif()
if(WSDEMO_FETCH_DEPS STREQUAL "ON")
  set(websocketpp_problem "WSDEMO_FETCH_DEPS is ON")
  set(asio_problem "WSDEMO_FETCH_DEPS is ON")
endif()

# Either the system's include dir, or the pinned sources, fetched now.
include(FetchContent)
foreach(library websocketpp asio)
  if(library STREQUAL "websocketpp")
    set(display websocketpp)
    set(pinned "websocketpp 0.8.2")
    set(repository https://github.com/zaphoyd/websocketpp.git)
    set(commit ${wsdemo_websocketpp_commit})
  else()
    set(display Asio)
    set(pinned "Asio 1.30.2")
    set(repository https://github.com/chriskohlhoff/asio.git)
    set(commit ${wsdemo_asio_commit})
  endif()
  if(NOT ${library}_problem)
    string(TOUPPER ${library} upper)
    message(STATUS "wsdemo: ${display} ${${library}_version} from ${${upper}_INCLUDE_DIR}")
    continue()
  endif()
  if(WSDEMO_FETCH_DEPS STREQUAL "OFF")
    message(FATAL_ERROR "${${library}_problem}.\n"
      "Install the packages scripts/setup.sh names, or configure with "
      "-DWSDEMO_FETCH_DEPS=AUTO to fetch ${pinned} (pinned) instead.")
  endif()
  message(STATUS "wsdemo: ${${library}_problem}; using ${pinned} fetched at commit ${commit}")
  # SOURCE_SUBDIR names a folder without a CMakeLists.txt: download only, add
  # nothing of the dependency's own build to ours.
  FetchContent_Declare(${library} GIT_REPOSITORY ${repository} GIT_TAG ${commit}
    GIT_SHALLOW FALSE SOURCE_SUBDIR wsdemo-headers-only)
  FetchContent_MakeAvailable(${library})
endforeach()
if(websocketpp_problem)
  set(WEBSOCKETPP_INCLUDE_DIR ${websocketpp_SOURCE_DIR})
endif()
if(asio_problem)
  set(ASIO_INCLUDE_DIR ${asio_SOURCE_DIR}/asio/include)
endif()

add_library(wsdemo_deps INTERFACE)
add_library(wsdemo::deps ALIAS wsdemo_deps)
target_include_directories(wsdemo_deps SYSTEM INTERFACE ${WEBSOCKETPP_INCLUDE_DIR} ${ASIO_INCLUDE_DIR})
# Standalone Asio (no Boost). Defined here and nowhere else.
target_compile_definitions(wsdemo_deps INTERFACE ASIO_STANDALONE)
target_link_libraries(wsdemo_deps INTERFACE Threads::Threads)

# Prebuilt websocketpp (cmake/prebuilt/). websocketpp is header-only: every
# program used to re-instantiate and re-compile the same server/client stack,
# about two thirds of its compile time. wsdemo_prebuilt compiles
# server<config::asio> and client<config::asio_client> once; the hook folder,
# placed in front of websocketpp's own headers, makes <websocketpp/server.hpp>
# and <websocketpp/client.hpp> also bring the matching `extern template`
# declarations, so sources need no change and TUs that never include
# websocketpp pay nothing (a forced -include would cost every such TU about
# 1.5 s and 270 MB just to parse websocketpp and Asio).
#
# A target opts out (e.g. one built with flags or websocketpp macros that the
# prebuilt code was not compiled with) with
#   set_target_properties(<target> PROPERTIES WSDEMO_NO_PREBUILT ON)
# and then instantiates websocketpp itself, as with the option OFF.
option(WSDEMO_PREBUILT_WEBSOCKETPP
  "Compile websocketpp's stock asio server and client once (cmake/prebuilt) instead of in every program" ON)
if(WSDEMO_PREBUILT_WEBSOCKETPP)
  set(WSDEMO_PREBUILT_DIR ${CMAKE_CURRENT_LIST_DIR}/prebuilt)
  # Evaluated for the consuming target, so the property decides per program.
  set(wsdemo_prebuilt_wanted "$<NOT:$<BOOL:$<TARGET_PROPERTY:WSDEMO_NO_PREBUILT>>>")
  # BEFORE and SYSTEM: the hook must win over the real header it
  # #include_next's, and as a system header that GCC extension draws no
  # -Wpedantic warning.
  target_include_directories(wsdemo_deps SYSTEM BEFORE INTERFACE
    "$<${wsdemo_prebuilt_wanted}:${WSDEMO_PREBUILT_DIR}/hook>")
  target_link_libraries(wsdemo_deps INTERFACE "$<${wsdemo_prebuilt_wanted}:wsdemo_prebuilt>")

  # The instances must be compiled exactly like the programs that use them,
  # sanitizer flags included; cmake/sanitizers.cmake adds those with
  # add_compile_options after this file runs, which only reaches targets
  # created later. So the library is created at the end of the directory.
  function(wsdemo_add_prebuilt)
    add_library(wsdemo_prebuilt STATIC
      ${WSDEMO_PREBUILT_DIR}/websocketpp_server_instances.cpp
      ${WSDEMO_PREBUILT_DIR}/websocketpp_client_instances.cpp)
    # Built from the real headers, not the hook: it defines what the hook declares.
    set_target_properties(wsdemo_prebuilt PROPERTIES WSDEMO_NO_PREBUILT ON)
    target_link_libraries(wsdemo_prebuilt PRIVATE wsdemo_deps)
    if(COMMAND wsdemo_warnings)
      wsdemo_warnings(wsdemo_prebuilt)
    endif()
  endfunction()
  if(CMAKE_VERSION VERSION_LESS 3.19)
    if(WSDEMO_SANITIZE)
      message(FATAL_ERROR "WSDEMO_SANITIZE needs CMake 3.19+ or -DWSDEMO_PREBUILT_WEBSOCKETPP=OFF")
    endif()
    wsdemo_add_prebuilt()
  else()
    cmake_language(DEFER CALL wsdemo_add_prebuilt)
  endif()
endif()
