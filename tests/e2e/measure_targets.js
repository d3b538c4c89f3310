/* Every target a finger may tap, measured as drawn, and every visible text's size: what
 * tests/e2e/test_villager_app.py checks on the villager pages. A visually hidden input
 * (radio, file) is measured through its label; the label of a text field is a caption,
 * not a target. Returns {small: [...], tiny_text: [...]}, each entry readable. */
(() => {
  const small = [], tiny_text = [];
  for (const e of document.querySelectorAll("a[href], button, select, textarea, input, summary, label")) {
    if (e.type === "hidden" || e.closest(".leaflet-container")) continue;
    const r = e.getBoundingClientRect(), st = getComputedStyle(e);
    if (r.width <= 1 || r.height <= 1 || st.visibility === "hidden") continue;
    if (e.tagName === "LABEL") {
      const c = e.control;
      if (!c) continue;
      const cr = c.getBoundingClientRect();
      if (!(c.type === "radio" || c.type === "checkbox" || c.type === "file") || cr.width > 1) continue;
    }
    if (r.width < 44 || r.height < 44)
      small.push(`${e.tagName}.${e.className} "${(e.textContent || e.value || "").trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const t = walker.currentNode, el = t.parentElement;
    if (!t.textContent.trim() || !el || el.closest("script, style, .leaflet-container, svg")) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (size < 16) tiny_text.push(`${el.tagName}.${el.className} "${t.textContent.trim().slice(0, 20)}" ${size}px`);
  }
  return {small, tiny_text};
})
