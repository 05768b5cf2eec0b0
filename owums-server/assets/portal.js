// Sends the form that takes the subscriber's browser to the access controller (WILI-S
// portal version 2) on its own; without JavaScript the subscriber presses its button.
(function () {
  var form = document.getElementById("portal-go");
  if (form) { form.submit(); }
})();
