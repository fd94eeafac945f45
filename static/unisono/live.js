/* Unisono live inbox: the small websocket client of /ws/inbox/.
 *
 * The server renders everything; this file only listens and asks for fresh
 * pieces. A frame says "ticket 7 changed" and the page fetches the row, the
 * message or the header the server renders for it (the server decides whether
 * a ticket still matches the list's filters). Events are rows on the server,
 * so a socket that drops resumes after the last event id it saw and gets what
 * it missed, in order. Plain JS, no build step.
 *
 * Pages: the ticket list, a ticket, and the call-me-back queue (callbacks).
 *
 * Contract (DESIGN.md, inbox/consumers.py):
 *   server: {id, type: ticket.created|ticket.updated|message.created|message.status|ticket.sla|callback.updated, ticket, data}
 *           {type: presence|subscribed|resumed|reload|permissions|error, ...}
 *   client: {type: resume, after} {type: subscribe, ticket} {type: presence, ticket, state}
 */
(function () {
  "use strict";

  var config = document.getElementById("inbox-live");
  if (!config) return;

  var PAGE = config.dataset.page; // "list" | "ticket" | "callbacks"
  var ME = parseInt(config.dataset.user, 10);
  var TICKET = config.dataset.ticket ? parseInt(config.dataset.ticket, 10) : null;
  var TICKET_URL = config.dataset.ticketUrl || "";
  var ROWS_URL = config.dataset.rowsUrl;
  var STORE_KEY = "unisono.live.lastEventId";
  var DRAFT_KEY = "unisono.live.draft." + (TICKET || "");
  var BACKOFF_BASE_MS = 500;
  var BACKOFF_CAP_MS = 10000;
  var OFFLINE_AFTER_FAILURES = 3; // "reconnecting…" turns "offline" after this many failed tries
  var HEARTBEAT_MS = 15000; // presence expires server-side after 30 s without one
  var TYPING_THROTTLE_MS = 3000;
  var TYPING_IDLE_MS = 5000;
  var CLOSE_FORBIDDEN = 4403;
  var ROWS_PER_REQUEST = 50; // inbox.views.MAX_LIVE_ROWS

  var statusEl = document.getElementById("live-status");

  // Texts come from the djangojs catalog (templates/inbox/_js_catalog.html),
  // which runs before this file; a page without it shows the English.
  var gettext = window.gettext || function (text) { return text; };
  var pgettext = window.pgettext || function (context, text) { return text; };
  var interpolate = window.interpolate || function (format, values) {
    return format.replace(/%\((\w+)\)s/g, function (match, name) { return String(values[name]); });
  };

  // --- last event id ---------------------------------------------------------------
  // The page was rendered in sync with event data-last-event (read before its
  // data), so that is where a fresh page starts; what is on screen is the truth.
  // sessionStorage carries the cursor for the tab (a page restored from the
  // back/forward cache keeps its in-memory one).
  var lastEventId = parseInt(config.dataset.lastEvent, 10);
  if (isNaN(lastEventId)) lastEventId = parseInt(sessionStorage.getItem(STORE_KEY) || "0", 10) || 0;

  function remember(id) {
    lastEventId = id;
    try { sessionStorage.setItem(STORE_KEY, String(id)); } catch (e) { /* private mode: memory only */ }
  }

  // --- connection ------------------------------------------------------------------
  var socket = null;
  var failures = 0;
  var retryTimer = null;
  var holding = false; // disconnect({reconnect: false}) keeps the socket down
  var forbidden = false;
  var live = { socket: null, state: "reconnecting", get lastEventId() { return lastEventId; } };

  function setState(state, text, title) {
    live.state = state;
    if (!statusEl) return;
    statusEl.dataset.state = state;
    statusEl.textContent = text;
    statusEl.title = title || "";
  }

  function wsUrl() {
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + config.dataset.wsPath;
  }

  function connect() {
    clearTimeout(retryTimer);
    retryTimer = null;
    holding = false;
    if (forbidden || (socket && socket.readyState <= 1)) return;
    var ws;
    try {
      ws = new WebSocket(wsUrl());
    } catch (e) {
      scheduleReconnect();
      return;
    }
    socket = live.socket = ws;
    ws.onopen = function () {
      send({ type: "resume", after: lastEventId });
      if (PAGE === "ticket") {
        send({ type: "subscribe", ticket: TICKET });
      }
    };
    ws.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      handle(frame);
    };
    ws.onclose = function (event) {
      if (socket !== ws) return; // an older socket we already replaced
      socket = live.socket = null;
      if (event.code === CLOSE_FORBIDDEN) {
        // Signed out or no longer staff: retrying cannot help.
        forbidden = true;
        setState("offline", pgettext("live updates", "offline"), gettext("You were signed out. Reload the page to sign in again."));
        return;
      }
      if (holding) {
        setState("offline", pgettext("live updates", "offline"), gettext("Live updates are paused."));
        return;
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    failures += 1;
    if (failures >= OFFLINE_AFTER_FAILURES || navigator.onLine === false) {
      setState("offline", pgettext("live updates", "offline"), gettext("No connection to the server; still trying."));
    } else {
      setState("reconnecting", pgettext("live updates", "reconnecting…"), gettext("Connection lost; reconnecting."));
    }
    // Exponential backoff with jitter (half fixed, half random) so a server
    // restart is not met by every open inbox at the same instant.
    var delay = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, failures - 1));
    delay = delay / 2 + Math.random() * delay / 2;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }

  function disconnect(options) {
    var reconnect = !(options && options.reconnect === false);
    holding = !reconnect;
    clearTimeout(retryTimer);
    if (socket) {
      socket.close();
    } else if (holding) {
      setState("offline", pgettext("live updates", "offline"), gettext("Live updates are paused."));
    }
  }

  function send(frame) {
    if (socket && socket.readyState === 1) {
      socket.send(JSON.stringify(frame));
      return true;
    }
    return false;
  }

  window.addEventListener("online", function () { if (!socket && !holding && !forbidden) connect(); });
  window.addEventListener("offline", function () {
    if (!socket) setState("offline", pgettext("live updates", "offline"), gettext("Your browser is offline."));
  });

  // --- frames ----------------------------------------------------------------------
  function handle(frame) {
    if (typeof frame.id === "number") {
      // Stored events: each applies once, in order. Replays after a resume
      // can overlap what a broadcast already delivered.
      if (frame.id <= lastEventId) return;
      remember(frame.id);
      onEvent(frame);
      return;
    }
    switch (frame.type) {
      case "resumed":
        failures = 0;
        setState("live", pgettext("live updates", "live"), gettext("Live updates are on."));
        break;
      case "reload":
        saveDraft();
        location.reload();
        break;
      case "subscribed":
        if (frame.ticket === TICKET) {
          presence.reset(frame.data && frame.data.presence);
          presence.announce(presence.current());
        }
        break;
      case "presence":
        if (frame.ticket === TICKET) presence.update(frame.data);
        break;
      case "permissions":
        onPermissions();
        break;
      case "error":
        if (frame.data && frame.data.code === "forbidden" && frame.ticket === TICKET) {
          banner("error", gettext("You can no longer see this ticket (it moved to a queue you don't work)."));
        }
        break;
    }
  }

  function onEvent(frame) {
    if (PAGE === "callbacks") {
      // A callback opened, done or closed by a voicemail: the server renders the rows again.
      if (frame.type === "callback.updated") callbacks.refresh();
      return;
    }
    if (frame.type === "ticket.sla") slaAlert(frame);
    if (PAGE === "list") {
      if (frame.type === "ticket.created" || frame.type === "ticket.updated" || frame.type === "message.created" || frame.type === "ticket.sla") {
        list.refresh(frame.ticket);
      }
      return;
    }
    if (frame.type === "ticket.sla" && frame.ticket === TICKET) {
      ticketParts.refresh();
      return;
    }
    if (frame.ticket !== TICKET) return;
    if (frame.type === "message.created") {
      var mine = frame.data && frame.data.author === ME && frame.data.direction !== "in";
      thread.show(frame.data.message, { fresh: !mine });
    } else if (frame.type === "message.status") {
      thread.restatus(frame.data.message);
    } else if (frame.type === "ticket.updated" || frame.type === "ticket.created") {
      ticketParts.refresh();
    }
  }

  function onPermissions() {
    if (PAGE === "ticket") {
      send({ type: "subscribe", ticket: TICKET }); // answers "subscribed" or a forbidden error
    } else if (PAGE === "callbacks") {
      callbacks.refresh();
    } else {
      list.reloadResults();
    }
  }

  // --- small helpers ---------------------------------------------------------------
  // Every fetch runs after the previous one finished: frames are applied in
  // the order they came, even when a response is slow.
  var chain = Promise.resolve();
  function queue(task) {
    chain = chain.then(task).catch(function (error) {
      if (window.console) console.warn("unisono live:", error);
    });
    return chain;
  }

  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (response) {
      return response.ok ? response.json() : Promise.reject(new Error(url + " answered " + response.status));
    });
  }

  function getHTML(url) {
    return fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" }).then(function (response) {
      if (response.status === 404) return null;
      return response.ok ? response.text() : Promise.reject(new Error(url + " answered " + response.status));
    });
  }

  // Server-rendered, escaped HTML from our own endpoints into elements.
  function fragment(html, containerTag) {
    var container = document.createElement(containerTag || "template");
    container.innerHTML = html.trim();
    return container.content ? container.content.firstElementChild : container.firstElementChild;
  }

  function rowFragment(html) {
    var table = document.createElement("tbody");
    table.innerHTML = html.trim();
    return table.firstElementChild;
  }

  function flash(element) {
    element.classList.remove("live-flash");
    void element.offsetWidth; // restart the animation
    element.classList.add("live-flash");
  }

  function banner(kind, strong, detail) {
    var holder = document.getElementById("live-banners");
    if (!holder) return;
    holder.textContent = "";
    var box = document.createElement("div");
    box.className = "banner " + kind;
    box.setAttribute("role", "alert");
    var p = document.createElement("p");
    var b = document.createElement("strong");
    b.textContent = strong;
    p.appendChild(b);
    box.appendChild(p);
    if (detail) {
      var d = document.createElement("p");
      d.className = "muted";
      d.textContent = detail;
      box.appendChild(d);
    }
    holder.appendChild(box);
  }

  // --- the list page ---------------------------------------------------------------
  var list = {
    pending: new Set(),
    timer: null,

    refresh: function (ticketId) {
      // Several frames for one change (ticket.updated + message.created)
      // become one request.
      list.pending.add(ticketId);
      if (!list.timer) list.timer = setTimeout(list.flush, 50);
    },

    flush: function () {
      list.timer = null;
      var ids = Array.from(list.pending);
      list.pending.clear();
      // The server renders at most ROWS_PER_REQUEST rows per request (a
      // resume can replay changes to many tickets at once).
      for (var start = 0; start < ids.length; start += ROWS_PER_REQUEST) {
        list.fetchRows(ids.slice(start, start + ROWS_PER_REQUEST));
      }
    },

    fetchRows: function (ids) {
      var params = new URLSearchParams(location.search);
      params.set("ids", ids.join(","));
      queue(function () {
        return getJSON(ROWS_URL + "?" + params.toString()).then(list.apply);
      });
    },

    apply: function (answer) {
      var body = document.getElementById("ticket-rows");
      if (!body) return;
      // care/: the urgent band above the first page (absent on later pages
      // and in views of solved work); the server says which rows belong in it.
      var band = document.getElementById("urgent-rows");
      answer.gone.forEach(function (id) {
        var row = document.getElementById("ticket-row-" + id);
        if (row) row.remove();
      });
      answer.rows.forEach(function (entry) {
        var row = rowFragment(entry.html);
        var old = document.getElementById("ticket-row-" + entry.ticket);
        var wasSelected = old && old.classList.contains("selected");
        if (old) old.remove();
        if (entry.band && band ? list.placeUrgent(band, row) : list.place(body, row)) {
          if (wasSelected) row.classList.add("selected");
          flash(row);
        }
      });
      var banded = band ? band.querySelectorAll("tr.ticket-row").length : 0;
      if (band) band.hidden = !banded;
      var empty = body.querySelector("tr.empty");
      var rows = body.querySelectorAll("tr.ticket-row");
      if ((rows.length || banded) && empty) empty.remove();
      if (!rows.length && !banded && !empty) {
        var tr = document.createElement("tr");
        tr.className = "empty";
        var td = document.createElement("td");
        td.colSpan = 7;
        td.className = "muted";
        td.textContent = gettext("No tickets match these filters.");
        tr.appendChild(td);
        body.appendChild(tr);
      }
      var counts = document.getElementById("status-counts");
      if (counts && answer.counts) counts.innerHTML = answer.counts;
    },

    // Ordered like the server orders the pages: updated_at desc, id desc.
    // The keys are equal-length digit strings (epoch seconds + microseconds).
    newer: function (a, b) {
      var ua = a.dataset.updated, ub = b.dataset.updated;
      if (ua !== ub) return ua.length !== ub.length ? ua.length > ub.length : ua > ub;
      return parseInt(a.dataset.ticket, 10) > parseInt(b.dataset.ticket, 10);
    },

    // Ordered like the server orders the band (inbox.selectors.urgent_band):
    // breached first, then the earliest due time (none last), then id.
    moreUrgent: function (a, b) {
      var ra = urgencyRank(a), rb = urgencyRank(b);
      if (ra !== rb) return ra > rb;
      var da = a.dataset.due || "", db = b.dataset.due || "";
      if (da !== db) {
        if (!da || !db) return !!da;
        return da.length !== db.length ? da.length < db.length : da < db;
      }
      return parseInt(a.dataset.ticket, 10) < parseInt(b.dataset.ticket, 10);
    },

    place: function (body, row) {
      var rows = body.querySelectorAll("tr.ticket-row");
      for (var i = 0; i < rows.length; i++) {
        if (list.newer(row, rows[i])) {
          body.insertBefore(row, rows[i]);
          return true;
        }
      }
      // Older than every row shown: it belongs here only if this is the last page.
      if (rows.length && document.querySelector(".pager .older")) return false;
      body.appendChild(row);
      return true;
    },

    placeUrgent: function (band, row) {
      var rows = band.querySelectorAll("tr.ticket-row");
      for (var i = 0; i < rows.length; i++) {
        if (list.moreUrgent(row, rows[i])) {
          band.insertBefore(row, rows[i]);
          return true;
        }
      }
      band.appendChild(row);
      return true;
    },

    reloadResults: function () {
      queue(function () {
        return fetch(location.href, { headers: { "HX-Request": "true", "HX-Target": "ticket-results" }, credentials: "same-origin" })
          .then(function (response) { return response.text(); })
          .then(function (html) {
            var results = document.getElementById("ticket-results");
            if (results) results.innerHTML = html;
          });
      });
    },
  };

  // --- the call-me-back queue -----------------------------------------------------------
  // Rows come from the server (new, done, reordered); "overdue" is only time
  // passing, so the browser marks it itself when a row's data-due passes, on
  // the server's clock (data-now at render) rather than this computer's.
  var callbacks = {
    body: document.getElementById("callback-rows"),
    timer: null,
    dueTimer: null,
    skew: 0, // server clock minus this clock, in ms

    init: function () {
      if (!callbacks.body) return;
      var serverNow = Date.parse(callbacks.body.dataset.now || "");
      if (!isNaN(serverNow)) callbacks.skew = serverNow - Date.now();
      callbacks.markOverdue();
      // Timers sleep in a background tab: catch up when it is shown again.
      document.addEventListener("visibilitychange", callbacks.markOverdue);
    },

    refresh: function () {
      // Several frames (a resume replays many) become one request.
      if (!callbacks.timer) callbacks.timer = setTimeout(callbacks.fetch, 50);
    },

    fetch: function () {
      callbacks.timer = null;
      queue(function () {
        return fetch(location.href, { headers: { "HX-Request": "true", "HX-Target": "callback-rows" }, credentials: "same-origin" })
          .then(function (response) {
            return response.ok ? response.text() : Promise.reject(new Error("callbacks answered " + response.status));
          })
          .then(function (html) {
            var before = {};
            callbacks.body.querySelectorAll("tr.callback-row").forEach(function (row) { before[row.id] = true; });
            callbacks.body.innerHTML = html;
            callbacks.body.querySelectorAll("tr.callback-row").forEach(function (row) {
              if (!before[row.id]) flash(row);
            });
            callbacks.markOverdue();
          });
      });
    },

    markOverdue: function () {
      if (!callbacks.body) return;
      var now = Date.now() + callbacks.skew;
      var next = Infinity;
      callbacks.body.querySelectorAll("tr.callback-row[data-due]").forEach(function (row) {
        var due = Date.parse(row.dataset.due);
        if (isNaN(due)) return;
        var overdue = due <= now;
        row.classList.toggle("overdue", overdue);
        var badge = row.querySelector(".overdue-badge");
        if (badge) badge.hidden = !overdue;
        if (!overdue && due < next) next = due;
      });
      clearTimeout(callbacks.dueTimer);
      callbacks.dueTimer = null;
      if (next !== Infinity) {
        // setTimeout overflows past ~24.8 days: wake up and look again then.
        callbacks.dueTimer = setTimeout(callbacks.markOverdue, Math.min(next - now + 50, 0x7fffffff));
      }
    },
  };

  // --- care/: SLA urgency, alerts and countdowns ----------------------------------------
  function urgencyRank(row) {
    if (row.classList.contains("sla-breached")) return 2;
    if (row.classList.contains("sla-at-risk")) return 1;
    return 0;
  }

  // Whole sentences, so that a translation can put the ticket where its language wants it.
  var SLA_ALERT_TEXT = {
    first_response_at_risk: gettext("%(ticket)s is about to miss its first-answer target"),
    resolution_at_risk: gettext("%(ticket)s is about to miss its resolution target"),
    at_risk: gettext("%(ticket)s is about to miss its target"), // events stored before the targets warned separately
    first_response_breached: gettext("%(ticket)s missed its first-answer target"),
    resolution_breached: gettext("%(ticket)s missed its resolution target"),
    unanswered: gettext("%(ticket)s has a customer message nobody answered"),
  };

  function slaAlert(frame) {
    var alerts = (frame.data && frame.data.alerts) || [];
    if (!alerts.length) return;
    var format = SLA_ALERT_TEXT[alerts[alerts.length - 1]] || gettext("%(ticket)s needs attention");
    var text = interpolate(format, { ticket: frame.data.reference || gettext("A ticket") }, true);
    banner("sla", text, frame.data.assignee_away ? gettext("Its assignee is away: someone else should pick it up.") : "");
  }

  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var due = Date.parse(element.dataset.countdown);
      if (isNaN(due)) return;
      var minutes = Math.round(Math.abs(due - now) / 60000);
      var span = minutes >= 120
        ? interpolate(gettext("%(hours)s h"), { hours: Math.round(minutes / 60) }, true)
        : interpolate(gettext("%(minutes)s min"), { minutes: minutes }, true);
      element.textContent = interpolate(due >= now ? gettext("in %(time)s") : gettext("%(time)s overdue"), { time: span }, true);
      element.classList.toggle("overdue", due < now);
    });
  }

  // --- the ticket page -------------------------------------------------------------
  var replyForm = document.getElementById("reply-form");
  var replyBody = replyForm && replyForm.querySelector("textarea[name=body]");
  var noteForm = document.getElementById("note-form");

  var thread = {
    el: document.getElementById("thread"),

    messageUrl: function (id, fresh) {
      return TICKET_URL + "messages/" + id + "/" + (fresh ? "?new=1" : "");
    },

    insert: function (element) {
      var existing = document.getElementById(element.id);
      if (existing) {
        existing.replaceWith(element);
        return;
      }
      var empty = thread.el.querySelector("li.empty");
      if (empty) empty.remove();
      thread.el.appendChild(element);
    },

    // A message arrived: show it, marked new when someone else wrote it. The
    // reply form's last_seen_message_id is NOT moved: the agent has not
    // acknowledged it yet, and the server's stale-reply guard must still catch
    // a reply written before it.
    show: function (messageId, options) {
      queue(function () {
        if (document.getElementById("message-" + messageId)) return;
        return getHTML(thread.messageUrl(messageId, options.fresh)).then(function (html) {
          if (!html || document.getElementById("message-" + messageId)) return;
          var element = fragment(html);
          thread.insert(element);
          if (options.fresh) flash(element);
        });
      });
    },

    restatus: function (messageId) {
      queue(function () {
        var current = document.getElementById("message-" + messageId);
        if (!current) return;
        var fresh = current.classList.contains("newer");
        return getHTML(thread.messageUrl(messageId, fresh)).then(function (html) {
          var still = document.getElementById("message-" + messageId);
          if (html && still) still.replaceWith(fragment(html));
        });
      });
    },
  };

  var ticketParts = {
    refresh: function () {
      queue(function () {
        return getJSON(TICKET_URL + "parts/").then(function (parts) {
          var header = document.getElementById("ticket-header");
          if (header) {
            header.innerHTML = parts.header;
            tickCountdowns();
            flash(header);
          }
          var controls = document.getElementById("ticket-controls");
          // Never pull a select out from under someone using it.
          if (controls && !controls.contains(document.activeElement)) {
            controls.replaceWith(fragment(parts.controls));
          }
        });
      });
    },
  };

  // Presence: who else is on this ticket. Entries expire client-side when
  // their expires_in passes without a refresh (a closed laptop sends no "left").
  var presence = {
    el: document.getElementById("presence"),
    people: new Map(),
    lastTypedAt: 0,
    lastTypingSentAt: 0,
    idleTimer: null,

    current: function () {
      return Date.now() - presence.lastTypedAt < TYPING_IDLE_MS ? "typing" : "viewing";
    },

    announce: function (state) {
      if (PAGE !== "ticket") return;
      send({ type: "presence", ticket: TICKET, state: state });
    },

    reset: function (entries) {
      presence.people.clear();
      (entries || []).forEach(presence.update);
    },

    update: function (entry) {
      if (!entry || entry.user === ME) return;
      if (entry.state === "left") {
        presence.people.delete(entry.user);
      } else {
        presence.people.set(entry.user, {
          name: entry.name,
          state: entry.state,
          until: Date.now() + (entry.expires_in || 30) * 1000,
        });
      }
      presence.render();
    },

    prune: function () {
      var now = Date.now();
      var changed = false;
      presence.people.forEach(function (entry, user) {
        if (entry.until <= now) {
          presence.people.delete(user);
          changed = true;
        }
      });
      if (changed) presence.render();
    },

    render: function () {
      if (!presence.el) return;
      presence.el.textContent = "";
      presence.people.forEach(function (entry, user) {
        var li = document.createElement("li");
        li.dataset.user = user;
        li.dataset.state = entry.state;
        li.textContent = interpolate(entry.state === "typing" ? gettext("%(name)s is typing…") : gettext("%(name)s is viewing"), { name: entry.name }, true);
        presence.el.appendChild(li);
      });
    },

    typed: function () {
      presence.lastTypedAt = Date.now();
      if (presence.lastTypedAt - presence.lastTypingSentAt > TYPING_THROTTLE_MS) {
        presence.lastTypingSentAt = presence.lastTypedAt;
        presence.announce("typing");
      }
      clearTimeout(presence.idleTimer);
      presence.idleTimer = setTimeout(function () {
        presence.lastTypingSentAt = 0;
        presence.announce("viewing");
      }, TYPING_IDLE_MS);
    },
  };

  // --- the reply form through fetch --------------------------------------------------
  // Without JS the form posts and the server answers a page (409 on a stale
  // reply). With JS the same endpoint answers JSON, and the draft never leaves
  // the textarea unless the reply was stored.
  var replyStatus = document.getElementById("reply-status");

  // A failure this file explains itself (its message is for the agent), as
  // opposed to one from fetch (the network), which gets the general text.
  function notSent(text) {
    var error = new Error(text);
    error.forAgent = true;
    return error;
  }

  function say(text, kind) {
    if (!replyStatus) return;
    replyStatus.textContent = text;
    replyStatus.className = "reply-status" + (kind ? " " + kind : "");
  }

  function submitReply(event) {
    event.preventDefault();
    var button = replyForm.querySelector("button[type=submit]");
    if (button.disabled) return;
    button.disabled = true;
    say(gettext("Sending…"));
    fetch(replyForm.action, {
      method: "POST",
      body: new FormData(replyForm),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        if (response.status === 404) {
          throw notSent(gettext("Your reply was not sent: this ticket is no longer in your queues. Your draft is still here."));
        }
        if (type.indexOf("application/json") !== 0) {
          // Signed out (redirect to sign-in) or an unexpected page.
          throw notSent(gettext("Your reply was not sent: reload the page (you may have been signed out). Your draft is still here."));
        }
        return response.json().then(function (answer) { return { status: response.status, answer: answer }; });
      })
      .then(function (result) {
        var answer = result.answer;
        if (result.status === 201) {
          replyBody.value = "";
          forgetDraft();
          document.getElementById("live-banners").textContent = "";
          if (!document.getElementById("message-" + answer.message)) thread.insert(fragment(answer.html));
          say(answer.notice, "ok");
        } else if (result.status === 409) {
          // Show what the agent had not read, then (only now) count it as seen.
          answer.messages.forEach(function (entry) {
            var element = fragment(entry.html);
            var existing = document.getElementById("message-" + entry.message);
            if (!existing) {
              thread.insert(element);
            } else if (element.classList.contains("newer") && !existing.classList.contains("newer")) {
              existing.replaceWith(element);
            }
          });
          replyForm.querySelector("input[name=last_seen_message_id]").value = answer.last_seen_message_id;
          banner("stale", answer.error, gettext("Your draft is kept below. The new messages are highlighted."));
          say(gettext("Not sent yet: read the new messages, then send again."), "error");
          replyBody.focus();
        } else {
          say(answer.error || gettext("Your reply was not sent."), "error");
        }
      })
      .catch(function (error) {
        say(error && error.forAgent
          ? error.message
          : gettext("Your reply was not sent: the server could not be reached. Your draft is still here."), "error");
      })
      .then(function () { button.disabled = false; });
  }

  // A reload frame (or any navigation) must not eat a draft.
  function saveDraft() {
    if (replyBody && replyBody.value.trim()) {
      try { sessionStorage.setItem(DRAFT_KEY, replyBody.value); } catch (e) { /* nothing to do */ }
    }
  }

  function forgetDraft() {
    try { sessionStorage.removeItem(DRAFT_KEY); } catch (e) { /* nothing to do */ }
  }

  function restoreDraft() {
    var draft = null;
    try { draft = sessionStorage.getItem(DRAFT_KEY); } catch (e) { /* nothing to do */ }
    if (draft && replyBody && !replyBody.value) replyBody.value = draft;
    forgetDraft();
  }

  // --- keyboard shortcuts ------------------------------------------------------------
  var help = document.getElementById("shortcuts-help");

  function toggleHelp(show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  function typingIn(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function moveSelection(step) {
    // The urgent band's rows first, then the page's (document order).
    var rows = Array.prototype.slice.call(document.querySelectorAll("#urgent-rows tr.ticket-row, #ticket-rows tr.ticket-row"));
    if (!rows.length) return;
    var index = rows.findIndex(function (row) { return row.classList.contains("selected"); });
    var next = index === -1 ? (step > 0 ? 0 : rows.length - 1) : Math.max(0, Math.min(rows.length - 1, index + step));
    rows.forEach(function (row) { row.classList.remove("selected"); row.removeAttribute("aria-selected"); });
    rows[next].classList.add("selected");
    rows[next].setAttribute("aria-selected", "true");
    rows[next].scrollIntoView({ block: "nearest" });
  }

  function openSelection() {
    var row = document.querySelector("#urgent-rows tr.ticket-row.selected, #ticket-rows tr.ticket-row.selected");
    var link = row && row.querySelector("a[href]");
    if (link) location.assign(link.href);
    return !!link;
  }

  function submitForm(id) {
    var form = document.getElementById(id);
    if (!form) return false;
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
    return true;
  }

  function focusField(form) {
    var field = form && form.querySelector("textarea");
    if (!field) return false;
    field.focus();
    field.scrollIntoView({ block: "center" });
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      if (help && !help.hidden) {
        toggleHelp(false);
      } else if (typingIn(event.target)) {
        event.target.blur();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typingIn(event.target)) return;
    var handled = false;
    if (event.key === "?") {
      toggleHelp();
      handled = true;
    } else if (PAGE === "list") {
      if (event.key === "j") { moveSelection(1); handled = true; }
      else if (event.key === "k") { moveSelection(-1); handled = true; }
      else if (event.key === "o" || event.key === "Enter") {
        // Enter on a focused link or button keeps its own meaning.
        if (event.key === "Enter" && event.target.closest && event.target.closest("a, button")) return;
        handled = openSelection();
      }
    } else if (PAGE === "ticket") {
      if (event.key === "r") handled = focusField(replyForm);
      else if (event.key === "n") handled = focusField(noteForm);
      else if (event.key === "a") handled = submitForm("assign-me-form");
      else if (event.key === "c") handled = submitForm("solve-form");
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest && event.target.closest("[data-shortcuts-toggle]");
    if (toggle) toggleHelp();
  });

  // --- start -------------------------------------------------------------------------
  if (PAGE === "ticket") {
    if (replyForm && replyBody) {
      restoreDraft();
      replyForm.addEventListener("submit", submitReply);
      replyBody.addEventListener("input", presence.typed);
    }
    setInterval(function () { presence.announce(presence.current()); }, HEARTBEAT_MS);
    setInterval(presence.prune, 1000);
    window.addEventListener("pagehide", function () { presence.announce("left"); });
  }

  if (PAGE === "callbacks") callbacks.init();
  tickCountdowns();
  setInterval(tickCountdowns, 15000);

  live.connect = connect;
  live.disconnect = disconnect;
  window.unisonoLive = live;
  connect();
})();
