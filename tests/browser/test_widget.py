"""The chat widget in a real browser (Debian's Chromium through Playwright), on the demo council page
served by the running assistant: a resident asks, sees results, presses a button, reloads, uses the
keyboard alone, on a small screen and zoomed in; axe-core finds nothing serious; and no request leaves
127.0.0.1. ``scripts/browser.sh`` installs Chromium and axe-core (``make test`` runs it)."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.assistant import PROJECT, knowledge_base, start_assistant

CHROMIUM = Path("/usr/bin/chromium")
AXE = PROJECT / ".run" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT = PROJECT / "bench" / "results" / "widget.png"
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ANSWER_TIMEOUT = 60_000  # ms: the assistant answers in a second or two; generous for a busy machine
RESULTS = "Here's what I found: toddler groups near Bootle"

expect.set_options(timeout=ANSWER_TIMEOUT)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory):
    running = start_assistant(tmp_path_factory.mktemp("widget"), knowledge_base(tmp_path_factory.mktemp("widget-kb")))
    yield running
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run scripts/browser.sh (make test does) "
                    "to install Debian's chromium. The widget tests cannot run without a browser.")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Visit:
    """One resident's browser (its own storage), every request it made, and the demo page."""

    def __init__(self, browser: Browser, demo: str, **context: Any):
        self.demo = demo
        self.context = browser.new_context(**context)
        self.requests: list[str] = []
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("websocket", lambda socket: self.requests.append(socket.url))
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open_demo(self) -> Page:
        self.page.goto(self.demo)
        expect(launcher(self.page)).to_be_visible()
        return self.page

    def hosts(self) -> set[str]:
        return {urlparse(url).hostname for url in self.requests if not url.startswith("data:")}


@pytest.fixture
def visit(browser, assistant) -> Iterator[Visit]:
    """A fresh resident; afterwards, nothing it loaded came from anywhere but 127.0.0.1, and no script failed."""
    current = Visit(browser, f"{assistant.url}/demo", viewport={"width": 1100, "height": 800})
    yield current
    current.context.close()
    assert current.hosts() <= {"127.0.0.1"}, f"requests left 127.0.0.1: {current.requests}"
    assert current.errors == []


def launcher(page: Page):
    return page.get_by_role("button", name=re.compile(r"^Chat with us"))


def panel(page: Page):
    return page.get_by_role("dialog", name="Ask Sefton Council")


def conversation(page: Page):
    return page.get_by_role("log", name="Conversation")


def message_box(page: Page):
    return page.get_by_role("textbox", name="Your message")


def focused(page: Page) -> dict[str, str]:
    """What has the keyboard focus, looking inside the widget's shadow root."""
    return page.evaluate("""() => {
        let node = document.activeElement;
        while (node && node.shadowRoot && node.shadowRoot.activeElement) node = node.shadowRoot.activeElement;
        return {tag: node ? node.tagName.toLowerCase() : '', text: node ? (node.textContent || '').trim() : '',
                cls: node && typeof node.className === 'string' ? node.className : '',
                inWidget: document.activeElement && document.activeElement.id === 'signpost-widget'};
    }""")


def ask(page: Page, text: str) -> None:
    message_box(page).fill(text)
    message_box(page).press("Enter")


# -- a resident's visit -----------------------------------------------------------------------------------


def test_ask_see_results_press_a_button_and_find_it_all_after_a_reload(visit):
    page = visit.open_demo()
    launcher(page).click()
    expect(panel(page)).to_be_visible()
    ask(page, "toddler groups in Bootle")
    log = conversation(page)
    expect(log).to_contain_text(RESULTS)
    expect(log).to_have_attribute("aria-live", "polite")
    # Web addresses and phone numbers in answers are links; the words around them stay text.
    expect(log.locator("a[href^='https://']").first).to_be_visible()

    page.get_by_role("button", name="Show me more").click()
    expect(log).to_contain_text("Here are some more: toddler groups near Bootle")
    expect(log.locator(".sp-msg-resident").last).to_have_text("You said: Show me more")
    page.mouse.move(0, 0)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    conversation_id = page.evaluate("() => Object.entries(localStorage).find(([k]) => k.startsWith('signpost'))[1]")
    assert re.fullmatch(r"web:[0-9a-f-]{36}", conversation_id)
    page.reload()
    launcher(page).click()
    log = conversation(page)
    expect(log).to_contain_text("Here are some more")
    residents = log.locator(".sp-msg-resident")
    expect(residents).to_have_count(2)  # the history once, not twice
    expect(residents).to_have_text(["You said: toddler groups in Bootle", "You said: Show me more"])
    expect(log).to_contain_text(RESULTS)
    assert page.evaluate("() => Object.entries(localStorage).find(([k]) => k.startsWith('signpost'))[1]") \
        == conversation_id
    assert visit.hosts() == {"127.0.0.1"}


def test_phone_numbers_are_links_and_the_residents_words_are_only_text(visit):
    page = visit.open_demo()
    launcher(page).click()
    ask(page, '<img src=x onerror="window.pwned=1"><b>hi</b>')
    log = conversation(page)
    expect(log.locator(".sp-msg-resident")).to_have_text('You said: <img src=x onerror="window.pwned=1"><b>hi</b>')
    expect(log.locator(".sp-msg-bot")).to_have_count(2)  # the greeting and the answer
    ask(page, "i want to end it all")
    expect(log).to_contain_text("If you have hurt yourself or taken something")
    assert log.locator("img, b").count() == 0
    assert page.evaluate("() => window.pwned") is None
    for number, href in (("999", "tel:999"), ("116 123", "tel:116123")):
        expect(log.get_by_role("link", name=number, exact=True).first).to_have_attribute("href", href)


def test_the_keyboard_alone_is_enough(visit):
    page = visit.open_demo()
    for _ in range(40):  # Tab through the council's page to the launcher, which comes last
        page.keyboard.press("Tab")
        if "sp-launcher" in focused(page)["cls"]:
            break
    else:
        pytest.fail(f"Tab never reached the chat launcher; focus is on {focused(page)}")
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_visible()
    assert focused(page)["tag"] == "textarea"  # opening puts the focus where the resident types

    page.keyboard.type("toddler groups in Bootle")
    page.keyboard.press("Enter")
    expect(conversation(page)).to_contain_text(RESULTS)
    assert focused(page)["tag"] == "textarea"
    for _ in range(10):  # back from the message box into the suggested replies
        page.keyboard.press("Shift+Tab")
        if focused(page)["text"] == "Show me more":
            break
    else:
        pytest.fail(f"Shift+Tab never reached the suggested replies; focus is on {focused(page)}")
    page.keyboard.press("Enter")
    expect(conversation(page)).to_contain_text("Here are some more")
    assert focused(page)["tag"] == "textarea"  # the pressed button went; the focus did not get lost

    for _ in range(30):  # Tab goes round the open chat and never leaves it
        page.keyboard.press("Tab")
        assert focused(page)["inWidget"], f"Tab left the open chat for {focused(page)}"
        if focused(page)["text"] == "Close chat":
            break
    else:
        pytest.fail("Tab never came round to the Close button")

    page.keyboard.press("Escape")
    expect(panel(page)).to_be_hidden()
    assert "sp-launcher" in focused(page)["cls"]  # closing gives the focus back to the launcher
    page.keyboard.press("Enter")
    expect(panel(page)).to_be_visible()
    assert focused(page)["tag"] == "textarea"
    page.keyboard.press("Tab")  # Send
    page.keyboard.press("Tab")  # Delete this conversation
    assert focused(page)["text"] == "Delete this conversation"
    page.keyboard.press("Enter")
    assert focused(page)["text"] == "No, keep it"  # the safe choice first
    page.keyboard.press("Escape")  # backs out of the question, not out of the chat
    assert focused(page)["text"] == "Delete this conversation"
    expect(panel(page)).to_be_visible()


def test_no_serious_accessibility_problems_closed_open_and_in_use(browser, assistant):
    if not AXE.exists():
        pytest.fail(f"axe-core is not installed at {AXE}: run scripts/browser.sh (make test does).")
    # The demo page's Content-Security-Policy forbids inline scripts, which is how axe-core is injected.
    visit = Visit(browser, f"{assistant.url}/demo", viewport={"width": 1100, "height": 800}, bypass_csp=True)
    try:
        page = visit.open_demo()
        checks = {"closed": axe(page)}
        launcher(page).click()
        expect(panel(page)).to_be_visible()
        checks["open"] = axe(page)
        ask(page, "toddler groups in Bootle")
        expect(conversation(page)).to_contain_text(RESULTS)
        page.get_by_role("button", name="Delete this conversation").click()
        checks["in use, asking to delete"] = axe(page)
        page.set_viewport_size({"width": 320, "height": 640})
        checks["320 px wide"] = axe(page)
        serious = {when: problems for when, problems in checks.items() if problems}
        assert serious == {}, json.dumps(serious, indent=1)
        assert visit.hosts() <= {"127.0.0.1"}, visit.requests
    finally:
        visit.context.close()


def axe(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (the widget's shadow root included)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const results = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']}});
        return results.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                             nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    return [v for v in violations if v["impact"] in ("serious", "critical")]


# -- small screens and zoom -------------------------------------------------------------------------------


@pytest.mark.parametrize("width,height", [(320, 640), (640, 400)], ids=["320px-phone", "200%-zoom-of-1280x800"])
def test_readable_and_usable_on_a_small_screen_and_zoomed_in(visit, width, height):
    page = visit.open_demo()
    page.set_viewport_size({"width": width, "height": height})
    launcher(page).click()
    ask(page, "toddler groups in Bootle")
    expect(conversation(page)).to_contain_text(RESULTS)
    box = panel(page).bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= width and box["y"] + box["height"] <= height
    for control in (message_box(page), page.get_by_role("button", name="Send"),
                    page.get_by_role("button", name="Close chat")):
        expect(control).to_be_in_viewport()
    overflow = conversation(page).evaluate("log => log.scrollWidth - log.clientWidth")
    assert overflow <= 0, "the conversation scrolls sideways"


# -- the connection ---------------------------------------------------------------------------------------


def test_reconnects_by_itself_and_sends_what_was_typed_meanwhile(visit):
    sockets = []

    def through(route):  # the real server behind a socket the test can cut
        route.connect_to_server()
        sockets.append(route)

    visit.page.route_web_socket(re.compile(r".*/widget/socket$"), through)
    page = visit.open_demo()
    launcher(page).click()
    ask(page, "toddler groups in Bootle")
    log = conversation(page)
    expect(log).to_contain_text(RESULTS)

    sockets[0].close(code=1001, reason="signal lost")
    expect(page.get_by_role("status")).to_have_text(re.compile("Connection lost"))
    ask(page, "what about saturday?")  # typed while disconnected: kept and sent after reconnecting
    expect(page.get_by_role("status")).to_have_text(re.compile("Connected again"))
    expect(log).to_contain_text("near Bootle on Saturday")
    assert len(sockets) == 2
    expect(log.locator(".sp-msg-resident")).to_have_count(2)  # nothing shown twice

    # An advisor's message pushed by the server arrives live, and is counted while the chat is closed.
    page.get_by_role("button", name="Close chat").click()
    sockets[1].send(json.dumps({"type": "message", "id": 10 ** 9, "author": "advisor",
                                "text": "Hello, I'm Sam from the advice team. Call me on 0151 934 4000.",
                                "buttons": [], "ref": None}))
    expect(launcher(page)).to_have_text(re.compile("1 new message"))
    launcher(page).click()
    advisor = log.locator(".sp-msg-advisor")
    expect(advisor).to_contain_text("Advisor: Hello, I'm Sam from the advice team.")
    expect(advisor.get_by_role("link", name="0151 934 4000")).to_have_attribute("href", "tel:01519344000")


def test_forget_me_clears_the_conversation_here_and_on_the_server(visit):
    page = visit.open_demo()
    launcher(page).click()
    ask(page, "debt advice in southport")
    log = conversation(page)
    expect(log).to_contain_text("debt advice near Southport")
    page.get_by_role("button", name="Delete this conversation").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(log).to_have_text("Your conversation has been deleted.")
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('signpost')).length") == 0
    page.reload()
    launcher(page).click()
    expect(log).not_to_contain_text("Southport")
