"""A live Saleor over HTTP and a headless Chromium that opens its pages, for the
tests of the pages the plugin serves to customers.

The browser is Debian's ``chromium`` (``apt-get install chromium``) driven by
playwright's Python package (``pip install playwright``, into Saleor's virtualenv;
never ``playwright install``: its own browser download is not used). Without either,
the tests that need a browser are skipped and say what is missing.

Saleor runs in pytest-django's ``live_server`` thread: Saleor's own WSGI handler,
middleware and URLs, on the test database. A test that uses it is a transactional
test (committed data, so the server's connections see what the test made, and the
tables are emptied after it), and Saleor builds absolute URLs, such as the links in
notices, to it.

Playwright's sync API runs an asyncio loop in the thread that starts it, and Django
gives a thread with a running loop other database connections than the test's (and
refuses to use them). So the browser runs in a thread of its own, and the test holds
stand-ins (``Remote``) that run every playwright call there: the test thread stays
a plain synchronous Django thread.

``CS_SCREENSHOTS=<folder>`` (relative to the repository, e.g. ``docs/images``) makes
the tests save the screenshots the documentation shows.
"""

import os
import queue
import shutil
import threading
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import DEFAULT_DB_ALIAS, connections

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    sync_playwright = None

REPOSITORY = Path(__file__).resolve().parents[2]
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
# An iPhone 12-15 sized phone, as Chrome's device toolbar has it.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
TIMEOUT_MS = 15_000
PLAIN = (str, bytes, int, float, bool, type(None))


def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if sync_playwright is None:
        return (
            "playwright (the Python package) is not installed in this Python: "
            "pip install playwright (bin/test installs it for the Saleor tier)"
        )
    if browser_path() is None:
        return "no chromium on the PATH: apt-get install chromium (.ci/run installs it)"
    return None


def browser_path() -> str | None:
    return shutil.which("chromium")


def needs_browser():
    """Marks tests that skip, before any set-up, where no browser can run."""
    reason = missing_browser()
    return pytest.mark.skipif(
        reason is not None, reason=f"Browser tests skipped: {reason}."
    )


class BrowserThread:
    """Chromium, started by playwright in a thread that runs every call to it."""

    def __init__(self):
        self._calls = queue.Queue()
        self._thread = threading.Thread(
            target=self._serve, name="chromium", daemon=True
        )

    def start(self) -> "Remote":
        started = queue.Queue(maxsize=1)
        self._calls.put(started)
        self._thread.start()
        ok, value = started.get()
        if not ok:
            raise value
        return Remote(self, value)

    def call(self, function, *args, **kwargs):
        reply = queue.Queue(maxsize=1)
        self._calls.put((function, args, kwargs, reply))
        ok, value = reply.get()
        if not ok:
            raise value
        return value

    def stop(self) -> None:
        self._calls.put(None)
        self._thread.join(timeout=30)

    def _serve(self) -> None:
        started = self._calls.get()
        try:
            playwright = sync_playwright().start()
            browser = playwright.chromium.launch(
                executable_path=browser_path(),
                headless=True,
                # Containers often run as root and have a small /dev/shm.
                args=["--no-sandbox", "--disable-dev-shm-usage"],
            )
        except BaseException as error:
            started.put((False, error))
            return
        started.put((True, browser))
        try:
            while (call := self._calls.get()) is not None:
                function, args, kwargs, reply = call
                try:
                    reply.put((True, function(*args, **kwargs)))
                except BaseException as error:
                    reply.put((False, error))
        finally:
            browser.close()
            playwright.stop()


class Remote:
    """A playwright object that lives in the browser's thread: attributes are read
    and methods called there; plain values come back as they are, playwright
    objects as stand-ins of their own."""

    __slots__ = ("_browser", "_target")

    def __init__(self, browser: BrowserThread, target):
        object.__setattr__(self, "_browser", browser)
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name):
        value = self._browser.call(getattr, self._target, name)
        if callable(value):
            return lambda *args, **kwargs: self._wrap(
                self._browser.call(value, *map(_unwrap, args), **kwargs)
            )
        return self._wrap(value)

    def __enter__(self):
        return self._wrap(self._browser.call(self._target.__enter__))

    def __exit__(self, *exception):
        return self._browser.call(self._target.__exit__, *exception)

    def __repr__(self):
        return f"Remote({self._target!r})"

    def _wrap(self, value):
        if isinstance(value, PLAIN):
            return value
        if isinstance(value, list):
            return [self._wrap(item) for item in value]
        if isinstance(value, dict):
            return {key: self._wrap(item) for key, item in value.items()}
        return Remote(self._browser, value)


def _unwrap(value):
    return (
        object.__getattribute__(value, "_target")
        if isinstance(value, Remote)
        else value
    )


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium, headless, for the whole test session."""
    reason = missing_browser()
    if reason:
        pytest.skip(f"Browser tests skipped: {reason}.")
    thread = BrowserThread()
    browser = thread.start()
    yield browser
    thread.stop()


def _page(browser, options):
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.fixture
def desktop_page(chromium):
    """A fresh browser window of 1280 x 800, with its own cookies."""
    context, page = _page(chromium, DESKTOP)
    yield page
    context.close()


@pytest.fixture
def phone_page(chromium):
    """A fresh phone-sized window (390 x 844 CSS pixels, twice as dense, touch)."""
    context, page = _page(chromium, PHONE)
    yield page
    context.close()


@pytest.fixture
def new_page(chromium):
    """More windows in one test, each with its own cookies: ``new_page()`` is a
    desktop window, ``new_page(PHONE)`` a phone."""
    contexts = []

    def open_page(options=DESKTOP):
        context, page = _page(chromium, options)
        contexts.append(context)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def replica_as_mirror(django_db_setup):
    """Transactional tests empty the replica's tables only as the default's mirror.

    Saleor's tests read the replica through the default connection: in the test
    thread ``connections["replica"]`` is a stand-in that passes everything to the
    default connection, settings included, so Django takes it for a database of its
    own. A transactional test would then empty the same tables twice, and the
    stand-in, whose transaction flags the second emptying sets, would be out of step
    with the default connection in the tests after this module. For this module
    the stand-in says what Saleor's settings say: the replica mirrors the default.
    """
    alias = django_settings.DATABASE_CONNECTION_REPLICA_NAME
    replica = connections[alias]
    if replica.settings_dict["TEST"].get("MIRROR") or "settings_dict" in vars(replica):
        yield
        return
    default = connections[DEFAULT_DB_ALIAS].settings_dict
    replica.settings_dict = {
        **default,
        "TEST": {**default["TEST"], "MIRROR": DEFAULT_DB_ALIAS},
    }
    yield
    del replica.settings_dict


@pytest.fixture
def live_saleor(replica_as_mirror, live_server, settings, monkeypatch):
    """Saleor serving over HTTP; its absolute URLs point at it. Returns its URL."""
    settings.PUBLIC_URL = live_server.url
    # The server answers each request in a thread of its own, whose connections are
    # made from ``connections.settings``: its replica is the test database too.
    replica = django_settings.DATABASE_CONNECTION_REPLICA_NAME
    monkeypatch.setitem(
        connections.settings, replica, connections[replica].settings_dict
    )
    return live_server.url


def screenshot(page, name: str, *, prefix: str = "stock-shortage") -> Path | None:
    """Saves the whole page as ``<prefix>-<name>.png`` in $CS_SCREENSHOTS
    (``prefix``: the page's, "stock-shortage" or "survey")."""
    folder = os.environ.get("CS_SCREENSHOTS")
    if not folder:
        return None
    path = REPOSITORY / folder / f"{prefix}-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


# The lowest contrast ratio (WCAG 2) between any visible text and what is behind it.
LOWEST_CONTRAST = """() => {
  const rgba = (value) => {
    const parts = value.match(/[\\d.]+/g).map(Number);
    return parts.length === 3 ? [...parts, 1] : parts;
  };
  const luminance = ([r, g, b]) => {
    const channel = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const behind = (element) => {
    for (let node = element; node; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) return colour;
    }
    return [255, 255, 255, 1];
  };
  let lowest = { ratio: 21, text: "" };
  for (const element of document.body.querySelectorAll("*")) {
    const own = [...element.childNodes]
      .filter((node) => node.nodeType === Node.TEXT_NODE)
      .map((node) => node.textContent.trim())
      .join(" ")
      .trim();
    if (!own || !element.getClientRects().length) continue;
    const [a, b] = [
      luminance(rgba(getComputedStyle(element).color)),
      luminance(behind(element)),
    ].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < lowest.ratio) lowest = { ratio, text: own };
  }
  return lowest;
}"""


def focus_order(page, presses=20):
    """What Tab focuses, from the top of the page until focus leaves it: each
    element's id with the outline that shows it has the focus."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    order = []
    for _ in range(presses):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => {
              const element = document.activeElement;
              if (element === document.body) return null;
              const style = getComputedStyle(element);
              return [element.id, `${style.outlineStyle} ${style.outlineWidth}`];
            }"""
        )
        if focused is None:
            break
        order.append(tuple(focused))
    return order
