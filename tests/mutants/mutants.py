#!/usr/bin/env python3
"""Deliberately broken servers, and the proof that the tests catch each one.

Timing tests were loosened so that they pass on a busy machine; this is what
keeps them honest. Each mutant below is a small, plausible mistake in a real
source: a schedule re-armed from "now", missed ticks sent in a burst, a server
that stalls while it is abused. For each, the tool copies the project, breaks
that one place, rebuilds, runs the tests that own the property, and expects
them to FAIL. A mutant that passes the tests has "survived": a hole in them.

    scripts/mutants.sh [NAME...]      all mutants, or the named ones

The unbroken copy is built and tested first: a mutant that fails there proves
nothing. A replacement that no longer matches its source is an error too, so
the list cannot silently go stale when the code changes.
"""
import pathlib
import shutil
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[2]
WORK = ROOT / "build-mutants"

STEP06 = "steps/06-send-loop/server.cpp"
FINAL = "final/server.cpp"
STEP21 = "steps/21-resume/server.cpp"


class Mutant:
    def __init__(self, name, path, replacements, targets, ctest, why):
        self.name, self.path, self.replacements = name, path, replacements
        self.targets, self.ctest, self.why = targets, ctest, why


MUTANTS = [
    Mutant("rearm-from-now", STEP06,
           [("    connection.timer.expires_at(connection.due);",
             "    connection.due = now + tick_interval;\n"
             "    connection.timer.expires_at(connection.due);")],
           ["step06_tests"], ["-L", "^step06$"],
           "each message one interval after the previous was sent: drift, the naive loop"),
    Mutant("burst-of-missed-ticks", STEP06,
           [("    do {\n        connection.due += tick_interval;\n"
             "    } while (connection.due <= now);",
             "    (void)now;\n    connection.due += tick_interval;")],
           ["step06_tests"], ["-L", "^step06$"],
           "after a stall, every missed tick at once"),
    Mutant("timer-outlives-close", STEP06,
           [("    connections.erase(connection);", "")],
           ["step06_tests"], ["-L", "^step06$"],
           "the closed connection keeps its record and its pending timer"),
    Mutant("resend-on-resume", STEP21,
           [("    if (!(connection.last_sent < entry.id)) return;\n", "")],
           ["step21_tests"], ["-R", r"^step21\.failover"],
           "a resumed client gets again what it had (history and live both sent)"),
    Mutant("resume-from-now", STEP21,
           [("            connection.catching_up = true;\n"
             "            catch_up(app, hdl, stream_id(*since).value_or(StreamId{}), true);\n",
             "")],
           ["step21_tests"], ["-R", r"^step21\.failover"],
           "?since= accepted but ignored: a resumed client hears from now on, like step 20's"),
    Mutant("stall-per-refused-handshake", FINAL,
           [("", "#include <thread>\n"),
            ("void on_fail(App& app, websocketpp::connection_hdl hdl) {",
             "void on_fail(App& app, websocketpp::connection_hdl hdl) {\n"
             "    std::this_thread::sleep_for(std::chrono::milliseconds(200));")],
           ["hostile_tests"], ["-R", r"^final\.hostile\."],
           "one tick interval (200 ms in the hostile tests) of blocking per refused handshake"),
]


def run(command, log, timeout=1800):
    with open(log, "a") as out:
        out.write("$ " + " ".join(map(str, command)) + "\n")
        out.flush()
        return subprocess.run(command, stdout=out, stderr=subprocess.STDOUT,
                              timeout=timeout).returncode


def copy_project(destination):
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    shutil.rmtree(destination, ignore_errors=True)
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = destination / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def mutate(text, mutant):
    for old, new in mutant.replacements:
        if old == "":
            text = new + text
        elif text.count(old) != 1:
            sys.exit(f"mutants: '{mutant.name}' no longer matches {mutant.path} "
                     f"(found {text.count(old)} times): update tests/mutants/mutants.py")
        else:
            text = text.replace(old, new)
    return text


def build_and_test(build, mutant, log):
    if run(["cmake", "--build", build, "-j2", *sum((["--target", t] for t in mutant.targets), [])],
           log) != 0:
        return "build failed"
    code = run(["ctest", "--test-dir", build, "-j2", "--no-tests=error", "--timeout", "120",
                *mutant.ctest], log)
    return "passed" if code == 0 else "failed"


def main():
    chosen = [m for m in MUTANTS if len(sys.argv) < 2 or m.name in sys.argv[1:]]
    if not chosen:
        sys.exit("mutants: none of those names; they are " + ", ".join(m.name for m in MUTANTS))
    source, build, log = WORK / "src", WORK / "build", WORK / "mutants.log"
    WORK.mkdir(exist_ok=True)
    log.write_text("")
    copy_project(source)
    if run(["cmake", "-S", source, "-B", build, "-DWSDEMO_REQUIRE_TESTS=ON"], log) != 0:
        sys.exit(f"mutants: configure failed; see {log}")
    survived = 0
    baselines = {}
    for mutant in chosen:
        path = source / mutant.path
        original = path.read_text()
        broken = mutate(original, mutant)
        started = time.monotonic()
        key = (tuple(mutant.targets), tuple(mutant.ctest))
        baseline = baselines.get(key) or build_and_test(build, mutant, log)
        baselines[key] = baseline
        if baseline != "passed":
            sys.exit(f"mutants: the unbroken code {baseline} its own tests ({mutant.ctest}); "
                     f"see {log}")
        path.write_text(broken)
        try:
            result = build_and_test(build, mutant, log)
        finally:
            path.write_text(original)
        verdict = {"failed": "caught", "passed": "SURVIVED", "build failed": "did not build"}[result]
        survived += verdict != "caught"
        print(f"{verdict:>13}  {mutant.name:<28} {mutant.why} "
              f"({time.monotonic() - started:.0f} s)", flush=True)
    print(f"mutants: {len(chosen) - survived} of {len(chosen)} caught; the transcript is in {log}")
    sys.exit(1 if survived else 0)


if __name__ == "__main__":
    main()
