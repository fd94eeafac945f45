// The reply composer's playbook panel: insert a suggested answer (rendered by
// the server for this ticket's channel and customer), confirm the ticket's
// topic, and a live tone check while typing. Texts are set with .value and
// .textContent only: nothing here becomes HTML.
(function () {
  "use strict";
  const panel = document.getElementById("playbook-composer");
  if (!panel) return;
  const form = panel.closest("form");
  const body = form.querySelector("textarea[name=body]");
  const channel = form.querySelector("select[name=channel]");
  const versionInput = form.querySelector("input[name=resolution_version]");
  const chosen = document.getElementById("playbook-chosen");
  const warnings = document.getElementById("tone-warnings");
  const rules = JSON.parse(document.getElementById("tone-rules").textContent);
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  // The djangojs catalog (templates/inbox/_js_catalog.html) runs first; without it, English.
  const gettext = window.gettext || ((text) => text);
  const interpolate = window.interpolate || ((format, values) => format.replace(/%\((\w+)\)s/g, (match, name) => String(values[name])));

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, Accept: "application/json" },
      body: JSON.stringify(data),
    }).then((response) => response.json().then((json) => ({ ok: response.ok, json })));
  }

  panel.addEventListener("click", (event) => {
    const insert = event.target.closest(".playbook-insert");
    if (insert) {
      post(panel.dataset.renderUrl, {
        version: Number(insert.dataset.version),
        ticket: Number(panel.dataset.ticket),
        channel: channel ? channel.value : undefined,
      }).then(({ ok, json }) => {
        if (!ok) { chosen.textContent = json.detail || gettext("Could not insert this answer."); return; }
        body.value = json.text;
        versionInput.value = json.version;
        const answer = json.fell_back
          ? gettext("Playbook answer: %(answer)s (fallback: %(language)s, %(channel)s)")
          : gettext("Playbook answer: %(answer)s");
        chosen.textContent = interpolate(answer, { answer: json.resolution, language: json.language, channel: json.channel }, true) +
          (json.problems.length ? " — " + json.problems.join(" ") : "");
        body.dispatchEvent(new Event("input", { bubbles: true }));
        body.focus();
      });
      return;
    }
    const confirm = event.target.closest(".playbook-confirm");
    if (confirm) {
      post(panel.dataset.confirmUrl, { ticket: Number(panel.dataset.ticket), topic: confirm.dataset.topic }).then(({ ok, json }) => {
        chosen.textContent = ok
          ? interpolate(gettext("Topic confirmed: %(topic)s"), { topic: json.topic }, true)
          : (json.detail || gettext("Could not confirm the topic."));
      });
    }
  });

  // Tone check: the same phrases and folding as resolutions/tone.py.
  function fold(text) {
    return text.toLowerCase().replace(/æ/g, "ae").replace(/ø/g, "o").replace(/ß/g, "ss")
      .normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/\s+/g, " ");
  }
  function contains(folded, phrase) {
    const escaped = fold(phrase).replace(/[.*+?^${}()|[\]\\\/]/g, "\\$&");
    return new RegExp("(^|[^\\p{L}\\p{N}])" + escaped + "(?![\\p{L}\\p{N}])", "u").test(folded);
  }
  function checkTone() {
    const text = body.value;
    const folded = fold(text);
    const found = [];
    const salutation = gettext("“%(phrase)s” is a generic salutation: greet the customer by name.");
    const blame = gettext("“%(phrase)s” sounds like blame: say what you will do instead.");
    rules.salutations.forEach((phrase) => { if (contains(folded, phrase)) found.push(interpolate(salutation, { phrase }, true)); });
    rules.blame.forEach((phrase) => { if (contains(folded, phrase)) found.push(interpolate(blame, { phrase }, true)); });
    if (rules.first_name && text.trim() && !contains(folded, rules.first_name)) {
      found.push(interpolate(gettext("The reply doesn't use %(name)s's name."), { name: rules.first_name }, true));
    }
    warnings.replaceChildren(...found.map((message) => { const item = document.createElement("li"); item.className = "tone-warning"; item.textContent = message; return item; }));
  }
  body.addEventListener("input", checkTone);
  checkTone();
})();
