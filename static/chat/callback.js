/* Youth chat: the safe-callback request, a JSON POST to /chat/callback/ (docs/protocol.md,
 * "Callback requests"). The number leaves only in that request's body: never in a URL,
 * never stored by the page, and the field is emptied once the server has answered.
 */
(function () {
  "use strict";

  var chat = window.helplineChat = window.helplineChat || {};
  // Fields the server may refuse that have a place for their message on the form.
  var FIELD_INPUTS = {
    phone: "callback-phone",
    window_start: "callback-start",
    window_end: "callback-end",
    day: "callback-day",
    may_identify: null,
  };

  // options: url, texts() (the script's strings in the page's language), and
  // language(), province(), ageGroup() as the young person chose them.
  chat.callbackForm = function (options) {
    function $(id) { return document.getElementById(id); }
    var form = $("callback-form");
    var phone = $("callback-phone");
    var error = $("callback-error");
    var result = $("callback-result");
    var busy = false;

    function fieldSlot(name) { return $("callback-" + name + "-error"); }

    function clear() {
      Object.keys(FIELD_INPUTS).forEach(function (name) {
        fieldSlot(name).textContent = "";
        if (FIELD_INPUTS[name]) $(FIELD_INPUTS[name]).removeAttribute("aria-invalid");
      });
      error.textContent = "";
      result.textContent = "";
    }

    function showError(message) {
      chat.linkedParagraphs(error, [message, options.texts().urgentShort]);
    }

    // Each refused field gets its message beside it; the first one gets the focus.
    function showFieldErrors(fields) {
      var first = null;
      Object.keys(fields).forEach(function (name) {
        if (!(name in FIELD_INPUTS)) return;
        fieldSlot(name).textContent = fields[name].message || "";
        var input = FIELD_INPUTS[name] && $(FIELD_INPUTS[name]);
        if (input) {
          input.setAttribute("aria-invalid", "true");
          first = first || input;
        }
      });
      if (first) first.focus();
    }

    function answer(reply) {
      busy = false;
      result.textContent = "";
      var data = reply.data || {};
      if (reply.status === 400 && data.fields) {
        // Kept so that it can be corrected; nothing else about it is shown back.
        showError(data.message || options.texts().callbackFailed);
        showFieldErrors(data.fields);
        return;
      }
      phone.value = "";
      if (reply.status === 201) {
        result.textContent = data.message || "";
        return;
      }
      showError(data.message || options.texts().callbackFailed);
    }

    function failed() {
      busy = false;
      result.textContent = "";
      showError(options.texts().callbackFailed);
    }

    function request() {
      var identify = form.querySelector('input[name="may_identify"]:checked');
      return {
        province: options.province(),
        phone: phone.value,
        window_start: $("callback-start").value,
        window_end: $("callback-end").value,
        day: $("callback-day").value,
        may_identify: identify ? identify.value === "yes" : false,
        language: options.language(),
        age_group: options.ageGroup(),
      };
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (busy) return;
      busy = true;
      clear();
      result.textContent = options.texts().callbackSending;
      // No cookie goes with it (the page has none to send): the server checks the Origin.
      fetch(options.url, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(request()),
        credentials: "omit",
        cache: "no-store",
      })
        .then(function (response) {
          return response.json()
            .catch(function () { return {}; })
            .then(function (data) { return { status: response.status, data: data }; });
        })
        .then(answer, failed);
    });

    return {
      reset: function () {
        clear();
        phone.value = "";
      },
    };
  };
})();
