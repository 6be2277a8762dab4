import pytest

from correspondence.models import Signature
from massmail.models import Message

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("model", [Message, Signature])
def test_messages_and_signatures_are_scoped_by_role(model, alice, bob, carol, dana, erin):
    for author in (alice, bob, carol):
        fields = (
            {"subject": "s", "body": "{{ unsubscribe_url }}"}
            if model is Message
            else {"name": "n", "body": "b"}
        )
        model.objects.create(owner=author, **fields)

    def authors(user):
        return set(model.objects.visible_to(user).values_list("owner__username", flat=True))

    assert authors(alice) == {"alice"}
    assert authors(dana) == {"alice", "bob"}
    assert authors(erin) == {"alice", "bob", "carol"}
    assert not model.objects.editable_by(erin).exists()
