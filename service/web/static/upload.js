// Drag-and-drop onto the upload form; the file input stays the real field, so the
// form works the same with JavaScript off.
(function () {
  "use strict";
  var drop = document.getElementById("drop");
  var input = document.getElementById("file");
  var shown = document.getElementById("drop-name");
  if (!drop || !input || typeof DataTransfer === "undefined") { return; }
  drop.hidden = false;
  function show() { shown.textContent = input.files.length ? "Chosen: " + input.files[0].name : ""; }
  ["dragenter", "dragover"].forEach(function (kind) {
    drop.addEventListener(kind, function (e) { e.preventDefault(); drop.classList.add("over"); });
  });
  ["dragleave", "drop"].forEach(function (kind) {
    drop.addEventListener(kind, function () { drop.classList.remove("over"); });
  });
  drop.addEventListener("drop", function (e) {
    e.preventDefault();
    if (!e.dataTransfer || !e.dataTransfer.files.length) { return; }
    var files = new DataTransfer();
    files.items.add(e.dataTransfer.files[0]);
    input.files = files.files;
    show();
  });
  input.addEventListener("change", show);
})();
