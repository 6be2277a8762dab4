"""Outside the demo (no DEMO in the environment) its pages do not exist."""


def test_the_sink_pages_are_not_routed_outside_the_demo(client, alice):
    client.force_login(alice)
    assert client.get("/crm/sent-mail/").status_code == 404
