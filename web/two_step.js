// MiniMax Cover: the two-step panel of the "MiniMax Cover Preprocess" node.
// Plain ES module, no build step. ComfyUI serves it from the pack's WEB_DIRECTORY.
// The node's ui output "minimax_two_step" carries the lyrics MiniMax heard, the song's sections,
// its waveform peaks, the lyric rules and what happened ("reused handle from 09:14, ...").
// After a run this panel draws the sections as a timeline over the waveform, fills the lyrics
// widget of every cover node fed by the handle (only when it is empty, or still holds what this
// panel put there), and lints those lyrics live as they are edited: length, known section tags,
// counts. Queue again: the handle is cached, so editing costs only the cover.
import { app } from "../../scripts/app.js";

const NODE = "MiniMaxCoverPreprocess";
const UI_KEY = "minimax_two_step";
const STYLE_ID = "minimax-cover-two-step-style";
const LYRICS = "lyrics";
const COLORS = {
  intro: "#6b8cff", verse: "#4fb286", "pre-chorus": "#c9a227", chorus: "#e0655b",
  bridge: "#a46bd6", outro: "#5a7bd8", inst: "#8a8f98", silence: "#3a3d42",
};

const CSS = `
.mmc-two-step{display:flex;flex-direction:column;gap:5px;font:12px/1.35 system-ui,sans-serif;
  color:var(--input-text,#ddd);padding:2px 4px;box-sizing:border-box;overflow:hidden}
.mmc-two-step .mmc-note{opacity:.8}
.mmc-two-step .mmc-empty{opacity:.7;padding:4px 0}
.mmc-two-step .mmc-timeline{position:relative;height:74px;border-radius:4px;overflow:hidden;
  background:var(--comfy-input-bg,#1b1c1f)}
.mmc-two-step canvas{position:absolute;inset:0;width:100%;height:100%}
.mmc-two-step .mmc-section{position:absolute;top:0;bottom:0;border-right:1px solid #0008;
  box-sizing:border-box;opacity:.42}
.mmc-two-step .mmc-section span{position:absolute;left:3px;top:2px;font-size:10px;opacity:1;
  color:#fff;text-shadow:0 0 2px #000;white-space:nowrap}
.mmc-two-step .mmc-lint{font-variant-numeric:tabular-nums}
.mmc-two-step .mmc-lint.mmc-error{color:#ff8a80}
.mmc-two-step .mmc-lint.mmc-warn{color:#ffd180}
.mmc-two-step ul{margin:0;padding-left:16px}
`;

function addStyle() {
  if (document.getElementById(STYLE_ID)) return;
  const style = document.createElement("style");
  style.id = STYLE_ID;
  style.textContent = CSS;
  document.head.appendChild(style);
}

function clock(t) {
  const m = Math.floor(t / 60), s = Math.round(t - m * 60);
  return `${m}:${s < 10 ? "0" : ""}${s}`;
}

// The lyric rules of plugin/spec/lyrics.py, with the limits the node sent (one source).
export function lintLyrics(text, rules) {
  const min = rules?.min ?? 10, max = rules?.max ?? 1000;
  const tags = new Map((rules?.tags ?? []).map((t) => [t.toLowerCase().replace(/-/g, " "), t]));
  const report = { chars: text.length, sections: 0, lines: 0, warnings: [], errors: [] };
  if (text.length < min) report.errors.push(`${text.length} characters, minimum is ${min}`);
  if (text.length > max) report.errors.push(`${text.length} characters, maximum is ${max}`);
  let before = 0;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^\[([^\[\]\n]{1,40})\]$/.exec(line);
    if (m) {
      report.sections += 1;
      let tag = m[1].trim();
      const numbered = /^(.+?)\s+\d{1,2}$/.exec(tag);
      if (numbered) tag = numbered[1];
      if (tags.size && !tags.has(tag.toLowerCase().replace(/[-_]/g, " "))) {
        report.warnings.push(`[${m[1].trim()}] is not a documented tag (${[...tags.values()]
          .map((t) => `[${t}]`).join(", ")})`);
      }
      continue;
    }
    if (/\[[^\[\]\n]{1,40}\]/.test(line)) {
      report.warnings.push(`a tag inside a line: "${line.slice(0, 30)}" (tags go on their own line)`);
    }
    if (report.sections === 0) before += 1;
    report.lines += 1;
  }
  if (before && report.sections) report.warnings.push(`${before} line(s) before the first tag`);
  if (report.lines && !report.sections) {
    report.warnings.push("no section tags; [Verse]/[Chorus] work best");
  }
  return report;
}

// The textarea of a multiline widget (frontends name it inputEl or element).
function textarea(widget) {
  if (widget.inputEl) return widget.inputEl;
  const el = widget.element;
  if (!el) return null;
  return el.matches?.("textarea") ? el : el.querySelector?.("textarea") ?? null;
}

// The cover nodes fed by this node's handle output, and their lyrics widgets.
function lyricsWidgets(node) {
  const graph = node.graph ?? app.graph;
  const out = [];
  for (const id of node.outputs?.[0]?.links ?? []) {
    const link = graph?.links?.[id] ?? graph?.links?.get?.(id);
    const target = link && graph.getNodeById(link.target_id);
    const widget = target?.widgets?.find((w) => w.name === LYRICS);
    if (widget) out.push({ node: target, widget });
  }
  return out;
}

class TwoStepPanel {
  constructor(node) {
    this.node = node;
    this.info = null;
    this.filled = new Map();  // cover node id -> the text this panel put in its widget
    this.hooked = new WeakSet();
    this.root = document.createElement("div");
    this.root.className = "mmc-two-step";
    this.root.dataset.nodeId = String(node.id);
    this.renderEmpty();
  }

  renderEmpty() {
    const note = document.createElement("div");
    note.className = "mmc-empty";
    note.textContent = "Queue once: the lyrics MiniMax heard fill the cover's lyrics, the "
      + "sections appear here. Edit, queue again: only the cover runs.";
    this.root.replaceChildren(note);
  }

  render(info) {
    this.info = info;
    this.root.replaceChildren();
    const note = document.createElement("div");
    note.className = "mmc-note";
    note.textContent = info.note || "";
    const timeline = document.createElement("div");
    timeline.className = "mmc-timeline";
    const canvas = document.createElement("canvas");
    timeline.appendChild(canvas);
    const duration = info.duration || 1;
    for (const s of info.sections || []) {
      const div = document.createElement("div");
      div.className = "mmc-section";
      div.dataset.label = s.label;
      div.style.left = `${(100 * s.start) / duration}%`;
      div.style.width = `${(100 * Math.max(0, s.end - s.start)) / duration}%`;
      div.style.background = COLORS[s.label] || "#777";
      div.title = `${s.label} ${clock(s.start)}–${clock(s.end)}`;
      const label = document.createElement("span");
      label.textContent = s.label;
      div.appendChild(label);
      timeline.appendChild(div);
    }
    this.lint = document.createElement("div");
    this.lint.className = "mmc-lint";
    this.root.append(note, timeline, this.lint);
    this.root.dataset.sections = String((info.sections || []).length);
    this.root.dataset.reused = String(!!info.reused);
    requestAnimationFrame(() => this.drawWave(canvas));
    this.fill();
    this.relint();
  }

  drawWave(canvas) {
    const peaks = this.info?.peaks || [];
    const w = canvas.clientWidth || 300, h = canvas.clientHeight || 74;
    canvas.width = w * (window.devicePixelRatio || 1);
    canvas.height = h * (window.devicePixelRatio || 1);
    const ctx = canvas.getContext("2d");
    ctx.scale(window.devicePixelRatio || 1, window.devicePixelRatio || 1);
    ctx.fillStyle = "#cfd6e4";
    const n = peaks.length;
    for (let i = 0; i < n; i++) {
      const x = (i / n) * w, bar = Math.max(1, peaks[i] * (h - 6));
      ctx.fillRect(x, (h - bar) / 2, Math.max(1, w / n - 0.4), bar);
    }
    this.root.dataset.wave = String(n);
  }

  // Put the heard lyrics in each linked cover node's lyrics widget, unless the user typed some.
  fill() {
    const heard = this.info?.lyrics || "";
    for (const { node, widget } of lyricsWidgets(this.node)) {
      this.hook(widget);
      const current = String(widget.value ?? "");
      const ours = this.filled.get(node.id);
      if (heard && (!current.trim() || current === ours)) {
        widget.value = heard;
        const area = textarea(widget);
        if (area) area.value = heard;
        widget.callback?.(heard, app.canvas, node);
        this.filled.set(node.id, heard);
        node.setDirtyCanvas?.(true, true);
      }
    }
  }

  // Relint whenever a linked lyrics widget changes (typing, or a value set by code).
  hook(widget) {
    if (this.hooked.has(widget)) return;
    this.hooked.add(widget);
    textarea(widget)?.addEventListener("input", () => this.relint());
    const callback = widget.callback;
    const panel = this;
    widget.callback = function () {
      const out = callback?.apply(this, arguments);
      panel.relint();
      return out;
    };
  }

  relint() {
    if (!this.lint) return;
    const [first] = lyricsWidgets(this.node);
    if (!first) {
      this.lint.textContent = "Connect the handle to a cover node to edit its lyrics here.";
      return;
    }
    const text = String(textarea(first.widget)?.value ?? first.widget.value ?? "");
    const r = lintLyrics(text, this.info?.rules);
    const max = this.info?.rules?.max ?? 1000;
    this.lint.className = "mmc-lint" + (r.errors.length ? " mmc-error" :
      r.warnings.length ? " mmc-warn" : "");
    const head = document.createElement("div");
    head.textContent = `lyrics: ${r.chars}/${max} characters · ${r.sections} section(s) · `
      + `${r.lines} sung line(s)` + (r.errors.length || r.warnings.length ? "" : " · ok");
    const list = document.createElement("ul");
    for (const msg of [...r.errors, ...r.warnings]) {
      const li = document.createElement("li");
      li.textContent = msg;
      list.appendChild(li);
    }
    this.lint.replaceChildren(head, list);
    Object.assign(this.root.dataset, {
      chars: String(r.chars), lintSections: String(r.sections), lines: String(r.lines),
      state: r.errors.length ? "error" : r.warnings.length ? "warn" : "ok",
    });
  }

  height() {
    return this.info ? 130 + 16 * Math.min(6, this.lint?.querySelectorAll("li").length ?? 0) : 50;
  }
}

app.registerExtension({
  name: "MiniMaxCover.TwoStep",
  async beforeRegisterNodeDef(nodeType, nodeData) {
    if (nodeData?.name !== NODE) return;
    addStyle();
    const onNodeCreated = nodeType.prototype.onNodeCreated;
    nodeType.prototype.onNodeCreated = function () {
      const r = onNodeCreated?.apply(this, arguments);
      const panel = new TwoStepPanel(this);
      this.mmcTwoStep = panel;
      this.addDOMWidget("two_step", "minimax_two_step", panel.root, {
        serialize: false,
        hideOnZoom: false,
        getValue: () => "",
        setValue: () => {},
        getMinHeight: () => panel.height(),
      });
      return r;
    };
    const onExecuted = nodeType.prototype.onExecuted;
    nodeType.prototype.onExecuted = function (output) {
      onExecuted?.apply(this, arguments);
      const info = output?.[UI_KEY]?.[0];
      if (!this.mmcTwoStep || !info) return;
      this.mmcTwoStep.render(info);
      const size = this.computeSize?.() ?? [this.size?.[0] ?? 360, 0];
      this.setSize?.([Math.max(this.size?.[0] ?? 0, 320),
        Math.max(size[1], this.size?.[1] ?? 0)]);
      this.setDirtyCanvas?.(true, true);
    };
  },
});
