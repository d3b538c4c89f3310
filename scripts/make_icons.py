"""Draws the villager app's icons once (committed under houhu/static/icons/); run again
only to change them: `.venv/bin/python scripts/make_icons.py`.

A white 10 kV pole with its cross-arm and three conductors on the top bar's green: no
text, so it reads the same in both languages and needs no CJK font."""

from pathlib import Path

from PIL import Image, ImageDraw

GREEN = (11, 110, 79, 255)
WHITE = (255, 255, 255, 255)
YELLOW = (245, 183, 0, 255)
OUT = Path(__file__).resolve().parent.parent / "houhu" / "static" / "icons"


def draw(size: int, *, maskable: bool) -> Image.Image:
    # Drawn 4x larger and scaled down: smooth edges without anti-aliasing primitives.
    s = size * 4
    img = Image.new("RGBA", (s, s), (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    if maskable:  # full bleed; the launcher cuts its own shape inside the safe zone
        d.rectangle((0, 0, s, s), fill=GREEN)
        inset = s * 0.2
    else:
        d.rounded_rectangle((0, 0, s - 1, s - 1), radius=s * 0.22, fill=GREEN)
        inset = s * 0.14
    box = s - 2 * inset

    def px(x: float, y: float) -> tuple[float, float]:
        return (inset + x * box, inset + y * box)

    w = box * 0.07
    d.line([px(0.5, 0.12), px(0.5, 0.95)], fill=WHITE, width=int(w))  # the pole
    d.line([px(0.12, 0.3), px(0.88, 0.3)], fill=WHITE, width=int(w * 0.9))  # cross-arm
    for x in (0.16, 0.5, 0.84):  # insulators
        d.ellipse([*px(x - 0.05, 0.17), *px(x + 0.05, 0.27)], fill=YELLOW)
    for y in (0.5, 0.62):  # the conductors running past
        d.line([px(0.0, y), px(1.0, y - 0.08)], fill=WHITE, width=int(w * 0.35))
    return img.resize((size, size), Image.LANCZOS)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    draw(192, maskable=False).save(OUT / "icon-192.png", optimize=True)
    draw(512, maskable=False).save(OUT / "icon-512.png", optimize=True)
    draw(180, maskable=True).convert("RGB").save(OUT / "icon-180.png", optimize=True)
    draw(512, maskable=True).save(OUT / "icon-maskable-512.png", optimize=True)


if __name__ == "__main__":
    main()
