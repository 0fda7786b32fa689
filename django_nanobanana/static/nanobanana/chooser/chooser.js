/* Opener side of the generated-image chooser (GeneratedAssetChooserWidget).
 * Buttons open the chooser popup; the popup posts {type: "nanobanana:chosen", target, asset}
 * back (same origin only) and this fills the hidden input and the preview. */
(function () {
  "use strict";
  if (window.nanobananaChooser) { return; }

  function widgetFor(input) { return input && input.closest("[data-nb-chooser]"); }

  function setAsset(input, asset) {
    var widget = widgetFor(input);
    input.value = asset ? asset.id : "";
    if (widget) {
      var thumb = widget.querySelector("[data-nb-thumb]");
      var title = widget.querySelector("[data-nb-title]");
      if (thumb) {
        thumb.src = asset && asset.thumbnail ? asset.thumbnail : "";
        thumb.hidden = !(asset && asset.thumbnail);
      }
      if (title) { title.textContent = asset ? asset.title : (widget.dataset.emptyText || ""); }
      widget.classList.toggle("nb-chooser--empty", !asset);
    }
    input.dispatchEvent(new Event("change", {bubbles: true}));
  }

  function openPopup(url, input) {
    var sep = url.indexOf("?") === -1 ? "?" : "&";
    var full = url + sep + "_popup=1&target=" + encodeURIComponent(input.id);
    var name = "nanobanana_" + input.id.replace(/\W/g, "_");
    var popup = window.open(full, name, "width=1000,height=720,resizable=yes,scrollbars=yes");
    if (popup) { popup.focus(); }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-nb-action]");
    if (!button) { return; }
    var widget = widgetFor(button);
    var input = widget && widget.querySelector("input[type=hidden]");
    if (!input) { return; }
    event.preventDefault();
    var action = button.dataset.nbAction;
    if (action === "choose") { openPopup(widget.dataset.chooseUrl, input); }
    else if (action === "generate") { openPopup(widget.dataset.generateUrl, input); }
    else if (action === "clear") { setAsset(input, null); }
  });

  window.addEventListener("message", function (event) {
    if (event.origin !== window.location.origin) { return; }
    var data = event.data || {};
    if (data.type !== "nanobanana:chosen" || !data.target) { return; }
    var input = document.getElementById(data.target);
    if (input && widgetFor(input)) { setAsset(input, data.asset); }
  });

  window.nanobananaChooser = {setAsset: setAsset};
})();
