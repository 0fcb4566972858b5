// Polls the job's progress and opens the scorecard when it is done (the page refreshes
// itself through a <noscript> meta tag when JavaScript is off).
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var words = document.getElementById("progress-words");
  var bar = document.getElementById("progress-bar");
  var error = document.getElementById("progress-error");
  function poll() {
    fetch(box.dataset.poll, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (p) {
        if (p.done) { window.location.assign(p.url); return; }
        words.textContent = p.words;
        bar.value = p.percent;
        bar.textContent = p.percent + "%";
        if (p.error) { error.textContent = p.error; error.hidden = false; return; }
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
