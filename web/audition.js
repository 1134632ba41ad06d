// MiniMax Cover: the audition panel of the "MiniMax Cover Audition" node.
// Plain ES module, no build step. ComfyUI serves it from the pack's WEB_DIRECTORY.
// The node's ui output "minimax_audition" lists the source and the takes (audio + picture);
// this panel shows a picture, a player and a Pick button per track, and A/B switching that
// keeps the playback position. Pick sets the node's "pick" widget: queue again to pass it on.
// Each entry may carry its measures (melody kept, LUFS, dBTP, rank, playbackGainDB): they are
// shown per track, and A/B plays at matched loudness (volume = the gain) unless unticked.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";

const NODE = "MiniMaxCoverAudition";
const UI_KEY = "minimax_audition";
const STYLE_ID = "minimax-cover-audition-style";
const ROW_CHROME = 84;  // a row's header, measures, player and padding, in CSS pixels
const PICTURE_RATIO = 202 / 960;  // the pictures' height / width

const CSS = `
.mmc-audition{display:flex;flex-direction:column;gap:6px;font:12px/1.35 system-ui,sans-serif;
  color:var(--input-text,#ddd);overflow:auto;padding:2px 4px;box-sizing:border-box}
.mmc-audition .mmc-bar{display:flex;gap:6px;align-items:center;flex-wrap:wrap}
.mmc-audition button{background:var(--comfy-input-bg,#222);color:inherit;border:1px solid
  var(--border-color,#555);border-radius:4px;padding:2px 8px;cursor:pointer;font:inherit}
.mmc-audition button:hover{border-color:#8fc1ff}
.mmc-audition .mmc-now{opacity:.75;font-variant-numeric:tabular-nums}
.mmc-audition .mmc-empty{opacity:.7;padding:6px 0}
.mmc-audition .mmc-track{border:1px solid var(--border-color,#444);border-radius:6px;padding:4px 6px}
.mmc-audition .mmc-track.mmc-active{border-color:#8fc1ff}
.mmc-audition .mmc-track.mmc-picked{box-shadow:inset 4px 0 0 #ffb26b}
.mmc-audition .mmc-head{display:flex;gap:8px;align-items:center;margin-bottom:3px}
.mmc-audition .mmc-head b{flex:0 0 auto}
.mmc-audition .mmc-head span{opacity:.7;flex:1 1 auto}
.mmc-audition .mmc-pic{position:relative;line-height:0;cursor:crosshair}
.mmc-audition .mmc-pic img{width:100%;height:auto;border-radius:3px}
.mmc-audition .mmc-cursor{position:absolute;top:0;bottom:0;width:2px;margin-left:-1px;
  background:#fff;opacity:.85;pointer-events:none;left:0}
.mmc-audition audio{width:100%;height:28px;margin-top:3px}
.mmc-audition .mmc-measures{opacity:.9;margin-bottom:3px;font-variant-numeric:tabular-nums}
.mmc-audition .mmc-best{padding:0 5px;border-radius:6px;background:#1d4d2b;color:#b6f2c4}
.mmc-audition .mmc-hot{color:#ff9c9c}
.mmc-audition label.mmc-matched{display:inline-flex;gap:4px;align-items:center}
.mmc-audition .mmc-scale{position:absolute;left:3px;top:0;bottom:0;pointer-events:none;font-size:9px;
  line-height:1;color:#d6dbe4;text-shadow:0 0 3px #000,0 0 2px #000}
.mmc-audition .mmc-scale span{position:absolute;left:0;transform:translateY(-50%);white-space:nowrap}
.mmc-audition .mmc-scale-db span:first-child{transform:none}
.mmc-audition .mmc-legend{display:inline-flex;gap:4px;align-items:center;opacity:.8}
.mmc-audition .mmc-legend i{display:inline-block;width:90px;height:8px;border-radius:2px}
.mmc-audition .mmc-section{position:absolute;top:0;bottom:0;opacity:.3;pointer-events:none;
  border-right:1px solid #0009;box-sizing:border-box}
.mmc-audition .mmc-section span{position:absolute;left:3px;top:2px;font-size:10px;line-height:1;
  color:#fff;text-shadow:0 0 2px #000;white-space:nowrap}
`;

// Axis labels over a picture (dB on the waveform, Hz on the spectrogram) from the node's marks.
function scaleLayers(scales) {
  if (!scales) return [];
  return ["db", "freq"].map((kind) => {
    const layer = document.createElement("div");
    layer.className = `mmc-scale mmc-scale-${kind}`;
    (scales[kind] || []).forEach(([label, top]) => {
      const span = document.createElement("span");
      span.textContent = label;
      span.style.top = `${Number(top)}%`;
      layer.appendChild(span);
    });
    return layer;
  });
}

// The spectrogram's colour scale, floor to top dBFS.
function colourLegend(scales) {
  if (!scales || !Array.isArray(scales.colours)) return null;
  const legend = document.createElement("span");
  legend.className = "mmc-legend";
  const low = document.createElement("span");
  low.textContent = `${scales.floorDB} dBFS`;
  const bar = document.createElement("i");
  const stops = scales.colours.map((c) => `rgb(${c.map(Number).join(",")})`).join(",");
  bar.style.background = `linear-gradient(90deg,${stops})`;
  const high = document.createElement("span");
  high.textContent = `${scales.topDB} dBFS`;
  legend.append(low, bar, high);
  return legend;
}

// The card's line of measures, as text spans (never HTML from the entry).
function measuresLine(m) {
  const line = document.createElement("div");
  line.className = "mmc-measures";
  if (!m) return null;
  const add = (text, cls) => {
    if (line.childNodes.length) line.appendChild(document.createTextNode(" · "));
    const span = document.createElement("span");
    span.textContent = text;
    if (cls) span.className = cls;
    line.appendChild(span);
  };
  if (m.melodyKept != null) add(`melody kept ${m.melodyKept.toFixed(2)} · rank ${m.rank}`);
  if (m.best) add("best", "mmc-best");
  if (m.loudnessLUFS != null) add(`${m.loudnessLUFS.toFixed(1)} LUFS`);
  if (m.truePeakDBTP != null) add(`${m.truePeakDBTP.toFixed(1)} dBTP`, m.truePeakDBTP > -1 ? "mmc-hot" : "");
  if (m.clippedSamples) add(`${m.clippedSamples} clipped`, "mmc-hot");
  if (m.playbackGainDB != null) add(`plays at ${m.playbackGainDB >= 0 ? "+" : ""}${m.playbackGainDB.toFixed(1)} dB`, "mmc-gain");
  return line;
}

function addStyle() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  document.head.appendChild(style);
}

function viewURL(file) {
  const q = new URLSearchParams({
    filename: file.filename, subfolder: file.subfolder || "", type: file.type || "temp",
  });
  return api.apiURL(`/view?${q.toString()}`);
}

function clock(t) {
  if (!isFinite(t)) t = 0;
  const m = Math.floor(t / 60), s = t - m * 60;
  return `${m}:${s < 10 ? "0" : ""}${s.toFixed(1)}`;
}

// The song's sections (from the Preprocess node) as bands over the source's picture.
const SECTION_COLORS = {
  intro: "#6b8cff", verse: "#4fb286", "pre-chorus": "#c9a227", chorus: "#e0655b",
  bridge: "#a46bd6", outro: "#5a7bd8", inst: "#8a8f98", silence: "#3a3d42",
};

function sectionBands(entry) {
  const axis = entry.axis || entry.duration || 1;
  return (entry.sections || []).filter((s) => s.end > s.start).map((s) => {
    const band = document.createElement("div");
    band.className = "mmc-section";
    band.dataset.label = s.label;
    band.title = `${s.label} ${clock(s.start)}–${clock(s.end)}`;
    band.style.left = `${(100 * s.start) / axis}%`;
    band.style.width = `${(100 * (Math.min(s.end, axis) - s.start)) / axis}%`;
    band.style.background = SECTION_COLORS[s.label] || "#777";
    const label = document.createElement("span");
    label.textContent = s.label;
    band.appendChild(label);
    return band;
  });
}

// One panel per node: its DOM, players and A/B state.
class AuditionPanel {
  constructor(node) {
    this.node = node;
    this.root = document.createElement("div");
    this.root.className = "mmc-audition";
    this.root.dataset.nodeId = String(node.id);
    this.players = [];
    this.cards = [];
    this.entries = [];
    this.active = 0;
    this.frame = 0;
    this.renderEmpty();
  }

  get pickWidget() {
    return (this.node.widgets || []).find((w) => w.name === "pick");
  }

  renderEmpty() {
    this.root.replaceChildren();
    const note = document.createElement("div");
    note.className = "mmc-empty";
    note.textContent = "Queue the workflow: the source and every take appear here to compare.";
    this.root.appendChild(note);
  }

  sourceIndex() {
    const i = this.entries.findIndex((e) => e.kind === "source");
    return i >= 0 ? i : 0;
  }

  pickedIndex() {
    const pick = Number(this.pickWidget?.value ?? 1);
    const i = this.entries.findIndex((e) => e.take === pick);
    return i >= 0 ? i : this.entries.findIndex((e) => e.kind === "take");
  }

  render(entries, scales) {
    this.stop();
    this.scales = scales || null;
    this.entries = entries || [];
    this.players = [];
    this.cards = [];
    this.active = 0;
    this.root.replaceChildren();
    if (!this.entries.length) { this.renderEmpty(); return; }
    const bar = document.createElement("div");
    bar.className = "mmc-bar";
    const ab = document.createElement("button");
    ab.type = "button";
    ab.className = "mmc-ab";
    ab.textContent = "A/B";
    ab.title = "Switch between the source (A) and the picked take (B) at the same position";
    ab.addEventListener("click", () => this.toggleAB());
    const play = document.createElement("button");
    play.type = "button";
    play.textContent = "Play / pause";
    play.addEventListener("click", () => this.playPause());
    this.now = document.createElement("span");
    this.now.className = "mmc-now";
    bar.append(play, ab, this.now);
    const legend = colourLegend(this.scales);
    if (legend) bar.appendChild(legend);
    if (this.entries.some((e) => e.measures && e.measures.playbackGainDB != null)) {
      const label = document.createElement("label");
      label.className = "mmc-matched";
      label.title = "Play every track at the loudness of the quietest (gain shown per track)";
      this.matchedBox = document.createElement("input");
      this.matchedBox.type = "checkbox";
      this.matchedBox.className = "mmc-matched-box";
      this.matchedBox.checked = this.matched !== false;
      this.matchedBox.addEventListener("change", () => {
        this.matched = this.matchedBox.checked;
        this.applyGains();
      });
      label.append(this.matchedBox, document.createTextNode("matched loudness"));
      bar.appendChild(label);
    } else {
      this.matchedBox = null;
    }
    this.root.appendChild(bar);
    this.entries.forEach((entry, i) => this.root.appendChild(this.card(entry, i)));
    this.applyGains();
    this.mark();
    this.tick();
  }

  // Matched loudness: each player's volume is 10^(gain/20) (gains are <= 0), else 1.
  applyGains() {
    const on = !!(this.matchedBox && this.matchedBox.checked);
    this.players.forEach((p, i) => {
      const g = this.entries[i]?.measures?.playbackGainDB;
      p.volume = on && typeof g === "number" ? Math.min(1, Math.pow(10, g / 20)) : 1;
    });
    this.root.dataset.matched = on ? "1" : "0";
  }

  card(entry, i) {
    const card = document.createElement("div");
    card.className = "mmc-track";
    card.dataset.index = String(i);
    card.dataset.kind = entry.kind;
    if (entry.take != null) card.dataset.take = String(entry.take);
    const head = document.createElement("div");
    head.className = "mmc-head";
    const title = document.createElement("b");
    title.textContent = entry.label;
    const info = document.createElement("span");
    info.textContent = `${clock(entry.duration)} · ${entry.sample_rate} Hz · ${entry.channels} ch`;
    head.append(title, info);
    const listen = document.createElement("button");
    listen.type = "button";
    listen.className = "mmc-listen";
    listen.textContent = "Listen";
    listen.title = "Play this one from the same position";
    listen.addEventListener("click", () => this.activate(i, true));
    head.appendChild(listen);
    if (entry.kind === "take") {
      const pick = document.createElement("button");
      pick.type = "button";
      pick.className = "mmc-pick";
      pick.textContent = "Pick";
      pick.title = "Pass this take on (queue again; the takes are cached)";
      pick.addEventListener("click", () => this.pick(entry.take));
      head.appendChild(pick);
    }
    const pic = document.createElement("div");
    pic.className = "mmc-pic";
    const img = document.createElement("img");
    img.alt = `waveform and spectrogram of ${entry.label}`;
    img.src = viewURL(entry.picture);
    img.draggable = false;
    const cursor = document.createElement("div");
    cursor.className = "mmc-cursor";
    pic.append(img, ...scaleLayers(this.scales), ...sectionBands(entry), cursor);
    pic.addEventListener("click", (ev) => {
      const r = pic.getBoundingClientRect();
      const t = Math.max(0, (ev.clientX - r.left) / r.width) * (entry.axis || entry.duration);
      const wasPlaying = !this.players[this.active].paused;
      this.activate(i, false);
      const p = this.players[i];
      try { p.currentTime = Math.min(t, isFinite(p.duration) ? p.duration : t); } catch (e) {}
      if (wasPlaying && p.paused) p.play().catch(() => {});
    });
    const audio = document.createElement("audio");
    audio.controls = true;
    audio.preload = "auto";
    audio.src = viewURL(entry.audio);
    audio.dataset.label = entry.label;
    audio.addEventListener("play", () => {
      if (i !== this.active) this.activate(i, false);
      this.players.forEach((q, j) => { if (j !== i && !q.paused) q.pause(); });
    });
    const line = measuresLine(entry.measures);
    if (line) card.append(head, line, pic, audio); else card.append(head, pic, audio);
    this.players.push(audio);
    this.cards.push({ card, cursor, entry });
    return card;
  }

  // Make track i the one playing, at the current track's position (keepPosition).
  activate(i, keepPosition) {
    if (i < 0 || i >= this.players.length) return;
    const cur = this.players[this.active], next = this.players[i];
    const t = cur.currentTime, playing = !cur.paused;
    this.players.forEach((p, j) => { if (j !== i && !p.paused) p.pause(); });
    if (keepPosition && i !== this.active) {
      try { next.currentTime = Math.min(t, isFinite(next.duration) ? next.duration : t); }
      catch (e) { /* not seekable yet */ }
    }
    this.active = i;
    this.mark();
    if (playing && next.paused) next.play().catch(() => {});
  }

  toggleAB() {
    const a = this.sourceIndex();
    let b = this.pickedIndex();
    if (b === a) b = this.entries.findIndex((e, j) => j !== a);
    this.activate(this.active === a ? b : a, true);
  }

  playPause() {
    const p = this.players[this.active];
    if (!p) return;
    if (p.paused) p.play().catch(() => {}); else p.pause();
  }

  pick(take) {
    const w = this.pickWidget;
    if (!w) return;
    w.value = take;
    if (typeof w.callback === "function") w.callback(take, app.canvas, this.node);
    this.node.setDirtyCanvas?.(true, true);
    app.graph?.setDirtyCanvas?.(true, true);
    this.mark();
  }

  mark() {
    const picked = this.pickedIndex();
    this.cards.forEach(({ card }, i) => {
      card.classList.toggle("mmc-active", i === this.active);
      card.classList.toggle("mmc-picked", i === picked);
    });
    this.root.dataset.active = String(this.active);
    this.root.dataset.picked = String(this.entries[picked]?.take ?? "");
  }

  tick() {
    const p = this.players[this.active];
    if (p) {
      const entry = this.entries[this.active];
      const axis = entry.axis || entry.duration || 1;
      const left = `${Math.min(100, (p.currentTime / axis) * 100)}%`;
      this.cards.forEach(({ cursor }) => { cursor.style.left = left; });
      if (this.now) this.now.textContent = `${entry.label} ${clock(p.currentTime)}`;
    }
    this.frame = requestAnimationFrame(() => this.tick());
  }

  stop() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = 0;
    this.players.forEach((p) => { p.pause(); });
  }

  // Height the panel needs: bar + rows (a row is header, picture at the panel's width, player).
  height() {
    if (!this.entries.length) return 40;
    const width = Math.max(this.root.clientWidth || 0, (this.node.size?.[0] ?? 520) - 20);
    const row = ROW_CHROME + (width - 14) * PICTURE_RATIO;
    return Math.ceil(36 + this.entries.length * (row + 6));
  }
}

function fitNode(node, panel) {
  const width = Math.max(node.size?.[0] ?? 0, 520);
  const size = node.computeSize?.() ?? [width, 0];
  node.setSize?.([width, Math.max(size[1], node.size?.[1] ?? 0, panel.height() + 120)]);
  node.setDirtyCanvas?.(true, true);
}

// After a workflow tab switch the frontend builds the graph anew: the panel shows the node's
// last output again (ComfyUI restores it into app.nodeOutputs after loading the tab; this
// module keeps its own copy per graph and node for frontends that do not).
const lastEntries = new Map();  // `${graph id}:${node id}` -> {entries, scale}

function outputKey(node) {
  return `${node.graph?.id ?? ""}:${node.id}`;
}

function lastOutput(node) {
  const kept = app.nodeOutputs?.[String(node.id)];
  const entries = kept?.[UI_KEY];
  if (Array.isArray(entries) && entries.length) {
    const scales = kept[`${UI_KEY}_scales`];
    return { entries, scale: Array.isArray(scales) ? scales[0] : null };
  }
  return lastEntries.get(outputKey(node));
}

function restorePanel(node, tries = 30) {
  const panel = node.mmcAudition;
  if (!panel || panel.entries.length) return;  // removed, or showing takes already
  const last = node.id != null && node.id !== -1 ? lastOutput(node) : null;
  if (last?.entries?.length) {
    panel.render(last.entries, last.scale);
    fitNode(node, panel);
  } else if (tries > 0) {  // the frontend restores outputs after the graph is configured
    setTimeout(() => restorePanel(node, tries - 1), 100);
  }
}

app.registerExtension({
  name: "MiniMaxCover.Audition",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData?.name !== NODE) return;
    addStyle();
    const onNodeCreated = nodeType.prototype.onNodeCreated;
    nodeType.prototype.onNodeCreated = function () {
      const r = onNodeCreated?.apply(this, arguments);
      const panel = new AuditionPanel(this);
      this.mmcAudition = panel;
      this.addDOMWidget("audition", "minimax_audition", panel.root, {
        serialize: false,
        hideOnZoom: false,
        getValue: () => "",
        setValue: () => {},
        getMinHeight: () => panel.height(),
      });
      const pickWidget = panel.pickWidget;
      if (pickWidget) {
        const callback = pickWidget.callback;
        pickWidget.callback = function () {
          const out = callback?.apply(this, arguments);
          panel.mark();
          return out;
        };
      }
      setTimeout(() => restorePanel(this), 0);
      return r;
    };
    const onExecuted = nodeType.prototype.onExecuted;
    nodeType.prototype.onExecuted = function (output) {
      onExecuted?.apply(this, arguments);
      const entries = output?.[UI_KEY];
      if (!this.mmcAudition || !Array.isArray(entries)) return;
      const scales = output?.[`${UI_KEY}_scales`];
      const scale = Array.isArray(scales) ? scales[0] : null;
      lastEntries.set(outputKey(this), { entries, scale });
      this.mmcAudition.render(entries, scale);
      fitNode(this, this.mmcAudition);
    };
    const onRemoved = nodeType.prototype.onRemoved;
    nodeType.prototype.onRemoved = function () {
      this.mmcAudition?.stop();
      return onRemoved?.apply(this, arguments);
    };
  },
});
