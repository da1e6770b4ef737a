// Draws the home dashboard's charts from the JSON the server rendered into the page.
(function () {
  const el = document.getElementById("dashboard-data");
  if (!el || !window.echarts) return;
  const d = JSON.parse(el.textContent);
  const num = (xs) => xs.map(Number);
  const monthly = echarts.init(document.getElementById("chart-monthly"));
  monthly.setOption({
    tooltip: { trigger: "axis" },
    legend: { data: [d.labels.won, d.labels.collected] },
    grid: { left: 70, right: 20, top: 40, bottom: 30 },
    xAxis: { type: "category", data: d.months },
    yAxis: { type: "value" },
    series: [
      { name: d.labels.won, type: "bar", data: num(d.won), itemStyle: { color: "#c0392b" } },
      { name: d.labels.collected, type: "line", data: num(d.collected), itemStyle: { color: "#2c7be5" } },
    ],
  });
  const pipe = echarts.init(document.getElementById("chart-pipeline"));
  pipe.setOption({
    tooltip: { trigger: "item" },
    series: [{ type: "funnel", sort: "none", left: "10%", width: "80%", label: { formatter: "{b}" },
      data: d.stages.map((s, i) => ({ name: s, value: Number(d.stageAmounts[i]) })) }],
  });
  window.chanliCharts = { monthly, pipe, data: d };
  window.addEventListener("resize", () => { monthly.resize(); pipe.resize(); });
})();
