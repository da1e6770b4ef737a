// Draws the home dashboard's charts from the JSON the server rendered into the page.
// Amounts arrive as exact decimal strings; they become numbers only for drawing.
(function () {
  "use strict";
  const el = document.getElementById("dashboard-data");
  if (!el || !window.echarts) return;
  const d = JSON.parse(el.textContent);
  const zh = d.locale === "zh_CN";
  const num = (xs) => xs.map(Number);
  const money = new Intl.NumberFormat(zh ? "zh-CN" : "en", { style: "currency", currency: "CNY", maximumFractionDigits: 0 });
  const compact = (v) => {
    if (zh) return Math.abs(v) >= 1e8 ? (v / 1e8).toFixed(1) + "亿" : Math.abs(v) >= 1e4 ? (v / 1e4).toLocaleString("zh-CN") + "万" : String(v);
    return Math.abs(v) >= 1e6 ? (v / 1e6).toFixed(1) + "M" : Math.abs(v) >= 1e3 ? (v / 1e3).toFixed(0) + "k" : String(v);
  };
  const font = getComputedStyle(document.body).fontFamily;
  const axisLabel = { color: "#7b8794", fontFamily: font };
  const splitLine = { lineStyle: { color: "#f0f2f5" } };

  const monthly = echarts.init(document.getElementById("chart-monthly"));
  monthly.setOption({
    textStyle: { fontFamily: font },
    tooltip: { trigger: "axis", valueFormatter: (v) => money.format(v) },
    legend: { data: [d.labels.won, d.labels.collected], top: 0, right: 0, textStyle: { color: "#3e4c59" } },
    grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
    xAxis: { type: "category", data: d.months, axisLabel, axisTick: { alignWithLabel: true }, axisLine: { lineStyle: { color: "#e4e7eb" } } },
    yAxis: { type: "value", axisLabel: { ...axisLabel, formatter: compact }, splitLine },
    series: [
      { name: d.labels.won, type: "bar", data: num(d.won), barMaxWidth: 28,
        itemStyle: { color: "#c8102e", borderRadius: [4, 4, 0, 0] } },
      { name: d.labels.collected, type: "line", data: num(d.collected), symbolSize: 6,
        itemStyle: { color: "#1f6fd1" }, lineStyle: { width: 2 } },
    ],
  });

  const colors = { prospecting: "#1f6fd1", discovery: "#4150b5", proposal: "#b7791f", negotiation: "#6b4fbb" };
  const pipe = echarts.init(document.getElementById("chart-pipeline"));
  pipe.setOption({
    textStyle: { fontFamily: font },
    tooltip: {
      trigger: "item",
      formatter: (p) => `${p.name}<br>${d.labels.amount}: ${money.format(p.value)}<br>${d.labels.count}: ${d.stageCounts[p.dataIndex]}`,
    },
    grid: { left: 8, right: 56, top: 8, bottom: 8, containLabel: true },
    xAxis: { type: "value", axisLabel: { ...axisLabel, formatter: compact }, splitLine },
    yAxis: { type: "category", inverse: true, data: d.stages, axisLabel: { ...axisLabel, color: "#3e4c59" }, axisTick: { show: false }, axisLine: { show: false } },
    series: [{
      type: "bar", barMaxWidth: 26,
      data: d.stageAmounts.map((a, i) => ({ value: Number(a), itemStyle: { color: colors[d.stageCodes[i]] || "#7b8794", borderRadius: [0, 4, 4, 0] } })),
      label: { show: true, position: "right", color: "#3e4c59", formatter: (p) => String(d.stageCounts[p.dataIndex]) },
    }],
  });

  window.chanliCharts = { monthly, pipe, data: d };
  window.addEventListener("resize", () => { monthly.resize(); pipe.resize(); });
})();
