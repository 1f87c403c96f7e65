"""Rendering a message from its kind's templates: a subject, a text part and an HTML part.

The templates are Jinja2 files shipped in `app/mail/templates/` (`<kind>.subject.txt`,
`<kind>.txt`, `<kind>.html`). A file of the same name in `MAIL_TEMPLATES_DIR` replaces the
shipped one. HTML is autoescaped; every template gets `product`, `email` (the recipient), `link`
for the kinds that carry one, and the message's details.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

from app.config import Settings
from app.core.notifications import MailKind
from app.core.product import PRODUCT_NAME as PRODUCT

SHIPPED_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str

    def parts(self) -> dict[str, str]:
        return {"subject": self.subject, "text": self.text, "html": self.html}


class Composer:
    def __init__(self, settings: Settings) -> None:
        loaders = [FileSystemLoader(SHIPPED_TEMPLATES)]
        if settings.mail_templates_dir is not None:
            loaders.insert(0, FileSystemLoader(settings.mail_templates_dir))
        self._environment = Environment(
            loader=ChoiceLoader(loaders),
            autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
            undefined=StrictUndefined,  # a typo in an overriding template fails loudly, not silently
            keep_trailing_newline=True,
        )
        self._links = {
            MailKind.VERIFY_EMAIL: settings.verify_email_url,
            MailKind.RESET_PASSWORD: settings.reset_password_url,
            MailKind.CONFIRM_EMAIL_CHANGE: settings.confirm_email_change_url,
        }

    def link(self, kind: MailKind, token: str) -> str:
        return self._links[kind].replace("{token}", quote(token, safe=""))

    def render(
        self, kind: MailKind, *, to: str, token: str | None = None, details: Mapping[str, str] | None = None
    ) -> Rendered:
        context: dict[str, object] = {"product": PRODUCT, "email": to, **(details or {})}
        if kind in self._links:
            if token is None:
                raise ValueError(f"a {kind.value} message needs a token for its link")
            context["link"] = self.link(kind, token)
        subject = self._environment.get_template(f"{kind.value}.subject.txt").render(context)
        return Rendered(
            subject=" ".join(subject.split()),  # one line, whatever the template's whitespace
            text=self._environment.get_template(f"{kind.value}.txt").render(context),
            html=self._environment.get_template(f"{kind.value}.html").render(context),
        )
