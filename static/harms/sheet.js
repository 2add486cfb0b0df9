/* The evidence sheet's print button; without a script, the browser's own Print does the same. */
(function () {
  "use strict";
  var button = document.getElementById("print-sheet");
  if (button) button.addEventListener("click", function () { window.print(); });
})();
