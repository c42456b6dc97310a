// The one TU that compiles websocketpp::client<config::asio_client>; all
// others see `extern template` for it (websocketpp_extern.hpp).
#define WSDEMO_PREBUILT_DEFINE
#include <websocketpp/client.hpp>

#include "websocketpp_extern.hpp"
