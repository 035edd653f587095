"""bin/mail-catcher, the mail catcher bin/serve starts: a real process on free loopback
ports, mail sent to it with smtplib, its page read over HTTP."""

import re
import smtplib
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

MAIL_CATCHER = Path(__file__).resolve().parents[2] / "bin" / "mail-catcher"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailCatcher:
    def __init__(self, folder: Path):
        self.folder = folder
        self.smtp_port = free_port()
        self.web_port = free_port()
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(MAIL_CATCHER),
                "--folder",
                str(self.folder),
                "--smtp-port",
                str(self.smtp_port),
                "--web-port",
                str(self.web_port),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # It prints its addresses once both servers listen.
        line = self.process.stdout.readline()
        assert line.startswith("Mail catcher: SMTP on 127.0.0.1:"), line
        return self

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        self.process.stdout.close()

    def get(self, path, host=None):
        request = urllib.request.Request(f"http://127.0.0.1:{self.web_port}{path}")
        if host:
            request.add_header("Host", host)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def send(self, message, recipients):
        with smtplib.SMTP("127.0.0.1", self.smtp_port, timeout=10) as smtp:
            smtp.send_message(message, to_addrs=recipients)


@pytest.fixture
def mail_catcher(tmp_path):
    catcher = MailCatcher(tmp_path / "mail").start()
    yield catcher
    catcher.stop()


def order_message():
    message = EmailMessage()
    message["From"] = "Demo store <store@example.com>"
    message["To"] = "ann@example.com"
    message["Subject"] = "Order <b>#12</b> is on its way"
    message.set_content("Hello Ann,\n\nOrder #12 left today.")
    message.add_alternative(
        "<p>Hello Ann,</p><script>alert('mail')</script>", subtype="html"
    )
    return message


def message_links(page):
    return re.findall(r'<a href="(/messages/[^"]+)">([^<]*)</a>', page)


def test_a_sent_message_is_listed_and_shown_with_its_html_escaped(mail_catcher):
    # when
    mail_catcher.send(order_message(), ["ann@example.com", "audit@example.com"])

    # then
    status, listing = mail_catcher.get("/")
    assert status == 200
    links = message_links(listing)
    assert len(links) == 1
    link, subject = links[0]
    assert subject == "Order &lt;b&gt;#12&lt;/b&gt; is on its way"
    assert "<td>&lt;ann@example.com&gt;, &lt;audit@example.com&gt;</td>" in listing
    assert "<b>" not in listing

    status, shown = mail_catcher.get(link)
    assert status == 200
    assert "<h1>Order &lt;b&gt;#12&lt;/b&gt; is on its way</h1>" in shown
    assert "<h2>Text</h2><pre>Hello Ann,\n\nOrder #12 left today.\n</pre>" in shown
    assert (
        "<pre>&lt;p&gt;Hello Ann,&lt;/p&gt;&lt;script&gt;alert(&#x27;mail&#x27;)"
        "&lt;/script&gt;\n</pre>"
    ) in shown
    assert "<script>" not in shown
    assert "<b>" not in shown


def test_a_sent_message_is_kept_as_an_eml_file(mail_catcher):
    # when
    mail_catcher.send(order_message(), ["ann@example.com", "audit@example.com"])

    # then
    kept = sorted(mail_catcher.folder.iterdir())
    assert len(kept) == 1
    assert kept[0].suffix == ".eml"
    raw = kept[0].read_bytes()
    assert raw.startswith(
        b"X-Envelope-From: <store@example.com>\r\n"
        b"X-Envelope-To: <ann@example.com>, <audit@example.com>\r\n"
    )
    assert b"Subject: Order <b>#12</b> is on its way" in raw
    status, served = mail_catcher.get(f"/raw/{kept[0].name}")
    assert status == 200
    assert served.encode() == raw


def test_messages_are_listed_newest_first(mail_catcher):
    # given
    for number in (1, 2, 3):
        message = EmailMessage()
        message["From"] = "store@example.com"
        message["To"] = "ann@example.com"
        message["Subject"] = f"Notice {number}"
        message.set_content(f"Notice number {number}.")
        mail_catcher.send(message, ["ann@example.com"])

    # when
    status, listing = mail_catcher.get("/")

    # then
    assert status == 200
    assert [subject for _, subject in message_links(listing)] == [
        "Notice 3",
        "Notice 2",
        "Notice 1",
    ]
    assert "3 message(s), newest first" in listing


def test_messages_are_still_there_after_a_restart(mail_catcher):
    # given
    mail_catcher.send(order_message(), ["ann@example.com"])
    mail_catcher.stop()

    # when
    mail_catcher.start()

    # then
    status, listing = mail_catcher.get("/")
    assert status == 200
    assert [subject for _, subject in message_links(listing)] == [
        "Order &lt;b&gt;#12&lt;/b&gt; is on its way"
    ]


def test_an_empty_folder_says_no_messages_yet(mail_catcher):
    status, listing = mail_catcher.get("/")

    assert status == 200
    assert "<p>No messages yet." in listing
    assert message_links(listing) == []


def test_only_the_catchers_own_files_are_served(mail_catcher, tmp_path):
    # given
    (tmp_path / "secret.txt").write_text("not mail")
    (mail_catcher.folder / "notes.eml").write_text("Subject: not kept by the catcher")

    # when
    answers = [
        mail_catcher.get(path)
        for path in (
            "/messages/notes.eml",
            "/raw/notes.eml",
            "/raw/..%2fsecret.txt",
            "/raw/../secret.txt",
            "/messages/20261201-120000-000000.eml",
        )
    ]

    # then
    assert [status for status, _ in answers] == [404, 404, 404, 404, 404]
    assert all("not mail" not in body and "not kept" not in body for _, body in answers)
    assert message_links(mail_catcher.get("/")[1]) == []


def test_the_page_answers_only_to_this_machines_names(mail_catcher):
    # given
    mail_catcher.send(order_message(), ["ann@example.com"])

    # when
    status, body = mail_catcher.get("/", host="mail.attacker.example")

    # then
    assert status == 403
    assert "Order" not in body
    assert mail_catcher.get("/", host=f"localhost:{mail_catcher.web_port}")[0] == 200


def test_a_busy_port_is_reported_and_the_catcher_exits(mail_catcher, tmp_path):
    # given
    second = MailCatcher(tmp_path / "other")
    second.smtp_port = mail_catcher.smtp_port

    # when
    result = subprocess.run(
        [
            sys.executable,
            str(MAIL_CATCHER),
            "--folder",
            str(second.folder),
            "--smtp-port",
            str(second.smtp_port),
            "--web-port",
            str(second.web_port),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )

    # then
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"Mail catcher: cannot receive mail on 127.0.0.1:{second.smtp_port}: "
    )
    assert mail_catcher.get("/")[0] == 200
