// Audition page: one active player at a time, A/B at the same position, a shared time cursor.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("audition-data").textContent);
  var cards = Array.prototype.slice.call(document.querySelectorAll(".track"));
  var players = cards.map(function (c) { return c.querySelector("audio"); });
  var cursors = cards.map(function (c) { return c.querySelector(".cursor"); });
  var pics = cards.map(function (c) { return c.querySelector(".pic"); });
  var now = document.getElementById("now");
  var bSelect = document.getElementById("b-select");
  var active = 0;
  var bIndex = players.length > 1 ? 1 : 0;
  var source = data.sourceIndex;  // -1 when there is no source track

  function fmt(t) {
    if (!isFinite(t)) { t = 0; }
    var m = Math.floor(t / 60), s = t - m * 60;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  }

  function mark() {
    cards.forEach(function (c, i) {
      c.classList.toggle("active", i === active);
      c.classList.toggle("is-b", i === bIndex && i !== aIndex());
    });
    document.body.setAttribute("data-active", String(active));
    document.body.setAttribute("data-b", String(bIndex));
  }

  function aIndex() { return source >= 0 ? source : 0; }

  // Make track i the one playing; keep the position of the current one unless told otherwise.
  function activate(i, keepPosition) {
    if (i < 0 || i >= players.length) { return; }
    var cur = players[active], next = players[i];
    var t = cur.currentTime, playing = !cur.paused;
    players.forEach(function (p, j) { if (j !== i && !p.paused) { p.pause(); } });
    if (keepPosition && i !== active) {
      var limit = isFinite(next.duration) ? next.duration : t;
      try { next.currentTime = Math.min(t, limit); } catch (e) { /* not seekable yet */ }
    }
    active = i;
    mark();
    if (playing && next.paused) { next.play().catch(function () {}); }
  }

  function toggleAB() {
    var a = aIndex();
    activate(active === a ? bIndex : a, true);
  }

  function playPause() {
    var p = players[active];
    if (p.paused) { p.play().catch(function () {}); } else { p.pause(); }
  }

  players.forEach(function (p, i) {
    p.addEventListener("play", function () {
      if (i !== active) { activate(i, false); }
      players.forEach(function (q, j) { if (j !== i && !q.paused) { q.pause(); } });
    });
  });

  pics.forEach(function (pic, i) {
    pic.addEventListener("click", function (ev) {
      var r = pic.getBoundingClientRect();
      var t = Math.max(0, (ev.clientX - r.left) / r.width) * data.axisSeconds;
      var p = players[i];
      var playing = !players[active].paused;
      activate(i, false);
      try { p.currentTime = Math.min(t, isFinite(p.duration) ? p.duration : t); } catch (e) {}
      if (playing && p.paused) { p.play().catch(function () {}); }
    });
  });

  cards.forEach(function (c, i) {
    var listen = c.querySelector("[data-action=listen]");
    if (listen) { listen.addEventListener("click", function () { activate(i, true); }); }
    var setB = c.querySelector("[data-action=set-b]");
    if (setB) {
      setB.addEventListener("click", function () { bIndex = i; bSelect.value = String(i); mark(); });
    }
  });

  if (bSelect) {
    bSelect.value = String(bIndex);
    bSelect.addEventListener("change", function () { bIndex = parseInt(bSelect.value, 10); mark(); });
  }
  document.getElementById("ab").addEventListener("click", toggleAB);
  document.getElementById("play").addEventListener("click", playPause);

  document.addEventListener("keydown", function (ev) {
    if (ev.target && /INPUT|SELECT|TEXTAREA/.test(ev.target.tagName)) { return; }
    var p = players[active];
    if (ev.key === " ") { ev.preventDefault(); playPause(); }
    else if (ev.key === "x" || ev.key === "X") { toggleAB(); }
    else if (ev.key === "ArrowLeft") { p.currentTime = Math.max(0, p.currentTime - 5); }
    else if (ev.key === "ArrowRight") { p.currentTime = p.currentTime + 5; }
    else if (/^[0-9]$/.test(ev.key)) { activate(parseInt(ev.key, 10), true); }
  });

  function tick() {
    var t = players[active] ? players[active].currentTime : 0;
    var left = Math.min(100, (t / data.axisSeconds) * 100) + "%";
    cursors.forEach(function (c) { c.style.left = left; });
    if (now) { now.textContent = cards[active].getAttribute("data-label") + "  " + fmt(t); }
    window.requestAnimationFrame(tick);
  }

  // Matched loudness: each player's volume is its playbackGainDB (<= 0) unless unticked.
  var matchedBox = document.getElementById("matched");
  function applyGains() {
    var on = !!(matchedBox && matchedBox.checked);
    players.forEach(function (p, i) {
      var g = (data.gainsDB || [])[i];
      p.volume = on && typeof g === "number" ? Math.min(1, Math.pow(10, g / 20)) : 1;
    });
    document.body.setAttribute("data-matched", on ? "1" : "0");
  }
  if (matchedBox) { matchedBox.addEventListener("change", applyGains); }
  applyGains();

  // Picks: kept in this browser (localStorage) and offered as a picks file to download,
  // which `minimax-cover pick picks.json` records in the journal.
  var picked = null;
  var pickStatus = document.getElementById("pick-status");
  var download = document.getElementById("picks-download");
  function loadPick() {
    try { var v = window.localStorage.getItem(data.pageKey); return v === null ? null : parseInt(v, 10); }
    catch (e) { return null; }
  }
  function showPick() {
    cards.forEach(function (c, i) {
      var on = i === picked;
      c.classList.toggle("picked", on);
      var b = c.querySelector("[data-action=pick]");
      if (b) { b.setAttribute("aria-pressed", on ? "true" : "false"); b.textContent = on ? "Picked" : "Pick"; }
    });
    if (picked === null || !data.tracks || !data.tracks[picked]) {
      if (pickStatus) { pickStatus.textContent = "no pick yet"; }
      if (download) { download.hidden = true; }
      return;
    }
    var t = data.tracks[picked];
    if (pickStatus) { pickStatus.textContent = "picked: " + t.label; }
    if (download) {
      var file = {picks: [{page: data.title, taskUUID: data.taskUUID, label: t.label,
                           file: t.name, seed: t.seed}]};
      download.href = "data:application/json;charset=utf-8," + encodeURIComponent(JSON.stringify(file, null, 2));
      download.hidden = false;
    }
    document.body.setAttribute("data-picked", String(picked));
  }
  function pick(i) {
    picked = picked === i ? null : i;
    try {
      if (picked === null) { window.localStorage.removeItem(data.pageKey); }
      else { window.localStorage.setItem(data.pageKey, String(picked)); }
    } catch (e) { /* storage off: the pick lasts until the page closes */ }
    showPick();
  }
  cards.forEach(function (c, i) {
    var b = c.querySelector("[data-action=pick]");
    if (b) { b.addEventListener("click", function () { pick(i); }); }
  });
  picked = loadPick();
  showPick();

  // Audio that does not load (the page was copied without its files): say so once, plainly.
  var missingBox = document.getElementById("missing-audio");
  var missing = [];
  function noteMissing(i) {
    if (missing.indexOf(i) >= 0) { return; }
    missing.push(i);
    cards[i].classList.add("no-audio");
    if (missingBox) {
      missingBox.hidden = false;
      missingBox.textContent = "Audio not found for " + missing.length + " of " + players.length +
        " tracks (" + missing.map(function (j) { return data.labels[j]; }).join(", ") + "). " +
        "This page links its audio files by relative path: keep it next to them, or make it " +
        "with --embed to carry the audio inside.";
    }
  }
  players.forEach(function (p, i) {
    p.addEventListener("error", function () { noteMissing(i); });
    if (p.error) { noteMissing(i); }
  });

  // The page's own API, for tests and the curious: auditionPage.activate(2), .toggleAB()
  window.auditionPage = {
    activate: activate, toggleAB: toggleAB, playPause: playPause, pick: pick, applyGains: applyGains,
    get active() { return active; }, get b() { return bIndex; }, get picked() { return picked; },
    get missing() { return missing.slice(); }, players: players
  };
  mark();
  tick();
})();
