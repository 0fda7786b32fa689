/* django-nanobanana usage dashboard: three charts drawn with the vendored Chart.js. */
(function () {
  "use strict";
  function numbers(values) { return values.map(function (v) { return parseFloat(v); }); }
  var palette = ["#417690", "#e6a700", "#2e7d32", "#ba2121", "#79aec8", "#8e44ad", "#555"];

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas || typeof Chart === "undefined") { return; }
    config.options = Object.assign({animation: false, responsive: true,
                                    maintainAspectRatio: false}, config.options || {});
    new Chart(canvas, config);
    canvas.dataset.drawn = "1";
  }

  document.addEventListener("DOMContentLoaded", function () {
    var node = document.getElementById("nb-chart-data");
    if (!node) { return; }
    var data = JSON.parse(node.textContent);
    draw("nb-chart-day", {
      type: "bar",
      data: {labels: data.day.labels, datasets: [
        {label: data.day.label_cost, data: numbers(data.day.cost), backgroundColor: palette[0],
         yAxisID: "y"},
        {label: data.day.label_images, data: data.day.images, type: "line",
         borderColor: palette[1], backgroundColor: palette[1], yAxisID: "y1"}
      ]},
      options: {scales: {y: {beginAtZero: true, position: "left"},
                         y1: {beginAtZero: true, position: "right", grid: {drawOnChartArea: false}}}}
    });
    draw("nb-chart-user", {
      type: "bar",
      data: {labels: data.user.labels, datasets: [
        {label: data.user.label_cost, data: numbers(data.user.cost), backgroundColor: palette[2]}
      ]},
      options: {indexAxis: "y", scales: {x: {beginAtZero: true}}}
    });
    draw("nb-chart-model", {
      type: "doughnut",
      data: {labels: data.model.labels, datasets: [
        {label: data.model.label_cost, data: numbers(data.model.cost), backgroundColor: palette}
      ]}
    });
    document.body.dataset.chartsDrawn = "1";
  });
})();
