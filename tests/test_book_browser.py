"""The book as a reader meets it: every page of the built site in a real browser.

The module builds the book (``jupyter-book build . -W -n --keep-going``, as ``make book`` does;
incremental, so quick when nothing changed), serves ``_build/html`` on 127.0.0.1 and visits
every page once with Debian's Chromium, driven by Playwright (``executable_path``: never
``playwright install``, which downloads a browser and fails offline). The tests below then
check what that visit saw:

- no console errors, page errors or failed local requests on any page;
- MathJax typeset every formula: no ``.math`` element left without output, no MathJax error,
  no raw ``$$``, ``\\(``, ``\\[`` or ``$...$`` in the text outside code;
- every image loaded (``naturalWidth > 0``), and every figure of the book content has alt text
  that a screen reader can read aloud (words, not its file path);
- every internal link resolves, to a file of the site and, with a ``#fragment``, to an element
  with that id on the target page;
- no request leaves the machine (each one is intercepted; any other host is refused);
- the search page finds "LSTM" and "梯度消失" (English and Chinese search), with a snippet
  for every result and no raw TeX in them;
- every notebook page has Binder and Colab launch buttons (no JupyterHub: no hub is named) and an ``.ipynb``
  download; chapter 1 links its key terms to the glossary and ends with exercise boxes that
  link to the exercise notebook, with hints in dropdowns; no solution is published;
- glossary anchors are readable (``#term-Hidden-state``), never ``#term-0``;
- chapter 1 and the glossary also render from ``file://`` (formulas, images, no errors);
- the Chinese edition (``make book-zh``, built after the English one; a string it would show in
  English fails its build): a few of its pages pass every check above too, its search finds
  梯度消失, its notebook pages launch and download the Chinese notebooks, and the header's
  "English | 中文" switch leads from each edition to the same page of the other and back.

Screenshots of chapter 1 (both editions), the glossary and a Chinese search go to
``_build/screenshots/``.
Without Chromium or Playwright every test here is skipped, with the reason in pytest's summary.
"""

import functools
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
# Debian's chromium first; Chrome (as on GitHub's runners) drives the same way.
CHROMIUM = os.environ.get("CHROMIUM") or next(
    filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
# Headless Chromium as root, offline (see ../shared/PITFALLS.md); Playwright adds --headless
# and a fresh --user-data-dir itself.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
CHAPTER = "notebooks/ch01_rnn_basics.html"
EXERCISE = "exercises/ex01_rnn_step.html"
GLOSSARY = "book/glossary.html"
SEARCHES = {"LSTM": {GLOSSARY}, "梯度消失": {GLOSSARY, CHAPTER}}
# The Chinese edition, under zh/: the pages visited (all checks apply to them) and its search.
ZH = "zh/"
ZH_PAGES = ["zh/index.html", "zh/book/intro.html", ZH + CHAPTER, ZH + EXERCISE, ZH + GLOSSARY,
            "zh/book/appendix_conventions.html", "zh/notebooks/ch07_lstm.html",
            "zh/book/references.html"]
ZH_SEARCHES = {"梯度消失": {ZH + GLOSSARY, ZH + CHAPTER}}

# Run in every page once it has loaded: wait for MathJax and the images, then report.
PAGE_JS = """
async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  const math = [...document.querySelectorAll('.math')];
  if (math.length) {
    for (let i = 0; i < 400 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
      await sleep(25);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  }
  await document.fonts.ready;                       // MathJax's web fonts load after typesetting
  const images = [...document.images];
  images.forEach(img => { img.loading = 'eager'; });
  await Promise.race([sleep(10000), Promise.all(images.map(img => img.complete ? null :
      new Promise(r => { img.addEventListener('load', r); img.addEventListener('error', r); })))]);
  // Text a reader sees as prose: skip code, outputs and what MathJax produced.
  const skip = 'script, style, noscript, pre, code, textarea, mjx-container, .highlight, .output';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const rawTex = [];
  for (let node; (node = walker.nextNode());) {
    if (node.parentElement.closest(skip)) continue;
    const text = node.textContent;
    if (/\\$\\$|\\\\\\(|\\\\\\)|\\\\\\[|\\\\\\]|\\$[^\\s$][^$]*\\$/.test(text)) rawTex.push(text.trim().slice(0, 80));
  }
  return {
    title: document.title,
    h1: (document.querySelector('article h1') || {}).innerText || '',
    captions: [...document.querySelectorAll('.bd-sidebar .caption-text, .bd-sidebar nav a')]
      .map(e => e.innerText.trim()).filter(Boolean),
    mathCount: math.length,
    mathjaxLoaded: !!(window.MathJax && MathJax.startup),
    untypeset: math.filter(m => !m.querySelector('mjx-container')).map(m => m.textContent.slice(0, 60)),
    mathErrors: document.querySelectorAll('mjx-merror').length,
    rawTex,
    brokenImages: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.currentSrc || i.src),
    imageCount: images.length,
    // Content images (Sphinx copies them to _images/) whose alt text is missing or a file path.
    badAlt: images.filter(i => (i.currentSrc || i.src).includes('/_images/'))
      .filter(i => { const alt = (i.getAttribute('alt') || '').trim();
                     // words: Latin ones, or Chinese characters (Chinese has no spaces)
                     const words = alt.split(/\\s+/).length + (alt.match(/[\\u4e00-\\u9fff]/g) || []).length / 2;
                     return words < 5 || /\\.(png|jpe?g|svg)\\b|_images\\//i.test(alt); })
      .map(i => (i.getAttribute('alt') || '').slice(0, 60) || i.currentSrc || i.src),
    links: [...document.querySelectorAll('a[href]')].map(a => a.href),
    ids: [...document.querySelectorAll('[id]')].map(e => e.id)
          .concat([...document.querySelectorAll('a[name]')].map(a => a.name)),
    launch: [...document.querySelectorAll('.dropdown-launch-buttons a')].map(a => a.href),
    download: [...document.querySelectorAll('.dropdown-download-buttons a')].map(a => a.href),
    solutions: document.querySelectorAll('.solution').length,
    solutionMarkers: document.body.innerText.includes('BEGIN SOLUTION'),
    exercises: [...document.querySelectorAll('div.exercise')].map(box => ({
      id: box.id,
      title: (box.querySelector('.admonition-title') || {}).textContent || '',
      links: [...box.querySelectorAll('a[href]')].map(a => a.href),
      dropdowns: box.querySelectorAll('details').length,
    })),
    wideTables: [...document.querySelectorAll('article table')]
      .filter(t => t.scrollWidth > t.parentElement.clientWidth + 1).length,
    keyTermRows: [...document.querySelectorAll('#key-terms table tbody tr')].map(tr => ({
      text: tr.innerText.trim(),
      glossaryLinks: [...tr.querySelectorAll('a[href*="glossary.html#term-"]')].map(a => a.href),
    })),
  };
}
"""


# The search page, once results are shown: wait for every snippet and its formulas, then
# report snippets that still hold raw TeX.
SEARCH_JS = r"""
async () => {
  const sleep = ms => new Promise(r => setTimeout(r, ms));
  // Objects of the API come with a description; pages get a snippet of their text.
  const pages = () => [...document.querySelectorAll('#search-results ul.search li')]
                          .filter(li => !li.querySelector(':scope > span'));
  for (let i = 0; i < 200 && !pages().every(li => li.querySelector('p.context')); i++) await sleep(25);
  const raw = () => pages().map(li => (li.querySelector('p.context') || {}).innerText || '')
                           .filter(text => /\\\(|\\\)|\\\[|\\\]|\$\$|\$[^\s$][^$]*\$/.test(text));
  for (let i = 0; i < 200 && raw().length; i++) await sleep(25);
  return {snippets: document.querySelectorAll('#search-results p.context').length,
          results: pages().length, rawTex: raw().map(text => text.slice(0, 120))};
}
"""


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def _build_book():
    """Both editions, as `make book` builds them: English, then Chinese into _build/html/zh."""
    jb = Path(sys.executable).with_name("jupyter-book")
    for cmd in ([str(jb) if jb.exists() else "jupyter-book", "build", ".", "-W", "-n", "--keep-going"],
                [sys.executable, "book/_ext/i18n.py", "build"]):
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            pytest.fail(f"`{' '.join(cmd[1:])}` failed (rc {done.returncode}):\n"
                        + (done.stdout + done.stderr)[-4000:], pytrace=False)


def _pages():
    english = sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html")
                     if not p.relative_to(HTML).parts[0].startswith("_")
                     and p.relative_to(HTML).parts[0] != "zh")
    return english + ZH_PAGES


def _ids(name):
    """The element ids of a built page that the visit did not see, read from its HTML."""
    return set(re.findall(r'\b(?:id|name)="([^"]+)"', (HTML / name).read_text("utf8")))


def _visit(page, url, name, log):
    """Open url in page; return PAGE_JS's report plus what the listeners logged meanwhile."""
    log.clear()
    log["page"] = name
    page.goto(url, wait_until="load")
    if 'http-equiv="Refresh"' in (HTML / name.removeprefix("file://")).read_text("utf8"):
        page.wait_for_url(lambda now: now != url)    # index.html redirects to the first page
        page.wait_for_load_state("load")
    report = page.evaluate(PAGE_JS)
    if not url.startswith("file:"):               # (only the served site's requests are tracked)
        page.wait_for_load_state("networkidle")       # leave no request to be cut off
    report["url"] = page.url
    report["console"] = list(log.get("errors", []))
    return report


def _browse(sync_playwright, host, base, result, job):
    """A browser of its own, offline (any request for another host is refused and recorded),
    whose page logs console errors, page errors and failed local requests; then ``job``."""
    log = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900},
                                      service_workers="block")

        def route(r):
            url = urlsplit(r.request.url)
            if url.scheme in ("data", "blob", "about", "file") or url.netloc == host:
                r.continue_()
            else:
                result["external"].append((log.get("page"), r.request.url))
                r.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("console", lambda m: m.type == "error" and log.setdefault("errors", []).append(
            f"console: {m.text} ({m.location.get('url', '')})"))
        page.on("pageerror", lambda e: log.setdefault("errors", []).append(f"page error: {e}"))
        page.on("requestfailed", lambda r: urlsplit(r.url).netloc == host and result[
            "failed"].append((log.get("page"), r.url, r.failure)))
        page.on("response", lambda r: r.status >= 400 and result["failed"].append(
            (log.get("page"), r.url, r.status)))
        job(page, log, base, result)
        browser.close()


def _visit_pages(names, page, log, base, result):
    for name in names:
        result["pages"][name] = _visit(page, f"{base}/{name}", name, log)
        if name == CHAPTER:
            page.screenshot(path=SHOTS / "ch01_top.png")
            for section, shot in (("key-terms", "ch01_key_terms.png"),
                                  ("exercises", "ch01_exercises.png")):
                page.evaluate(f"document.getElementById('{section}').scrollIntoView()")
                if section == "exercises":
                    page.locator("div.exercise details summary").first.click()
                page.wait_for_timeout(300)
                page.screenshot(path=SHOTS / shot)
        elif name == GLOSSARY:
            page.screenshot(path=SHOTS / "glossary.png")


def _search_switch_and_files(page, log, base, result):
    for prefix, query in [("", q) for q in SEARCHES] + [(ZH, q) for q in ZH_SEARCHES]:
        log.clear()
        log["page"] = f"{prefix}search.html?q={query}"
        page.goto(f"{base}/{prefix}search.html?q={quote(query)}", wait_until="load")
        page.wait_for_function(
            "() => /Search finished|did not match|搜索完成|没有匹配/.test("   # en | zh
            "(document.getElementById('search-results') || {}).innerText || '')",
            timeout=30000)
        hits = page.eval_on_selector_all("#search-results ul.search li a",
                                         "links => links.map(a => a.href)")
        result["search"][prefix + query] = {
            "pages": {urlsplit(h).path.lstrip("/") for h in hits},
            **page.evaluate(SEARCH_JS),
            "console": list(log.get("errors", [])),
        }
        if query == "梯度消失" and not prefix:
            page.screenshot(path=SHOTS / "search_zh.png")
        page.wait_for_load_state("networkidle")       # the snippets' page fetches included

    # The language switch, clicked: English chapter 1 -> 中文 -> English.
    log["page"] = "the language switch"
    page.goto(f"{base}/{CHAPTER}", wait_until="networkidle")
    for label in ("中文", "English"):
        page.locator(".course-language-switch a", has_text=label).first.click()
        page.wait_for_load_state("load")
        page.wait_for_load_state("networkidle")   # leave no request to be cut off
        result["switch"].append({"clicked": label, "url": page.url,
                                 "lang": page.evaluate("document.documentElement.lang"),
                                 "title": page.title()})
        if label == "中文":
            page.screenshot(path=SHOTS / "zh_ch01_top.png")

    # From file:// too: MathJax and the images are served with the site.
    for name in (CHAPTER, GLOSSARY):
        result["file"][name] = _visit(page, (HTML / name).as_uri(), f"file://{name}", log)


@pytest.fixture(scope="module")
def site():
    """Build, serve and visit the whole site once; the tests check what the visit saw."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed (it is in requirements.txt: make setup)")
    if not CHROMIUM:
        pytest.skip("no Chromium on this machine: `apt-get install chromium fonts-noto-cjk` "
                    "(.ci/run does it), or set CHROMIUM=/path/to/chromium")
    started = time.perf_counter()
    _build_book()
    built = time.perf_counter()
    server = ThreadingHTTPServer(("127.0.0.1", 0),
                                 functools.partial(_QuietHandler, directory=str(HTML)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host = f"127.0.0.1:{server.server_address[1]}"
    base = f"http://{host}"
    SHOTS.mkdir(parents=True, exist_ok=True)
    result = {"base": base, "host": host, "pages": {}, "external": [], "search": {},
              "file": {}, "failed": [], "switch": []}
    pages = _pages()
    # Each visit mostly waits (MathJax, fonts, the network going idle): two browsers visit the
    # pages at once, each from a thread of its own (Playwright's sync API is one per thread);
    # then one searches, clicks the language switch and opens pages from file://.
    stages = [[functools.partial(_visit_pages, pages[0::2]), functools.partial(_visit_pages, pages[1::2])],
              [_search_switch_and_files]]
    errors = []

    def run(job):
        try:
            _browse(sync_playwright, host, base, result, job)
        except BaseException as err:              # re-raised below, in the test's thread
            errors.append(err)

    try:
        for jobs in stages:
            threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
    finally:
        server.shutdown()
    if errors:
        raise errors[0]
    result["seconds"] = {"build": built - started, "browser": time.perf_counter() - built}
    print(f"\nbook build {result['seconds']['build']:.1f} s, {len(result['pages'])} pages in the "
          f"browser {result['seconds']['browser']:.1f} s; screenshots in {SHOTS}")
    return result


def _problems(site, key):
    return {name: report[key] for name, report in site["pages"].items() if report[key]}


def test_every_page_visited(site):
    pages = site["pages"]
    for name in ("index.html", "search.html", "genindex.html", CHAPTER, EXERCISE, GLOSSARY,
                 "book/references.html", "book/intro.html"):
        assert name in pages, f"{name} is not in the built site: {sorted(pages)}"
    assert pages["index.html"]["url"].endswith("/book/intro.html"), "index.html does not redirect"
    assert not (HTML / "solutions").exists(), "the solutions are published in the site"


def test_no_console_errors(site):
    assert _problems(site, "console") == {}
    assert site["failed"] == [], f"local requests failed or answered >= 400: {site['failed'][:5]}"


def test_mathjax_typeset_every_formula(site):
    pages = site["pages"]
    assert pages[CHAPTER]["mathCount"] > 50 and pages[GLOSSARY]["mathCount"] > 5
    for name, report in pages.items():
        if report["mathCount"]:
            assert report["mathjaxLoaded"], f"{name}: MathJax did not load"
    assert _problems(site, "untypeset") == {}, "formulas left as raw TeX"
    assert _problems(site, "mathErrors") == {}, "MathJax reported TeX errors"
    assert _problems(site, "rawTex") == {}, "TeX delimiters left in the text"


def test_every_image_loaded(site):
    assert site["pages"][CHAPTER]["imageCount"] >= 4
    assert _problems(site, "brokenImages") == {}


def test_every_figure_has_alt_text(site):
    """A screen reader reads an image's alt text aloud; a file path says nothing."""
    assert _problems(site, "badAlt") == {}


def test_every_internal_link_and_anchor_resolves(site):
    ids = {name: set(report["ids"]) for name, report in site["pages"].items()}
    broken, checked = [], 0
    for name, report in site["pages"].items():
        for href in report["links"]:
            url = urlsplit(href)
            if url.netloc != site["host"]:
                continue                                  # external: a link, never a request
            checked += 1
            target = unquote(url.path).lstrip("/") or "index.html"
            if target.endswith("/"):
                target += "index.html"
            if not (HTML / target).is_file():
                broken.append(f"{name}: {href} (no such file)")
            elif url.fragment and target.endswith(".html"):
                if target not in ids:
                    ids[target] = _ids(target)
                if unquote(url.fragment) not in ids[target]:
                    broken.append(f"{name}: {href} (no element with that id)")
    assert checked > 500
    assert broken == []


def test_no_request_leaves_the_machine(site):
    assert site["external"] == []


@pytest.mark.parametrize("query", sorted(SEARCHES) + [ZH + q for q in ZH_SEARCHES])
def test_search_finds(site, query):
    found = site["search"][query]
    assert found["console"] == []
    assert found["snippets"] == found["results"] > 0, "every page found shows a snippet"
    assert found["rawTex"] == [], "formulas in the snippets left as raw TeX"
    expected = ZH_SEARCHES[query.removeprefix(ZH)] if query.startswith(ZH) else SEARCHES[query]
    missing = expected - found["pages"]
    assert not missing, f"searching {query!r} found {sorted(found['pages'])}, not {sorted(missing)}"


def test_launch_and_download_buttons_on_notebook_pages(site):
    notebooks = sorted(p.relative_to(HTML / "_sources").with_suffix(".html").as_posix()
                       for p in (HTML / "_sources").rglob("*.ipynb"))
    assert CHAPTER in notebooks and EXERCISE in notebooks
    for name in notebooks:
        report = site["pages"][name]
        ipynb = name.replace(".html", ".ipynb")
        launch = " ".join(report["launch"])
        assert re.search(rf"https://mybinder\.org/v2/gh/[^ ]+\?urlpath=lab/tree/{ipynb}", launch), name
        # Colab: the notebook's first cell installs the course there (tests/test_colab.py)
        assert re.search(rf"https://colab\.research\.google\.com/github/[^ ]+/blob/[^ ]+/{ipynb}", launch), name
        # no button that fails: no hub is configured
        assert "/hub/user-redirect/" not in launch, name
        downloads = [urlsplit(h).path for h in report["download"]]
        assert f"/_sources/{ipynb}" in downloads, (name, downloads)
        assert (HTML / "_sources" / ipynb).is_file()


def test_chinese_notebook_pages_launch_and_download_the_chinese_notebooks(site):
    for name in (ZH + CHAPTER, ZH + EXERCISE):
        report = site["pages"][name]
        ipynb = name.removeprefix(ZH).replace(".html", ".ipynb")
        launch = " ".join(report["launch"])
        assert re.search(rf"https://colab\.research\.google\.com/github/[^ ]+/blob/[^ ]+/zh/{ipynb}", launch), name
        assert re.search(rf"https://mybinder\.org/v2/gh/[^ ]+\?urlpath=lab/tree/zh/{ipynb}", launch), name
        downloads = [urlsplit(h).path for h in report["download"]]
        assert f"/zh/_sources/{ipynb}" in downloads, (name, downloads)
        served = (HTML / "zh" / "_sources" / ipynb).read_text("utf8")
        assert served == (ROOT / "zh" / ipynb).read_text("utf8"), f"{name}: not the Chinese notebook"


def test_chinese_pages_are_chinese(site):
    """Headings, the sidebar's part captions and chapter titles included (they come through
    other routes than the text: a title must parse as a title, the toctrees are inserted
    after Sphinx translates a page)."""
    for name in ZH_PAGES:
        report = site["pages"][name]
        if name == ZH + "index.html":
            continue                                  # a redirect to the intro
        assert re.search(r"[\u4e00-\u9fff]{2}", report["h1"]), (name, report["h1"])
        english = [c for c in report["captions"] if not re.search(r"[\u4e00-\u9fff]", c)]
        assert not [c for c in english if re.search(r"[a-z]{3,} [a-z]{3,}", c)], (name, english)
    assert site["pages"][ZH + CHAPTER]["mathCount"] > 50
    assert len(site["pages"][ZH + CHAPTER]["keyTermRows"]) >= 17


def test_language_switch_leads_to_the_same_page_and_back(site):
    to_zh, back = site["switch"]
    assert urlsplit(to_zh["url"]).path == f"/{ZH}{CHAPTER}" and to_zh["lang"] == "zh-CN", to_zh
    assert re.search(r"[\u4e00-\u9fff]", to_zh["title"]), to_zh
    assert urlsplit(back["url"]).path == f"/{CHAPTER}" and back["lang"] == "en", back
    # every page visited has its switch, pointing at its own twin
    for name, report in site["pages"].items():
        twin = name.removeprefix(ZH) if name.startswith(ZH) else ZH + name
        if name in ("index.html", ZH + "index.html"):
            continue                                  # a redirect: its target's switch counts
        assert any(urlsplit(h).path == f"/{twin}" for h in report["links"]), (name, twin)


def test_chapter_1_key_terms_link_to_the_glossary(site):
    rows = site["pages"][CHAPTER]["keyTermRows"]
    assert len(rows) >= 17
    unlinked = [row["text"] for row in rows if not row["glossaryLinks"]]
    assert unlinked == [], "key terms without a glossary link"


def test_glossary_anchors_are_readable(site):
    terms = [i for i in site["pages"][GLOSSARY]["ids"] if i.startswith("term-")]
    assert len(terms) >= 70
    assert "term-Hidden-state" in terms and "term-LSTM" in terms
    assert [t for t in terms if re.fullmatch(r"term-\d+", t) or not t.isascii()] == []


def test_chapter_1_ends_with_exercise_boxes(site):
    boxes = site["pages"][CHAPTER]["exercises"]
    assert len(boxes) >= 2
    for box in boxes:
        assert re.fullmatch(r"Exercise 1\.\d · [^()]+", box["title"].strip()), box   # no "(...)"
        assert any(urlsplit(h).path.endswith("/" + EXERCISE) for h in box["links"]), box
        assert box["dropdowns"] >= 1, f"{box['id']}: no hint dropdown"
    assert _problems(site, "solutions") == {}, "a solution box is in the public book"
    notebooks = {n: r for n, r in site["pages"].items() if n.startswith(("notebooks/", "exercises/"))}
    assert [n for n, r in notebooks.items() if r["solutionMarkers"]] == [], "solution markers"


@pytest.mark.parametrize("name", [CHAPTER, GLOSSARY])
def test_renders_from_file_urls(site, name):
    report = site["file"][name]
    assert report["mathjaxLoaded"] and report["untypeset"] == [] and report["rawTex"] == []
    assert report["brokenImages"] == [] and report["console"] == []


def test_screenshots_saved(site):
    for shot in ("ch01_top.png", "ch01_key_terms.png", "ch01_exercises.png", "glossary.png",
                 "search_zh.png", "zh_ch01_top.png"):
        assert (SHOTS / shot).stat().st_size > 10_000, shot


def test_the_conventions_tables_fit_the_page_at_1280_pixels(site):
    """No table of the conventions appendix is cut off (scrolls sideways) at 1280 x 900."""
    assert site["pages"]["book/appendix_conventions.html"]["wideTables"] == 0
