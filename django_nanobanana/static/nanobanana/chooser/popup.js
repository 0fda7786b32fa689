/* Popup side of the generated-image chooser: hand the chosen image to the opener, and
 * poll a queued generation until it has finished. */
(function () {
  "use strict";
  var targetEl = document.getElementById("nb-chooser-target");
  var target = targetEl ? JSON.parse(targetEl.textContent) : "";

  function choose(button) {
    var asset = {
      id: button.dataset.nbChoice,
      title: button.dataset.title || "",
      thumbnail: button.dataset.thumbnail || ""
    };
    var opener = window.opener;
    if (opener && !opener.closed && target) {
      opener.postMessage({type: "nanobanana:chosen", target: target, asset: asset},
                         window.location.origin);
      window.close();
      return true;
    }
    return false;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-nb-choice]");
    if (button && choose(button)) { event.preventDefault(); }
  });

  var auto = document.querySelector("[data-auto-choose]");
  if (auto) { choose(auto); }

  var status = document.querySelector("[data-nb-status]");
  var finalStates = ["succeeded", "failed", "blocked", "cancelled"];
  if (status && finalStates.indexOf(status.dataset.state) === -1) {
    var poll = function () {
      fetch(status.dataset.nbStatus, {credentials: "same-origin"})
        .then(function (response) { return response.json(); })
        .then(function (data) {
          if (data.final) { window.location.reload(); } else { window.setTimeout(poll, 1500); }
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1500);
  }
})();
