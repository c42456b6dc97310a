// The one TU that compiles websocketpp::server<config::asio>; all others see
// `extern template` for it (websocketpp_extern.hpp).
#define WSDEMO_PREBUILT_DEFINE
#include <websocketpp/server.hpp>

#include "websocketpp_extern.hpp"
