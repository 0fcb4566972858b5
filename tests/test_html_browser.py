"""The HTML scorecard in real headless Chromium (Debian's /usr/bin/chromium, never a
downloaded browser): key elements, zero network requests, laptop and phone widths, print
media. Screenshots and the rendered pages go to test-artifacts/ (git-ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.render import render_scorecard_html
from scorecard_factory import analysed_scorecard, degenerate_scorecard, realistic_scorecard

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="python playwright is not installed")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def pages() -> dict[str, Path]:
    ARTIFACTS.mkdir(exist_ok=True)
    out = {}
    for name, sc in (("scorecard", realistic_scorecard()), ("degenerate", degenerate_scorecard()),
                     ("analysed", analysed_scorecard(named=False))):
        path = ARTIFACTS / f"{name}.html"
        path.write_text(render_scorecard_html(sc), encoding="utf-8")
        out[name] = path
    return out


class Visit:
    """A page loaded from file:// with every request recorded and non-file ones blocked."""

    def __init__(self, browser, path: Path, width: int, height: int = 900) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.console_errors: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))
        self.context.route("**/*", self._route)
        self.url = path.as_uri()
        self.page.goto(self.url, wait_until="load")

    def _route(self, route) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def other_requests(self) -> list[str]:
        return [u for u in self.requests if u != self.url]

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visit(browser):
    opened: list[Visit] = []

    def _open(path: Path, width: int, height: int = 900) -> Visit:
        v = Visit(browser, path, width, height)
        opened.append(v)
        return v

    yield _open
    for v in opened:
        v.close()


# WCAG 2 contrast of every text element's colour against the nearest opaque background.
CONTRAST_JS = """
(selector) => {
  const rgb = s => (s.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = c => { c /= 255; return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const bg = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] === 1)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const worst = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    if (!el.textContent.trim() || !el.getClientRects().length || style.visibility !== "visible") continue;
    const a = lum(rgb(style.color).slice(0, 3)) * Number(style.opacity), b = lum(bg(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) worst.push([el.className || el.tagName, ratio.toFixed(2)]);
  }
  return worst;
}
"""
TEXT_SELECTORS = (
    "p, li, h1, h2, h3, h4, .act, .pill, .tag, .muted, .who, .t, .spk, .eyebrow, .status, .sev, summary, "
    ".num, .unit, a, b, dt, dd"
)


def _no_horizontal_scroll(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")


def test_laptop_shows_headline_sections_and_makes_no_requests(pages, visit):
    v = visit(pages["scorecard"], 1280)
    page = v.page
    assert page.title() == "Coaching scorecard: Dana Whitfield with Marcus Lee"
    assert page.locator("#overall-score .num").inner_text() == "66"
    assert "What options do you see?" in page.locator("#focus").inner_text()
    assert page.get_by_role("heading", name="Your one focus for next time").is_visible()
    assert page.locator("#redo .try").inner_text().endswith("“What would you do if I weren't here?”")
    svg = page.get_by_role("img", name="Timeline of who spoke when")
    assert svg.is_visible()
    assert svg.locator("rect.tl-bar").count() == len(realistic_scorecard().timeline)
    assert page.locator("#rescues li.rescue").count() == 2
    assert "I'll call Tom in procurement myself" in page.locator("#rescue-2").inner_text()
    assert page.locator("ol.transcript > li").count() == len(realistic_scorecard().sentences)
    assert page.locator("#s-15 .act").inner_text() == "Advice"
    assert page.locator("#grow li.stage.covered").count() == 3
    assert page.get_by_role("main").is_visible() and page.get_by_role("banner").is_visible()
    assert v.other_requests() == []
    assert v.requests == [v.url]
    assert v.console_errors == []  # e.g. no Content-Security-Policy violations
    assert page.evaluate(CONTRAST_JS, TEXT_SELECTORS) == []
    page.screenshot(path=str(ARTIFACTS / "scorecard-1280.png"), full_page=True)
    page.locator("section.hero").screenshot(path=str(ARTIFACTS / "scorecard-1280-hero.png"))


def test_phone_width_has_no_horizontal_scroll(pages, visit):
    v = visit(pages["scorecard"], 375, 812)
    scroll_width, client_width = _no_horizontal_scroll(v.page)
    assert scroll_width <= client_width == 375
    # the headline comes first: score, then focus, both on the first screen
    score_box = v.page.locator("#overall-score").bounding_box()
    focus_box = v.page.locator("#focus").bounding_box()
    assert score_box["y"] < focus_box["y"] < 812
    # the wide timeline scrolls inside its own box instead of the page
    assert v.page.locator(".tl-scroll").evaluate("e => e.scrollWidth > e.clientWidth")
    assert v.other_requests() == []
    v.page.screenshot(path=str(ARTIFACTS / "scorecard-375.png"), full_page=True)


def test_print_media_hides_navigation_and_keeps_content(pages, visit):
    v = visit(pages["scorecard"], 700)  # about the printable width of A4 at 96 dpi
    v.page.emulate_media(media="print")
    assert not v.page.locator("nav.toc").is_visible()
    assert v.page.locator("#overall-score").is_visible()
    assert v.page.locator("#transcript").evaluate("e => getComputedStyle(e).breakBefore") == "page"
    assert v.page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"
    v.page.screenshot(path=str(ARTIFACTS / "scorecard-print.png"), full_page=True)
    v.page.pdf(path=str(ARTIFACTS / "scorecard.pdf"), format="A4")
    assert (ARTIFACTS / "scorecard.pdf").stat().st_size > 10_000


def test_degenerate_page_warns_and_runs_no_injected_markup(pages, visit):
    v = visit(pages["degenerate"], 375, 812)
    page = v.page
    banner = page.get_by_role("note").filter(has_text="Low confidence")
    assert banner.is_visible()
    assert "only one speaker was found" in banner.inner_text()
    assert page.locator("main script, main img").count() == 0
    assert "<script>alert('x')</script>" in page.locator("#s-1 .text").inner_text()
    assert "None found (there is no coachee in this recording)." in page.locator("#rescues").inner_text()
    assert page.locator("#grow li.stage.missing").count() == 4
    assert _no_horizontal_scroll(page)[0] <= 375
    assert v.other_requests() == [] and v.console_errors == []
    assert page.evaluate(CONTRAST_JS, TEXT_SELECTORS) == []
    page.screenshot(path=str(ARTIFACTS / "degenerate-375.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 375])
def test_a_really_analysed_scorecard_reads_in_plain_words_at_both_widths(pages, visit, width):
    """The real analysis with unknown names: people are Leader and Coachee, times m:ss,
    and the focus names the redo moment's time (screenshots for a person to look at)."""
    v = visit(pages["analysed"], width, 900 if width > 400 else 812)
    text = v.page.locator("main").inner_text()
    assert "Leader" in text and "Coachee" in text and " S0" not in text and "S1 " not in text
    redo_time = v.page.locator("#redo h2").inner_text().rsplit("·", 1)[-1].strip()
    assert redo_time and redo_time in v.page.locator("#focus").inner_text()
    scroll_width, client_width = _no_horizontal_scroll(v.page)
    assert scroll_width <= client_width == width
    assert v.other_requests() == []
    v.page.screenshot(path=str(ARTIFACTS / f"analysed-{width}.png"), full_page=True)
