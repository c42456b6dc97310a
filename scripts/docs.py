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

Translations live in docs/pt-BR/, one twin per English file of docs/ (same name). A twin's
line 1 records which English prose it follows:

    <!-- translation of ../04-first-message.md; English prose sha256 0123456789ab -->

The prose is the English file with the bodies of its blocks left out (marker lines kept), so
a change to the code alone never makes a translation stale, and any change to the text does.
`pending` in place of the hash marks a twin not yet stamped. README.pt-BR.md follows README.md
the same way, its line 1 naming it from beside it:

    <!-- translation of README.md; English prose sha256 0123456789ab -->

    scripts/docs.py                 rewrite the chapters (both languages)
    scripts/docs.py --check         exit 1 if a committed chapter differs from what would be written,
                                    a relative link points at no file, or (once docs/pt-BR/ exists)
                                    an English file has no twin, a twin follows older English prose,
                                    or a twin's blocks are not its English file's (README.pt-BR.md
                                    and README.md included)
    scripts/docs.py --stamp FILE... record in each docs/pt-BR/ FILE (or README.pt-BR.md) the English
                                    twin's current prose
"""
import difflib
import hashlib
import os
import pathlib
import re
import sys
import textwrap

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PT_BR = DOCS / "pt-BR"
READMES = [ROOT / "README.md", ROOT / "README.pt-BR.md"]
ROOT_ENGLISH, ROOT_TWIN = READMES  # the root pair, checked like a chapter and its twin
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
STAMP = re.compile(r"^<!-- translation of (\S+); English prose sha256 ([0-9a-f]{12}|pending) -->$")
FENCE = re.compile(r"^ {0,3}(```|~~~)")
CODE_SPAN = re.compile(r"(`+).+?\1", re.S)
LINK = re.compile(r"\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?[^)]*\)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def render(text):
    def replace(match):
        kind, argument = match.group(2), match.group(3).strip()
        body = RENDERERS[kind](argument)
        return match.group(1) + body + match.group(5)
    return BLOCK.sub(replace, text)


def relative(path):
    return path.relative_to(ROOT)


def prose_hash(english_text):
    """The English prose: the file without its blocks' bodies (what a translator translates)."""
    prose = BLOCK.sub(lambda match: match.group(1) + match.group(5), english_text)
    return hashlib.sha256(prose.encode()).hexdigest()[:12]


def blocks(text):
    return [f"{match.group(2)} {match.group(3).strip()}" for match in BLOCK.finditer(text)]


def source_name(source, twin):
    """How a twin's line 1 names its English file: from the twin's folder (../04-first-message.md, README.md)."""
    return os.path.relpath(source, twin.parent)


def stamp_line(source, twin, digest):
    return f"<!-- translation of {source_name(source, twin)}; English prose sha256 {digest} -->"


def english_of(twin):
    """The English file a translation follows: docs/X.md for docs/pt-BR/X.md, README.md for README.pt-BR.md."""
    if twin == ROOT_TWIN:
        return ROOT_ENGLISH
    return DOCS / twin.name if twin.parent == PT_BR and twin.suffix == ".md" else None


def pair_problems(source, twin):
    """What keeps one twin from following its English file: its line 1, a stale stamp, other blocks."""
    problems = []
    english_text, twin_text = source.read_text(), twin.read_text()
    stamp = STAMP.match(twin_text.partition("\n")[0])
    remedy = f"scripts/docs.py --stamp {relative(twin)}"
    if not stamp or stamp.group(1) != source_name(source, twin):
        problems.append(f'{relative(twin)}: line 1 must be "{stamp_line(source, twin, "pending")}", then {remedy}')
    elif stamp.group(2) == "pending":
        problems.append(f"{relative(twin)} is not stamped yet: once it is translated, {remedy}")
    elif stamp.group(2) != prose_hash(english_text):
        problems.append(f"{relative(twin)} follows an older {relative(source)}: translate the change, then {remedy}")
    english_blocks, twin_blocks = blocks(english_text), blocks(twin_text)
    if english_blocks != twin_blocks:
        index = next(i for i in range(max(len(english_blocks), len(twin_blocks)))
                     if i >= len(english_blocks) or i >= len(twin_blocks) or english_blocks[i] != twin_blocks[i])
        here = f'"{twin_blocks[index]}"' if index < len(twin_blocks) else "nothing"
        there = f'"{english_blocks[index]}"' if index < len(english_blocks) else "nothing"
        problems.append(f"{relative(twin)}: block {index + 1} is {here}, in {relative(source)} it is {there} "
                        f"(copy the English block markers, in order)")
    return problems


def twin_problems():
    """What keeps docs/pt-BR/ (and README.pt-BR.md) from following docs/ (and README.md): missing
    twins, stale ones, other blocks."""
    if not PT_BR.is_dir():
        return []
    problems = []
    english = {path.name: path for path in sorted(DOCS.glob("*.md"))}
    twins = {path.name: path for path in sorted(PT_BR.glob("*.md"))}
    for name in english.keys() - twins.keys():
        problems.append(f"{relative(PT_BR / name)} is missing: {relative(english[name])} has no translation")
    for name in twins.keys() - english.keys():
        problems.append(f"{relative(twins[name])} has no English twin {relative(DOCS / name)}")
    for name in sorted(english.keys() & twins.keys()):
        problems += pair_problems(english[name], twins[name])
    if ROOT_ENGLISH.is_file() and not ROOT_TWIN.is_file():
        problems.append(f"{relative(ROOT_TWIN)} is missing: {relative(ROOT_ENGLISH)} has no translation")
    elif ROOT_ENGLISH.is_file():
        problems += pair_problems(ROOT_ENGLISH, ROOT_TWIN)
    return sorted(problems)


def without_code(text):
    """The text with code blocks and code spans blanked out, line breaks kept (C++ lambdas look like links)."""
    lines, fenced_code = [], False
    for line in text.split("\n"):
        if FENCE.match(line):
            fenced_code = not fenced_code
            lines.append("")
        else:
            lines.append("" if fenced_code else line)
    return CODE_SPAN.sub(lambda match: "\n" * match.group(0).count("\n"), "\n".join(lines))


def link_problems():
    """Relative links, in both languages' docs and both READMEs, that point at no file."""
    problems = []
    for page in sorted(DOCS.rglob("*.md")) + [readme for readme in READMES if readme.is_file()]:
        text = without_code(page.read_text())
        for match in LINK.finditer(text):
            target = match.group(1).partition("#")[0].partition("?")[0]
            if not target or SCHEME.match(target):
                continue
            if not (page.parent / target).exists():
                line = text.count("\n", 0, match.start(1)) + 1
                problems.append(f"{relative(page)}:{line}: the link to {match.group(1)} points at a missing file")
    return problems


def stamp(paths):
    if not paths:
        print(f"--stamp takes the {relative(PT_BR)}/ files (or {relative(ROOT_TWIN)}) to stamp", file=sys.stderr)
        return 2
    failed = 0
    for argument in paths:
        twin = pathlib.Path(argument).resolve()
        source = english_of(twin)
        if source is None or not twin.is_file():
            print(f"error: {argument} is not a file in {relative(PT_BR)}/ nor {relative(ROOT_TWIN)}",
                  file=sys.stderr)
            failed = 1
            continue
        if not source.is_file():
            print(f"error: {relative(twin)} has no English twin {relative(source)}", file=sys.stderr)
            failed = 1
            continue
        digest = prose_hash(source.read_text())
        first, newline, rest = twin.read_text().partition("\n")
        text = (stamp_line(source, twin, digest) + "\n" +
                (rest if first.startswith("<!-- translation of ") else first + newline + rest))
        twin.write_text(text)
        print(f"stamped {relative(twin)}: follows {relative(source)} at {digest}")
    return failed


def main(argv):
    if "--stamp" in argv:
        return stamp([argument for argument in argv if argument != "--stamp"])
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
    problems = twin_problems() + link_problems() if check else []
    for problem in problems:
        print(problem, file=sys.stderr)
    if check and stale:
        for path in stale:
            print(f"stale: {path} differs from its sources", file=sys.stderr)
        print("run scripts/docs.sh to rewrite the chapters, then commit them", file=sys.stderr)
        return 1
    if problems:
        return 1
    if not check:
        for path in stale:
            print(f"wrote {path}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
