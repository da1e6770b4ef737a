// Targets pages: pacing gauges and trend lines (my targets), the team gauge (team pacing).
// Figures arrive as exact decimal strings in #targets-data; they become numbers only to draw.
(function () {
  "use strict";
  const el = document.getElementById("targets-data");
  if (!el || !window.echarts) return;
  const d = JSON.parse(el.textContent);
  const labels = JSON.parse((document.getElementById("targets-labels") || { textContent: "{}" }).textContent);
  const zh = d.locale === "zh_CN";
  const font = getComputedStyle(document.body).fontFamily;
  const colours = { ahead: "#1e8e4f", on_track: "#1f6fd1", behind: "#b7791f", at_risk: "#c8102e" };
  const num = (v) => (v === null || v === undefined ? null : Number(v));
  const compact = (v) => {
    if (v === null) return "—";
    if (zh) return Math.abs(v) >= 1e8 ? (v / 1e8).toFixed(2) + "亿" : Math.abs(v) >= 1e4 ? (v / 1e4).toFixed(1) + "万" : String(v);
    return Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(2) + "M" : Math.abs(v) >= 1e3 ? (v / 1e3).toFixed(1) + "k" : String(v);
  };
  const charts = [];

  // A gauge of attainment (actual ÷ target, in %), with the expected-by-now share marked on the dial.
  function gauge(node, target, actual, expected, status, title) {
    const t = num(target), a = num(actual) || 0, e = num(expected);
    const pct = t ? Math.round((a / t) * 1000) / 10 : 0;
    const expPct = t && e !== null ? Math.min(150, Math.round((e / t) * 1000) / 10) : null;
    const chart = echarts.init(node);
    chart.setOption({
      textStyle: { fontFamily: font },
      series: [{
        type: "gauge", min: 0, max: 150, startAngle: 210, endAngle: -30, radius: "92%",
        progress: { show: true, width: 12, itemStyle: { color: colours[status] || "#7b8794" } },
        axisLine: { lineStyle: { width: 12, color: [[1, "#eef1f5"]] } },
        axisTick: { show: false }, splitLine: { length: 6, lineStyle: { color: "#cbd2d9" } },
        axisLabel: { distance: 14, color: "#7b8794", fontSize: 10, formatter: (v) => (v % 50 === 0 ? v + "%" : "") },
        pointer: { show: false }, anchor: { show: false },
        title: { offsetCenter: [0, "62%"], fontSize: 12, color: "#3e4c59" },
        // the arc stops at 150 %; the figure in the middle is the real attainment
        detail: { valueAnimation: false, offsetCenter: [0, "8%"], fontSize: 22, fontWeight: 700,
                  formatter: () => (t ? pct + "%" : "—"), color: colours[status] || "#3e4c59" },
        data: [{ value: Math.min(pct, 150), name: title }],
      }, expPct === null ? null : {
        type: "gauge", min: 0, max: 150, startAngle: 210, endAngle: -30, radius: "92%",
        axisLine: { show: false }, axisTick: { show: false }, splitLine: { show: false }, axisLabel: { show: false },
        pointer: { show: true, length: "18%", width: 3, offsetCenter: [0, "-74%"], itemStyle: { color: "#3e4c59" } },
        anchor: { show: false }, title: { show: false }, detail: { show: false },
        data: [{ value: expPct }],
      }].filter(Boolean),
    });
    charts.push(chart);
    return { chart, attainment: pct, expected: expPct };
  }

  const gauges = {};
  for (const m of d.metrics || []) {
    gauges[m.code] = m.periods.map((p, i) => {
      const node = document.getElementById(`gauge-${m.code}-${i}`);
      return node ? gauge(node, p.target, p.actual, p.expected, p.status, p.period) : null;
    });
    const trendNode = document.getElementById(`trend-${m.code}`);
    if (trendNode) {
      const trend = echarts.init(trendNode);
      trend.setOption({
        textStyle: { fontFamily: font },
        tooltip: { trigger: "axis", valueFormatter: (v) => compact(v) },
        legend: { data: [labels.target, labels.actual], top: 0, right: 0 },
        grid: { left: 8, right: 12, top: 32, bottom: 8, containLabel: true },
        xAxis: { type: "category", data: m.trend.months, axisLabel: { color: "#7b8794" } },
        yAxis: { type: "value", axisLabel: { color: "#7b8794", formatter: compact }, splitLine: { lineStyle: { color: "#f0f2f5" } } },
        series: [
          { name: labels.target, type: "line", step: "middle", data: m.trend.target.map(num), lineStyle: { type: "dashed", color: "#7b8794" }, itemStyle: { color: "#7b8794" } },
          { name: labels.actual, type: "bar", data: m.trend.actual.map(num), barMaxWidth: 22, itemStyle: { color: "#c8102e", borderRadius: [3, 3, 0, 0] } },
        ],
      });
      charts.push(trend);
      gauges[m.code].trend = trend;
    }
  }

  const boardNode = document.getElementById("board-gauge");
  if (boardNode && d.team) {
    gauges.team = gauge(boardNode, d.team.target, d.team.actual, d.team.expected, d.team.status, d.team.label);
  }

  window.chanliTargets = { gauges, data: d };
  window.addEventListener("resize", () => charts.forEach((c) => c.resize()));
})();
