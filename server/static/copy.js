// Copy buttons: shown only when JavaScript runs; without it the text
// areas are selectable as they are.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var t = document.getElementById(b.dataset.copy);
      var done = function () { var l = b.textContent; b.textContent = "Copied"; setTimeout(function () { b.textContent = l; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(t.value).then(done);
      } else {
        t.select(); document.execCommand("copy"); done();
      }
    });
  });
});
