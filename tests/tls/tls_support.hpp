// What the TLS tests share (tests/step17, tests/step18, tests/tls): a temporary
// folder with certificates made at run time by scripts/make-dev-cert.sh (never
// committed), and the standard-library Python probe beside this file.
#pragma once

#include "program.hpp"

#include "catch_compat.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace wstest::tls {

// The repository's root, from this header's own path (tests/tls/tls_support.hpp).
inline std::filesystem::path source_root() {
    return std::filesystem::weakly_canonical(__FILE__).parent_path().parent_path().parent_path();
}

// Debian's python3: the probe needs only its standard library.
inline const std::string python = "/usr/bin/python3";
inline std::string probe_script() { return (source_root() / "tests/tls/tls_probe.py").string(); }

// A fresh folder with a dev CA and a server certificate for localhost,
// 127.0.0.1 and ::1 (ca.crt, server.crt, server.key); removed with the object.
class CertDir {
public:
    CertDir() {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "wstest-tls-XXXXXX").string();
        if (!::mkdtemp(pattern.data())) FAIL("mkdtemp failed");
        dir_ = pattern;
        make({});
    }
    ~CertDir() {
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }
    CertDir(const CertDir&) = delete;
    CertDir& operator=(const CertDir&) = delete;

    // scripts/make-dev-cert.sh DIR ARGS... (--name, --expired, --out BASE): one more certificate.
    void make(std::vector<std::string> args) {
        args.insert(args.begin(), {(source_root() / "scripts/make-dev-cert.sh").string(), dir_});
        Program maker("/usr/bin/env", prepend_bash(args));
        const auto code = maker.wait_exit(milliseconds(30000));
        if (code != 0) FAIL("make-dev-cert.sh failed\n" << maker.transcript());
    }
    std::string path(const std::string& file) const { return dir_ + "/" + file; }
    std::vector<std::string> server_args(const std::string& base = "server") const {
        return {"--port", "0", "--tls-cert", path(base + ".crt"), "--tls-key", path(base + ".key")};
    }

private:
    static std::vector<std::string> prepend_bash(std::vector<std::string> args) {
        args.insert(args.begin(), "bash");
        return args;
    }
    std::string dir_;
};

}  // namespace wstest::tls
