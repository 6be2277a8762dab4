"""Countries of records: chosen from ISO 3166 (django-countries' list), stored by English name.

The name, not the code, is what the `country` column keeps: every stored value, saved segment
filter, inbox territory grant and export already holds names ("Germany"), so a name keeps them
all meaning what they meant. What comes in (a form, an import) is turned into the list's name
when it names a country in any common way (code, ISO name, older name, a usual alias); a value
that names none stays as it was written, and forms still show it.
"""

from django import forms
from django_countries import countries

# Names people and other tools' exports use that the ISO list (with its older names) lacks.
ALIASES = {
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "us": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "united states": "US",
    "america": "US",
    "holland": "NL",
    "the netherlands": "NL",
    "deutschland": "DE",
    "russian federation": "RU",
    "korea": "KR",
    "republic of korea": "KR",
}


def country_names():
    return [str(name) for _code, name in countries]


def canonical_country(text):
    """The list's name for `text` (a code, a name, an alias, any case), or `text` as written
    (trimmed) when it names no country of the list."""
    text = (text or "").strip()
    if not text:
        return ""
    folded = text.casefold()
    code = ALIASES.get(folded) or countries.alpha2(text) or countries.by_name(text)
    return str(countries.name(code)) if code else text


class CountryChoiceField(forms.ChoiceField):
    """A select of the list's countries that also offers (and accepts) a value stored before
    there was a list, so editing an old record never loses or refuses its country."""

    def __init__(self, *, blank_label="—", **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(choices=[("", blank_label), *((n, n) for n in country_names())], **kwargs)

    def keep(self, value):
        """Offer `value` (an old free-text country) as well, when it is not on the list."""
        if value and value not in dict(self.choices):
            self.choices = [*self.choices, (value, value)]

    def to_python(self, value):
        return canonical_country(super().to_python(value))
