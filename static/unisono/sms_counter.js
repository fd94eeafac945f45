/* SMS length and segment count under the reply box, while "SMS" is the channel.
 * The same sums as channels_app/phone/sms.py: GSM-7 160 per message, 153 per
 * segment (extension characters count twice); anything outside GSM-7 makes
 * the whole message UCS-2: 70, 67 per segment (UTF-16 units). */
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "\f^{}\\[~]|€";

  function smsLength(text) {
    var units = 0, gsm = true, i, ch;
    for (i = 0; i < text.length; i++) {
      ch = text.charAt(i);
      if (BASIC.indexOf(ch) !== -1) units += 1;
      else if (EXTENSION.indexOf(ch) !== -1) units += 2;
      else { gsm = false; break; }
    }
    var single = 160, multi = 153;
    if (!gsm) { units = text.length; single = 70; multi = 67; } // JS strings are UTF-16 already
    var segments = units === 0 ? 0 : (units <= single ? 1 : Math.ceil(units / multi));
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

    function update() {
      if (channel.value !== "sms") { counter.hidden = true; return; }
      var length = smsLength(body.value);
      counter.hidden = false;
      counter.textContent = length.units + " characters (" + length.encoding + ") · " +
        length.segments + (length.segments === 1 ? " SMS" : " SMS segments");
    }
    body.addEventListener("input", update);
    channel.addEventListener("change", update);
    update();
  }

  window.unisonoSmsLength = smsLength;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
