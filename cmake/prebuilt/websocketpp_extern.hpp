// Explicit instantiation declarations for websocketpp's two stock asio
// endpoints: websocketpp::server<config::asio> and
// websocketpp::client<config::asio_client>.
//
// websocketpp is header-only, so every translation unit that names one of
// those types re-instantiates and re-compiles the whole endpoint, connection,
// transport and processor stack plus the Asio handlers it binds: most of a
// step's compile time. `extern template` tells the compiler those
// specialisations are compiled once elsewhere (websocketpp_*_instances.cpp,
// library wsdemo_prebuilt), so each program only compiles its own code.
//
// Nobody includes this file by hand. hook/websocketpp/{server,client}.hpp,
// which sit in front of the real headers on wsdemo::deps' include path,
// include it right after the real header; so a TU pays for these lines only
// if it already includes websocketpp. No include guard on purpose: each half
// below is guarded on its own and declares itself once the matching
// websocketpp role header has been seen. Programs with their own config type
// are not covered and simply instantiate as usual.

// websocketpp_*_instances.cpp define WSDEMO_PREBUILT_DEFINE to turn the same
// lines into the explicit instantiation definitions, so the two cannot drift.
#ifdef WSDEMO_PREBUILT_DEFINE
#define WSDEMO_PREBUILT_INSTANCE template class
#else
#define WSDEMO_PREBUILT_INSTANCE extern template class
#endif

// Explicitly instantiating a class instantiates its members, not its bases,
// so every templated base in the hierarchy is named too: role -> endpoint ->
// transport endpoint, connection -> transport connection, and the processors
// a connection picks from at handshake time.
#define WSDEMO_PREBUILT_STACK(cfg)                                                            \
    WSDEMO_PREBUILT_INSTANCE websocketpp::connection<cfg>;                                    \
    WSDEMO_PREBUILT_INSTANCE websocketpp::transport::asio::endpoint<cfg::transport_config>;   \
    WSDEMO_PREBUILT_INSTANCE websocketpp::transport::asio::connection<cfg::transport_config>; \
    WSDEMO_PREBUILT_INSTANCE websocketpp::processor::processor<cfg>;                          \
    WSDEMO_PREBUILT_INSTANCE websocketpp::processor::hybi00<cfg>;                             \
    WSDEMO_PREBUILT_INSTANCE websocketpp::processor::hybi13<cfg>;                             \
    WSDEMO_PREBUILT_INSTANCE websocketpp::processor::hybi08<cfg>;                             \
    WSDEMO_PREBUILT_INSTANCE websocketpp::processor::hybi07<cfg>

#if defined(WEBSOCKETPP_SERVER_HPP) && !defined(WSDEMO_PREBUILT_SERVER_SEEN)
#define WSDEMO_PREBUILT_SERVER_SEEN
#include <websocketpp/config/asio_no_tls.hpp>

WSDEMO_PREBUILT_INSTANCE websocketpp::server<websocketpp::config::asio>;
WSDEMO_PREBUILT_INSTANCE
    websocketpp::endpoint<websocketpp::connection<websocketpp::config::asio>, websocketpp::config::asio>;
WSDEMO_PREBUILT_STACK(websocketpp::config::asio);
#endif

#if defined(WEBSOCKETPP_CLIENT_HPP) && !defined(WSDEMO_PREBUILT_CLIENT_SEEN)
#define WSDEMO_PREBUILT_CLIENT_SEEN
#include <websocketpp/config/asio_no_tls_client.hpp>

// endpoint's move constructor cannot compile for asio_client (its random
// number generator holds a std::random_device and a mutex), and explicit
// instantiation would try. Declaring that one member deleted, which it
// effectively already is, lets the rest of the class be instantiated.
template <>
websocketpp::endpoint<websocketpp::connection<websocketpp::config::asio_client>,
                      websocketpp::config::asio_client>::endpoint(endpoint&&) = delete;

WSDEMO_PREBUILT_INSTANCE websocketpp::client<websocketpp::config::asio_client>;
WSDEMO_PREBUILT_INSTANCE websocketpp::endpoint<websocketpp::connection<websocketpp::config::asio_client>,
                                               websocketpp::config::asio_client>;
WSDEMO_PREBUILT_STACK(websocketpp::config::asio_client);
#endif

#undef WSDEMO_PREBUILT_STACK
#undef WSDEMO_PREBUILT_INSTANCE
