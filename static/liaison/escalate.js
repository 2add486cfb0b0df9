// The escalate form: offer only the agencies that accept the chosen type.
// The server checks again; this only spares the operator a refusal.
(function () {
  "use strict";

  var STRINGS = {
    vi: { none: "Không có cơ quan nào tiếp nhận loại này cho tỉnh/thành của hồ sơ." },
    en: { none: "No agency accepts this type for the case's province." }
  };
  var lang = (document.documentElement.lang || "vi").slice(0, 2);
  var t = STRINGS[lang] || STRINGS.vi;

  var type = document.getElementById("id_escalation_type");
  var agency = document.getElementById("id_agency");
  if (!type || !agency) {
    return;
  }
  var hint = document.createElement("p");
  hint.className = "hint";
  hint.setAttribute("role", "status");
  agency.parentNode.appendChild(hint);

  function accepts(option) {
    var types = (option.getAttribute("data-types") || "").split(" ");
    return types.indexOf(type.value) !== -1;
  }

  function filter() {
    var firstAllowed = null;
    Array.prototype.forEach.call(agency.options, function (option) {
      var allowed = accepts(option);
      option.disabled = !allowed;
      option.hidden = !allowed;
      if (allowed && firstAllowed === null) {
        firstAllowed = option;
      }
    });
    var current = agency.options[agency.selectedIndex];
    if (!current || current.disabled) {
      if (firstAllowed) {
        firstAllowed.selected = true;
      } else {
        agency.selectedIndex = -1;
      }
    }
    hint.textContent = firstAllowed ? "" : t.none;
  }

  type.addEventListener("change", filter);
  filter();
})();
