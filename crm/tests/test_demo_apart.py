"""Outside the demo (no DEMO in the environment) its pages do not exist, for anyone."""


def test_the_mail_sink_pages_are_not_routed_outside_the_demo(alice, client, root):
    for user in (alice, root):
        client.force_login(user)
        assert client.get("/crm/sent-mail/").status_code == 404
