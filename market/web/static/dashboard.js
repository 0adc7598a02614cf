// Draws the supply-demand dashboard's charts with Apache ECharts from the numbers the page carries
// in its JSON block (#chart-data); each chart's table beside it holds the same numbers, so without
// JavaScript (or without ECharts) nothing is lost. No inline script: the page's CSP forbids it.
(function () {
  "use strict";
  var block = document.getElementById("chart-data");
  if (!block || typeof echarts === "undefined") {
    return;
  }
  var page = JSON.parse(block.textContent);
  var palette = ["#1d70b8", "#d4351c", "#00703c", "#f47738", "#4c2c92", "#85994b", "#912b88", "#28a197"];

  function axisFor(chart, percent) {
    return {
      type: "value",
      axisLabel: { formatter: percent ? "{value}%" : undefined },
    };
  }

  function options(chart) {
    var percentAxis = chart.series.some(function (s) { return s.percent && s.axis === 1; });
    var allPercent = chart.series.every(function (s) { return s.percent; });
    var values = [axisFor(chart, allPercent)];
    if (percentAxis) {
      values.push(axisFor(chart, true));
    }
    var category = {
      type: "category",
      data: chart.categories,
      axisLabel: chart.horizontal ? { width: 220, overflow: "truncate" } : { hideOverlap: true },
      inverse: chart.horizontal,
    };
    var series = chart.series.map(function (s) {
      var one = { name: s.name, type: s.type, data: s.data, emphasis: { focus: "series" } };
      if (s.stack) { one.stack = s.stack; }
      if (s.axis && !chart.horizontal) { one.yAxisIndex = s.axis; }
      if (s.type === "line") { one.smooth = false; one.symbolSize = 6; }
      return one;
    });
    return {
      color: palette,
      animation: false,
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: chart.horizontal ? 230 : 60, right: percentAxis ? 60 : 24, top: 40, bottom: 40 },
      xAxis: chart.horizontal ? values[0] : category,
      yAxis: chart.horizontal ? category : values,
      series: series,
    };
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var chart = page.charts[element.getAttribute("data-chart")];
    if (!chart || chart.categories.length === 0) {
      return;
    }
    if (chart.horizontal) {
      element.classList.add("tall-" + Math.min(4, Math.ceil(chart.categories.length / 8)));
    }
    var drawn = echarts.init(element, null, { locale: page.locale, renderer: "canvas" });
    drawn.setOption(options(chart));
    window.addEventListener("resize", function () { drawn.resize(); });
  });
})();
