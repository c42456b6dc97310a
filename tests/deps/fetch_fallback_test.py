#!/usr/bin/env python3
"""The fallback of cmake/dependencies.cmake, without a network.

A fake "system" Asio that says it is 1.36.0 plays the part of macOS's or
Arch's Asio, which websocketpp 0.8.2 cannot build with. Then:
  1. WSDEMO_FETCH_DEPS=OFF stops CMake with the versions in the message;
  2. AUTO fetches Asio alone, from a local copy given to FetchContent through
     FETCHCONTENT_SOURCE_DIR_ASIO, and keeps the system's websocketpp;
  3. ON fetches both, and a step builds from those copies and runs.
The local copies are made from the system's own headers, laid out as the real
repositories are (websocketpp/ at the top; asio/include/ inside asio's).

    fetch_fallback_test.py SOURCE_DIR WORK_DIR
"""
import json
import pathlib
import re
import select
import shutil
import subprocess
import sys

SOURCE = pathlib.Path(sys.argv[1]).resolve()
WORK = pathlib.Path(sys.argv[2]).resolve()
TOO_NEW = "Asio 1.36.0 is too new for websocketpp 0.8.2 (it needs 1.32 or older)"


def run(command, timeout=300):
    print("$", " ".join(str(part) for part in command), flush=True)
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def include_dir(header):
    """Where the compiler finds `header` (the system's copy)."""
    for candidate in ("/usr/include", "/usr/local/include", "/opt/homebrew/include"):
        if (pathlib.Path(candidate) / header).exists():
            return pathlib.Path(candidate)
    sys.exit(f"FAIL: the system's {header} was not found; run scripts/setup.sh --tests")


def make_copies():
    shutil.rmtree(WORK, ignore_errors=True)
    websocketpp = WORK / "websocketpp-src"
    asio = WORK / "asio-src" / "asio" / "include"
    shutil.copytree(include_dir("websocketpp/version.hpp") / "websocketpp",
                    websocketpp / "websocketpp")
    system_asio = include_dir("asio/version.hpp")
    shutil.copytree(system_asio / "asio", asio / "asio")
    shutil.copy(system_asio / "asio.hpp", asio / "asio.hpp")
    fake = WORK / "asio-1.36" / "asio"
    fake.mkdir(parents=True)
    (fake / "version.hpp").write_text("#define ASIO_VERSION 103600 // 1.36.0\n")
    return websocketpp, WORK / "asio-src", fake.parent


def configure(build, *options):
    return run(["cmake", "-S", SOURCE, "-B", build, "-DBUILD_TESTING=OFF",
                "-DWSDEMO_PREBUILT_WEBSOCKETPP=OFF", *options])


def check(condition, what, output=""):
    if not condition:
        print(output)
        sys.exit(f"FAIL: {what}")
    print(f"ok: {what}")


def main():
    websocketpp, asio, fake_asio = make_copies()
    too_new = f"-DASIO_INCLUDE_DIR={fake_asio}"
    local_asio = f"-DFETCHCONTENT_SOURCE_DIR_ASIO={asio}"
    local_websocketpp = f"-DFETCHCONTENT_SOURCE_DIR_WEBSOCKETPP={websocketpp}"

    code, output = configure(WORK / "off", too_new, "-DWSDEMO_FETCH_DEPS=OFF")
    check(code != 0, "OFF with a too-new Asio stops CMake", output)
    check(TOO_NEW in output, "the message names both versions", output)

    code, output = configure(WORK / "auto", too_new, local_asio)
    check(code == 0, "AUTO configures", output)
    check(re.search(TOO_NEW.replace("(", r"\(").replace(")", r"\)") +
                    r"; using Asio 1\.30\.2 fetched at commit [0-9a-f]{40}", output),
          "AUTO says in one line that it fetches Asio, and why", output)
    check("wsdemo: websocketpp 0.8.2 from" in output, "AUTO keeps the system's websocketpp", output)

    build = WORK / "on"
    code, output = configure(build, "-DWSDEMO_FETCH_DEPS=ON", local_asio, local_websocketpp)
    check(code == 0 and output.count("fetched at commit") == 2, "ON fetches both", output)
    code, output = run(["cmake", "--build", build, "--target", "step01_server"], timeout=600)
    check(code == 0, "step01_server builds from the fetched copies", output)
    commands = json.loads((build / "compile_commands.json").read_text())
    step01 = next(entry["command"] for entry in commands if "steps/01-" in entry["file"])
    check(f"-isystem {asio}/asio/include" in step01 and f"-isystem {websocketpp}" in step01,
          "its compile line uses the copies", step01)

    server = subprocess.Popen([build / "bin" / "step01_server", "0"], stdout=subprocess.PIPE,
                              text=True)
    try:
        ready = select.select([server.stdout], [], [], 10)[0]  # a bounded wait
        line = server.stdout.readline() if ready else "(nothing within 10 s)"
    finally:
        server.terminate()
        server.wait(timeout=10)
    check(line.startswith("Now listening on: http://localhost:"), "and it runs", line)
    shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    main()
