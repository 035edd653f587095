"""Set-up shared by the problem-report page's tests: the plugin's settings, what a
report leaves behind, and a customer who reaches the live Saleor over HTTP with a
browser's cookies."""

import html
import re

import requests
from shortage_support import read_page

from saleor_cs_plugin.domain.alerts import AlertKind
from saleor_cs_plugin.models import Conversation, ConversationMessage, StaffAlert

STORE_NAME = "Corner Shop"
SUPPORT = "Call us on +1 555 0100."
SUPPORT_PL = "Zadzwoń do nas: +1 555 0100."
# Every day a working day and every hour answering time: "now" is always open.
ALWAYS_OPEN = {
    "promise_working_days": "mon,tue,wed,thu,fri,sat,sun",
    "answer_hours": "0-24",
}
TIMEOUT = 30


def report_settings(**extra):
    """Plugin settings for the page's tests: notices through Saleor's
    notifications, no quiet hours, the store always answering."""
    return {
        "notice_transports": "*=saleor_notify",
        "quiet_hours": "",
        "support_contact": f"{SUPPORT}\n[pl]\n{SUPPORT_PL}",
        **ALWAYS_OPEN,
        **extra,
    }


def reports(order=None):
    """The reports filed (of ``order``): (problem, text, order id) each, oldest
    first."""
    messages = ConversationMessage.objects.exclude(problem="")
    if order is not None:
        messages = messages.filter(order=order)
    return [
        (message.problem, message.text, message.order_id)
        for message in messages.order_by("created_at", "pk")
    ]


def recorded():
    """What reports leave behind: reports, conversations, problem alerts."""
    return (
        ConversationMessage.objects.exclude(problem="").count(),
        Conversation.objects.count(),
        StaffAlert.objects.filter(kind=AlertKind.PROBLEM_REPORTED).count(),
    )


NOTHING = (0, 0, 0)


class Customer:
    """A customer's browser without the rendering: one cookie jar, real HTTP to
    the live Saleor, redirects not followed (the test follows them)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.session = requests.Session()

    def get(self, path, params=None, **kwargs):
        return self.session.get(
            self._url(path),
            params=params,
            allow_redirects=False,
            timeout=TIMEOUT,
            **kwargs,
        )

    def post(self, path, data, **kwargs):
        return self.session.post(
            self._url(path),
            data=data,
            allow_redirects=False,
            timeout=TIMEOUT,
            **kwargs,
        )

    def _url(self, path):
        return path if path.startswith("http") else f"{self.base_url}{path}"


def hidden_fields(response) -> dict:
    """The form's hidden fields as the page sent them."""
    _, _, inputs = read_page(response)
    return {i["name"]: i["value"] for i in inputs if i.get("type") == "hidden"}


def checked(response) -> list[str]:
    """Ids of the inputs the page shows chosen."""
    _, _, inputs = read_page(response)
    return [i["id"] for i in inputs if "checked" in i]


def text_field(response) -> str:
    """What the text field holds, as a browser reads it (the line break after
    the opening tag is not part of it)."""
    match = re.search(
        r'<textarea id="text"[^>]*>\n?(.*?)</textarea>',
        response.content.decode(),
        flags=re.DOTALL,
    )
    return html.unescape(match.group(1))
