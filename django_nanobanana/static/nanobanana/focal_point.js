/* Click the image to set the focal point: moves the marker and fills every form's
   hidden focal_point_x / focal_point_y fields (fractions from the top left). */
(function () {
  "use strict";
  function init() {
    var frame = document.getElementById("nb-focal-frame");
    var image = document.getElementById("nb-focal-image");
    var marker = document.getElementById("nb-focal-marker");
    if (!frame || !image || !marker) { return; }
    image.addEventListener("click", function (event) {
      var box = image.getBoundingClientRect();
      if (!box.width || !box.height) { return; }
      var x = Math.min(1, Math.max(0, (event.clientX - box.left) / box.width));
      var y = Math.min(1, Math.max(0, (event.clientY - box.top) / box.height));
      x = Math.round(x * 10000) / 10000;
      y = Math.round(y * 10000) / 10000;
      marker.hidden = false;
      marker.style.left = (x * 100) + "%";
      marker.style.top = (y * 100) + "%";
      document.querySelectorAll(".nb-focal-x").forEach(function (input) { input.value = x; });
      document.querySelectorAll(".nb-focal-y").forEach(function (input) { input.value = y; });
      frame.dataset.focal = x + "," + y;
    });
  }
  // admin.js swaps the alt-text panel in when a suggestion finishes
  document.addEventListener("nanobanana:description", init);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
