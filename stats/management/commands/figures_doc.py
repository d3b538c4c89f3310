"""Rewrites the table of docs/figures.md from the figures' definitions (stats.figures)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from stats.figures import DOC_BEGIN, DOC_END, figures_markdown


class Command(BaseCommand):
    help = "Rewrite the table of docs/figures.md from the figures' definitions."

    def handle(self, *args, **options) -> None:
        path = Path(settings.BASE_DIR) / "docs" / "figures.md"
        text = path.read_text(encoding="utf-8")
        head, _sep, rest = text.partition(DOC_BEGIN)
        _old, _sep, tail = rest.partition(DOC_END)
        path.write_text(head + figures_markdown().rstrip("\n") + tail, encoding="utf-8")
        self.stdout.write(f"rewrote {path}")
