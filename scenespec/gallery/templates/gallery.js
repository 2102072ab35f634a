/* scenespec gallery: the index's filters, the copy buttons and the GIF fallback of spec pages. No libraries and no
   fetches, so it works from file://. Without it the pages still work: every card shows, the spec can be selected
   by hand or downloaded, and the controls that need it stay hidden. */
(function () {
  "use strict";

  // Loaded in <head>, before the player exists, so that a source failing while the page is parsed is seen: error
  // events do not bubble, but a capturing listener on the document gets them.
  var showGif = function (video) {
    var gif = video.querySelector("img");
    if (!gif || !video.parentNode) { return; }
    gif.loading = "eager";
    video.parentNode.replaceChild(gif, video);
  };
  document.addEventListener("error", function (event) {
    var source = event.target;
    var next = source.nextElementSibling;
    if (source.tagName !== "SOURCE" || source.parentNode.tagName !== "VIDEO" || next && next.tagName === "SOURCE") {
      return;  // not a video's source, or not its last one
    }
    showGif(source.parentNode);  // a file it cannot load or decode
  }, true);
  document.addEventListener("DOMContentLoaded", setUp);

  function setUp() {
    // Index: a card shows when, in each group with a ticked kind, it has one of the ticked kinds.
    var form = document.getElementById("filters");
    if (form) {
      var cards = Array.prototype.slice.call(document.querySelectorAll("article.card"));
      var groups = ["sources", "layers"];
      var update = function () {
        var ticked = groups.map(function (group) {
          var boxes = form.querySelectorAll('input[name="' + group + '"]:checked');
          return Array.prototype.map.call(boxes, function (box) { return box.value; });
        });
        var shown = 0;
        cards.forEach(function (card) {
          var keep = groups.every(function (group, i) {
            var kinds = (card.getAttribute("data-" + group) || "").split(" ");
            return ticked[i].length === 0 || ticked[i].some(function (kind) { return kinds.indexOf(kind) >= 0; });
          });
          card.hidden = !keep;
          if (keep) { shown += 1; }
        });
        document.getElementById("shown").textContent = shown + " of " + cards.length + " shown";
      };
      form.addEventListener("change", update);
      form.hidden = false;
      update();
    }

    // Spec pages: copy the text of the element a button names.
    var copied = function (button, label) {
      button.textContent = label;
      window.setTimeout(function () { button.textContent = "Copy"; }, 1500);
    };
    var copyBySelection = function (button, target) {
      var range = document.createRange();
      range.selectNodeContents(target);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      var done = false;
      try { done = document.execCommand("copy"); } catch (e) { done = false; }
      copied(button, done ? "Copied" : "Press Ctrl+C");  // the text stays selected for the reader to copy
    };
    Array.prototype.forEach.call(document.querySelectorAll("button.copy[data-copy]"), function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) { return; }
      button.addEventListener("click", function () {
        var text = target.textContent;
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(
            function () { copied(button, "Copied"); },
            function () { copyBySelection(button, target); }
          );
        } else {
          copyBySelection(button, target);
        }
      });
      button.hidden = false;
    });

    // A browser that has <video> but no MP4 at all shows the GIF inside it instead.
    var video = document.querySelector("video");
    if (video && video.canPlayType("video/mp4") === "") { showGif(video); }
  }
}());
