from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from houhu.accounts.models import User
from houhu.lib.limits import max_length


class VillagerAccountForm(forms.Form):
    phone = forms.CharField(
        label=_("Login phone number"),
        max_length=max_length(User, "phone"),
        help_text=_("The villager logs in with this number; no other account may use it."),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "off", "autofocus": True}
        ),
    )


class HouseholdSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Customer number, name or phone"),
                "autocomplete": "off",
            }
        ),
    )
