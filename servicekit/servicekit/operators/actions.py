"""What every operator action does the same way.

An action acts on each chosen row through the service's own functions (never by writing
rows), reports per row what happened (one message each), and puts every change in the
admin's history (LogEntry: the user, the time, what was done and why). An action that
changes money or a hold asks why first, on an intermediate page (``with_reason``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.http import HttpRequest
from django.template.response import TemplateResponse

from servicekit.errors import ProblemError


@dataclass(frozen=True)
class Outcome:
    """What an action did to one row: ``message`` for the operator and the history;
    ``changed`` False when there was nothing to do (no history entry)."""

    message: str
    changed: bool = True


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why: kept in the history with your name.",
    )


def act_on_rows(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    rows: Iterable[models.Model],
    perform: Callable[[Any], Outcome],
    *,
    reason: str = "",
) -> None:
    """``perform`` each row; a message per row, a history entry per change (and per refusal
    of an action given a reason: someone tried, and why is worth keeping)."""
    why = f" Reason: {reason}" if reason else ""
    for row in rows:
        try:
            outcome = perform(row)
        except ProblemError as exc:
            text = f"{exc.detail} ({exc.code})"
            if reason:
                modeladmin.log_change(request, row, f"Refused: {text}.{why}")
            modeladmin.message_user(request, f"{row}: {text}", messages.ERROR)
            continue
        if outcome.changed:
            modeladmin.log_change(request, row, f"{outcome.message}.{why}")
        level = messages.SUCCESS if outcome.changed else messages.INFO
        modeladmin.message_user(request, f"{row}: {outcome.message}", level)


def with_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: models.QuerySet,
    *,
    title: str,
    perform: Callable[[Any, dict[str, Any]], Outcome],
    form_class: type[ReasonForm] = ReasonForm,
) -> TemplateResponse | None:
    """The intermediate page of an action: ask why (and whatever ``form_class`` adds), then
    act on each row with the form's cleaned data."""
    if "apply" in request.POST:
        form = form_class(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            act_on_rows(
                modeladmin, request, queryset, lambda row: perform(row, data), reason=data["reason"]
            )
            return None  # back to the list, with the messages
    else:
        form = form_class()
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "rows": list(queryset),
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/operators/action_form.html", context)
