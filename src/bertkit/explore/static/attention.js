// Attention views (bertviz-style head view and model view), plain JS + SVG/canvas.
// BertkitAttention.render(container, data) with data = {tokens, segments,
// attentions[layer][head][query][key], num_tokens, truncated}. Used by the page and by the
// self-contained file `bertkit attention --html` writes.
"use strict";
(function () {
  const SVG = "http://www.w3.org/2000/svg";
  const MIN_WEIGHT = 0.02; // lines below this are not drawn (keeps big inputs responsive)

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function headColour(h, heads) {
    return "hsl(" + Math.round((360 * h) / heads) + ", 70%, 45%)";
  }

  function render(container, data) {
    container.textContent = "";
    const layers = data.attentions.length;
    const heads = data.attentions[0].length;
    const tokens = data.tokens;
    const segments = data.segments || tokens.map(() => 0);
    const hasPair = segments.some((s) => s === 1);
    const state = { layer: 0, heads: new Set([...Array(heads).keys()]), filter: "all", hover: null };

    const info = el("div", { class: "message attn-info" });
    info.textContent = data.truncated
      ? "Showing the first " + tokens.length + " of " + data.num_tokens + " tokens (the input was truncated)."
      : "Showing all " + tokens.length + " tokens, " + layers + " layers x " + heads + " heads.";
    container.appendChild(info);

    const controls = el("div", { class: "attn-controls" });
    const layerSelect = el("select", { class: "attn-layer" });
    for (let l = 0; l < layers; l++) layerSelect.appendChild(el("option", { value: l }, "Layer " + l));
    layerSelect.addEventListener("change", () => { state.layer = +layerSelect.value; draw(); });
    controls.appendChild(layerSelect);
    if (hasPair) {
      const filter = el("select", { class: "attn-filter" });
      for (const [value, label] of [["all", "All"], ["AA", "A \u2192 A"], ["AB", "A \u2192 B"], ["BA", "B \u2192 A"], ["BB", "B \u2192 B"]])
        filter.appendChild(el("option", { value }, label));
      filter.addEventListener("change", () => { state.filter = filter.value; draw(); });
      controls.appendChild(filter);
    }
    const headBox = el("span");
    for (let h = 0; h < heads; h++) {
      const label = el("label", { class: "head-toggle", title: "head " + h });
      const box = el("input", { type: "checkbox", class: "attn-head", "data-head": h });
      box.checked = true;
      box.addEventListener("change", () => { box.checked ? state.heads.add(h) : state.heads.delete(h); draw(); });
      const swatch = el("span", { class: "head-swatch" });
      swatch.style.background = headColour(h, heads);
      label.append(box, swatch);
      headBox.appendChild(label);
    }
    controls.appendChild(headBox);
    container.appendChild(controls);

    const rowHeight = 18;
    const width = 460;
    const height = tokens.length * rowHeight + 10;
    const svg = svgEl("svg", { class: "head-view", width, height, viewBox: "0 0 " + width + " " + height });
    const lines = svgEl("g");
    svg.appendChild(lines);
    const left = [], right = [];
    tokens.forEach((token, i) => {
      const y = 14 + i * rowHeight;
      const a = svgEl("text", { x: 130, y, "text-anchor": "end", class: "attn-token query", "data-index": i }, token);
      const b = svgEl("text", { x: 330, y, class: "attn-token key", "data-index": i }, token);
      a.addEventListener("mouseenter", () => { state.hover = i; draw(); });
      a.addEventListener("mouseleave", () => { state.hover = null; draw(); });
      svg.append(a, b);
      left.push(a); right.push(b);
    });
    container.appendChild(svg);

    function allowed(q, k) {
      if (state.filter === "all") return true;
      return state.filter === (segments[q] ? "B" : "A") + (segments[k] ? "B" : "A");
    }

    function draw() {
      lines.textContent = "";
      const received = new Array(tokens.length).fill(0);
      for (const h of state.heads) {
        const matrix = data.attentions[state.layer][h];
        for (let q = 0; q < tokens.length; q++) {
          if (state.hover !== null && q !== state.hover) continue;
          for (let k = 0; k < tokens.length; k++) {
            const w = matrix[q][k];
            if (w < MIN_WEIGHT || !allowed(q, k)) continue;
            if (state.hover !== null) received[k] += w;
            lines.appendChild(svgEl("line", {
              x1: 136, y1: 10 + q * rowHeight, x2: 324, y2: 10 + k * rowHeight,
              stroke: headColour(h, heads), "stroke-width": 2,
              "stroke-opacity": Math.min(1, w * (state.hover !== null ? 1.5 : 0.9)),
            }));
          }
        }
      }
      left.forEach((t, i) => t.setAttribute("class", "attn-token query" + (state.hover === i ? " hot" : "")));
      right.forEach((t, k) => {
        const dim = state.hover !== null && received[k] < MIN_WEIGHT;
        t.setAttribute("class", "attn-token key" + (dim ? " dim" : ""));
      });
      grid.querySelectorAll("canvas").forEach((c) => {
        c.classList.toggle("selected", +c.dataset.layer === state.layer && state.heads.size === 1 && state.heads.has(+c.dataset.head));
      });
    }

    // Model view: one small map per (layer, head); darker = more attention. Click to open it.
    const title = el("div", { class: "muted" }, "Model view: rows are layers, columns are heads (click a map to see it above).");
    container.appendChild(title);
    const grid = el("div", { class: "model-grid" });
    grid.style.gridTemplateColumns = "40px repeat(" + heads + ", 68px)";
    grid.appendChild(el("span"));
    for (let h = 0; h < heads; h++) grid.appendChild(el("span", { class: "grid-label" }, "H" + h));
    const n = tokens.length;
    for (let l = 0; l < layers; l++) {
      grid.appendChild(el("span", { class: "grid-label" }, "L" + l));
      for (let h = 0; h < heads; h++) {
        const canvas = el("canvas", { class: "attn-cell", width: n, height: n, "data-layer": l, "data-head": h, title: "layer " + l + ", head " + h });
        const ctx = canvas.getContext("2d");
        const image = ctx.createImageData(n, n);
        const matrix = data.attentions[l][h];
        for (let q = 0; q < n; q++) for (let k = 0; k < n; k++) {
          const v = Math.round(255 * (1 - Math.min(1, Math.sqrt(matrix[q][k]))));
          const p = 4 * (q * n + k);
          image.data[p] = v; image.data[p + 1] = v; image.data[p + 2] = 255; image.data[p + 3] = 255;
        }
        ctx.putImageData(image, 0, 0);
        canvas.addEventListener("click", () => {
          state.layer = l; layerSelect.value = l;
          state.heads = new Set([h]);
          headBox.querySelectorAll("input").forEach((box) => { box.checked = +box.dataset.head === h; });
          draw();
        });
        grid.appendChild(canvas);
      }
    }
    container.appendChild(grid);
    draw();
  }

  window.BertkitAttention = { render };
})();
