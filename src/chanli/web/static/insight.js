// Insight pages: draws the war room's panels — again each time HTMX swaps a refreshed panel in —
// and the funnel, market, call and demand charts, from the JSON the server rendered beside them.
// Amounts and rates arrive as exact decimal strings; they become numbers only to draw.
// Clicking a bar or a funnel step opens the records behind it.
(function () {
  "use strict";
  const labelsNode = document.getElementById("insight-labels");
  const L = labelsNode ? JSON.parse(labelsNode.textContent) : { stages: {} };
  const zh = L.locale === "zh_CN";
  const font = getComputedStyle(document.body).fontFamily;
  const axisLabel = { color: "#7b8794", fontFamily: font };
  const splitLine = { lineStyle: { color: "#f0f2f5" } };
  const num = (v) => (v === null || v === undefined ? null : Number(v));
  const compact = (v) => {
    if (v === null || v === undefined) return "—";
    if (zh) return Math.abs(v) >= 1e8 ? (v / 1e8).toFixed(2) + "亿" : Math.abs(v) >= 1e4 ? (v / 1e4).toFixed(1) + "万" : String(v);
    return Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(2) + "M" : Math.abs(v) >= 1e3 ? (v / 1e3).toFixed(1) + "k" : String(v);
  };
  const pct = (v) => (v === null || v === undefined ? "—" : (Number(v) * 100).toFixed(1) + "%");
  const state = (window.chanliInsight = { swaps: 0, draws: 0, charts: [] });

  function grid(extra) {
    return Object.assign({ left: 8, right: 12, top: 28, bottom: 8, containLabel: true }, extra || {});
  }

  const drawers = {
    funnel(d) {
      const g = d.group;
      if (!g) return null;
      return {
        option: {
          tooltip: { trigger: "item", formatter: (p) => `${p.name}: ${p.value}` },
          series: [{
            type: "funnel", sort: "none", left: 8, right: 8, top: 4, bottom: 4, gap: 2, minSize: "18%",
            label: { show: true, position: "inside", color: "#fff", formatter: (p) => `${p.name} ${p.value}` },
            data: g.stages.map((st, i) => ({ name: L.stages[st.stage] || st.stage, value: st.reached, code: st.stage,
              itemStyle: { color: ["#1f6fd1", "#4150b5", "#b7791f", "#6b4fbb", "#1e8e4f"][i % 5] } })),
          }],
        },
        click: (p) => { window.location.href = "/opportunities?stage=" + encodeURIComponent(p.data.code); },
      };
    },
    forecast(d) {
      const rows = d.rows || [];
      return {
        option: {
          tooltip: { trigger: "axis", valueFormatter: compact },
          legend: { top: 0, right: 0, data: [L.wonToDate, L.weighted, L.history] },
          grid: grid(),
          xAxis: { type: "category", data: rows.map((r) => r.name), axisLabel },
          yAxis: { type: "value", axisLabel: { ...axisLabel, formatter: compact }, splitLine },
          series: [
            { name: L.wonToDate, type: "bar", data: rows.map((r) => num(r.forecast.won_to_date)), itemStyle: { color: "#c8102e" } },
            { name: L.weighted, type: "bar", data: rows.map((r) => num(r.forecast.pipeline_weighted)), itemStyle: { color: "#b7791f" } },
            { name: L.history, type: "bar", data: rows.map((r) => num(r.forecast.history_based)), itemStyle: { color: "#1f6fd1" } },
          ],
        },
        click: (p) => { window.location.href = `/opportunities?owner_id=${rows[p.dataIndex].owner_id}&status=open`; },
      };
    },
    risk(d) {
      const bands = (d.risk && d.risk.bands) || [];
      return {
        option: {
          tooltip: { trigger: "axis" }, grid: grid({ top: 8 }),
          xAxis: { type: "category", data: bands.map((b) => b.band), axisLabel },
          yAxis: { type: "value", axisLabel, splitLine, minInterval: 1 },
          series: [{ name: L.accounts, type: "bar", data: bands.map((b, i) => ({ value: b.accounts,
            itemStyle: { color: ["#1e8e4f", "#7b8794", "#b7791f", "#e8495f", "#c8102e"][i] } })) }],
        },
        click: () => { window.location.href = "/insight/churn"; },
      };
    },
    emotion(d) {
      const t = d.trend || [];
      return {
        option: {
          tooltip: { trigger: "axis" }, legend: { top: 0, right: 0, data: [L.score, L.negative] }, grid: grid(),
          xAxis: { type: "category", data: t.map((m) => m.month), axisLabel },
          yAxis: [{ type: "value", min: -1, max: 1, axisLabel, splitLine }, { type: "value", min: 0, max: 1, axisLabel: { ...axisLabel, formatter: (v) => v * 100 + "%" } }],
          series: [
            { name: L.score, type: "line", data: t.map((m) => num(m.mean_customer_score)), itemStyle: { color: "#1f6fd1" } },
            { name: L.negative, type: "bar", yAxisIndex: 1, data: t.map((m) => num(m.negative_share)), itemStyle: { color: "#e8495f" }, barMaxWidth: 18 },
          ],
        },
        click: () => { window.location.href = "/insight/calls?emotion=" + encodeURIComponent("消极"); },
      };
    },
    demand(d) {
      const cs = ((d.view && d.view.clusters) || []).slice(0, 8);
      return {
        option: {
          tooltip: { trigger: "axis" }, grid: grid({ top: 4, right: 24 }),
          xAxis: { type: "value", axisLabel, splitLine, minInterval: 1 },
          yAxis: { type: "category", inverse: true, data: cs.map((c) => c.name), axisLabel: { ...axisLabel, color: "#3e4c59" } },
          series: [{ name: L.needs, type: "bar", data: cs.map((c) => c.in_period), itemStyle: { color: "#6b4fbb", borderRadius: [0, 4, 4, 0] }, barMaxWidth: 16 }],
        },
        click: (p) => { window.location.href = "/insight/demand/" + cs[p.dataIndex].id; },
      };
    },
    saturation(d) {
      const rs = d.regions || [];
      return {
        option: {
          tooltip: { trigger: "axis", valueFormatter: (v) => pct(v) }, grid: grid({ top: 8 }),
          xAxis: { type: "category", data: rs.map((r) => r.region), axisLabel },
          yAxis: { type: "value", axisLabel: { ...axisLabel, formatter: (v) => Math.round(v * 100) + "%" }, splitLine },
          series: [{ name: L.penetration, type: "bar", data: rs.map((r) => num(r.penetration)), itemStyle: { color: "#1e8e4f" }, barMaxWidth: 28 }],
        },
        click: () => { window.location.href = "/insight/market#saturation"; },
      };
    },
    competitors(d) {
      const w = d.win_rates || d.wins || [];
      const months = w.map((m) => m.month);
      const marks = (d.events || []).map((e) => ({
        coord: [e.happened_on.slice(0, 7), null], name: e.competitor,
        value: e.competitor, tip: `${e.happened_on} ${e.competitor}: ${e.description}`,
      })).filter((m) => months.includes(m.coord[0]));
      const rate = w.map((m) => num(m.win_rate));
      marks.forEach((m) => { m.coord[1] = rate[months.indexOf(m.coord[0])] || 0; });
      return {
        option: {
          tooltip: { trigger: "axis" }, legend: { top: 0, right: 0, data: [L.winRate, L.lostToCompetitor] }, grid: grid(),
          xAxis: { type: "category", data: months, axisLabel },
          yAxis: [{ type: "value", min: 0, max: 1, axisLabel: { ...axisLabel, formatter: (v) => Math.round(v * 100) + "%" }, splitLine },
                  { type: "value", axisLabel, minInterval: 1 }],
          series: [
            { name: L.winRate, type: "line", data: rate, itemStyle: { color: "#1f6fd1" },
              markPoint: { symbol: "pin", symbolSize: 34, itemStyle: { color: "#c8102e" }, label: { fontSize: 9, formatter: (p) => p.name.slice(0, 2) },
                           tooltip: { formatter: (p) => p.data.tip }, data: marks } },
            { name: L.lostToCompetitor, type: "bar", yAxisIndex: 1, data: w.map((m) => m.lost_to_competitor), itemStyle: { color: "#e8495f" }, barMaxWidth: 14 },
          ],
        },
        click: () => { window.location.href = "/opportunities?status=lost"; },
      };
    },
    roi(d) {
      const rs = (d.rows || []).filter((r) => Number(r.spend) > 0);
      return {
        option: {
          tooltip: { trigger: "axis", valueFormatter: (v) => pct(v) }, grid: grid({ top: 8 }),
          xAxis: { type: "category", data: rs.map((r) => r.channel), axisLabel },
          yAxis: { type: "value", axisLabel: { ...axisLabel, formatter: (v) => Math.round(v * 100) + "%" }, splitLine },
          series: [{ name: L.roi, type: "bar", data: rs.map((r) => num(r.roi)), itemStyle: { color: "#b7791f" }, barMaxWidth: 28 }],
        },
        click: () => { window.location.href = "/insight/market#roi"; },
      };
    },
    "funnel-groups"(d) {
      const gs = d.groups || [];
      const name = (k) => (d.names && d.names[k]) || k;
      return {
        option: {
          tooltip: { trigger: "axis", valueFormatter: (v) => pct(v) }, grid: grid({ top: 8 }),
          xAxis: { type: "category", data: gs.map((g) => name(g.key)), axisLabel: { ...axisLabel, rotate: gs.length > 8 ? 30 : 0 } },
          yAxis: { type: "value", min: 0, max: 1, axisLabel: { ...axisLabel, formatter: (v) => Math.round(v * 100) + "%" }, splitLine },
          series: [{ name: L.winRate, type: "bar", data: gs.map((g) => num(g.win_rate)), itemStyle: { color: "#c8102e" }, barMaxWidth: 28 }],
        },
      };
    },
    penetration(d) {
      const pts = d.trend || [];
      const months = [...new Set(pts.map((p) => p.month))];
      const regions = [...new Set(pts.map((p) => p.region))];
      return {
        option: {
          tooltip: { trigger: "axis" }, legend: { top: 0, right: 0, data: regions }, grid: grid(),
          xAxis: { type: "category", data: months, axisLabel },
          yAxis: { type: "value", axisLabel, splitLine, minInterval: 1, name: L.customers },
          series: regions.map((r) => ({ name: r, type: "line", data: months.map((m) => (pts.find((p) => p.region === r && p.month === m) || {}).customers || 0) })),
        },
      };
    },
    trajectory(d) {
      const us = d.utterances || [];
      return {
        option: {
          tooltip: { trigger: "axis", formatter: (ps) => { const u = us[ps[0].dataIndex]; return `${u.speaker}: ${u.text}<br>${u.score}`; } },
          grid: grid({ top: 8 }),
          xAxis: { type: "category", data: us.map((u, i) => `${i + 1}`), axisLabel },
          yAxis: { type: "value", min: -1, max: 1, axisLabel, splitLine },
          series: [{ name: L.utterance, type: "line", data: us.map((u) => ({ value: u.score, itemStyle: { color: u.role === "customer" ? "#c8102e" : "#1f6fd1" } })), symbolSize: 9, lineStyle: { color: "#cbd2d9" } }],
        },
      };
    },
    "demand-trend"(d) {
      const months = d.months || [];
      const trend = (d.cluster && d.cluster.trend) || {};
      return {
        option: {
          tooltip: { trigger: "axis" }, grid: grid({ top: 8 }),
          xAxis: { type: "category", data: months, axisLabel },
          yAxis: { type: "value", axisLabel, splitLine, minInterval: 1 },
          series: [{ name: L.needs, type: "bar", data: months.map((m) => trend[m] || 0), itemStyle: { color: "#6b4fbb" }, barMaxWidth: 24 }],
        },
      };
    },
  };

  function dataFor(node) {
    const panel = node.closest(".wr-panel");
    const script = panel ? panel.querySelector("script.wr-data") : document.querySelector("script.in-data");
    return script ? JSON.parse(script.textContent) : {};
  }

  function render(root) {
    if (!window.echarts || !root || !root.querySelectorAll) return;
    const nodes = root.matches && root.matches("[data-chart]") ? [root] : [];
    root.querySelectorAll("[data-chart]").forEach((n) => nodes.push(n));
    nodes.forEach((node) => {
      const drawer = drawers[node.dataset.chart];
      if (!drawer) return;
      const spec = drawer(dataFor(node));
      if (!spec) return;
      const old = echarts.getInstanceByDom(node);
      if (old) old.dispose();
      const chart = echarts.init(node);
      chart.setOption({ textStyle: { fontFamily: font }, animation: false, ...spec.option });
      if (spec.click) chart.on("click", spec.click);
      state.charts = state.charts.filter((c) => !c.isDisposed() && document.body.contains(c.getDom()));
      state.charts.push(chart);
      state.draws += 1;
    });
  }

  // A refreshed panel replaces the old one (outerHTML): free the old charts, draw the new ones.
  document.addEventListener("htmx:beforeSwap", (evt) => {
    const target = evt.detail.target;
    if (target && target.querySelectorAll && window.echarts) {
      target.querySelectorAll("[data-chart]").forEach((n) => { const c = echarts.getInstanceByDom(n); if (c) c.dispose(); });
    }
  });
  document.addEventListener("htmx:load", (evt) => {
    const elt = evt.detail.elt;
    if (!elt || elt === document.body) return;
    if (elt.classList && elt.classList.contains("wr-panel")) state.swaps += 1;
    render(elt);
  });
  render(document.body);
  window.addEventListener("resize", () => state.charts.forEach((c) => { if (!c.isDisposed()) c.resize(); }));
})();
