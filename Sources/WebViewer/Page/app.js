// DeepVis browser front-end. The server sends one binary message per update ("DVF1", header length, JSON header,
// payload); this page draws it and sends the user's keys and clicks back as small JSON messages. No libraries.
"use strict";

const $ = (id) => document.getElementById(id);
const view = {
  layers: [], state: null, tiles: null, history: [], ascentCount: 0, ascentCurrent: null, ascentRunning: false,
  layerFrames: 0, inputFrames: 0, keys: [], refusedKeys: [], modes: [], renderings: ["raw", "gray", "norm", "normblur"],
  urls: {}, connected: false, errors: [], curve: [], ascentInfo: {}, ascentWaiting: false, ascentBusyWith: [],
};
window.deepvis = view; // read by the end-to-end tests

const mosaic = document.createElement("canvas");
const GAP = 2;
let socket = null;

function send(message) {
  if (socket && socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss://" : "ws://";
  socket = new WebSocket(scheme + location.host + "/ws" + location.search);
  socket.binaryType = "arraybuffer";
  socket.onopen = () => { view.connected = true; setConnection("connected", true); };
  socket.onclose = (e) => {
    view.connected = false;
    setConnection("disconnected" + (e.reason ? ": " + e.reason : "") + " — reload to reconnect", false);
  };
  socket.onmessage = (e) => {
    if (typeof e.data === "string") onHello(JSON.parse(e.data));
    else onFrame(e.data);
  };
}

function setConnection(text, good) {
  const el = $("connection");
  el.textContent = text;
  el.className = good ? "good" : "bad";
}

function onHello(hello) {
  if (hello.type !== "hello") return;
  view.layers = hello.layers;
  view.keys = hello.keys;
  view.refusedKeys = hello.refusedKeys;
  view.modes = hello.modes;
  $("model").textContent = hello.model;
  const list = $("layers");
  list.textContent = "";
  hello.layers.forEach((layer, i) => {
    const li = document.createElement("li");
    li.textContent = `${layer.name}  ${layer.channels}×${layer.height}×${layer.width}`;
    li.dataset.index = i;
    li.onclick = () => send({ type: "layer", layer: layer.name });
    list.appendChild(li);
  });
  const table = $("helpTable");
  table.textContent = "";
  for (const [keys, help] of hello.keys) {
    const tr = table.insertRow();
    tr.insertCell().textContent = keys;
    tr.insertCell().textContent = help;
  }
  buttons("modeButtons", hello.modes, "b", () => view.state && view.state.mode);
  buttons("renderingButtons", view.renderings, "n", () => view.state && view.state.rendering);
}

// Mode and rendering buttons press the window's cycling key until the wanted value is reached.
function buttons(id, names, key, current) {
  const box = $(id);
  box.textContent = "";
  names.forEach((name, i) => {
    const b = document.createElement("button");
    b.textContent = name;
    b.dataset.value = name;
    b.onclick = () => {
      const now = names.indexOf(current());
      const presses = (i - now + names.length) % names.length;
      for (let k = 0; k < presses; k++) send({ type: "key", key: key });
    };
    box.appendChild(b);
  });
}

function blobURL(name, bytes, type) {
  if (view.urls[name]) URL.revokeObjectURL(view.urls[name]);
  view.urls[name] = URL.createObjectURL(new Blob([bytes], { type: type }));
  return view.urls[name];
}

function onFrame(buffer) {
  const bytes = new Uint8Array(buffer);
  if (bytes.length < 8 || String.fromCharCode(bytes[0], bytes[1], bytes[2], bytes[3]) !== "DVF1") return;
  const n = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  const payload = bytes.subarray(8 + n);
  const part = (p) => payload.slice(p.off, p.off + p.len);
  if (header.errors) showErrors(header.errors);
  if (header.state) view.state = header.state;
  if (header.input) {
    $("input").src = blobURL("input", part(header.input), "image/jpeg");
    view.inputFrames++;
    showTop(header.top || []);
  }
  if (header.layer) {
    const l = header.layer;
    view.tiles = { gray: part(l), index: l.index, columns: l.columns, rows: l.rows, mapWidth: l.mapWidth,
                   mapHeight: l.mapHeight, stride: l.stride, max: l.max, sequence: l.sequence };
    view.layerFrames++;
    paintMosaic();
  }
  if (header.backward) {
    $("backward").src = blobURL("backward", part(header.backward), "image/jpeg");
    $("backwardCaption").textContent = `backward: ${header.backward.mode}, ${header.backward.rendering}`;
  }
  if (header.ascent) onAscent(header.ascent, part);
  if (header.status) showStatus(header.status);
  render();
}

function onAscent(a, part) {
  if (a.reset) {
    for (const h of view.history) if (h) URL.revokeObjectURL(h.url);
    view.history = [];
    view.curve = [];
    view.ascentCurrent = null;
    view.ascentInfo = {};
  }
  view.ascentUnit = [a.layer, a.unit];
  view.ascentWaiting = !!a.waiting;
  view.ascentBusyWith = a.busyWith || [];
  for (const h of a.history || []) {
    view.history[h.i] = { step: h.step, objective: h.objective, url: URL.createObjectURL(new Blob([part(h)], { type: "image/jpeg" })) };
  }
  if (a.curve) view.curve.splice(a.curveFrom, a.curve.length, ...a.curve);
  if (a.current) view.ascentCurrent = blobURL("ascent", part(a.current), "image/jpeg");
  view.ascentCount = a.count;
  if (a.phase !== undefined) {
    view.ascentInfo = { phase: a.phase, running: a.running, preset: a.preset, step: a.step, iterations: a.iterations,
                        target: a.target, secondsRemaining: a.secondsRemaining, error: a.error };
  }
}

function showErrors(errors) {
  view.errors.push(...errors);
  $("error").textContent = errors[errors.length - 1];
  clearTimeout(showErrors.timer);
  showErrors.timer = setTimeout(() => { $("error").textContent = ""; }, 5000);
}

function showTop(top) {
  const list = $("top");
  list.textContent = "";
  for (const t of top) {
    const li = document.createElement("li");
    li.textContent = `${(t.p * 100).toFixed(1)}%  ${t.label}`;
    list.appendChild(li);
  }
}

function showStatus(s) {
  const f = (x) => x.toFixed(1);
  let text = `${s.source} · capture ${f(s.captureFPS)} fps · forward ${f(s.forwardFPS)} fps (${f(s.forwardMs)} ms)` +
    ` · probe ${f(s.probeFPS)} fps · dropped ${s.dropped} · latency ${s.latencyMs.toFixed(0)} ms · ${s.clients} browser(s)` +
    ` · skipped here ${s.skipped}`;
  if (view.state && view.state.paused) text += " · PAUSED";
  else if (view.state && view.state.frozen) text += " · FROZEN";
  if (s.message) text += " · " + s.message;
  $("status").textContent = text;
}

// The 8-bit mosaic becomes an offscreen canvas; tiles are then scaled copies of its cells.
function paintMosaic() {
  const t = view.tiles;
  const w = t.columns * t.mapWidth, h = t.rows * t.mapHeight;
  mosaic.width = w;
  mosaic.height = h;
  const ctx = mosaic.getContext("2d");
  const image = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const g = t.gray[i];
    image.data[i * 4] = g; image.data[i * 4 + 1] = g; image.data[i * 4 + 2] = g; image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
}

function tileGeometry() {
  const t = view.tiles, canvas = $("tiles");
  const size = Math.max(1, Math.floor((canvas.width - GAP * (t.columns - 1)) / t.columns));
  const th = Math.max(1, Math.round(size * t.mapHeight / t.mapWidth));
  return { w: size, h: th };
}

function tileAt(x, y) {
  const t = view.tiles;
  if (!t) return -1;
  const g = tileGeometry();
  const c = Math.floor(x / (g.w + GAP)), r = Math.floor(y / (g.h + GAP));
  if (c < 0 || c >= t.columns || r < 0 || x - c * (g.w + GAP) >= g.w || y - r * (g.h + GAP) >= g.h) return -1;
  const i = r * t.columns + c;
  return i < t.max.length ? i : -1;
}

function render() {
  const s = view.state;
  if (!s) return;
  for (const li of $("layers").children) li.className = Number(li.dataset.index) === s.layer ? "current" : "";
  for (const b of $("modeButtons").children) b.className = b.dataset.value === s.mode ? "on" : "";
  for (const b of $("renderingButtons").children) b.className = b.dataset.value === s.rendering ? "on" : "";
  $("help").hidden = !s.help;
  const layer = view.layers[s.layer];
  if (layer) {
    $("layerTitle").textContent = `${layer.name} — ${layer.channels} maps ${layer.height}×${layer.width}` +
      (s.perChannel ? " · per-channel scale" : " · one scale for the layer");
  }
  drawTiles();
  drawZoom();
  drawAscent();
}

function drawTiles() {
  const t = view.tiles, canvas = $("tiles"), ctx = canvas.getContext("2d");
  if (!t || !view.state || t.index !== view.state.layer) return;
  const g = tileGeometry();
  canvas.height = t.rows * (g.h + GAP);
  ctx.imageSmoothingEnabled = false;
  ctx.fillStyle = "#101215";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  for (let i = 0; i < t.max.length; i++) {
    const c = i % t.columns, r = Math.floor(i / t.columns);
    ctx.drawImage(mosaic, c * t.mapWidth, r * t.mapHeight, t.mapWidth, t.mapHeight,
                  c * (g.w + GAP), r * (g.h + GAP), g.w, g.h);
  }
  const u = view.state.unit, c = u % t.columns, r = Math.floor(u / t.columns);
  ctx.strokeStyle = "#ffd23f";
  ctx.lineWidth = 2;
  ctx.strokeRect(c * (g.w + GAP) - 1, r * (g.h + GAP) - 1, g.w + 2, g.h + 2);
}

function drawZoom() {
  const t = view.tiles, canvas = $("zoom"), ctx = canvas.getContext("2d");
  const s = view.state, layer = view.layers[s.layer];
  if (!t || t.index !== s.layer || s.unit >= t.max.length) return;
  ctx.imageSmoothingEnabled = false;
  const c = s.unit % t.columns, r = Math.floor(s.unit / t.columns);
  ctx.drawImage(mosaic, c * t.mapWidth, r * t.mapHeight, t.mapWidth, t.mapHeight, 0, 0, canvas.width, canvas.height);
  $("unitTitle").textContent = `${layer.name} unit ${s.unit} · max ${t.max[s.unit].toFixed(2)}` +
    (t.stride > 1 ? ` · maps shown at 1/${t.stride}` : "");
}

function drawAscent() {
  const s = view.state, img = $("ascent"), slider = $("slider"), info = view.ascentInfo;
  const mine = view.ascentUnit && view.ascentUnit[0] === s.layer && view.ascentUnit[1] === s.unit && !view.ascentWaiting;
  const history = mine ? view.history.filter(Boolean) : [];
  slider.max = String(history.length);
  const position = s.history === null || s.history === undefined || s.history >= history.length ? null : s.history;
  if (document.activeElement !== slider) slider.value = String(position === null ? history.length : position);
  let label = "live";
  if (!mine) {
    img.removeAttribute("src");
    const busy = view.ascentBusyWith;
    $("ascentCaption").textContent = busy.length === 2 && view.layers[busy[0]]
      ? `optimizer busy with ${view.layers[busy[0]].name} unit ${busy[1]} (another browser)` : "waiting for the optimizer";
    $("ascentState").textContent = "";
  } else if (position !== null && history[position]) {
    const h = history[position];
    if (img.src !== h.url) img.src = h.url;
    label = `step ${h.step} · objective ${h.objective.toFixed(3)} (history ${position + 1}/${history.length})`;
  } else if (view.ascentCurrent) {
    if (img.src !== view.ascentCurrent) img.src = view.ascentCurrent;
    const last = view.curve.length ? view.curve[view.curve.length - 1] : null;
    label = last === null ? "live" : `live · step ${info.step} · objective ${last.toFixed(3)}`;
  }
  if (mine) {
    let caption = info.phase === "running" ? `optimizing… step ${info.step}/${info.iterations}` : (info.phase || "");
    if (info.phase === "running" && info.secondsRemaining) caption += ` · ${info.secondsRemaining.toFixed(0)} s left`;
    if (info.error) caption = "failed: " + info.error;
    $("ascentCaption").textContent = caption;
    $("ascentState").textContent = `(${info.preset || ""}, ${info.target || ""})`;
  }
  $("sliderLabel").textContent = label;
  view.sliderLabel = label;
  drawCurve(mine ? view.curve : [], position === null ? null : history[position]);
}

// The objective at every step, with the step the slider shows marked.
function drawCurve(curve, marked) {
  const canvas = $("curve"), ctx = canvas.getContext("2d");
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  if (curve.length < 2) return;
  const lo = Math.min(...curve), hi = Math.max(...curve), last = Math.max(curve.length - 1, 1);
  const px = (x) => 8 + (canvas.width - 16) * x / last;
  const py = (y) => canvas.height - 10 - (canvas.height - 20) * (hi > lo ? (y - lo) / (hi - lo) : 0.5);
  ctx.strokeStyle = "#6fb3ff";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  curve.forEach((y, i) => (i ? ctx.lineTo(px(i), py(y)) : ctx.moveTo(px(i), py(y))));
  ctx.stroke();
  const at = marked ? { x: marked.step, y: marked.objective } : { x: curve.length - 1, y: curve[curve.length - 1] };
  ctx.fillStyle = "#ffd23f";
  ctx.beginPath();
  ctx.arc(px(Math.min(at.x, last)), py(at.y), 3.5, 0, 2 * Math.PI);
  ctx.fill();
  ctx.fillStyle = "#9aa3ad";
  ctx.fillText(`${hi.toFixed(2)}`, 4, 12);
  ctx.fillText(`${lo.toFixed(2)}`, 4, canvas.height - 2);
}

$("tiles").addEventListener("click", (e) => {
  const i = tileAt(e.offsetX, e.offsetY);
  if (i >= 0) send({ type: "select", unit: i });
});
$("tiles").addEventListener("mousemove", (e) => {
  const i = tileAt(e.offsetX, e.offsetY), hover = $("hover");
  if (i < 0) { hover.style.display = "none"; return; }
  hover.textContent = `unit ${i} · max ${view.tiles.max[i].toFixed(2)}`;
  hover.style.left = (e.offsetX + 14) + "px";
  hover.style.top = (e.offsetY + 10) + "px";
  hover.style.display = "block";
});
$("tiles").addEventListener("mouseleave", () => { $("hover").style.display = "none"; });
$("slider").addEventListener("input", (e) => {
  const v = Number(e.target.value), count = Number(e.target.max);
  send({ type: "history", position: v >= count ? null : v });
});

const keyNames = { ArrowLeft: "left", ArrowRight: "right", ArrowUp: "up", ArrowDown: "down", " ": "space", Escape: "escape" };
document.addEventListener("keydown", (e) => {
  if (e.ctrlKey || e.metaKey || e.altKey || e.target.tagName === "INPUT") return;
  const name = keyNames[e.key] || (e.key.length === 1 ? e.key.toLowerCase() : null);
  if (!name || view.refusedKeys.includes(name)) return;
  if (!view.keys.some(([keys]) => keys.split(" / ").includes(name))) return;
  e.preventDefault();
  send({ type: "key", key: name });
});

connect();
