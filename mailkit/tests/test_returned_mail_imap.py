"""The wire round trip: a sample of each family APPENDed to a real Dovecot, fetched back over IMAP
as the sync fetches it (UID FETCH BODY.PEEK[]) and read again; the verdict must not change."""

import email
from collections import defaultdict

from mailkit.returned_mail import read_returned_mail
from mailkit.tests.bounce_corpus import samples


def one_per_family():
    groups = defaultdict(list)
    for sample in samples():
        groups[sample.family, sample.label.kind].append(sample)
    # The second of a group when there is one: the first is often the family's own local verdict.
    return [group[min(1, len(group) - 1)] for group in groups.values()]


def test_each_family_reads_the_same_after_a_dovecot_round_trip(dovecot, imap_user):
    chosen = one_per_family()
    client = dovecot.connect(imap_user.name, imap_user.password)
    try:
        for sample in chosen:
            typ, _ = client.append("INBOX", None, None, sample.raw)
            assert typ == "OK"
        client.select("INBOX", readonly=True)
        typ, data = client.uid("FETCH", "1:*", "(UID BODY.PEEK[])")
        assert typ == "OK"
        fetched = [item[1] for item in data if isinstance(item, tuple)]
    finally:
        client.logout()

    assert len(fetched) == len(chosen) > 30
    for sample, raw in zip(chosen, fetched, strict=True):
        before = read_returned_mail(email.message_from_bytes(sample.raw))
        after = read_returned_mail(email.message_from_bytes(raw))
        assert after == before, sample.name
        assert after.kind == sample.label.kind, sample.name
        assert [(f.address, f.reason, f.hard) for f in after.failures] == [
            (e.address, e.reason, e.hard) for e in sample.label.failures
        ], sample.name
