from django.urls import reverse

from correspondence.models import EmailTemplate


def logged_in(client, user):
    client.force_login(user)
    return client


def test_own_and_shared_templates_are_visible(alice, bob):
    own = EmailTemplate.objects.create(owner=alice, name="Mine")
    shared = EmailTemplate.objects.create(owner=bob, name="Team", is_shared=True)
    EmailTemplate.objects.create(owner=bob, name="Bob's own")
    assert set(EmailTemplate.objects.visible_to(alice)) == {own, shared}
    assert set(EmailTemplate.objects.editable_by(alice)) == {own}


def test_create_a_template_with_mailing_variables(client, alice):
    response = logged_in(client, alice).post(
        reverse("mail:template_new"),
        {
            "name": "Intro",
            "subject": "Hi {{ first_name }}",
            "body": "<p>{{ user.name }}</p>",
            "is_shared": "on",
        },
    )
    assert response.status_code == 302
    template = EmailTemplate.objects.get()
    assert (template.owner, template.is_shared) == (alice, True)


def test_unknown_variables_and_syntax_errors_are_form_errors(client, alice):
    client = logged_in(client, alice)
    response = client.post(
        reverse("mail:template_new"), {"name": "Bad", "subject": "{{ nickname }}", "body": "x"}
    )
    assert response.status_code == 200
    assert "Unknown variable" in str(response.context["form"].non_field_errors())
    response = client.post(reverse("mail:template_new"), {"name": "Bad", "subject": "x", "body": "{% if %}"})
    assert "template error" in str(response.context["form"].non_field_errors())
    assert not EmailTemplate.objects.exists()


def test_someone_elses_shared_template_cannot_be_edited_or_deleted(client, alice, bob):
    shared = EmailTemplate.objects.create(owner=bob, name="Team", is_shared=True)
    client = logged_in(client, alice)
    assert client.get(reverse("mail:templates")).status_code == 200
    assert client.get(reverse("mail:template_edit", args=[shared.pk])).status_code == 404
    assert client.post(reverse("mail:template_delete", args=[shared.pk])).status_code == 404
    assert EmailTemplate.objects.filter(pk=shared.pk).exists()


def test_a_shared_template_is_offered_when_composing(client, alice, bob):
    EmailTemplate.objects.create(owner=bob, name="Team", is_shared=True)
    EmailTemplate.objects.create(owner=bob, name="Private")
    form = logged_in(client, alice).get(reverse("mail:compose")).context["form"]
    assert [t.name for t in form.fields["template"].queryset] == ["Team"]
