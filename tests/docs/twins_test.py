#!/usr/bin/env python3
"""The docs check keeps docs/pt-BR/ following docs/: shown on a copy of the real chapters.

The copy is a temporary folder holding docs/, the READMEs, scripts/docs.py and step 04's
sources as real copies, and everything else of the source tree as symlinks. Chapter 04 gets
a twin of its own there (its block markers and one sentence), so the outcome does not depend
on how far the real translation has got. Then, on that copy:
  1. a twin marked `pending` is reported as not stamped;
  2. once stamped, nothing is reported about chapter 04;
  3. a change to step 04's code alone rewrites both chapters and stales nothing;
  4. one edited English sentence: --check exits 1 naming the twin and the English chapter,
     and stamping again clears it;
  5. a twin whose include block differs, a twin that is missing, and a link to a missing
     file each make --check exit 1 with a line naming the file;
  6. README.pt-BR.md (a title and one sentence of its own) follows README.md the same way:
     pending, then stamped and passing, then stale after one edited README.md sentence, naming
     both files, and stamping again clears it;
  7. without docs/pt-BR/ the twin rules are off.
Other lines (chapters the real translation has not reached yet) are not this test's business:
it only looks at the lines about chapter 04 and the READMEs.

    twins_test.py SOURCE_DIR
"""
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

SOURCE = pathlib.Path(sys.argv[1]).resolve()
BLOCK = re.compile(r"^<!-- (?:include|diff|stat) [^>]*? -->\n.*?^<!-- end -->\n", re.M | re.S)
COPIED = {"docs", "scripts", "steps", "README.md", "README.pt-BR.md"}


def check(condition, what, output=""):
    if not condition:
        print(output)
        sys.exit(f"FAIL: {what}")
    print(f"ok: {what}")


def make_copy(root):
    """docs/, the READMEs, scripts/docs.py and steps/04-*/ copied; the rest symlinked."""
    for entry in SOURCE.iterdir():
        if entry.name != ".git" and entry.name not in COPIED:
            (root / entry.name).symlink_to(entry)
    shutil.copytree(SOURCE / "docs", root / "docs", symlinks=True)
    for readme in ("README.md", "README.pt-BR.md"):
        if (SOURCE / readme).is_file():
            shutil.copy(SOURCE / readme, root / readme)
    for folder, copied in (("scripts", "docs.py"), ("steps", None)):
        (root / folder).mkdir()
        for entry in (SOURCE / folder).iterdir():
            if entry.name == copied or (copied is None and entry.name.startswith("04-")):
                (shutil.copytree if entry.is_dir() else shutil.copy)(entry, root / folder / entry.name)
            else:
                (root / folder / entry.name).symlink_to(entry)


class Docs:
    def __init__(self, root):
        self.root = root
        chapters = sorted((root / "docs").glob("04-*.md"))
        check(len(chapters) == 1, "docs/ has one chapter 04")
        self.name = chapters[0].name
        self.english = root / "docs" / self.name
        self.twin = root / "docs" / "pt-BR" / self.name
        self.english_path, self.twin_path = f"docs/{self.name}", f"docs/pt-BR/{self.name}"

    def run(self, *arguments):
        done = subprocess.run([sys.executable, str(self.root / "scripts" / "docs.py"), *arguments],
                              cwd=self.root, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout + done.stderr

    def about(self, name):
        """--check's exit code and its lines that name `name`."""
        code, output = self.run("--check")
        lines = [line for line in output.splitlines() if name in line]
        return code, lines, output

    def about_04(self):
        """--check's exit code and its lines that name chapter 04 (either language)."""
        return self.about(self.name)


def main():
    with tempfile.TemporaryDirectory(prefix="twins-") as folder:
        root = pathlib.Path(folder)
        make_copy(root)
        docs = Docs(root)
        english_text = docs.english.read_text()
        english_blocks = BLOCK.findall(english_text)
        check(len(english_blocks) >= 2, f"{docs.english_path} has blocks to copy")

        # 1. A new twin: its line 1 says pending, then one sentence and the English blocks.
        docs.twin.parent.mkdir(exist_ok=True)
        docs.twin.write_text(f"<!-- translation of ../{docs.name}; English prose sha256 pending -->\n"
                             "# Passo 04 — uma mensagem\n\nUma frase traduzida.\n\n" +
                             "\n".join(english_blocks))
        code, lines, output = docs.about_04()
        pending = (f"{docs.twin_path} is not stamped yet: once it is translated, "
                   f"scripts/docs.py --stamp {docs.twin_path}")
        check(code == 1 and lines == [pending], "a pending twin is reported as not stamped", output)

        # 2. Stamped: nothing about chapter 04.
        code, output = docs.run("--stamp", docs.twin_path)
        first_line = docs.twin.read_text().partition("\n")[0]
        check(code == 0 and re.fullmatch(rf"<!-- translation of \.\./{re.escape(docs.name)}; "
                                         r"English prose sha256 [0-9a-f]{12} -->", first_line),
              "--stamp writes the hash into line 1", output + first_line)
        code, lines, output = docs.about_04()
        check(lines == [], "a stamped twin with the English blocks passes", output)

        # 3. The code changes, the prose does not: both chapters are rewritten, nothing is stale.
        sources = sorted((root / "steps").glob("04-*/server.cpp"))
        source_text = sources[0].read_text()
        comment = re.search(r"^\s*// #region \S+\n(?:(?!\s*// #).*\n)*?\s*//(?! #)(.*)$", source_text, re.M)
        check(comment is not None, "step 04's server.cpp has a comment inside a region")
        changed = comment.group(0) + " (changed)"
        sources[0].write_text(source_text.replace(comment.group(0), changed, 1))
        code, output = docs.run()
        new_line = changed.splitlines()[-1].strip()
        check(new_line in docs.english.read_text() and new_line in docs.twin.read_text(),
              "docs.py writes the changed code into both chapters", output)
        code, lines, output = docs.about_04()
        check(lines == [], "a change to the code alone stales no translation", output)

        # 4. One English sentence changes: --check names the twin and its English chapter.
        prose = docs.english.read_text()
        goal = re.search(r"^\*\*Goal:\*\* ", prose, re.M)
        check(goal is not None, f"{docs.english_path} has a **Goal:** line")
        docs.english.write_text(prose[:goal.end()] + "(edited) " + prose[goal.end():])
        code, lines, output = docs.about_04()
        stale = (f"{docs.twin_path} follows an older {docs.english_path}: translate the change, "
                 f"then scripts/docs.py --stamp {docs.twin_path}")
        check(code == 1 and lines == [stale], "an edited English sentence fails the check, naming both files",
              output)
        print("   " + stale)
        docs.run("--stamp", docs.twin_path)
        code, lines, output = docs.about_04()
        check(lines == [], "stamping again clears it", output)

        # 5a. An include block that differs from the English one.
        twin_text = docs.twin.read_text()
        includes = re.findall(r"^<!-- include \S+ -->$", twin_text, re.M)
        check(len(set(includes)) >= 2, "the twin has two different include blocks")
        docs.twin.write_text(twin_text.replace(includes[0], includes[1], 1))
        docs.run()  # the body follows the new marker: only the marker list differs
        code, lines, output = docs.about_04()
        check(code == 1 and len(lines) == 1 and lines[0].startswith(f"{docs.twin_path}: block 1 is ")
              and f"in {docs.english_path} it is" in lines[0],
              "a differing include block fails the check, naming both files", output)
        print("   " + lines[0])
        docs.twin.write_text(twin_text)

        # 5b. A block fewer in the twin.
        last = BLOCK.findall(twin_text)[-1]
        docs.twin.write_text(twin_text.replace(last, ""))
        code, lines, output = docs.about_04()
        check(code == 1 and len(lines) == 1 and f"is nothing, in {docs.english_path} it is" in lines[0],
              "a missing block fails the check", output)
        print("   " + lines[0])

        # 5c. A relative link to a file that does not exist.
        docs.twin.write_text(twin_text + "\nAnterior: [passo 03](03-no-such-chapter.md).\n")
        code, lines, output = docs.about_04()
        check(code == 1 and len(lines) == 1 and lines[0].startswith(f"{docs.twin_path}:") and
              lines[0].endswith("the link to 03-no-such-chapter.md points at a missing file"),
              "a link to a missing file fails the check", output)
        print("   " + lines[0])
        docs.twin.write_text(twin_text)

        # 5d. No twin at all.
        docs.twin.unlink()
        code, lines, output = docs.about_04()
        missing = f"{docs.twin_path} is missing: {docs.english_path} has no translation"
        check(code == 1 and missing in lines, "a chapter without a twin fails the check", output)
        print("   " + missing)

        # 6. The root pair: README.pt-BR.md follows README.md as a chapter's twin follows its chapter.
        readme, twin_readme = root / "README.md", root / "README.pt-BR.md"
        twin_readme.write_text("<!-- translation of README.md; English prose sha256 pending -->\n"
                               "# WebSockets em C++\n\nUma frase traduzida.\n\n" +
                               "\n".join(BLOCK.findall(readme.read_text())))
        remedy = "scripts/docs.py --stamp README.pt-BR.md"
        code, lines, output = docs.about("README.pt-BR.md")
        check(code == 1 and lines == [f"README.pt-BR.md is not stamped yet: once it is translated, {remedy}"],
              "a pending README.pt-BR.md is reported as not stamped", output)
        code, output = docs.run("--stamp", "README.pt-BR.md")
        first_line = twin_readme.read_text().partition("\n")[0]
        check(code == 0 and re.fullmatch(r"<!-- translation of README\.md; English prose sha256 [0-9a-f]{12} -->",
                                         first_line), "--stamp README.pt-BR.md writes the hash into line 1",
              output + first_line)
        code, lines, output = docs.about("README.pt-BR.md")
        check(lines == [], "a stamped README.pt-BR.md passes", output)
        english_readme = readme.read_text()
        title_end = english_readme.index("\n\n") + 2
        readme.write_text(english_readme[:title_end] + "(edited) " + english_readme[title_end:])
        code, lines, output = docs.about("README.pt-BR.md")
        stale = f"README.pt-BR.md follows an older README.md: translate the change, then {remedy}"
        check(code == 1 and lines == [stale], "an edited README.md sentence fails the check, naming both files",
              output)
        print("   " + stale)
        docs.run("--stamp", "README.pt-BR.md")
        code, lines, output = docs.about("README.pt-BR.md")
        check(lines == [], "stamping README.pt-BR.md again clears it", output)

        # 7. Without docs/pt-BR/ the twin rules are off.
        shutil.rmtree(root / "docs" / "pt-BR")
        code, output = docs.run("--check")
        check("is missing:" not in output, "without docs/pt-BR/ no twin is asked for", output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
