// MiniMax Cover: what a cover node costs before Run, and a status text box that shows all
// of its lines. Plain ES module, no build step; served from the pack's WEB_DIRECTORY.
//
// Price: ComfyUI's own price badge exists only in newer V3 hosts; this draws the price in the
// node's title bar in every version, live as the widgets change: numberResults x the price
// per result, by who is paid (Runware; MiniMax when a preprocess handle is linked, the
// two-step cover) and "SANDBOX: no cost" where the server has no key and the run would go
// to the local sandbox. The server says which (GET /minimax_cover/pricing, nodes/pricing_route.py).
// Status text: ComfyUI's text preview under a node is two lines high; the cover node writes
// three (status, price, time), so the pack's nodes' boxes are sized to their lines whenever
// the text changes.
import { app } from "../../scripts/app.js";
import { api } from "../../scripts/api.js";

const ROUTE = "/minimax_cover/pricing";
const TEXT_PREVIEW = "$$node-text-preview";
const LINE_PX = 17;  // a line of the preview box (12 px text, 16 px lines in 1.5x frontends)
const BOX_CHROME_PX = 40;  // the box's padding and the widget's margins, with room to spare

let pricing = null;
let loading = null;

function loadPricing() {
  loading ??= api.fetchApi(ROUTE, { cache: "no-store" })
    .then((r) => (r.ok ? r.json() : null))
    .then((info) => { pricing = info; return info; })
    .catch(() => null);
  return loading;
}

function usd(value) {
  return `$${value.toFixed(2)}`;
}

function linked(node, name) {
  return (node.inputs || []).some((i) => i.name === name && i.link != null);
}

// The text shown on the node: "~$0.30 (2 x $0.15)", "SANDBOX: no cost (list ~$0.30)",
// "~$0.15 billed by MiniMax (estimate)" or "MiniMax SANDBOX: no cost"; "" without a price.
export function priceText(node, info = pricing) {
  const price = info?.nodes?.[node.comfyClass ?? node.type];
  if (!price) return "";
  let count = 1;
  if (price.per && !linked(node, price.per)) {
    const widget = (node.widgets || []).find((w) => w.name === price.per);
    count = Math.max(1, Math.floor(Number(widget?.value ?? 1)) || 1);
  }
  if (linked(node, "preprocess")) {  // the two-step cover runs on MiniMax's own API
    const minimax = info.minimax ?? {};
    if (minimax.sandbox) return "MiniMax SANDBOX: no cost";
    if (minimax.usd == null) return "billed by MiniMax";
    const each = usd(minimax.usd);
    return `~${usd(minimax.usd * count)}${count > 1 ? ` (${count} x ${each})` : ""} ` +
      `billed by MiniMax${minimax.estimate ? " (estimate)" : ""}`;
  }
  const total = `~${usd(price.usd * count)}` + (count > 1 ? ` (${count} x ${usd(price.usd)})` : "");
  return info.runware?.sandbox ? `SANDBOX: no cost (list ${total})` : total;
}

function drawPrice(node, ctx) {
  const text = priceText(node);
  node.mmcPrice = text;
  if (!text || node.flags?.collapsed) return;
  const title = globalThis.LiteGraph?.NODE_TITLE_HEIGHT ?? 30;
  ctx.save();
  // above the title bar, at its left (the title itself and ComfyUI's badges stay readable)
  ctx.font = "bold 12px Arial, sans-serif";
  ctx.textAlign = "left";
  ctx.textBaseline = "bottom";
  ctx.fillStyle = text.includes("SANDBOX") ? "#8fd88f" : "#ffd479";
  ctx.fillText(`Price: ${text}`, 4, -title - 4);
  ctx.restore();
}

// Size the text preview under ``node`` to its lines (no scrolling to read the third one).
export function fitTextPreview(node) {
  const widget = (node.widgets || []).find((w) => w.name === TEXT_PREVIEW);
  if (!widget) return false;
  const lines = String(widget.value ?? "").split("\n").length;
  const height = lines * LINE_PX + BOX_CHROME_PX;
  widget.options ??= {};
  const base = widget.options.getMinHeight;
  widget.options.getMinHeight = () => Math.max(height, base ? Number(base()) || 0 : 0);
  widget.mmcLines = lines;
  const size = node.computeSize?.();
  if (size) node.setSize?.([node.size[0], Math.max(node.size[1], size[1])]);
  node.setDirtyCanvas?.(true, true);
  return true;
}

const CATEGORY = "audio/MiniMax Cover";

// The pack's nodes (the cover node, the preprocess node...): their status text is sized.
function isOurs(node) {
  if (!node) return false;
  const data = node.constructor?.nodeData ?? {};
  const custom = String(data.python_module ?? "").startsWith("custom_nodes");
  return Boolean(node.mmcCover) || (custom && String(data.category ?? "").startsWith(CATEGORY));
}

app.registerExtension({
  name: "MiniMaxCover.Price",
  async init() {
    await loadPricing();
    api.addEventListener("progress_text", (event) => {
      const id = String(event.detail?.nodeId ?? "").split(":").pop();
      const node = app.graph?.getNodeById?.(Number(id)) ?? app.graph?.getNodeById?.(id);
      if (!isOurs(node)) return;
      // after the frontend's own listener has written the text
      setTimeout(() => fitTextPreview(node), 0);
    });
  },
  async beforeRegisterNodeDef(nodeType, nodeData) {
    const info = pricing ?? (await loadPricing());
    if (!info?.nodes?.[nodeData?.name]) return;
    nodeType.prototype.mmcCover = true;
    const onDrawForeground = nodeType.prototype.onDrawForeground;
    nodeType.prototype.onDrawForeground = function (ctx) {
      const out = onDrawForeground?.apply(this, arguments);
      drawPrice(this, ctx);
      return out;
    };
  },
});
