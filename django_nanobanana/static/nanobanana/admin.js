/* django-nanobanana admin: live state of an image (polls a small JSON endpoint), the
   overlay editor's server-side preview, and model-aware ratio/size choices. No library. */
(function () {
  "use strict";

  function csrfToken(form) {
    var input = form && form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  /* -- live state ---------------------------------------------------------------------- */
  function startPolling(root) {
    var url = root.dataset.url;
    var interval = Math.max(0.5, parseFloat(root.dataset.interval || "2")) * 1000;
    var history = document.getElementById("nb-history");
    var current = document.getElementById("nb-current");
    var timer = null;

    function swapTools(html) {
      var list = document.querySelector("ul.object-tools");
      if (!list) { return; }
      Array.prototype.forEach.call(list.querySelectorAll(".nb-tool-item"),
                                   function (item) { item.remove(); });
      list.insertAdjacentHTML("afterbegin", html);
    }

    function swapEditor(html) {
      var editor = document.getElementById("nb-editor");
      if (!editor) { return; }
      editor.innerHTML = html;
      var form = document.getElementById("nb-overlay-form");
      if (form) { startPreview(form); }
    }

    function swapDescription(html) {
      var panel = document.getElementById("nb-description");
      if (!panel) { return; }
      panel.outerHTML = html;
      // its focal-point image is a new element: let focal_point.js bind it again
      document.dispatchEvent(new CustomEvent("nanobanana:description"));
    }

    function apply(data) {
      if (current && data.html) { current.innerHTML = data.html.current; }
      if (history && data.html) { history.innerHTML = data.html.history; }
      // A new current image: its tools and overlay editor (with a preview of the new
      // image) come with the answer; no reload needed.
      if (data.html && data.html.tools !== undefined) { swapTools(data.html.tools); }
      if (data.html && data.html.editor !== undefined) { swapEditor(data.html.editor); }
      // A suggestion finished (or failed): the alt-text panel comes with the answer.
      if (data.html && data.html.description !== undefined) {
        swapDescription(data.html.description);
      }
      root.dataset.current = data.current_version || "";
      root.dataset.busy = data.busy ? "1" : "0";
      root.dataset.state = data.state || "";
      document.dispatchEvent(new CustomEvent("nanobanana:status", {detail: data}));
    }

    function poll() {
      var query = (url.indexOf("?") === -1 ? "?" : "&") + "current=" +
        encodeURIComponent(root.dataset.current || "");
      var panel = document.getElementById("nb-description");
      if (panel) { query += "&description=" + encodeURIComponent(panel.dataset.key || ""); }
      fetch(url + query, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (data) {
          apply(data);
          if (data.busy) { timer = setTimeout(poll, interval); }
        })
        .catch(function () { timer = setTimeout(poll, interval * 3); });
    }

    if (root.dataset.busy === "1") { timer = setTimeout(poll, interval); }
    return function () { if (timer) { clearTimeout(timer); } };
  }

  /* -- overlay preview ------------------------------------------------------------------ */
  function startPreview(form) {
    var url = form.dataset.previewUrl;
    var img = document.getElementById("nb-overlay-preview");
    var errors = document.getElementById("nb-overlay-errors");
    var measure = document.getElementById("nb-overlay-measure");
    var seq = 0;
    var pending = null;
    var lastUrl = null;

    function showErrors(data) {
      var lines = [];
      var all = (data && data.errors) || {};
      Object.keys(all).forEach(function (field) {
        (all[field] || []).forEach(function (e) {
          lines.push((field === "__all__" ? "" : field + ": ") + (e.message || e));
        });
      });
      errors.textContent = lines.join(" ");
      errors.hidden = lines.length === 0;
    }

    /* The treatment the server chose and the contrast it measured (response headers). */
    function showMeasure(headers) {
      if (!measure) { return; }
      var kind = headers.get("X-Overlay-Treatment");
      var ratio = parseFloat(headers.get("X-Overlay-Contrast"));
      if (!kind || isNaN(ratio)) { measure.hidden = true; return; }
      var opacity = parseFloat(headers.get("X-Overlay-Opacity") || "0");
      var text = (measure.dataset[kind] || kind) +
        (kind === "scrim" ? " (" + Math.round(opacity * 100) + "%)" : "") +
        " · " + measure.dataset.contrast + " " + ratio.toFixed(1) + ":1";
      if (ratio < 3) { text += " — " + measure.dataset.low; }
      measure.textContent = text;
      measure.className = ratio < 3 ? "errornote" : "help";
      measure.dataset.ratio = ratio.toFixed(2);
      measure.hidden = false;
    }

    function refresh() {
      var mine = ++seq;
      fetch(url, {method: "POST", body: new FormData(form), credentials: "same-origin",
                  headers: {"X-CSRFToken": csrfToken(form)}})
        .then(function (r) {
          if (mine !== seq) { return null; }
          if (r.ok) {
            showMeasure(r.headers);
            return r.blob().then(function (b) { return {blob: b}; });
          }
          return r.json().then(function (d) { return {errors: d}; });
        })
        .then(function (result) {
          if (!result || mine !== seq) { return; }
          if (result.blob) {
            if (lastUrl) { URL.revokeObjectURL(lastUrl); }
            lastUrl = URL.createObjectURL(result.blob);
            img.onload = function () { img.dataset.seq = String(mine); };
            img.src = lastUrl;
            showErrors(null);
          } else {
            showErrors(result.errors);
          }
        })
        .catch(function () { /* the next change tries again */ });
    }

    function schedule() {
      if (pending) { clearTimeout(pending); }
      pending = setTimeout(refresh, 250);
    }
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    refresh();
  }

  /* -- ratios and sizes the chosen model supports ------------------------------------------ */
  function startCapabilities(form) {
    var caps;
    try { caps = JSON.parse(form.dataset.capabilities || "{}"); } catch (e) { return; }
    var model = form.querySelector("select[name=model]");
    if (!model) { return; }
    function update() {
      var c = caps[model.value];
      if (!c) { return; }
      [["aspect_ratio", c.ratios], ["image_size", c.sizes]].forEach(function (pair) {
        var select = form.querySelector("select[name=" + pair[0] + "]");
        if (!select) { return; }
        Array.prototype.forEach.call(select.options, function (option) {
          var ok = option.value === "" || pair[1].indexOf(option.value) !== -1;
          option.disabled = !ok;
          option.hidden = !ok;
        });
      });
    }
    model.addEventListener("change", update);
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("nb-status");
    if (root) { startPolling(root); }
    var overlay = document.getElementById("nb-overlay-form");
    if (overlay) { startPreview(overlay); }
    var action = document.getElementById("nb-action-form");
    if (action) { startCapabilities(action); }
  });
})();
