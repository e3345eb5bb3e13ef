// The Applications view: summaries, BERTScore, near-duplicates, next sentence and token vectors.
// Each panel names the task it needs (data-needs); the page shows it when the chosen model
// serves that task (/info), and each calls the server's own route.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);

  async function api(path, body) {
    const response = await fetch(path, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json();
    if (!response.ok) throw new Error(response.status === 404 ? path + " is not served here" : (data.error || ("HTTP " + response.status)));
    return data;
  }

  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function model() { return $("model").value; }

  function fail(target, error) {
    target.textContent = "";
    target.appendChild(el("span", { class: "error" }, error.message));
  }

  function lines(id) { return $(id).value.split("\n").filter((l) => l.trim()); }

  // Show only the panels whose task the model serves; `tasks` is the model's list from /info.
  function showPanels(tasks) {
    let shown = 0;
    document.querySelectorAll("#view-apps [data-needs]").forEach((panel) => {
      const ok = tasks.includes(panel.dataset.needs);
      panel.hidden = !ok;
      shown += ok ? 1 : 0;
    });
    $("apps-none").hidden = shown > 0;
  }

  async function summarize() {
    const text = $("sum-text").value;
    const target = $("sum-output");
    try {
      const chosen = await api("/summarize", { inputs: text, sentences: +$("sum-k").value || 2, model: model() });
      target.textContent = "";
      let at = 0;
      for (const s of chosen) {
        target.appendChild(document.createTextNode(text.slice(at, s.start)));
        target.appendChild(el("mark", { class: "summary", "data-start": s.start, "data-end": s.end, title: "centrality " + s.score.toFixed(3) }, text.slice(s.start, s.end)));
        at = s.end;
      }
      target.appendChild(document.createTextNode(text.slice(at)));
    } catch (error) { fail(target, error); }
  }

  async function bertscore() {
    const target = $("bs-output");
    try {
      const data = await api("/score", {
        candidates: [$("bs-candidate").value], references: [$("bs-reference").value],
        idf: $("bs-idf").checked, model: model(),
      });
      const [s] = data.scores;
      target.textContent = "";
      for (const [name, value] of [["precision", s.precision], ["recall", s.recall], ["F1", s.f1]]) {
        target.appendChild(el("div", { class: "score-row", "data-measure": name }, name + " " + value.toFixed(4)));
      }
    } catch (error) { fail(target, error); }
  }

  async function dedup() {
    const texts = lines("dd-texts");
    const target = $("dd-output");
    try {
      const data = await api("/dedup", { inputs: texts, threshold: +$("dd-threshold").value, model: model() });
      target.textContent = "";
      target.appendChild(el("div", { class: "muted" }, data.pairs.length + " pairs, " + data.clusters.length + " groups"));
      for (const cluster of data.clusters) {
        const list = el("ul", { class: "dup-cluster" });
        for (const i of cluster) list.appendChild(el("li", {}, texts[i]));
        target.appendChild(list);
      }
    } catch (error) { fail(target, error); }
  }

  async function nextSentence() {
    const candidates = lines("ns-candidates");
    const target = $("ns-output");
    try {
      const ranked = await api("/next-sentence", { text: $("ns-a").value, candidates, model: model() });
      target.textContent = "";
      for (const c of ranked) target.appendChild(el("div", { class: "ns-row" }, (100 * c.score).toFixed(1) + "%  " + c.text));
    } catch (error) { fail(target, error); }
  }

  async function tokenVectors() {
    const text = $("tv-text").value;
    const target = $("tv-output");
    try {
      const [[tokens], [vectors]] = await Promise.all([
        api("/tokenize", { inputs: text, model: model() }),
        api("/embed_all", { inputs: text, model: model(), truncate: true }),
      ]);
      const table = el("table", { class: "sim" });
      const head = el("tr");
      for (const name of ["token", "norm", "first values"]) head.appendChild(el("th", {}, name));
      table.appendChild(head);
      vectors.forEach((v, i) => {
        const tr = el("tr", { class: "tv-row" });
        const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
        tr.append(el("td", {}, tokens[i] ? tokens[i].text : "?"), el("td", {}, norm.toFixed(2)),
          el("td", {}, v.slice(0, 4).map((x) => x.toFixed(3)).join("  ") + "  … (" + v.length + ")"));
        table.appendChild(tr);
      });
      target.textContent = "";
      target.appendChild(table);
    } catch (error) { fail(target, error); }
  }

  function start() {
    $("sum-go").addEventListener("click", summarize);
    $("bs-go").addEventListener("click", bertscore);
    $("dd-go").addEventListener("click", dedup);
    $("ns-go").addEventListener("click", nextSentence);
    $("tv-go").addEventListener("click", tokenVectors);
  }

  window.BertkitApps = { showPanels };
  start();
})();
