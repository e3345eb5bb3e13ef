// The explorer page: tabs, the model picker, and one function per view. Every view calls a JSON
// route of the server; nothing is loaded from the network besides this server.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const LABEL_COLOURS = ["#2f6fdf", "#e8590c", "#2b8a3e", "#c2255c", "#7048e8", "#0c8599", "#e67700", "#5c940d", "#862e9c", "#495057"];
  const ENTITY_COLOURS = { PER: "#ffd8a8", ORG: "#a5d8ff", LOC: "#b2f2bb", MISC: "#eebefa" };
  let models = [];

  async function api(path, body) {
    const response = await fetch(path, body === undefined ? {} : {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(data.error || ("HTTP " + response.status));
    return data;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function model() { return $("model").value; }

  function showError(target, error) {
    target.textContent = "";
    target.appendChild(el("span", { class: "error" }, error.message));
  }

  function bars(target, rows) {
    target.textContent = "";
    for (const row of rows) {
      const line = el("div", { class: "bar-row" });
      const bar = el("div", { class: "bar" });
      bar.style.width = (100 * Math.max(0, Math.min(1, row.score))).toFixed(1) + "%";
      const holder = el("div");
      holder.appendChild(bar);
      line.append(el("span", { class: "bar-label" }, row.label), holder, el("span", {}, (100 * row.score).toFixed(1) + "%"));
      target.appendChild(line);
    }
  }

  // Text with marked character spans: spans = [{start, end, className, attrs}] in order.
  function highlight(target, text, spans) {
    target.textContent = "";
    let at = 0;
    for (const span of spans) {
      if (span.start < at) continue;
      target.appendChild(document.createTextNode(text.slice(at, span.start)));
      const mark = el("mark", Object.assign({ class: span.className }, span.attrs), text.slice(span.start, span.end));
      if (span.colour) mark.style.background = span.colour;
      target.appendChild(mark);
      at = span.end;
    }
    target.appendChild(document.createTextNode(text.slice(at)));
  }

  // ---- attention
  async function showAttention() {
    const message = $("attn-message");
    message.textContent = "Computing…";
    try {
      const body = { text: $("attn-text").value, model: model(), max_tokens: +$("attn-max").value || 48, decimals: 4 };
      if ($("attn-pair").value.trim()) body.pair = $("attn-pair").value;
      const data = await api("/attention", body);
      message.textContent = "";
      window.BertkitAttention.render($("attn-output"), data);
    } catch (error) { showError(message, error); }
  }

  // ---- fill-mask
  async function tokenizeForMask() {
    const text = $("fm-text").value;
    const target = $("fm-tokens");
    try {
      const [tokens] = await api("/tokenize", { inputs: text, model: model() });
      target.textContent = "";
      for (const token of tokens) {
        if (token.special) continue;
        const chip = el("span", { class: "fm-token", "data-start": token.start, "data-stop": token.stop }, text.slice(token.start, token.stop));
        chip.addEventListener("click", () => {
          target.querySelectorAll(".fm-token").forEach((c) => c.classList.remove("masked"));
          chip.classList.add("masked");
          predictMask(text.slice(0, token.start) + "[MASK]" + text.slice(token.stop));
        });
        target.appendChild(chip);
      }
    } catch (error) { showError(target, error); }
  }

  async function predictMask(masked) {
    $("fm-masked").textContent = masked;
    const results = $("fm-results");
    try {
      let data = await api("/fill-mask", { inputs: masked, top_k: 10, model: model() });
      if (Array.isArray(data[0])) data = data[0]; // several masks: show the first
      bars(results, data.map((c) => ({ label: c.token_str, score: c.score })));
    } catch (error) { showError(results, error); }
  }

  // ---- tasks
  async function showEntities() {
    const text = $("ner-text").value;
    const target = $("ner-output");
    try {
      const entities = await api("/ner", { inputs: text, model: model() });
      highlight(target, text, entities.map((e) => ({
        start: e.start, end: e.end, className: "entity", colour: ENTITY_COLOURS[e.entity_group] || "#dee2e6",
        attrs: { "data-type": e.entity_group, "data-start": e.start, "data-end": e.end, title: e.entity_group + " " + (100 * e.score).toFixed(1) + "%" },
      })));
      if (!entities.length) target.appendChild(el("div", { class: "muted" }, "No entities found."));
    } catch (error) { showError(target, error); }
  }

  async function showAnswer() {
    const context = $("qa-context").value;
    const target = $("qa-output");
    try {
      const answer = await api("/qa", { question: $("qa-question").value, context, model: model() });
      if (!answer.answer) { target.textContent = "No answer (score " + answer.score.toFixed(3) + ")."; return; }
      highlight(target, context, [{ start: answer.start, end: answer.end, className: "answer", attrs: { "data-start": answer.start, "data-end": answer.end } }]);
      target.appendChild(el("div", { class: "muted" }, "score " + (100 * answer.score).toFixed(1) + "%"));
    } catch (error) { showError(target, error); }
  }

  async function showLabels() {
    const target = $("cls-output");
    try {
      const labels = await api("/predict", { inputs: $("cls-text").value, model: model() });
      bars(target, labels);
    } catch (error) { showError(target, error); }
  }

  // ---- embeddings
  let mapScale = null;

  function labelColour(label, labels) {
    if (label === null || label === undefined) return LABEL_COLOURS[0];
    return LABEL_COLOURS[labels.indexOf(label) % LABEL_COLOURS.length];
  }

  async function showMap() {
    const message = $("map-message");
    message.textContent = "Embedding…";
    const lines = $("map-texts").value.split("\n").filter((l) => l.trim());
    const body = { model: model() };
    if (lines.length) {
      body.texts = lines.map((l) => l.split("\t")[0]);
      if (lines.every((l) => l.includes("\t"))) body.labels = lines.map((l) => l.split("\t")[1]);
    }
    try {
      const data = await api("/map", body);
      drawMap(data);
      message.textContent = data.points.length + " points; the two axes hold " +
        (100 * (data.explained[0] + data.explained[1])).toFixed(1) + "% of the variance.";
    } catch (error) { showError(message, error); }
  }

  function drawMap(data) {
    const size = 480, pad = 16;
    const xs = data.points.map((p) => p.x), ys = data.points.map((p) => p.y);
    const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    const span = Math.max(x1 - x0, y1 - y0, 1e-9);
    mapScale = (x, y) => [pad + ((x - x0) / span) * (size - 2 * pad), size - pad - ((y - y0) / span) * (size - 2 * pad)];
    const labels = [...new Set(data.points.map((p) => p.label).filter((l) => l !== null))];
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("class", "map");
    svg.setAttribute("width", size);
    svg.setAttribute("height", size);
    data.points.forEach((p, i) => {
      const [cx, cy] = mapScale(p.x, p.y);
      const dot = document.createElementNS(svg.namespaceURI, "circle");
      for (const [k, v] of Object.entries({ cx, cy, r: 5, class: "map-point", "data-index": i, fill: labelColour(p.label, labels) })) dot.setAttribute(k, v);
      const tip = document.createElementNS(svg.namespaceURI, "title");
      tip.textContent = p.text;
      dot.appendChild(tip);
      dot.addEventListener("click", () => selectPoint(i, p));
      svg.appendChild(dot);
    });
    $("map").textContent = "";
    $("map").appendChild(svg);
    const legend = $("map-legend");
    legend.textContent = "";
    for (const label of labels) {
      const item = el("span");
      const swatch = el("span", { class: "head-swatch" });
      swatch.style.background = labelColour(label, labels);
      item.append(swatch, document.createTextNode(" " + label));
      legend.appendChild(item);
    }
  }

  function showNeighbours(title, result) {
    const detail = $("map-detail");
    detail.textContent = "";
    detail.classList.remove("muted");
    detail.appendChild(el("p", {}, title));
    detail.appendChild(el("div", { class: "muted" }, "Nearest neighbours (cosine):"));
    const list = el("ol", { class: "neighbours" });
    for (const n of result.neighbours) list.appendChild(el("li", {}, n.score.toFixed(3) + "  " + n.text + (n.label ? "  [" + n.label + "]" : "")));
    detail.appendChild(list);
  }

  async function selectPoint(i, point) {
    document.querySelectorAll("circle.map-point").forEach((c) => c.classList.toggle("selected", +c.dataset.index === i));
    try {
      showNeighbours(point.text + (point.label ? "  [" + point.label + "]" : ""), await api("/map/neighbours", { index: i, k: 5 }));
    } catch (error) { showError($("map-detail"), error); }
  }

  async function placeQuery() {
    const text = $("map-query").value;
    if (!text.trim() || !mapScale) return;
    try {
      const result = await api("/map/neighbours", { text, k: 5 });
      const svg = document.querySelector("svg.map");
      svg.querySelectorAll(".map-query").forEach((n) => n.remove());
      const [x, y] = mapScale(result.x, result.y);
      const star = document.createElementNS(svg.namespaceURI, "path");
      star.setAttribute("class", "map-query");
      star.setAttribute("d", "M" + x + " " + (y - 9) + " L" + (x + 3) + " " + (y - 3) + " L" + (x + 9) + " " + (y - 2) + " L" + (x + 4) + " " + (y + 3) + " L" + (x + 6) + " " + (y + 9) + " L" + x + " " + (y + 6) + " L" + (x - 6) + " " + (y + 9) + " L" + (x - 4) + " " + (y + 3) + " L" + (x - 9) + " " + (y - 2) + " L" + (x - 3) + " " + (y - 3) + " Z");
      svg.appendChild(star);
      showNeighbours("Query: " + text, result);
    } catch (error) { showError($("map-detail"), error); }
  }

  async function showSimilarity() {
    const texts = $("sim-texts").value.split("\n").filter((l) => l.trim());
    const target = $("sim-output");
    try {
      const data = await api("/similarity", { texts, model: model() });
      const table = el("table", { class: "sim" });
      const head = el("tr");
      head.appendChild(el("th"));
      data.texts.forEach((_, j) => head.appendChild(el("th", {}, "#" + (j + 1))));
      table.appendChild(head);
      data.matrix.forEach((row, i) => {
        const tr = el("tr");
        tr.appendChild(el("th", {}, "#" + (i + 1) + " " + data.texts[i]));
        row.forEach((v) => {
          const td = el("td", { class: "sim-cell" }, v.toFixed(2));
          const shade = Math.round(255 * (1 - Math.max(0, v)));
          td.style.background = "rgb(" + shade + "," + shade + ",255)";
          td.style.color = v > 0.6 ? "#fff" : "#000";
          tr.appendChild(td);
        });
        table.appendChild(tr);
      });
      target.textContent = "";
      target.appendChild(table);
    } catch (error) { showError(target, error); }
  }

  // ---- the page
  function switchView(name) {
    document.querySelectorAll("nav button").forEach((b) => b.classList.toggle("active", b.dataset.view === name));
    document.querySelectorAll("section.view").forEach((s) => s.classList.toggle("active", s.id === "view-" + name));
  }

  function describeModel() {
    const m = models.find((x) => x.name === model());
    $("model-info").textContent = m ? m.architecture + ", " + m.layers + " layers; serves " + m.tasks.join(", ") : "";
    if (window.BertkitApps) window.BertkitApps.showPanels(m ? m.tasks : []);
  }

  async function start() {
    document.querySelectorAll("nav button").forEach((b) => b.addEventListener("click", () => switchView(b.dataset.view)));
    $("attn-go").addEventListener("click", showAttention);
    $("fm-tokenize").addEventListener("click", tokenizeForMask);
    $("fm-predict").addEventListener("click", () => predictMask($("fm-text").value));
    $("ner-go").addEventListener("click", showEntities);
    $("qa-go").addEventListener("click", showAnswer);
    $("cls-go").addEventListener("click", showLabels);
    $("map-go").addEventListener("click", showMap);
    $("map-query-go").addEventListener("click", placeQuery);
    $("sim-go").addEventListener("click", showSimilarity);
    $("model").addEventListener("change", describeModel);
    const info = await api("/info");
    models = info.models;
    for (const m of models) $("model").appendChild(el("option", { value: m.name }, m.name));
    describeModel();
    document.body.dataset.ready = "true";
  }

  start().catch((error) => showError($("model-info"), error));
})();
