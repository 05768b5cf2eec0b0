// The ticket page's "Print" button: shown only when scripts run (without them the
// browser's own print command prints the same card: the print stylesheet hides the rest).
(function () {
  var button = document.getElementById("print-ticket");
  if (!button || !window.print) { return; }
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
