/* SMS length and segment count under the reply box, while "SMS" is the channel.
 * The same sums as channels_app/phone/sms.py: GSM-7 160 per message, 153 per
 * segment (extension characters count twice); anything outside GSM-7 makes
 * the whole message UCS-2: 70, 67 per segment (UTF-16 units). A character
 * is never split between two segments. tests/e2e/test_phone_live.py checks it
 * against the Python over one table of cases. */
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";

  // Units per character: GSM-7 septets (2 for an escaped one), or UTF-16
  // units (2 for a surrogate pair); null when the text is not GSM-7.
  function widths(text, gsm) {
    var result = [], i, ch, code;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (gsm) {
        if (BASIC.indexOf(ch) !== -1) result.push(1);
        else if (EXTENSION.indexOf(ch) !== -1) result.push(2);
        else return null;
      } else {
        code = text.charCodeAt(i);
        if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) { result.push(2); i++; }
        else result.push(1);
      }
    }
    return result;
  }

  function smsLength(text) {
    var sizes = widths(text, true), gsm = sizes !== null;
    if (!gsm) sizes = widths(text, false);
    var single = gsm ? 160 : 70, multi = gsm ? 153 : 67, units = 0, segments, used, i;
    for (i = 0; i < sizes.length; i++) units += sizes[i];
    if (units <= single) {
      segments = units === 0 ? 0 : 1;
    } else {
      // A character is never split between segments (as in sms.py).
      segments = 1; used = 0;
      for (i = 0; i < sizes.length; i++) {
        if (used + sizes[i] > multi) { segments += 1; used = 0; }
        used += sizes[i];
      }
    }
    return { encoding: gsm ? "GSM-7" : "UCS-2", units: units, segments: segments };
  }

  function start() {
    var form = document.getElementById("reply-form");
    if (!form) return;
    var body = form.querySelector("textarea[name=body]");
    var channel = form.querySelector("select[name=channel]");
    if (!body || !channel) return;
    var counter = document.createElement("p");
    counter.id = "sms-counter";
    counter.className = "sms-counter muted";
    counter.setAttribute("aria-live", "polite");
    body.insertAdjacentElement("afterend", counter);
    // The djangojs catalog (templates/inbox/_js_catalog.html) runs first; without it, English.
    var ngettext = window.ngettext || function (singular, plural, count) { return count === 1 ? singular : plural; };
    var interpolate = window.interpolate || function (format, values) {
      return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
    };

    function update() {
      if (channel.value !== "sms") { counter.hidden = true; return; }
      var length = smsLength(body.value);
      counter.hidden = false;
      var characters = ngettext("%(count)s character (%(encoding)s)", "%(count)s characters (%(encoding)s)", length.units);
      var segments = ngettext("%(count)s SMS", "%(count)s SMS segments", length.segments);
      counter.textContent = interpolate(characters, { count: length.units, encoding: length.encoding }, true) + " · " +
        interpolate(segments, { count: length.segments }, true);
    }
    body.addEventListener("input", update);
    channel.addEventListener("change", update);
    update();
  }

  window.unisonoSmsLength = smsLength;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
