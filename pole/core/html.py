"""HTML written by Python where the templates' helpers cost more than the page: escaping a
str, and the attributes of WTForms' widgets.

`escape_html` is markupsafe.escape for a str, returning a str: markupsafe's own C loop
(`_escape_inner`, what `escape` runs inside, without building a Markup), 0.04-0.15 µs for a
name or a link; where markupsafe has no C speedups, five `str.replace` (0.2-0.6 µs; `escape`
takes ~1 µs, `str.translate` with a table ~3 µs for a link). A day view escapes ~430 strings.

`html_params` writes what `wtforms.widgets.core.html_params` writes, byte for byte, in about
a tenth of its time: WTForms builds each attribute through `Markup.format` (~46 µs for an
input's six attributes; a booking form renders ~50 of them). `use_fast_html_params()`
puts it in WTForms' place, once per process (pole.forms does at import);
tests/test_forms_html.py checks it against WTForms' own on generated attributes.
"""

from __future__ import annotations

from markupsafe import Markup, escape
from wtforms import widgets
from wtforms.widgets import core

# What markupsafe.escape replaces, as a table (the tests compare the three ways).
HTML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;"})

WTFORMS_HTML_PARAMS = core.html_params  # WTForms' own, the reference


def escape_by_replace(text: str) -> str:
    """The text as markupsafe.escape writes a str, in Python (see the module's docstring)."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


try:  # markupsafe 3's C loop; a str in, a str out (tests/test_booking_grid.py compares them)
    from markupsafe._speedups import _escape_inner as escape_html
except ImportError:  # pragma: no cover (markupsafe without its C speedups)
    escape_html = escape_by_replace


def html_params(**kwargs: object) -> Markup:
    """HTML attributes as WTForms writes them: sorted by name, `class_` as `class`, `data_`
    and `aria_` names with hyphens, True alone, False left out, values escaped."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = key.rstrip("_")
        if key.startswith(("data_", "aria_")):
            key = key.replace("_", "-")
        if value is True:
            params.append(escape_html(key))
        elif value is not False:
            if value.__class__ is str:
                text = escape_html(value)
            else:  # Markup is kept as it is, but for its double quotes; numbers, None...
                text = str(escape(value)).replace('"', "&quot;")
            params.append(f'{escape_html(key)}="{text}"')
    return Markup(" ".join(params))  # noqa: S704 (every key and value escaped above)


WTFORMS_SELECT_CALL = core.Select.__call__  # WTForms' own, the reference


def select_html(self: core.Select, field: object, **kwargs: object) -> Markup:
    """A `<select>` as WTForms' Select widget writes it, byte for byte, in about a third of its
    time: WTForms looks its flags up through `dir()`, inspects `render_option`'s signature for
    each select and builds each option through `html_params` and `Markup`. A booking form's
    three selects hold ~15 options. Grouped choices, options with their own attributes and a
    subclass's own `render_option` are left to WTForms."""
    if type(self).render_option.__func__ is not core.Select.render_option.__func__ or (
        field.has_groups()
    ):
        return WTFORMS_SELECT_CALL(self, field, **kwargs)
    choices = list(field._iter_choices_normalized())
    if any(c.render_kw for c in choices):
        return WTFORMS_SELECT_CALL(self, field, **kwargs)
    kwargs.setdefault("id", field.id)
    if self.multiple:
        kwargs["multiple"] = True
    # `k in dir(flags)` in WTForms: a Flags holds its flags in its __dict__, a dict holds none.
    flags = getattr(field, "flags", {})
    set_flags = getattr(flags, "__dict__", {})
    for k in self.validation_attrs:
        if k in set_flags and k not in kwargs:
            kwargs[k] = getattr(flags, k)
    html = [f"<select {html_params(name=field.name, **kwargs)}>"]
    for choice in choices:
        value = choice.value
        if value.__class__ is str:
            value = escape_html(value)
        elif value.__class__ is int:
            value = str(value)
        else:  # bool, None, Markup...: WTForms' own way
            html.append(core.Select.render_option(choice))
            continue
        label = choice.label or choice.value
        label = escape_html(label) if label.__class__ is str else str(escape(label))
        selected = "selected " if choice.selected else ""
        html.append(f'<option {selected}value="{value}">{label}</option>')
    html.append("</select>")
    return Markup("".join(html))  # noqa: S704 (every attribute and label escaped above)


def use_fast_html_params() -> None:
    """Every WTForms widget writes its attributes with `html_params` (the module's function,
    the Input and Button widgets' static method, the Label's `widgets.html_params`), and its
    selects with `select_html`."""
    core.html_params = widgets.html_params = html_params
    core.Input.html_params = staticmethod(html_params)
    core.Button.html_params = staticmethod(html_params)
    core.Select.__call__ = select_html


def form_field(f: object, help: object = None, class_: object = "field") -> Markup:  # noqa: A002
    """The `field` macro of templates/_forms.html (kept there as `field_in_jinja`, the
    reference), written by Python byte for byte, whitespace included: a label, the widget, its
    help and its errors, tied by aria-describedby. Jinja spends ~80 µs in each call of the
    macro (a booking form has about fifteen); this writes the same in a few µs. The tests
    compare both on the booking form's fields, with and without help and errors."""
    errors = f.errors
    described = []
    if help:
        described.append(f"{f.id}-help")
    if errors:
        described.append(f"{f.id}-errors")
    out = ['\n\n\n\n<div class="', escape(class_), ' has-errors">\n  ' if errors else '">\n  ']
    if f.type == "BooleanField":
        attrs = {"aria-describedby": " ".join(described)} if described else {}
        label = escape(f.label.text)
        out += ['\n  <label class="check">', escape(f(**attrs)), " ", label, "</label>\n  "]
    else:
        out += ["\n  ", escape(f.label())]
        if f.flags.required:
            out.append(' <span class="required" aria-hidden="true">*</span>')
        attrs = {"aria-invalid": "true"} if errors else {}
        if described:
            attrs["aria-describedby"] = " ".join(described)
        out += ["\n  \n  \n  ", escape(f(**attrs)), "\n  "]
    out.append("\n  ")
    if help:
        out += ['<p class="help" id="', escape(f.id), '-help">', escape(help), "</p>"]
    out.append("\n  ")
    if errors:
        out += ['\n  <ul class="errors" id="', escape(f.id), '-errors">\n    ']
        out += [f"<li>{escape(error)}</li>" for error in errors]
        out.append("\n  </ul>\n  ")
    out.append("\n</div>\n")
    return Markup("".join(out))  # noqa: S704 (every value escaped above, as the macro does)
