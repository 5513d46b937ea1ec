"""What a browser sends for a page's form: the values the page shows, so a test can submit a form as it was shown."""

from __future__ import annotations

from html.parser import HTMLParser


class _FormReader(HTMLParser):
    """Reads the first form that posts to `action` ("": to the page itself): inputs, checked boxes, text areas, and
    each select's selected option (or its first one, as a browser does when none is selected)."""

    def __init__(self, action: str):
        super().__init__(convert_charrefs=True)
        self.action = action
        self.fields: dict[str, str] = {}
        self._in_form = self._done = False
        self._select: str | None = None
        self._first_option: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if (tag == "form" and not self._done and (a.get("method") or "").lower() == "post"
                and (a.get("action") or "") == self.action):
            self._in_form = True
        if not self._in_form:
            return
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "reset"):
            if a.get("type") not in ("checkbox", "radio") or "checked" in a:
                self.fields[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select, self._first_option = name, None
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            if self._first_option is None:
                self._first_option = value
            if "selected" in a:
                self.fields[self._select] = value
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag):
        if not self._in_form:
            return
        if tag == "select" and self._select is not None:
            self.fields.setdefault(self._select, self._first_option or "")
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            text = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
            # A browser drops the newline right after <textarea> and sends line breaks as CR LF.
            self.fields[self._textarea] = text.replace("\r\n", "\n").replace("\n", "\r\n")
            self._textarea = None
        elif tag == "form":
            self._in_form, self._done = False, True


def form_as_shown(html: str, action: str = "") -> dict[str, str]:
    reader = _FormReader(action)
    reader.feed(html)
    return reader.fields
