/* The X composer hint: counts a reply as X does, refuses a public reply over
 * 280 before it is sent, and warns when a public reply holds an email address,
 * a phone number or a ticket link, offering to send it as a DM instead.
 * A hint only: the server counts again (channels_app/social/counting.py) and
 * refuses with the same limit. No dependencies; safe to load on any page. */
(function () {
  "use strict";

  // twitter-text v3: weight 1 in these ranges, 2 elsewhere; URLs 23; emoji 2.
  // The URL patterns and the TLD list come from x_url_data.js, generated from
  // counting.py: the same patterns the server runs.
  var ONE = [[0x0000, 0x10FF], [0x2000, 0x200D], [0x2010, 0x201F], [0x2032, 0x2037]];
  var DATA = window.unisonoXUrlData;
  function pattern(source, flags) { return new RegExp(source.split(DATA.tldSlot).join(DATA.tlds), flags); }
  var URL = pattern(DATA.url, "gi");
  var ASCII_DOMAIN = pattern(DATA.asciiDomain, "gi");
  var TCO = new RegExp(DATA.tco, "i");
  var NO_SCHEME_BAD_PRECEDING = new RegExp(DATA.noSchemeBadPreceding);
  var EMAIL = /[^\s@<>()]+@[^\s@<>()]+\.[a-z]{2,}/i;
  var PHONE = /(^|[^\w])(\+?\d[\d\s().\-]{7,}\d)/;
  var TICKET_LINK = /(\/t\/[\w:\-]{6,}|\/inbox\/t\/\d+)/i;

  function isEmojiBase(cp) {
    return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x2300 && cp <= 0x23FF) ||
      (cp >= 0x2B00 && cp <= 0x2BFF) || [0xA9, 0xAE, 0x203C, 0x2049, 0x2122, 0x2139, 0x3030, 0x303D, 0x3297, 0x3299].indexOf(cp) >= 0;
  }
  function isModifier(cp) {
    return cp === 0xFE0E || cp === 0xFE0F || (cp >= 0x1F3FB && cp <= 0x1F3FF) || cp === 0x20E3 || (cp >= 0xE0020 && cp <= 0xE007F);
  }
  function weigh(text) {
    var cps = Array.from(text).map(function (c) { return c.codePointAt(0); });
    var total = 0, i = 0;
    while (i < cps.length) {
      var cp = cps[i], next = cps[i + 1];
      var keycap = "0123456789#*".indexOf(String.fromCodePoint(cp)) >= 0 && (next === 0xFE0F || next === 0xFE0E || next === 0x20E3);
      if (isEmojiBase(cp) || keycap || next === 0xFE0F) {
        var first = cp; i += 1;
        if (first >= 0x1F1E6 && first <= 0x1F1FF && cps[i] >= 0x1F1E6 && cps[i] <= 0x1F1FF) { i += 1; }
        else {
          while (i < cps.length) {
            if (isModifier(cps[i])) i += 1;
            else if (cps[i] === 0x200D && i + 1 < cps.length) i += 2;
            else break;
          }
        }
        total += 200;
        continue;
      }
      var weight = 200;
      for (var r = 0; r < ONE.length; r++) if (cp >= ONE[r][0] && cp <= ONE[r][1]) { weight = 100; break; }
      total += weight;
      i += 1;
    }
    return total;
  }
  // [start, end] of each URL, as counting.url_spans (twitter-text's extractUrlsWithIndices).
  function urlSpans(text) {
    var spans = [], match;
    URL.lastIndex = 0;
    while ((match = URL.exec(text)) !== null) {
      var before = match[2] || "", url = match[3], scheme = match[4], domain = match[5], path = match[7];
      var start = match.index + match[1].length - url.length, end = start + url.length;
      if ((scheme || "https://").length + url.length > DATA.maxUrlLength) continue;
      if (!scheme) {
        if (NO_SCHEME_BAD_PRECEDING.test(before)) continue;
        var found = [], ascii;
        ASCII_DOMAIN.lastIndex = 0;
        while ((ascii = ASCII_DOMAIN.exec(domain)) !== null) found.push([start + ascii.index, start + ascii.index + ascii[0].length]);
        if (!found.length) continue;
        if (path) found[found.length - 1][1] = end;
        spans = spans.concat(found);
      } else {
        var tco = TCO.exec(url);
        if (tco) {
          if (tco[1].length > DATA.maxTcoSlugLength) continue;
          end = start + tco[0].length;
        }
        spans.push([start, end]);
      }
    }
    return spans;
  }
  function weightedLength(text) {
    text = text.normalize("NFC");
    var total = 0, position = 0;
    urlSpans(text).forEach(function (span) {
      total += weigh(text.slice(position, span[0])) + 2300;
      position = span[1];
    });
    total += weigh(text.slice(position));
    return Math.ceil(total / 100);
  }
  function withoutUrls(text) {
    text = text.normalize("NFC");
    var parts = [], position = 0;
    urlSpans(text).forEach(function (span) { parts.push(text.slice(position, span[0]), " "); position = span[1]; });
    return parts.join("") + text.slice(position);
  }
  window.unisonoXWeightedLength = weightedLength;

  var composer = document.getElementById("x-composer");
  var form = document.getElementById("reply-form");
  if (!composer || !form) return;
  var body = form.querySelector("textarea[name=body]");
  var channel = form.querySelector("select[name=channel]");
  var mode = form.querySelector("select[name=x_mode]");
  var count = document.getElementById("x-count");
  var warning = document.getElementById("x-warning");
  var warningText = document.getElementById("x-warning-text");
  var status = document.getElementById("reply-status");
  var MAX = parseInt(composer.getAttribute("data-max"), 10) || 280;
  var kinds = (composer.getAttribute("data-kinds") || "").trim().split(/\s+/).filter(Boolean);
  var customerMode = kinds.length && kinds[kinds.length - 1] === "dm" ? "dm" : "public";
  // The djangojs catalog (templates/inbox/_js_catalog.html) runs first; without it, English.
  var gettext = window.gettext || function (text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  };
  var acknowledged = "";  // the text the agent chose to post publicly despite the warning

  function active() { return channel && channel.value === "x"; }
  function currentMode() { return (mode && mode.value) || customerMode; }

  function sensitive(text) {
    var found = [];
    if (EMAIL.test(text)) found.push(gettext("an email address"));
    // Digits inside links (dates, ids) are not phone numbers.
    if (PHONE.test(withoutUrls(text).replace(EMAIL, ""))) found.push(gettext("a phone number"));
    if (TICKET_LINK.test(text)) found.push(gettext("a ticket link"));
    return found;
  }

  // "a, b and c" in the page's language (Intl knows each language's "and").
  function listOf(things) {
    if (window.Intl && Intl.ListFormat) {
      return new Intl.ListFormat(document.documentElement.lang || "en", { type: "conjunction" }).format(things);
    }
    return things.join(", ");
  }

  function update() {
    composer.hidden = !active();
    if (!active()) { warning.hidden = true; count.textContent = ""; return; }
    var text = body.value.trim();
    if (currentMode() === "public") {
      var length = weightedLength(text);
      count.textContent = length + " / " + MAX;
      count.className = "x-count" + (length > MAX ? " over" : "");
      var found = sensitive(text);
      warning.hidden = !found.length;
      if (found.length) {
        warningText.textContent = interpolate(gettext("Everyone can read a public reply, and this one contains %(things)s."), { things: listOf(found) }, true);
      }
    } else {
      count.textContent = gettext("Direct message");
      count.className = "x-count";
      warning.hidden = true;
    }
  }

  function say(text) {
    if (!status) return;
    status.textContent = text;
    status.className = "reply-status error";
  }

  // Capturing on the document runs before the form's own submit handlers
  // (live.js sends through fetch): a refused reply never leaves the page.
  document.addEventListener("submit", function (event) {
    if (event.target !== form || !active() || currentMode() !== "public") return;
    var text = body.value.trim();
    var length = weightedLength(text);
    var refuse = "";
    if (length > MAX) {
      refuse = interpolate(
        gettext("Too long for a public reply on X: %(length)s characters as X counts them (links count 23), the limit is %(limit)s. Shorten it or send it as a DM."),
        { length: length, limit: MAX }, true);
    } else if (sensitive(text).length && acknowledged !== text) {
      acknowledged = text;
      refuse = interpolate(gettext("Check before posting publicly: %(warning)s Send again to post it anyway, or send it as a DM."), { warning: warningText.textContent }, true);
    }
    if (refuse) {
      event.preventDefault();
      event.stopImmediatePropagation();
      say(refuse);
      body.focus();
    }
  }, true);

  document.getElementById("x-switch-dm").addEventListener("click", function () {
    if (mode) mode.value = "dm";
    update();
    body.focus();
  });
  body.addEventListener("input", update);
  if (channel) channel.addEventListener("change", update);
  if (mode) mode.addEventListener("change", update);
  update();
})();
