/* Wagtail's chooser for generated images, showing the chosen image's thumbnail (Wagtail's
 * generic chooser shows an icon on a grey square). The same widget class serves a
 * FieldPanel (new NanobananaChooser(id)) and a StreamField block (telepath adapter
 * "nanobanana.wagtail.Chooser"). The thumbnail comes with the chosen item's data as
 * preview.url. */
(function () {
  "use strict";
  if (window.NanobananaChooser) { return; }
  var telepath = window.telepath;
  var Factory = telepath && telepath.constructors &&
    telepath.constructors["wagtail.admin.widgets.Chooser"];
  var Base = window.Chooser;
  if (!Base && Factory) {
    try { Base = new Factory("", "", {}).widgetClass; } catch (e) { Base = null; }
  }
  if (!Base) { return; }

  class NanobananaChooser extends Base {
    initHTMLElements(id) {
      super.initHTMLElements(id);
      this.previewImage = this.chooserElement.querySelector("[data-nb-wagtail-thumb]");
    }

    getStateFromHTML() {
      var state = super.getStateFromHTML();
      if (state && this.previewImage) {
        state.preview = {url: this.previewImage.getAttribute("src") || ""};
      }
      return state;
    }

    renderState(state) {
      super.renderState(state);
      if (!this.previewImage) { return; }
      var url = state && state.preview && state.preview.url;
      if (url) {
        this.previewImage.setAttribute("src", url);
        this.previewImage.hidden = false;
      } else {
        this.previewImage.removeAttribute("src");
        this.previewImage.hidden = true;
      }
    }
  }
  window.NanobananaChooser = NanobananaChooser;

  if (Factory) {
    class NanobananaChooserFactory extends Factory {
      constructor(html, idPattern, opts) {
        super(html, idPattern, opts);
        this.widgetClass = NanobananaChooser;
      }
    }
    telepath.register("nanobanana.wagtail.Chooser", NanobananaChooserFactory);
  }
})();
