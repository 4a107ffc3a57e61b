"""The chinese-poetry extract: what ships, how it splits, and the script that made it."""
import gzip
import io
import json
import re
import tarfile

import numpy as np
import pytest

from course_pkg import data
from course_pkg.data import build_poetry as build
from course_pkg.data import poetry

HAN = re.compile(r"[\u4e00-\u9fff]+")


@pytest.fixture(scope="module")
def couplets():
    return poetry.couplets_dataset()


def test_the_extract_is_small_licensed_and_counted():
    assert poetry.PATH.stat().st_size <= 2 * 2 ** 20
    assert "MIT License" in build.LICENSE_OUT.read_text(encoding="utf-8")
    ex = poetry.load_poetry()
    assert "chinese-poetry 2.0.1" in ex["source"] and ex["licence"] == "MIT"
    counts = ex["counts"]
    for kind in ("regulated5", "regulated7", "quatrains5", "primer"):
        assert counts[kind] == len(ex[kind])
    assert counts["couplets"] == 2 * (counts["regulated5"] + counts["regulated7"])
    assert (counts["regulated5"], counts["regulated7"], counts["quatrains5"]) == (13333, 7391, 3452)


@pytest.mark.parametrize("kind, n_lines, width", [("regulated5", 4, 5), ("regulated7", 4, 7),
                                                  ("quatrains5", 4, 5), ("primer", 2, None)])
def test_every_line_is_han_characters_of_its_width(kind, n_lines, width):
    for lines in poetry.load_poetry()[kind]:
        assert len(lines) == n_lines
        assert all(HAN.fullmatch(line) for line in lines)
        assert len({len(line) for line in lines}) == 1 and len(lines[0]) == (width or len(lines[0]))


def test_the_text_is_simplified():
    """OpenCC's t2s ran: the traditional forms of common characters are gone."""
    text = "".join(line for kind in ("regulated5", "regulated7", "quatrains5")
                   for lines in poetry.load_poetry()[kind] for line in lines)
    assert not set("雲風飛對東書龍門無爲") & set(text)
    assert set("云风飞对东书龙门无") <= set(text)


def test_load_poetry_returns_a_copy():
    poetry.load_poetry()["regulated5"].clear()
    assert len(poetry.load_poetry()["regulated5"]) == 13333


def test_couplets_split_by_poem(couplets):
    poems = [set(s.poem.tolist()) for s in couplets[:3]]
    assert not (poems[0] & poems[1] or poems[0] & poems[2] or poems[1] & poems[2])
    assert [len(s.first) for s in couplets[:3]] == [37304, 2070, 2074]
    assert sum(map(len, poems)) == 13333 + 7391
    firsts = [set(s.first.tolist()) | set(s.second.tolist()) for s in couplets[:3]]
    assert not firsts[0] & firsts[2], "a line of a test poem is in a training poem"


def test_couplets_encode_both_lines(couplets):
    tr, vocab = couplets.train, couplets.vocab
    assert tr.X.shape == tr.Y.shape == (37304, 7) and tr.X.dtype == tr.Y.dtype == np.int64
    assert set(tr.lengths.tolist()) == {5, 7}
    for i in (0, 1, len(tr.first) - 1):
        n = tr.lengths[i]
        assert len(tr.first[i]) == len(tr.second[i]) == n
        assert vocab.decode(tr.X[i, :n], sep="") == tr.first[i]
        assert vocab.decode(tr.Y[i, :n], sep="") == tr.second[i]
        assert (tr.X[i, n:] == 0).all() and (tr.Y[i, n:] == -100).all()
    assert len(vocab) == 5301 and vocab == data.Vocab.build(list(tr.first) + list(tr.second))


def test_couplets_of_one_length_and_fewer_poems():
    d = poetry.couplets_dataset(5, max_poems=1000, seed=3)
    assert [len(s.first) for s in d[:3]] == [1800, 100, 100]
    assert set(d.train.lengths.tolist()) == {5} and d.train.X.shape[1] == 5
    assert d.primer.shape[1] == 2 and {len(a) for a, _ in d.primer} == {5}
    again = poetry.couplets_dataset((5,), max_poems=1000, seed=3)
    assert np.array_equal(again.test.X, d.test.X)
    other = poetry.couplets_dataset(5, max_poems=1000, seed=4)
    assert not np.array_equal(other.test.poem, d.test.poem)


def test_data_load_reaches_both():
    assert len(data.load("couplets", 7, max_poems=50).train.first) == 90
    assert len(data.load("poems").train.names) == 3107


@pytest.mark.parametrize("punctuation, width", [(True, 24), (False, 20)])
def test_poems_encode_whole_quatrains(punctuation, width):
    p = poetry.poems_dataset(punctuation=punctuation)
    assert [len(s.names) for s in p[:3]] == [3107, 172, 173]
    assert {len(t) for t in p.train.names} == {width}
    if punctuation:
        assert all(re.fullmatch(r"(\w{5}，\w{5}。){2}", t) for t in p.train.names)
    first = p.train.names[0]
    assert p.train.X[0, 0] == 2 and p.vocab.decode(p.train.X[0], sep="") == first
    assert p.train.Y[0, width] == 3 and p.train.lengths[0] == width + 1
    assert not set(p.train.names) & set(p.test.names)


# -- the build script, on a tarball made here -------------------------------------------------
def tang(*poems):
    return [{"paragraphs": p} for p in poems]


REGULATED = ["一二三四五，六七八九十。", "山高月小时，水落石出处。", "天长地久远，日出月落迟。", "春去秋来早，风清云淡高。"]


def test_poem_lines_and_shape():
    assert build.poem_lines(REGULATED)[2:4] == ["山高月小时", "水落石出处"]
    assert build.shape(build.poem_lines(REGULATED)) == (8, 5)
    assert build.poem_lines(["一二三四五，六七八九十"]) is None            # no closing mark
    assert build.poem_lines(["一二三[四]五，六七八九十。"]) is None         # an editorial mark
    assert build.shape(["一二三", "四五"]) is None


def test_extract_keeps_lines_3_to_6_and_drops_repeats():
    members = {
        "package/dist/quantangshi/poet.tang.0.json": tang(
            REGULATED, REGULATED,                                          # a repeated poem
            ["甲乙丙丁戊，己庚辛壬癸。"] + REGULATED[1:],                    # a repeated couplet
            ["白日依山尽，黄河入海流。", "欲穷千里目，更上一层楼。"],           # a quatrain
            ["短句，长一点的句子。"]),                                       # no shape kept
        build.PRIMER: {"content": [{"paragraphs": ["雲對雨，雪對風。人間清暑殿，天上廣寒宮。"]}]},
    }
    out = build.extract(members, convert=lambda s: s.replace("雲", "云"))
    assert out["regulated5"] == [["山高月小时", "水落石出处", "天长地久远", "日出月落迟"]]
    assert out["quatrains5"] == [["白日依山尽", "黄河入海流", "欲穷千里目", "更上一层楼"]]
    assert out["primer"] == [["人間清暑殿", "天上廣寒宮"]]
    assert out["counts"]["dropped_as_duplicates"] == 2 and out["counts"]["couplets"] == 2


def tarball(path, version):
    with tarfile.open(path, "w:gz") as tar:
        for name, obj in [("package/package.json", {"name": "chinese-poetry", "version": version}),
                          ("package/LICENSE", None),
                          ("package/dist/quantangshi/poet.tang.0.json", tang(REGULATED)),
                          (build.PRIMER, {"paragraphs": []})]:
            raw = b"MIT License" if obj is None else json.dumps(obj).encode()
            info = tarfile.TarInfo(name)
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def test_build_reads_the_tarball_and_writes_the_same_bytes_twice(tmp_path):
    tarball(tmp_path / "cp.tgz", build.VERSION)
    members, licence = build.read_tarball(tmp_path / "cp.tgz")
    out = build.extract(members, convert=str)
    files = []
    for k in range(2):
        build.write(out, licence, tmp_path / f"p{k}.json.gz", tmp_path / "LICENSE.txt")
        files.append((tmp_path / f"p{k}.json.gz").read_bytes())
    assert files[0] == files[1]
    written = json.loads(gzip.decompress(files[0]))
    assert written["regulated5"] == [REGULATED_LINES] and written["licence"] == "MIT"
    assert (tmp_path / "LICENSE.txt").read_text() == "MIT License"


REGULATED_LINES = ["山高月小时", "水落石出处", "天长地久远", "日出月落迟"]


def test_build_refuses_another_version(tmp_path):
    tarball(tmp_path / "cp.tgz", "1.0.0")
    with pytest.raises(ValueError, match="Expected chinese-poetry 2.0.1, got chinese-poetry 1.0.0"):
        build.read_tarball(tmp_path / "cp.tgz")
