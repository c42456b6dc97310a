# wsdemo::deps — the one place that brings in websocketpp, standalone Asio and
# threads. Every program and the test support library link it; no step repeats it.

find_path(WEBSOCKETPP_INCLUDE_DIR websocketpp/version.hpp)
find_path(ASIO_INCLUDE_DIR asio/version.hpp)
if(NOT WEBSOCKETPP_INCLUDE_DIR OR NOT ASIO_INCLUDE_DIR)
  message(FATAL_ERROR
    "websocketpp or standalone Asio headers not found.\n"
    "On Debian 12: scripts/setup.sh (or apt-get install libwebsocketpp-dev libasio-dev catch2)")
endif()

# websocketpp 0.8.2 breaks with Asio 1.33+ (io_service and friends were removed).
file(STRINGS ${ASIO_INCLUDE_DIR}/asio/version.hpp asio_version_line REGEX "#define ASIO_VERSION ")
string(REGEX MATCH "[0-9]+" asio_version "${asio_version_line}")
if(asio_version GREATER_EQUAL 103300)
  message(FATAL_ERROR "Asio ${asio_version} is too new for websocketpp 0.8.2; use Asio 1.22 (Debian 12's libasio-dev).")
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
