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
