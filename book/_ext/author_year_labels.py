"""Author-year labels on the references page, matching the author-year citations in the text.

The text cites with ``bibtex_reference_style = author_year`` ("Belghazi et al. (2018)"); the
bibliography's labels come from a pybtex formatting style, whose default (``alpha``) labels
read "[BBR+18]". This extension registers the formatting style ``authoryear`` (pybtex's
``unsrt`` entries, sorted by author and year) with labels "Belghazi et al. 2018", and makes it
the default style of the bibliography.
"""

from __future__ import annotations

from pybtex.plugin import register_plugin
from pybtex.style.formatting.unsrt import Style as UnsrtStyle
from pybtex.style.labels import BaseLabelStyle
from pybtex.style.sorting.author_year_title import SortingStyle
from sphinx.application import Sphinx


def _surname(person) -> str:
    return " ".join(person.prelast_names + person.last_names) or " ".join(person.first_names)


class AuthorYearLabelStyle(BaseLabelStyle):
    """"Kraskov et al. 2004", "Donsker & Varadhan 1983", "Cover & Thomas 2006"."""

    def format_labels(self, sorted_entries):
        for entry in sorted_entries:
            people = entry.persons.get("author") or entry.persons.get("editor") or []
            names = [_surname(p) for p in people]
            if len(names) > 2:
                who = f"{names[0]} et al."
            elif names:
                who = " & ".join(names)
            else:
                who = entry.fields.get("title", entry.key)[:20]
            yield f"{who} {entry.fields.get('year', 'n.d.')}"


class AuthorYearStyle(UnsrtStyle):
    default_label_style = AuthorYearLabelStyle
    default_sorting_style = SortingStyle


def setup(app: Sphinx) -> dict:
    register_plugin("pybtex.style.labels", "authoryear", AuthorYearLabelStyle)
    register_plugin("pybtex.style.formatting", "authoryear", AuthorYearStyle)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
