"""Mail pages of the /crm/ site: compose, inbox, templates, reports, notifications.

Each view is wrapped by `crm_site.admin_view` (correspondence/urls.py): logged-in staff of a CRM role.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_POST

from correspondence import compose, inbox, reports
from correspondence.forms import AssignForm, ComposeForm, EmailTemplateForm
from correspondence.models import CrmEmail, EmailTemplate
from crm import files
from crm.site import crm_site


def _page(request, template_name, title, **context):
    request.current_app = crm_site.name
    return render(request, template_name, {**crm_site.each_context(request), "title": title, **context})


def _record_url(record):
    return reverse(f"crm:crm_{compose.record_kind(record)}_change", args=[record.pk])


def _draft_of(request, pk):
    return get_object_or_404(compose.drafts_of(request.user), pk=pk)


# --- compose -----------------------------------------------------------------------------------


def compose_new(request, kind=None, pk=None):
    """Write a new email, about a record when the URL names one."""
    record = compose.find_record(request.user, kind, pk) if kind else None
    initial = {"to": compose.address_of(record), "subject": compose.subject_for(record)}
    return _compose(request, compose.new_draft(request.user, record), initial, record)


def compose_edit(request, pk):
    """Reopen a draft (or a scheduled message, which goes back to draft when saved)."""
    email = _draft_of(request, pk)
    initial = {
        "account": email.account,
        "to": email.recipients,
        "cc": email.cc,
        "bcc": email.bcc,
        "subject": email.subject,
        "body": email.html,
        "template": email.template,
        "signature": email.signature,
        "track_opens": email.track_opens,
        "track_clicks": email.track_clicks,
        "read_receipt": email.read_receipt,
        "scheduled_at": email.scheduled_at,
    }
    return _compose(request, email, initial, email.record)


def _compose(request, email, initial, record):
    if email.pk is None and email.account_id is None:
        initial.setdefault("track_opens", True)
        initial.setdefault("track_clicks", True)
    form = ComposeForm(request.POST or None, request.FILES or None, user=request.user, initial=initial)
    if request.method == "POST" and form.is_valid():
        action = request.POST.get("action", "draft")
        removed = [int(pk) for pk in request.POST.getlist("remove_attachment") if pk.isdigit()]
        files = form.cleaned_data["attachments"]
        outcome = compose.apply_action(email, form.cleaned_data, files, action, request.user, removed)
        messages.add_message(request, messages.SUCCESS if outcome.ok else messages.ERROR, outcome.message)
        if outcome.ok and action in ("send", "schedule"):
            return HttpResponseRedirect(_record_url(record) if record else reverse("mail:inbox"))
        return HttpResponseRedirect(reverse("mail:compose_edit", args=[email.pk]))
    title = f"Write email about {record}" if record else "Write email"
    attachments = email.attachments.all() if email.pk else []
    return _page(
        request,
        "correspondence/compose.html",
        title,
        form=form,
        email=email,
        record=record,
        attachments=attachments,
    )


@require_POST
def reply(request, pk, forward=False):
    original = get_object_or_404(CrmEmail.objects.visible_to(request.user), pk=pk)
    draft = compose.reply_draft(request.user, original, forward=forward)
    return HttpResponseRedirect(reverse("mail:compose_edit", args=[draft.pk]))


@require_POST
def delete_draft(request, pk):
    compose.delete_draft(_draft_of(request, pk))
    messages.success(request, "Draft deleted.")
    return HttpResponseRedirect(reverse("mail:drafts"))


def drafts(request):
    return _page(
        request, "correspondence/drafts.html", "Drafts and scheduled", emails=compose.drafts_of(request.user)
    )


def stored_file(request, kind, pk):
    """Download an attachment of mail the user may see (crm/files.py)."""
    return files.serve(request, files.find(request.user, kind, pk))


# --- inbox -------------------------------------------------------------------------------------


def inbox_view(request):
    params = {
        "account_id": request.GET.get("account") or None,
        "folder": request.GET.get("folder", ""),
        "q": request.GET.get("q", "").strip(),
        "unread": request.GET.get("unread") == "1",
        "assigned_to_me": request.GET.get("mine") == "1",
        "sent": request.GET.get("sent") == "1",
    }
    emails = inbox.mail_of(request.user, **params)
    filters = request.GET.copy()
    filters.pop("page", None)  # Newer and Older keep the folder, filters and search
    page_param = request.GET.get("page", "1")
    page = int(page_param) if page_param.isdigit() and int(page_param) > 0 else 1
    threads = inbox.conversations(emails, limit=50, offset=(page - 1) * 50)
    return _page(
        request,
        "correspondence/inbox.html",
        "Sent" if params["sent"] else "Inbox",
        threads=threads,
        folders=inbox.folders_for(request.user),
        params=params,
        filters=filters.urlencode(),
        page=page,
        notifications=inbox.notifications_of(request.user, unread_only=True)[:10],
    )


def thread_view(request):
    key = request.GET.get("key", "")
    emails = inbox.conversation_of(request.user, key)
    if not emails:
        raise Http404("No such conversation, or not yours to see.")
    shared = inbox.shared_account(emails)
    form = (
        AssignForm(members=inbox.members_of(shared), initial={"user": emails[-1].assigned_to})
        if shared
        else None
    )
    title = emails[-1].subject or "(no subject)"
    context = {"emails": emails, "key": key, "form": form, "frame_sandbox": inbox.FRAME_SANDBOX}
    return _page(request, "correspondence/thread.html", title, **context)


@xframe_options_sameorigin
def email_body(request, pk):
    """One stored message's body, for the sandboxed frame of the thread page; `?images=1`
    lets its remote images load."""
    email = get_object_or_404(CrmEmail.objects.visible_to(request.user), pk=pk)
    response = HttpResponse(inbox.body_document(email))
    response["Content-Security-Policy"] = inbox.body_policy(images=request.GET.get("images") == "1")
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_POST
def mark_read(request):
    read = request.POST.get("read", "1") == "1"
    inbox.mark_read(request.user, request.POST.get("key", ""), read=read)
    if request.headers.get("HX-Request"):
        return HttpResponse(status=204)
    return HttpResponseRedirect(reverse("mail:inbox"))


@require_POST
def assign_view(request):
    key = request.POST.get("key", "")
    emails = inbox.conversation_of(request.user, key)
    shared = inbox.shared_account(emails)
    if shared is None:
        raise Http404("Not a conversation of a shared mailbox.")
    form = AssignForm(request.POST, members=inbox.members_of(shared))
    if form.is_valid():
        inbox.assign(key, form.cleaned_data["user"], by=request.user, account=shared)
        messages.success(request, f"Assigned to {form.cleaned_data['user'] or 'nobody'}.")
    return HttpResponseRedirect(f"{reverse('mail:thread')}?key={key}")


@require_POST
def digest_toggle(request):
    """Turn the daily digest on or off for oneself."""
    request.user.email_digest = request.POST.get("on") == "1"
    request.user.save(update_fields=["email_digest"])
    messages.success(request, "Daily digest on." if request.user.email_digest else "Daily digest off.")
    return HttpResponseRedirect(reverse("mail:inbox"))


@require_POST
def notifications_read(request):
    inbox.notifications_of(request.user, unread_only=True).update(is_read=True)
    return HttpResponseRedirect(reverse("mail:inbox"))


# --- templates -----------------------------------------------------------------------------------


def templates_list(request):
    return _page(
        request,
        "correspondence/templates_list.html",
        "Email templates",
        templates=EmailTemplate.objects.visible_to(request.user),
    )


def template_edit(request, pk=None):
    template = get_object_or_404(EmailTemplate.objects.editable_by(request.user), pk=pk) if pk else None
    form = EmailTemplateForm(request.POST or None, instance=template)
    if request.method == "POST" and form.is_valid():
        if template is None:
            form.instance.owner = request.user
        form.save()
        messages.success(request, f"Template “{form.instance.name}” saved.")
        return HttpResponseRedirect(reverse("mail:templates"))
    return _page(
        request, "correspondence/template_form.html", "Email template", form=form, email_template=template
    )


@require_POST
def template_delete(request, pk):
    get_object_or_404(EmailTemplate.objects.editable_by(request.user), pk=pk).delete()
    messages.success(request, "Template deleted.")
    return HttpResponseRedirect(reverse("mail:templates"))


# --- reports -------------------------------------------------------------------------------------


def report_response(request, title, figures, csv_name, extra=None):
    """A report page (or its CSV with ?format=csv); massmail's mailing reports use it too."""
    if request.GET.get("format") == "csv":
        response = HttpResponse(reports.figures_csv(figures, title), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{csv_name}.csv"'
        return response
    chart = reports.svg_chart(figures.series)
    return _page(request, "correspondence/report.html", title, figures=figures, chart=chart, **(extra or {}))


def email_report(request, pk):
    email = get_object_or_404(
        CrmEmail.objects.visible_to(request.user), pk=pk, direction=CrmEmail.Direction.OUTGOING
    )
    figures = reports.email_figures(CrmEmail.objects.filter(pk=email.pk))
    events = reports.email_events(email)
    return report_response(
        request, f"Email: {email}", figures, f"email-{pk}", {"events": events, "email": email}
    )


def template_report(request, pk):
    template = get_object_or_404(EmailTemplate.objects.visible_to(request.user), pk=pk)
    emails = CrmEmail.objects.visible_to(request.user).filter(template=template)
    return report_response(request, f"Template: {template}", reports.email_figures(emails), f"template-{pk}")


def reports_index(request):
    sent = CrmEmail.objects.visible_to(request.user).filter(
        direction=CrmEmail.Direction.OUTGOING, status=CrmEmail.Status.SENT
    )
    return _page(
        request,
        "correspondence/reports_index.html",
        "Email reports",
        sections=reports.index_sections(request.user),
        templates=EmailTemplate.objects.visible_to(request.user),
        sent=sent[:50],
    )
