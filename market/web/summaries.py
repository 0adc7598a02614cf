"""The error summary at the top of a failed form, each link naming its field by the label the field
has on the page ("标注工位数：必须大于 0").

The summary stands before the fields it names, so it is written once the page's content is: the
field macros note each field's label as they render, the summary leaves a slot, and the layout
fills the slots with the summaries (`_error_summary.html`) when the content is done.
"""

from __future__ import annotations

from flask import Flask, g, render_template
from markupsafe import Markup

SLOT = "<!--error-summary-%d-->"


def note_label(name: str, label: str) -> str:
    """Remember what the field `name` is called on this page (for its summary's link)."""
    g.setdefault("field_labels", {})[name] = label
    return ""


def summary_slot(errors: dict) -> Markup:
    """Where the summary of `errors` goes; filled by `fill_summaries`."""
    waiting = g.setdefault("error_summaries", [])
    waiting.append(errors)
    return Markup(SLOT % (len(waiting) - 1))


def fill_summaries(html: Markup) -> Markup:
    """The page's content with each summary in its slot, its links named by the fields' labels."""
    waiting, labels = g.pop("error_summaries", []), g.pop("field_labels", {})
    html = str(html)  # the rendered content, escaped already; the summaries are rendered too
    for number, errors in enumerate(waiting):
        summary = render_template("_error_summary.html", errors=errors, labels=labels, number=number)
        html = html.replace(SLOT % number, summary)
    return Markup(html)


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(note_label=note_label, summary_slot=summary_slot)
    app.jinja_env.filters["fill_summaries"] = fill_summaries
