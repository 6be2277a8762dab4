"""Parsing whatever arrives: encoded headers, unknown charsets, broken MIME, big attachments."""

from email.message import EmailMessage

from mailaccounts.mail_parsing import decode_bytes, decode_header, parse_headers, parse_message


def test_rfc2047_headers_are_decoded():
    assert decode_header("=?utf-8?B?w5xiZXI=?= uns") == "Über uns"
    assert decode_header("=?iso-8859-1?Q?Gr=FC=DFe?=") == "Grüße"
    assert decode_header("=?x-unknown?Q?P=E4t?=") == "Pät"  # unknown charset: latin-1
    assert decode_header("a\r\n b") == "a b"


def test_unknown_or_wrong_charsets_fall_back_without_raising():
    assert decode_bytes("Grüße".encode(), "no-such-charset") == "Grüße"
    assert decode_bytes(b"Gr\xfc\xdfe", "utf-8") == "Grüße"
    assert decode_bytes(b"\xff\xfe", None) == "ÿþ"


def test_raw_8bit_headers_are_read():
    parsed = parse_headers(
        "Subject: Grüße [ticket:abcdefghjk]\r\nFrom: Jürgen <j@x.example>\r\n\r\n".encode()
    )
    assert parsed.subject == "Grüße [ticket:abcdefghjk]"
    assert (parsed.sender_name, parsed.sender) == ("Jürgen", "j@x.example")


def test_text_html_and_attachments():
    message = EmailMessage()
    message["Subject"] = "Files"
    message["Message-ID"] = "<m1@x.example>"
    message["References"] = "<a@x> <b@x>"
    message["In-Reply-To"] = "<b@x>"
    message.set_content("plain text")
    message.add_alternative("<p>html</p>", subtype="html")
    message.add_attachment(
        b"%PDF", maintype="application", subtype="pdf", filename="=?utf-8?q?R=C3=A9sum=C3=A9.pdf?="
    )
    message.add_attachment(b"z" * 50, maintype="application", subtype="zip", filename="../../big.zip")

    parsed = parse_message(message.as_bytes(), max_attachment_bytes=10)

    assert parsed.text.strip() == "plain text" and parsed.html.strip() == "<p>html</p>"
    assert parsed.referenced_ids == ["<b@x>", "<a@x>"]
    small, big = parsed.attachments
    assert (small.filename, small.content, small.truncated) == ("Résumé.pdf", b"%PDF", False)
    assert (big.filename, big.size, big.truncated) == (".._.._big.zip", 50, True)


def test_attachment_under_the_cap_is_kept():
    message = EmailMessage()
    message.set_content("x")
    message.add_attachment(b"tiny", maintype="application", subtype="octet-stream", filename="t.bin")
    (attachment,) = parse_message(message.as_bytes(), max_attachment_bytes=100).attachments
    assert (attachment.content, attachment.truncated, attachment.size) == (b"tiny", False, 4)


def test_broken_mime_still_gives_text_and_a_message_id():
    raw = (
        b'Content-Type: multipart/mixed; boundary="b"\r\nSubject: broken\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=bogus\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"not base64 at all!!\r\n"
    )
    parsed = parse_message(raw)
    assert parsed.subject == "broken"
    assert parsed.message_id.startswith("<no-message-id.")
    assert parse_message(raw).message_id == parsed.message_id  # stable, so re-syncs dedupe
    assert isinstance(parsed.text, str)


def test_auto_replies_are_recognised():
    def headers(extra):
        return parse_headers(f"Subject: Re: offer\r\n{extra}\r\n\r\n".encode())

    assert headers("Auto-Submitted: auto-replied").is_auto_reply
    assert not headers("Auto-Submitted: no").is_auto_reply
    assert headers("X-Autoreply: yes").is_auto_reply
    assert headers("Precedence: auto_reply").is_auto_reply
    assert parse_headers(b"Subject: Out of Office: Re: offer\r\n\r\n").is_auto_reply
    assert parse_headers(b"Subject: Automatic reply: offer\r\n\r\n").is_auto_reply
    assert not headers("Precedence: bulk").is_auto_reply
