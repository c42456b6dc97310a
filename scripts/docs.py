#!/usr/bin/env python3
"""Writes the code in docs/*.md from the real sources, so text and code cannot disagree.

A chapter marks where code goes; everything between a marker and its end line
is rewritten by this tool:

    <!-- include steps/06-send-loop/server.cpp#schedule -->   a named region (or a whole file)
    <!-- end -->
    <!-- diff 04 05 server.cpp -->                            what step 05 changed in server.cpp
    <!-- end -->
    <!-- stat 07 final -->                                    lines added and removed, per file
    <!-- end -->

A region in a source is the lines between `// #region NAME` and `// #endregion`;
marker lines never appear in the docs. Steps are named by number (`05`) or `final`.

    scripts/docs.py           rewrite the chapters
    scripts/docs.py --check   exit 1 if a committed chapter differs from what would be written
"""
import difflib
import pathlib
import re
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^(<!-- (include|diff|stat) ([^>]*?) -->\n)(.*?)^(<!-- end -->)$", re.M | re.S)
REGION_START = re.compile(r"^\s*// #region (\S+)\s*$")
REGION_END = re.compile(r"^\s*// #endregion\s*$")
LANGUAGES = {".cpp": "cpp", ".hpp": "cpp", ".sh": "bash", ".txt": "cmake", ".py": "python", ".js": "javascript",
             ".conf.in": "nginx", ".service": "ini", ".html": "html"}


class DocsError(Exception):
    pass


def step_dir(name):
    if name == "final":
        return ROOT / "final"
    matches = sorted((ROOT / "steps").glob(f"{name}-*"))
    if len(matches) != 1:
        raise DocsError(f"no single step folder for '{name}' under steps/")
    return matches[0]


def source_lines(path):
    if not path.is_file():
        raise DocsError(f"no file {path.relative_to(ROOT)}")
    return path.read_text().splitlines()


def without_markers(lines):
    return [line for line in lines if not REGION_START.match(line) and not REGION_END.match(line)]


def region(path, name):
    lines = source_lines(path)
    depth, found, body = 0, False, []
    for line in lines:
        start = REGION_START.match(line)
        if start and (found or start.group(1) == name):
            if found:
                depth += 1
            found = True
            continue
        if found and REGION_END.match(line):
            if depth == 0:
                return textwrap.dedent("\n".join(without_markers(body))).splitlines()
            depth -= 1
            continue
        if found:
            body.append(line)
    raise DocsError(f"no region '{name}' in {path.relative_to(ROOT)}" if not found else
                    f"region '{name}' in {path.relative_to(ROOT)} has no #endregion")


def fenced(language, lines):
    return f"```{language}\n" + "\n".join(lines) + "\n```\n"


def render_include(argument):
    file_part, _, region_name = argument.partition("#")
    path = ROOT / file_part
    lines = region(path, region_name) if region_name else without_markers(source_lines(path))
    language = LANGUAGES.get("".join(path.suffixes[-2:]), LANGUAGES.get(path.suffix, ""))
    return fenced(language, lines)


def render_diff(argument):
    parts = argument.split()
    if len(parts) != 3:
        raise DocsError(f"diff takes OLD NEW FILE, not '{argument}'")
    old_dir, new_dir, file_name = step_dir(parts[0]), step_dir(parts[1]), parts[2]
    old_path, new_path = old_dir / file_name, new_dir / file_name
    old = without_markers(source_lines(old_path)) if old_path.exists() else []
    new = without_markers(source_lines(new_path))
    diff = list(difflib.unified_diff(old, new, str(old_path.relative_to(ROOT)), str(new_path.relative_to(ROOT)),
                                     n=2, lineterm=""))
    return fenced("diff", diff or ["(no change)"])


def render_stat(argument):
    parts = argument.split()
    if len(parts) != 2:
        raise DocsError(f"stat takes OLD NEW, not '{argument}'")
    old_dir, new_dir = step_dir(parts[0]), step_dir(parts[1])
    names = sorted({p.name for p in old_dir.iterdir() if p.is_file()} | {p.name for p in new_dir.iterdir() if p.is_file()})
    rows, total_added, total_removed = [], 0, 0
    for name in names:
        old = without_markers(source_lines(old_dir / name)) if (old_dir / name).exists() else []
        new = without_markers(source_lines(new_dir / name)) if (new_dir / name).exists() else []
        diff = list(difflib.unified_diff(old, new, lineterm="", n=0))[2:]
        added = sum(1 for line in diff if line.startswith("+"))
        removed = sum(1 for line in diff if line.startswith("-"))
        if added or removed:
            status = "new" if not (old_dir / name).exists() else "gone" if not (new_dir / name).exists() else ""
            rows.append(f"{name:<22} {'+' + str(added):>6} {'-' + str(removed):>6}  {status}".rstrip())
            total_added, total_removed = total_added + added, total_removed + removed
    header = f"{old_dir.relative_to(ROOT)} -> {new_dir.relative_to(ROOT)}"
    rows.append(f"{'total':<22} {'+' + str(total_added):>6} {'-' + str(total_removed):>6}")
    return fenced("text", [header] + rows)


RENDERERS = {"include": render_include, "diff": render_diff, "stat": render_stat}


def render(text):
    def replace(match):
        kind, argument = match.group(2), match.group(3).strip()
        body = RENDERERS[kind](argument)
        return match.group(1) + body + match.group(5)
    return BLOCK.sub(replace, text)


def main(argv):
    check = "--check" in argv
    stale, errors = [], []
    for chapter in sorted(DOCS.rglob("*.md")):
        text = chapter.read_text()
        try:
            wanted = render(text)
        except DocsError as error:
            errors.append(f"{chapter.relative_to(ROOT)}: {error}")
            continue
        if wanted != text:
            stale.append(chapter.relative_to(ROOT))
            if not check:
                chapter.write_text(wanted)
    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if check and stale:
        for path in stale:
            print(f"stale: {path} differs from its sources", file=sys.stderr)
        print("run scripts/docs.sh to rewrite the chapters, then commit them", file=sys.stderr)
        return 1
    if not check:
        for path in stale:
            print(f"wrote {path}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
