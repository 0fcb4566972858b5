// Session page: every time link plays the recording from there (without JavaScript the
// link opens the audio at that time), the transcript follows the playback, and the times
// inside the framed scorecard become buttons that play from there too.
(function () {
  "use strict";
  var player = document.getElementById("player");
  if (!player) { return; }
  function playFrom(t) {
    player.currentTime = t;
    var p = player.play();
    if (p && p.catch) { p.catch(function () {}); }
  }
  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("a.seek") : null;
    if (!link) { return; }
    e.preventDefault();
    playFrom(parseFloat(link.dataset.t));
  });
  var rows = Array.prototype.slice.call(document.querySelectorAll(".transcript-follow li"));
  var current = null;
  player.addEventListener("timeupdate", function () {
    var now = player.currentTime, found = null;
    for (var i = 0; i < rows.length && parseFloat(rows[i].dataset.start) <= now + 0.05; i++) { found = rows[i]; }
    if (found === current) { return; }
    if (current) { current.removeAttribute("aria-current"); }
    if (found) { found.setAttribute("aria-current", "true"); }
    current = found;
  });
  function seconds(iso, text) {
    var m = /^PT(?:(\d+)H)?(?:(\d+)M)?(?:([\d.]+)S)?$/.exec(iso || "");
    if (m) { return (+m[1] || 0) * 3600 + (+m[2] || 0) * 60 + (+m[3] || 0); }
    var parts = (text || "").trim().split(":").map(Number);
    if (parts.some(isNaN) || parts.length < 2) { return null; }
    return parts.reduce(function (a, b) { return a * 60 + b; }, 0);
  }
  function enhance(doc) {
    Array.prototype.forEach.call(doc.querySelectorAll("time"), function (el) {
      var t = seconds(el.getAttribute("datetime"), el.textContent);
      if (t === null) { return; }
      el.setAttribute("role", "button");
      el.setAttribute("tabindex", "0");
      el.setAttribute("aria-label", "Play from " + el.textContent.trim());
      el.style.cursor = "pointer";
      el.style.textDecoration = "underline";
      el.addEventListener("click", function () { playFrom(t); });
      el.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); playFrom(t); }
      });
    });
  }
  var frame = document.getElementById("scorecard");
  function tryEnhance() {
    try { if (frame.contentDocument && frame.contentDocument.readyState === "complete") { enhance(frame.contentDocument); } }
    catch (err) { /* not same-origin: leave the scorecard as it is */ }
  }
  if (frame) { frame.addEventListener("load", tryEnhance); tryEnhance(); }
})();
(function () {
  "use strict";
  var player = document.getElementById("player");
  var use = document.getElementById("use-now");
  var at = document.getElementById("comment-at");
  if (!player || !use || !at) { return; }
  use.hidden = false;
  use.addEventListener("click", function () {
    var t = Math.floor(player.currentTime);
    at.value = Math.floor(t / 60) + ":" + String(t % 60).padStart(2, "0");
    document.getElementById("comment-body").focus();
  });
})();
