// Compensation pages: the run-review chart (this period against the last), the what-if
// comparison (totals and cost of sales by period, by tier, per person), and the plan editor's
// line gutter that marks the lines validation found problems on. Figures arrive as exact
// decimal strings; they become numbers only to draw.
(function () {
  "use strict";
  const font = getComputedStyle(document.body).fontFamily;
  const labels = JSON.parse((document.getElementById("comp-labels") || { textContent: "{}" }).textContent);
  const num = (v) => (v === null || v === undefined ? null : Number(v));
  const charts = [];
  const make = (id, option) => {
    const node = document.getElementById(id);
    if (!node || !window.echarts) return;
    const chart = echarts.init(node);
    chart.setOption(Object.assign({ textStyle: { fontFamily: font } }, option));
    charts.push(chart);
  };
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));

  const run = document.getElementById("comp-run-data");
  if (run) {
    const d = JSON.parse(run.textContent);
    make("run-chart", {
      tooltip: { trigger: "axis" }, legend: { data: [labels.this, labels.last] },
      grid: { left: 70, right: 16, bottom: 70, top: 36 },
      xAxis: { type: "category", data: d.people, axisLabel: { rotate: 45 } }, yAxis: { type: "value" },
      series: [
        { name: labels.this, type: "bar", data: d.totals.map(num), itemStyle: { color: "#c8102e" } },
        { name: labels.last, type: "bar", data: d.previous.map(num), itemStyle: { color: "#9aa5b1" } },
      ],
    });
  }

  const what = document.getElementById("comp-whatif-data");
  if (what) {
    const d = JSON.parse(what.textContent);
    const periods = d.periods.map((p) => p.period);
    const pct = (v) => (v === null ? null : Math.round(Number(v) * 10000) / 100);
    make("whatif-chart", {
      tooltip: { trigger: "axis" }, legend: { data: [labels.baseline, labels.draft, labels.cos + " (" + labels.baseline + ")", labels.cos + " (" + labels.draft + ")"] },
      grid: { left: 70, right: 56, bottom: 40, top: 56 },
      xAxis: { type: "category", data: periods },
      yAxis: [{ type: "value" }, { type: "value", axisLabel: { formatter: "{value}%" } }],
      series: [
        { name: labels.baseline, type: "bar", data: d.periods.map((p) => num(p.baseline)), itemStyle: { color: "#1f6fd1" } },
        { name: labels.draft, type: "bar", data: d.periods.map((p) => num(p.draft)), itemStyle: { color: "#c8102e" } },
        { name: labels.cos + " (" + labels.baseline + ")", type: "line", yAxisIndex: 1, data: d.periods.map((p) => pct(p.baseline_cost_of_sales)), itemStyle: { color: "#1f6fd1" } },
        { name: labels.cos + " (" + labels.draft + ")", type: "line", yAxisIndex: 1, data: d.periods.map((p) => pct(p.draft_cost_of_sales)), itemStyle: { color: "#c8102e" } },
      ],
    });
    make("whatif-tiers", {
      tooltip: { trigger: "axis" }, legend: { data: [labels.baseline, labels.draft] },
      grid: { left: 70, right: 16, bottom: 30, top: 36 },
      xAxis: { type: "category", data: d.tiers.map((t) => t.tier) }, yAxis: { type: "value" },
      series: [
        { name: labels.baseline, type: "bar", data: d.tiers.map((t) => num(t.baseline)), itemStyle: { color: "#1f6fd1" } },
        { name: labels.draft, type: "bar", data: d.tiers.map((t) => num(t.draft)), itemStyle: { color: "#c8102e" } },
      ],
    });
    const people = d.people.slice().sort((a, b) => num(b.draft) - num(a.draft)).slice(0, 60);
    make("whatif-people", {
      tooltip: { trigger: "axis" }, legend: { data: [labels.baseline, labels.draft] },
      grid: { left: 70, right: 16, bottom: 80, top: 36 },
      xAxis: { type: "category", data: people.map((p) => p.name), axisLabel: { rotate: 45 } }, yAxis: { type: "value" },
      series: [
        { name: labels.baseline, type: "bar", data: people.map((p) => num(p.baseline)), itemStyle: { color: "#1f6fd1" } },
        { name: labels.draft, type: "bar", data: people.map((p) => num(p.draft)), itemStyle: { color: "#c8102e" } },
      ],
    });
  }

  // Plan editor: a line-number gutter beside the text; lines with a problem are marked.
  const text = document.getElementById("plan-text");
  if (text) {
    const gutter = document.createElement("pre");
    gutter.className = "cp-gutter";
    gutter.setAttribute("aria-hidden", "true");
    text.parentNode.insertBefore(gutter, text);
    const draw = () => {
      const bad = new Set(Array.from(document.querySelectorAll("#plan-issues li, [data-testid=plan-issues] li"))
        .map((li) => Number(li.dataset.line)).filter((n) => n > 0));
      const n = text.value.split("\n").length;
      gutter.innerHTML = Array.from({ length: n }, (_, i) => (bad.has(i + 1) ? '<span class="bad">' + (i + 1) + "</span>" : String(i + 1))).join("\n");
      gutter.scrollTop = text.scrollTop;
    };
    text.addEventListener("input", draw);
    text.addEventListener("scroll", () => { gutter.scrollTop = text.scrollTop; });
    document.body.addEventListener("htmx:afterSwap", draw);
    draw();
  }
})();
