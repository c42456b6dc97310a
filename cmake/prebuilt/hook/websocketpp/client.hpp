// Stands in front of websocketpp's own <websocketpp/client.hpp> (wsdemo::deps
// puts this folder first on the include path): includes the real header, then
// the extern template declarations that let this TU skip compiling
// websocketpp's stock asio client. See ../../websocketpp_extern.hpp.
#pragma once
#include_next <websocketpp/client.hpp>

#include "../../websocketpp_extern.hpp"
